"""Finding a policy's words and phrases in a post: whole words, any case, any spacing,
with a plural ending allowed ("permit" finds "permits"), and the place of each match so
that a reason can quote its evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from civicarchive.model.span import Span


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """The pattern of one policy term: its words in order, separated by any space or
    hyphen, the last one singular or plural ("utility rates" finds "utility rate")."""
    words = [word for word in re.split(r"[\s-]+", term.strip()) if word]
    if not words:
        return re.compile(r"(?!)")
    last = words[-1]
    if len(last) > 3 and last.lower().endswith("s") and not last.lower().endswith("ss"):
        words[-1] = last[:-1]
    words = [re.escape(word) for word in words]
    body = r"[\s-]+".join(words)
    return re.compile(rf"(?<![\w@#]){body}(?:s|es)?(?!\w)", re.IGNORECASE)


def find_terms(text: str, terms: Iterable[str]) -> dict[str, Span]:
    """Each term found in `text` (the policy's spelling) -> its first match. A term found
    only inside a longer term that also matched is left out ("budget" in "city budget")."""
    found: dict[str, Span] = {}
    for term in dict.fromkeys(terms):
        match = term_pattern(term).search(text)
        if match:
            found[term] = Span(match.start(), match.end(), match.group(0))
    return {term: span for term, span in found.items()
            if not any(other != term and o.start <= span.start and span.end <= o.end
                       and (o.end - o.start) > (span.end - span.start)
                       for other, o in found.items())}


def search(patterns: Iterable[re.Pattern[str]], text: str) -> list[Span]:
    """The first match of each pattern that matches, in text order."""
    spans = [Span(m.start(), m.end(), m.group(0)) for p in patterns if (m := p.search(text))]
    return sorted(spans, key=lambda s: s.start)


def phrases(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """Regular expressions for wording a reason looks for, compiled case-insensitively."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
