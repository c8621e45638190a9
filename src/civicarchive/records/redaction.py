"""Redacting text for a production: spans a reviewer chose, each with the reason it relies on.

The archived text is never touched: `apply` builds the `RedactedText` a production shows, in
which each redacted span is a `Redaction` carrying only its reason. The redacted characters
are not in the result at all, so no renderer can leak them.

Spans are (start, end, reason) over Python string indexes, end exclusive. Spans that overlap
or touch become one redaction whose reason lists theirs, in the order the spans start, each
once: two adjacent markers would say no more than one, and would show where one phrase
ends. The law may require each redaction to cite its exemption (in Washington, RCW
42.56.210), so a span without a reason is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from civicarchive.errors import InvalidInput
from civicarchive.model.production import RedactedText, Redaction, Segment


def apply(text: str, spans: Iterable[tuple[int, int, str]]) -> RedactedText:
    """`text` with every span replaced by a `Redaction` giving its reason.

    Raises InvalidInput naming the first bad span: one that is empty or reversed
    (start >= end), reaches outside the text, or gives no reason.
    """
    checked = [_checked(text, number, span) for number, span in enumerate(spans, start=1)]
    segments: list[Segment] = []
    shown_from = 0
    for start, end, reasons in _merged(checked):
        if start > shown_from:
            segments.append(text[shown_from:start])
        segments.append(Redaction("; ".join(reasons)))
        shown_from = end
    if shown_from < len(text):
        segments.append(text[shown_from:])
    return tuple(segments)


def span_of(text: str, phrase: str) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of `phrase` in `text`, in order: in any case, with
    any run of white space where the phrase has one, with invisible characters (a
    soft hyphen, zero-width spaces and joiners) anywhere inside, and however Unicode
    spells its letters (an accent composed or combining, full-width forms), since
    "Jo\u00adhn", "JOHN" and "ＪＯＨＮ" read as John and a redaction that missed them would
    leak the name.

    Occurrences may overlap ("aa" in "aaa" is found at 0 and 1), so redacting them all
    leaves no copy of the phrase behind; `apply` merges them.
    """
    return find(_phrase_pattern(fold(phrase)), text)


def fold(text: str) -> str:
    """`text` as matching compares it: NFKC-normalised and casefolded, so "É", "e\u0301"
    and "Ｅ́" are one letter."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def find(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """(start, end) in `text` of every match of `pattern` (written for `fold`ed text) in
    the folded `text`, overlapping ones included. Each span covers whole characters as
    written: a letter with its combining marks is never cut in two."""
    folded, origin = _folded(text)
    found: dict[tuple[int, int], None] = {}
    match = pattern.search(folded)
    while match is not None:
        if match.end() > match.start():
            found[origin[match.start()][0], origin[match.end() - 1][1]] = None
        match = pattern.search(folded, match.start() + 1)
    return list(found)


# Characters that change nothing a reader sees: soft hyphen, Mongolian vowel separator,
# zero-width space, non-joiner and joiner, word joiner, zero-width no-break space.
_INVISIBLE = "[\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff]*"


@lru_cache(maxsize=64)
def _folded(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    # The folded text, and for each of its characters the (start, end) in `text` of the
    # character it came from with its combining marks (folding may change lengths: "ß"
    # is "ss", "ﬁ" is "fi").
    folded: list[str] = []
    origin: list[tuple[int, int]] = []
    start = 0
    for end in range(1, len(text) + 1):
        if end < len(text) and unicodedata.combining(text[end]):
            continue
        letter = fold(text[start:end])
        folded.append(letter)
        origin.extend([(start, end)] * len(letter))
        start = end
    return "".join(folded), tuple(origin)


def phrase_regex(phrase: str) -> str:
    """The regular expression (over `fold`ed text) of `phrase` as `span_of` finds it: any
    white space where it has some, invisible characters anywhere inside."""
    words = phrase.split()
    if not words:
        raise InvalidInput("the phrase to redact is empty: give the words to find")
    spelled = [_INVISIBLE.join(re.escape(c) for c in word) for word in words]
    return f"{_INVISIBLE}\\s+{_INVISIBLE}".join(spelled)


@lru_cache(maxsize=256)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(phrase_regex(phrase), re.IGNORECASE)


def _checked(text: str, number: int, span: tuple[int, int, str]) -> tuple[int, int, str]:
    try:
        start, end, reason = span
    except (TypeError, ValueError):
        raise InvalidInput(f"redaction span {number} is {span!r}: give (start, end, reason)"
                           ) from None
    where = f"redaction span {number} ({start!r}, {end!r}, {reason!r})"
    if not (isinstance(start, int) and isinstance(end, int)):
        raise InvalidInput(f"{where}: start and end must be whole character indexes")
    if not 0 <= start < end <= len(text):
        raise InvalidInput(f"{where} is not inside the text: give 0 <= start < end <= "
                           f"{len(text)} (the text's length), end exclusive")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(f"{where} has no reason: give the exemption it relies on and its "
                           f"citation, e.g. 'personal information (RCW 42.56.230)'")
    return start, end, reason.strip()


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, list[str]]]:
    # Sorting by start alone keeps the caller's order among spans starting together.
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, reason in sorted(spans, key=lambda span: span[0]):
        if merged and start <= merged[-1][1]:
            first, last, reasons = merged[-1]
            merged[-1] = (first, max(last, end), reasons)
        else:
            reasons = []
            merged.append((start, end, reasons))
        if reason not in reasons:
            reasons.append(reason)
    return merged
