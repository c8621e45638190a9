"""From a parsed query to conditions on indexed fields, which every engine compiles.

Filters that need the archive (an account handle, a series, a hold) are resolved here
through a `Resolver` the archive supplies, so engines see only:
Word, Phrase, Match(field, values), Range(field, lo, hi), Flag(name), Not, AnyOf, AllOf
and Nothing. Everything else about a search (paging, versions) is in `SearchRequest`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol

from civicarchive.search.query import AllOf, AnyOf, Filter, Not, Phrase, Word, parse

__all__ = ["Flag", "Match", "Nothing", "Range", "Resolver", "SearchRequest", "plan",
           "text_terms"]

@dataclass(frozen=True)
class Match:
    field: str                 # account, platform, kind, author or item
    values: frozenset


@dataclass(frozen=True)
class Range:
    field: str                 # "created": seconds since the epoch
    lo: int | None             # inclusive
    hi: int | None             # exclusive


@dataclass(frozen=True)
class Flag:
    name: str                  # deleted, edited, hidden, media, restricted


@dataclass(frozen=True)
class Nothing:
    """Matches no record (e.g. a series no account belongs to)."""


class Resolver(Protocol):
    def accounts(self, value: str) -> frozenset[int]: ...
    def series(self, code: str) -> object: ...
    def hold(self, hold_id: int) -> object: ...


@dataclass(frozen=True)
class SearchRequest:
    query: str
    condition: object
    all_versions: bool = False     # default: each record's latest version only
    limit: int = 20
    offset: int = 0
    facets: bool = True
    exclude_kinds: frozenset[str] = field(default_factory=frozenset)
    count: bool = True             # False: the total may be just offset + hits (a feed)


def plan(query: str, resolver: Resolver) -> AllOf:
    """Parse and resolve a query into conditions on indexed fields."""
    return _resolve(parse(query), resolver)


def day_start(day: date) -> int:
    return int(datetime.combine(day, time(0), timezone.utc).timestamp())


def _resolve(node: object, resolver: Resolver) -> object:
    if isinstance(node, AllOf):
        return AllOf(tuple(_resolve(c, resolver) for c in node.clauses))
    if isinstance(node, AnyOf):
        return AnyOf(tuple(_resolve(c, resolver) for c in node.clauses))
    if isinstance(node, Not):
        return Not(_resolve(node.clause, resolver))
    if not isinstance(node, Filter):
        return node
    key, value = node.key, node.value
    if key == "account":
        return Match("account", resolver.accounts(value))
    if key in ("platform", "kind"):
        return Match(key, frozenset({value}))
    if key == "author":
        return Match("author", frozenset({value.lower().removeprefix("@")}))
    if key == "from":
        return Range("created", day_start(date.fromisoformat(value)), None)
    if key == "to":
        return Range("created", None, day_start(date.fromisoformat(value) + timedelta(days=1)))
    if key in ("is", "has"):
        return Flag(value)
    if key == "series":
        return resolver.series(value)
    if key == "hold":
        return resolver.hold(int(value))
    raise AssertionError(f"unhandled filter {key}")  # query.FILTERS and this list agree


def text_terms(node: object) -> list[str]:
    """The words and phrases a condition asks for (not those it excludes), for snippets."""
    if isinstance(node, (AllOf, AnyOf)):
        return [t for c in node.clauses for t in text_terms(c)]
    if isinstance(node, (Word, Phrase)):
        return [node.text]
    return []
