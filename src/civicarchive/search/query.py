"""The search query language, parsed into a small tree. Pure: no index, no store.

    zoning "main street" -parking budget OR levy platform:facebook is:deleted from:2026-01-01

Words and "phrases" must all match; `a OR b` matches either; a leading `-` excludes; and
`key:value` filters narrow the results (see FILTERS). Filters that need the archive to be
understood (`account:` by handle, `series:`, `hold:`) stay `Filter` nodes here; the
archive resolves them into conditions on indexed fields (`search/plan.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind

__all__ = ["FILTERS", "AllOf", "AnyOf", "Filter", "Not", "Phrase", "Word", "parse"]

FILTERS = {
    "account": "an account id or handle",
    "platform": "a platform name (x, facebook, instagram, mastodon, bluesky, youtube, feed)",
    "kind": "post, comment, reply, message, media or profile",
    "author": "an author's handle or name",
    "from": "a date (YYYY-MM-DD): created on or after it",
    "to": "a date (YYYY-MM-DD): created on or before it",
    "is": "deleted, edited, hidden or restricted",
    "has": "media",
    "series": "a record series code from the adopted policy",
    "hold": "a legal hold id",
}
FLAGS = {"is": ("deleted", "edited", "hidden", "restricted"), "has": ("media",)}
# `https://...` in a query is text, not an unknown filter.
NOT_FILTERS = frozenset({"http", "https", "mailto", "ftp"})

_TOKEN = re.compile(r'\s*(?P<neg>-?)(?:(?P<key>[A-Za-z]+):(?:"(?P<qval>[^"]*)"?|(?P<val>\S*))'
                    r'|"(?P<phrase>[^"]*)"?|(?P<word>\S+))')


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Filter:
    key: str
    value: str


@dataclass(frozen=True)
class Not:
    clause: object


@dataclass(frozen=True)
class AnyOf:
    clauses: tuple


@dataclass(frozen=True)
class AllOf:
    clauses: tuple


def parse(query: str) -> AllOf:
    """Parse a query; raise InvalidInput naming the bad part and what would be valid."""
    clauses: list = []
    pending_or = False
    for match in _TOKEN.finditer(query):
        if not match.group(0).strip():
            break
        word = match.group("word")
        if word == "OR" and not match.group("neg"):
            if not clauses or pending_or:
                raise InvalidInput(f"OR needs a term on each side, near character "
                                   f"{match.start() + 1} of {query!r}")
            pending_or = True
            continue
        clause = _clause(match, query)
        if clause is None:
            continue
        if pending_or:
            previous = clauses.pop()
            alternatives = previous.clauses if isinstance(previous, AnyOf) else (previous,)
            clause = AnyOf(alternatives + (clause,))
            pending_or = False
        clauses.append(clause)
    if pending_or:
        raise InvalidInput(f"the query ends with OR: add the alternative after it ({query!r})")
    return AllOf(tuple(clauses))


def _clause(match: re.Match, query: str) -> object | None:
    negated = bool(match.group("neg"))
    key = match.group("key")
    if key is not None and key.lower() not in NOT_FILTERS:
        clause = _filter(key.lower(), match.group("qval") if match.group("qval") is not None
                         else match.group("val"), query)
    elif match.group("phrase") is not None:
        text = match.group("phrase").strip()
        if not text:
            return None
        clause = Phrase(text) if len(text.split()) > 1 else Word(text)
    else:
        text = match.group(0).strip().removeprefix("-") if negated else \
            match.group(0).strip()
        if not text:
            return None
        clause = Word(text)
    return Not(clause) if negated else clause


def _filter(key: str, value: str, query: str) -> Filter:
    if key not in FILTERS:
        raise InvalidInput(f"unknown filter {key}: in {query!r}; filters are "
                           + ", ".join(f"{k}:" for k in FILTERS))
    value = value.strip()
    if not value:
        raise InvalidInput(f"{key}: needs a value ({FILTERS[key]})")
    if key in FLAGS:
        value = value.lower()
        if value not in FLAGS[key]:
            raise InvalidInput(f"{key}:{value} is not a filter: use "
                               + " or ".join(f"{key}:{v}" for v in FLAGS[key]))
    elif key == "kind":
        value = value.lower()
        if value not in set(Kind):
            raise InvalidInput(f"kind:{value} is not a kind: use one of "
                               + ", ".join(k.value for k in Kind))
    elif key in ("from", "to"):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{key}:{value} is not a date: write it as YYYY-MM-DD") from None
    elif key == "hold" and not value.isdigit():
        raise InvalidInput(f"hold:{value} is not a hold id: use the number `holds list` shows")
    elif key == "platform":
        value = value.lower()
    return Filter(key, value)
