"""Legal holds: which records a hold covers, at a given moment.

A hold is an overlay decided on read: nothing in the archive is marked or rewritten when a
hold is placed or released. A hold is active from its creation until its release, and
while active it covers every record matching its scope, including records captured after
the hold was placed: litigation reaches what the agency holds, whenever it was captured.

The scope's query is deliberately small, so a records officer can predict what it matches:

    budget parking          both words, as whole words, in any order
    "city hall"             the phrase, its words in sequence
    -draft                  not the word "draft" (also -"a phrase")

Matching ignores case and how much whitespace separates a phrase's words. An empty query
matches everything. A record matches when any one of its versions does: editing a post to
drop the words a hold names must not take it out of the hold, nor must its deletion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from civicarchive.errors import InvalidInput
from civicarchive.model.custody import Hold, HoldScope, RecordFacts
from civicarchive.model.script import CLASS_BODY, is_cjk

# A quoted phrase (possibly negated) or a run of characters that are neither space nor quote.
_TOKEN = re.compile(r'(-?)"([^"]*)"|([^\s"]+)')


def parse_query(query: str | None) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(words, phrases, excluded) of a hold query, casefolded, each term once.

    Excluded terms may be single words or phrases; both match the same way. A lone "-" or
    an empty pair of quotes says nothing and is dropped. Raises InvalidInput for an odd
    number of double quotes, since guessing where the phrase ends could widen or narrow a
    legal hold without anyone noticing.
    """
    query = query or ""
    if query.count('"') % 2:
        raise InvalidInput(f"the hold query {query!r} has an unbalanced double quote: close "
                           f'the phrase, as in "city hall", or remove the quote')
    words: dict[str, None] = {}
    phrases: dict[str, None] = {}
    excluded: dict[str, None] = {}
    for match in _TOKEN.finditer(query):
        negated, phrase, bare = match.groups()
        if bare is not None:
            negated, term = bare.startswith("-"), bare.removeprefix("-")
        else:
            term = phrase
        term = " ".join(term.casefold().split())
        if not term:
            continue
        if negated:
            excluded[term] = None
        elif bare is not None:
            words[term] = None
        else:
            phrases[term] = None
    return tuple(words), tuple(phrases), tuple(excluded)


def query_matches(query: str | None, text: str) -> bool:
    """Whether `text` satisfies the hold query (see the module docstring)."""
    words, phrases, excluded = parse_query(query)
    folded = text.casefold()
    return (all(_appears(term, folded) for term in words + phrases)
            and not any(_appears(term, folded) for term in excluded))


def in_scope(scope: HoldScope, facts: RecordFacts) -> bool:
    """Whether the record matches every part the scope gives (None means "any")."""
    created = facts.created_at or facts.first_seen_at
    return ((scope.accounts is None or facts.account_id in scope.accounts)
            and (scope.items is None or facts.item_id in scope.items)
            and (scope.start is None or created >= scope.start)
            and (scope.end is None or created < scope.end)
            and (not scope.query
                 or any(query_matches(scope.query, text) for text in facts.texts)))


def active(hold: Hold, now: datetime) -> bool:
    """Placed at or before `now` and not released at or before `now`."""
    return hold.created_at <= now and (hold.released_at is None or hold.released_at > now)


def covers(hold: Hold, facts: RecordFacts, now: datetime) -> bool:
    """Whether the hold, as it stands at `now`, keeps this record from disposition."""
    return active(hold, now) and in_scope(hold.scope, facts)


def holding(holds: Iterable[Hold], facts: RecordFacts, now: datetime) -> tuple[int, ...]:
    """Ids of the active holds covering the record, in the order given."""
    return tuple(hold.id for hold in holds if covers(hold, facts, now))


def describe(hold: Hold) -> str:
    """How reasons name a hold: 'hold 3 (Smith v. City)'."""
    return f"hold {hold.id} ({hold.name})"


@lru_cache(maxsize=1024)
def _pattern(term: str) -> re.Pattern[str]:
    # Whole words only: "park" must not match "parking". Lookarounds rather than \b so a
    # term that starts or ends with punctuation ("#budget", "c++") still works. As search
    # does, a Chinese, Japanese or Korean character is a word of its own: "queen" is a
    # word in "這位queen", and "会館" in "市民会館で" (no lookaround beside a CJK end).
    words = term.split()
    body = re.escape(words[0])
    for left, right in zip(words, words[1:]):  # between CJK characters a space is optional
        body += (r"\s*" if is_cjk(left[-1]) and is_cjk(right[0]) else r"\s+") + \
            re.escape(right)
    latin_letter = f"[^\\W{CLASS_BODY}]"
    before = "" if is_cjk(term.strip()[0]) else f"(?<!{latin_letter})"
    after = "" if is_cjk(term.strip()[-1]) else f"(?!{latin_letter})"
    return re.compile(f"{before}{body}{after}")


def _appears(term: str, folded_text: str) -> bool:
    return _pattern(term).search(folded_text) is not None
