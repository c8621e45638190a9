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

__all__ = ["FACETS", "Hit", "Results", "SearchDoc", "SearchIndex"]

FACETS = ("platform", "kind", "account")


@dataclass(frozen=True, slots=True)
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
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    version: int
    item: int
    score: float
    snippet: str                              # plain text around the best match
    highlights: tuple[tuple[int, int], ...]   # [start, end) of matched words in snippet


@dataclass
class Results:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchIndex(Protocol):
    name: str

    def indexed_through(self) -> int:
        """The ledger size this index reflects (0 when empty)."""

    def apply(self, docs: Iterable[SearchDoc], items: Iterable[int], through: int | None
              ) -> None:
        """Replace the records `items` by `docs` (their versions now; none if purged), and,
        when `through` is given, record that the index reflects the ledger up to it."""

    def reset(self) -> None:
        """Empty the index (before a rebuild)."""

    def search(self, request: SearchRequest) -> Results: ...

    def close(self) -> None: ...
