"""The facts retention, holds and disposition decide on. Plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from civicarchive.model.account import Classification
from civicarchive.model.record import Kind


@dataclass(frozen=True)
class RecordFacts:
    """One record (an item and all its versions) as retention sees it."""

    item_id: int
    account_id: int
    classification: Classification
    platform: str
    kind: Kind
    created_at: datetime | None        # when the platform says it was created
    first_seen_at: datetime            # when the archive first observed it
    deleted_at: datetime | None        # when it was observed deleted (taken down), if it is
    account_closed_at: datetime | None
    texts: tuple[str, ...]             # every version's text, for hold queries
    purged: bool = False
    tags: frozenset[str] = frozenset()  # the account's tags, for series assignment


@dataclass(frozen=True)
class HoldScope:
    """What a hold covers; None means "any". A record must match every given part."""

    accounts: frozenset[int] | None = None
    start: datetime | None = None      # records created at or after (created_at, else first seen)
    end: datetime | None = None        # records created before
    query: str | None = None           # words (all must appear), "phrases", -excluded words
    items: frozenset[int] | None = None


@dataclass(frozen=True)
class Hold:
    id: int
    name: str
    matter: str
    reason: str
    scope: HoldScope
    created_at: datetime
    created_by: str
    released_at: datetime | None = None
    release_reason: str | None = None


@dataclass(frozen=True)
class Eligibility:
    """When a record may be disposed of, and why not yet."""

    series: str | None                 # the series code, None when no series applies
    eligible_at: datetime | None       # None: the trigger has not happened (or no series)
    eligible: bool                     # eligible now, and under no hold
    held_by: tuple[int, ...]           # ids of active holds covering it
    reason: str                        # a sentence a records officer can read
