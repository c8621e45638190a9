"""The search index interface, shared by the embedded engine (tantivy) and PostgreSQL.

An index is derived data. It records how much of the ledger it reflects
(`indexed_through`, a ledger size); `apply` replaces whole records (every version of an
item) and moves that mark in one atomic step, and replaying a change twice gives the same
index. So after a crash the index is simply behind, and catching up from its mark makes
it consistent again (search/sync.py); `reset` and a catch-up from 0 rebuild it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from civicarchive.search.plan import SearchRequest

__all__ = ["DISPLAY", "FACETS", "FLAGS", "Hit", "IndexBusy", "Results", "SearchDoc", "SearchIndex",
           "hit"]


class IndexBusy(Exception):
    """Another process is updating the index right now: it will bring it up to date."""

FACETS = ("platform", "kind", "account")


@dataclass(slots=True)   # (not frozen: a frozen init costs a setattr call per field)
class SearchDoc:
    """One version of a record as the index holds it; flags describe the record now."""

    version: int
    item: int
    account: int
    platform: str
    kind: str
    author: str                # lower case, without a leading @
    created: int               # seconds since the epoch (created_at, else first seen)
    latest: bool
    deleted: bool
    edited: bool
    hidden: bool
    media: bool
    restricted: bool           # the platform showed its latest content only to some
    text: str
    # Shown with a hit, so that a search needs no query to the store:
    handle: str                # the account's handle
    author_name: str           # as the platform gave it
    created_at: str            # "" when unknown
    url: str
    event: str
    observed_at: str


FLAGS = ("latest", "deleted", "edited", "hidden", "media", "restricted")
DISPLAY = ("platform", "kind", "handle", "author_name", "created_at", "url", "event",
           "observed_at")


@dataclass(frozen=True, slots=True)
class Hit:
    version: int
    item: int
    score: float
    snippet: str                              # plain text around the best match
    highlights: tuple[tuple[int, int], ...]   # [start, end) of matched words in snippet
    platform: str
    account: str                              # the account's handle
    kind: str
    author: str | None
    created_at: str | None
    url: str | None
    event: str
    observed_at: str


@dataclass
class Results:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def hit(version: int, item: int, score: float, snippet: str,
        highlights: tuple[tuple[int, int], ...], shown: dict) -> Hit:
    """A hit from the stored display fields (see DISPLAY)."""
    return Hit(version=version, item=item, score=score, snippet=snippet,
               highlights=highlights, platform=shown["platform"], account=shown["handle"],
               kind=shown["kind"], author=shown["author_name"] or None,
               created_at=shown["created_at"] or None, url=shown["url"] or None,
               event=shown["event"], observed_at=shown["observed_at"])


class SearchIndex(Protocol):
    name: str

    def indexed_through(self) -> int:
        """The ledger size this index reflects (0 when empty)."""

    def apply(self, docs: Iterable[SearchDoc], items: Iterable[int], through: int | None,
              wait: float = 2.0) -> None:
        """Replace the records `items` by `docs` (their versions now; none if purged), and,
        when `through` is given, record that the index reflects the ledger up to it.
        IndexBusy when another writer holds the index for longer than `wait` seconds."""

    def reset(self, wait: float = 2.0) -> None:
        """Empty the index (before a rebuild)."""

    def search(self, request: SearchRequest) -> Results: ...

    def close(self) -> None: ...
