"""Which characters are Chinese, Japanese or Korean: scripts written without spaces
between words, so that a word is found inside a run of characters (search, and the
query of a legal hold, must agree on it)."""

from __future__ import annotations

# Code points, inclusive. Han: radicals, 々〆〇 and Hangzhou numerals, ideographs and
# their extensions and compatibility forms. Kana: hiragana, katakana with its prolonged
# sound mark (not the middle dot ・, which separates words), half-width katakana, kana
# supplements. Hangul: jamo, compatibility jamo, syllables, half-width forms.
RANGES = (
    (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF),
    (0x3041, 0x309F), (0x30A1, 0x30FA), (0x30FC, 0x30FF), (0x31F0, 0x31FF),
    (0xFF66, 0xFF9F), (0x1B000, 0x1B16F),
    (0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97F), (0xAC00, 0xD7A3),
    (0xD7B0, 0xD7FF), (0xFFA0, 0xFFDC),
)


def is_cjk(char: str) -> bool:
    """Whether one character is Han, kana or Hangul."""
    point = ord(char)
    return any(lo <= point <= hi for lo, hi in RANGES)


# The same ranges as a Python regular-expression class body (inside [...]).
CLASS_BODY = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in RANGES)
