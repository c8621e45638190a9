"""Text as the detectors read it: the words a comment spells, whatever characters spell them.

    found = normalise("I'm going to k\u200bі1l the mayor")
    found.text                      # "I'm going to kill the mayor"
    found.original(13, 17)          # (13, 18): "k\u200bі1l" in the comment as written

A comment written to slip past word lists is read as what it says, in this order:

1. Format characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens,
   direction marks) are dropped, and each character with its combining marks is put in
   NFKC form: full-width "ｋｉｌｌ" and "２０６", mathematical and circled letters become
   plain ones.
2. Letters of another script that look Latin (Cyrillic "і", "а", "ѕ"; Greek "ο") become
   the Latin letter they imitate, from Unicode's confusables (the `confusable-homoglyphs`
   package), in a word that mixes them with Latin letters, or in a word made of nothing
   else in a comment mostly in Latin script. A Russian or Greek sentence is left alone.
3. Leetspeak: the digits and signs 0 1 3 4 5 7 $ ! | between two letters ("k1ll",
   "sh00t") become the letters they stand for; a digit at a word's edge ("5th", "9am",
   "I-5") is a digit.
4. Three or more single letters spaced or dotted alike ("k i l l", "k.i.l.l") are joined.

Every position of the normalised text maps back to the comment as written, so every span
the engine reports is an index into the original (`original`, `span`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from civicarchive.moderation.findings import Span

LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "!": "i", "|": "l"}
_LEET = re.compile(r"(?<=[A-Za-z])[013457$!|]+(?=[A-Za-z])")
_SPACED = re.compile(r"(?<![\w.*-])[A-Za-z](?P<gap>[ .*_-])[A-Za-z](?:(?P=gap)[A-Za-z])+"
                     r"(?![\w*])")
_WORD = re.compile(r"\w+")
# Look-alikes the confusables table maps only to small capitals or other non-ASCII Latin
# letters (Cyrillic "к" to "ĸ", "т" to "ᴛ"), though they stand for the plain letter.
_PLAIN = {"к": "k", "κ": "k", "т": "t", "τ": "t", "м": "m", "н": "h", "в": "b",
          "ε": "e", "η": "n"}
_fold: dict[str, str] = {}


@dataclass(frozen=True)
class Normalised:
    """`text` as the detectors read it; `starts[i]:ends[i]` is where its character i came
    from in `source` (None for both: the text is the source, unchanged)."""

    text: str
    source: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    @property
    def changed(self) -> bool:
        return self.starts is not None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The (start, end) in the comment as written of text[start:end]."""
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            at = self.starts[start] if start < len(self.starts) else len(self.source)
            return at, at
        return self.starts[start], self.ends[end - 1]

    def span(self, found: Span) -> Span:
        """A span of `text` as the same span of the comment as written."""
        if self.starts is None:
            return found
        start, end = self.original(found.start, found.end)
        return Span(start, end, self.source[start:end])


def normalise(text: str) -> Normalised:
    """The comment as the detectors read it (see the module's docstring)."""
    if text.isascii() and not _LEET.search(text) and not _SPACED.search(text):
        return Normalised(text, text)  # the common case: nothing to do
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if unicodedata.category(text[i]) == "Cf":
            i += 1
            continue
        j = i + 1
        while j < n and unicodedata.category(text[j]).startswith("M"):
            j += 1
        piece = text[i:j]
        for c in piece if piece.isascii() else unicodedata.normalize("NFKC", piece):
            chars.append(c)
            starts.append(i)
            ends.append(j)
        i = j
    _fold_look_alikes(chars)
    _unleet(chars)
    keep = _unspaced("".join(chars))
    if keep is not None:
        chars = [c for c, kept in zip(chars, keep) if kept]
        starts = [s for s, kept in zip(starts, keep) if kept]
        ends = [e for e, kept in zip(ends, keep) if kept]
    folded = "".join(chars)
    if folded == text:
        return Normalised(text, text)
    return Normalised(folded, text, tuple(starts), tuple(ends))


def _fold_look_alikes(chars: list[str]) -> None:
    joined = "".join(chars)
    if joined.isascii():
        return
    table = _table()
    latin = other = 0
    for c in joined:
        if c.isalpha():
            if _latin(c):
                latin += 1
            else:
                other += 1
    for word in _WORD.finditer(joined):
        found = word.group()
        if found.isascii():
            continue
        letters = [c for c in found if c.isalpha()]
        foreign = [c for c in letters if not _latin(c)]
        foldable = [c for c in foreign if c in table]
        if not foldable:
            continue
        mixed = len(foreign) < len(letters)
        if mixed or (len(foldable) == len(foreign) and latin > other):
            for k in range(word.start(), word.end()):
                if chars[k] in table and not _latin(chars[k]):
                    chars[k] = table[chars[k]]


def _latin(c: str) -> bool:
    return c.isascii() or unicodedata.name(c, "").startswith("LATIN")


def _table() -> dict[str, str]:
    """Letters of other scripts -> the ASCII letter Unicode's confusables say they imitate."""
    if not _fold:
        from confusable_homoglyphs.confusables import confusables_data
        for char, glyphs in confusables_data.items():
            if len(char) != 1 or not char.isalpha() or _latin(char):
                continue
            plain = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii()
                     and g["c"].isalpha()]
            if plain:
                _fold[char] = plain[0]
        _fold.update(_PLAIN)
    return _fold


def _unleet(chars: list[str]) -> None:
    joined = "".join(chars)
    for found in _LEET.finditer(joined):
        before, after = joined[found.start() - 1], joined[found.end()]
        upper = before.isupper() and after.isupper()
        for k in range(found.start(), found.end()):
            c = chars[k]
            if c == "1":
                # "k1ll": i; "ki11", "k1l": an l after an i or another 1
                c = "l" if k > found.start() or before in "iI" else "i"
            else:
                c = LEET[c]
            chars[k] = c.upper() if upper else c


def _unspaced(joined: str) -> list[bool] | None:
    """Which characters stay once spaced single letters are joined (None: all)."""
    runs = list(_SPACED.finditer(joined))
    if not runs:
        return None
    keep = [True] * len(joined)
    for run in runs:
        for k in range(run.start() + 1, run.end(), 2):
            keep[k] = False
    return keep
