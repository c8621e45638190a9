"""Chinese, Japanese and Korean text, as both search engines index and highlight it.

These scripts put no spaces between words, so a word-based analyser sees a whole run
("土狗和松鼠谁当1", "這位Queen") as one token and finds nothing inside it. Both engines
instead make each CJK character (Han, kana, Hangul) a token of its own, at its own
position, and split off the Latin words and digits touching it; a query's CJK text is
then searched as the phrase of its characters. That finds every word of any length,
one character included, exactly where it stands (a bigram index misses a one-character
word inside a longer run), and it indexes the original text, so snippets show it as
written. tantivy's regex tokenizer (TOKENS) makes those words of a text that holds CJK
(search/tantivy_index.py); PostgreSQL's parser is given the text with SEPARATOR around
CJK characters (`separate`), removed again from its snippets (`join`).

An engine highlights each asked-for character wherever it stands; `highlight` keeps
only the characters that form a run of the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from civicarchive.model.script import RANGES

__all__ = ["SEPARATOR", "TOKENS", "has_cjk", "highlight", "join", "runs", "separate"]


_RUST_CLASS = "[" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in RANGES) + "]"
# tantivy's regex tokenizer (Rust syntax): one CJK character, or a run of the letters and
# digits tantivy's simple tokenizer keeps together (char::is_alphanumeric), CJK excepted.
TOKENS = rf"{_RUST_CLASS}|[[\p{{Alphabetic}}\p{{N}}]--{_RUST_CLASS}]+"

_CLASS = "[" + "".join(f"\\U{lo:08X}-\\U{hi:08X}" for lo, hi in RANGES) + "]"
_CJK = re.compile(_CLASS)
_TOKEN = re.compile(rf"{_CLASS}|(?:(?!{_CLASS})[^\W_])+")  # the same tokens, in Python
# A control character PostgreSQL's parser reads as a blank, in every locale.
SEPARATOR = "\x01"
_BOUNDARY = re.compile(rf"(?<={_CLASS})(?=\S)|(?<=\S)(?={_CLASS})")


def has_cjk(text: str) -> bool:
    """Whether the text holds a CJK character."""
    return not text.isascii() and _CJK.search(text) is not None  # isascii: no scan


def separate(text: str) -> str:
    """The text with SEPARATOR between a CJK character and any character touching it, so
    that PostgreSQL's parser makes each CJK character a word (a SEPARATOR already in the
    text becomes a space)."""
    if SEPARATOR in text:
        text = text.replace(SEPARATOR, " ")
    return _BOUNDARY.sub(SEPARATOR, text) if has_cjk(text) else text


def join(text: str) -> str:
    """Undo `separate` (up to a SEPARATOR the original held)."""
    return text.replace(SEPARATOR, "")


def runs(terms: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """The CJK characters of a query's words and phrases, in runs of consecutive tokens."""
    found: set[tuple[str, ...]] = set()
    for term in terms:
        current: list[str] = []
        for token in [*_TOKEN.findall(term), ""]:
            if has_cjk(token):
                current.append(token)
            elif current:
                found.add(tuple(current))
                current = []
    return frozenset(found)


def highlight(fragment: str, marks: tuple[tuple[int, int], ...],
              runs: frozenset[tuple[str, ...]]) -> tuple[tuple[int, int], ...]:
    """An engine's [start, end) marks in `fragment` with its marks of CJK characters
    replaced by the occurrences of the query's CJK `runs`; touching marks are merged, so
    a word is one mark."""
    if not runs:
        return marks
    kept = [(s, e) for s, e in marks if not has_cjk(fragment[s:e])]
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(fragment)]
    texts = [text for text, _, _ in tokens]
    for run in runs:
        for i in range(len(tokens) - len(run) + 1):
            if tuple(texts[i:i + len(run)]) == run:
                kept.extend((s, e) for _, s, e in tokens[i:i + len(run)])
    merged: list[tuple[int, int]] = []
    for start, end in sorted(kept):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)

