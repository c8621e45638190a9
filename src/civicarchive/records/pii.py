"""Suggested redactions of personal information in what members of the public wrote.

Suggestions, not decisions: a reviewer accepts or rejects each one, and the accepted spans
go to `civicarchive.records.redaction.apply` with the exemption they rely on. The detectors
favour precision, so a reviewer is not buried in noise; they miss things, and a reviewer
still reads the text:

- EMAIL       an address such as name@example.org
- PHONE       a number `phonenumbers` finds valid for the region (or in international form)
- SSN         a US Social Security number written 123-45-6789 or 123 45 6789, with an area,
              group and serial that can be issued (no 000, 666 or 9xx area, 00 group or
              0000 serial)
- ADDRESS     a US street address: house number, capitalised street name and a suffix
              (St, Ave, Rd...), optionally a unit ("Apt 4B")
- BIRTH_DATE  a full date (03/14/1962, 1962-03-14, March 14, 1962, 14 March 1962) with a
              birth cue ("born", "DOB", "date of birth", "birthday") close by in the same
              sentence; a date without a cue, or a bare year, is not suggested

Spans are indexes into the Python string, sorted and non-overlapping: where two detectors
overlap, the longer span is kept (and the shorter one dropped, even where it reaches past
the longer: a reviewer widens the span by hand).

Known misses and false alarms: addresses without a suffix ("1200 Broadway"), PO boxes and
non-US formats are missed; a year before a street name ("in 2019 Main Street was
repaved") reads as an address.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import phonenumbers

from civicarchive.errors import InvalidInput


class PiiCategory(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SSN = "ssn"
    ADDRESS = "address"
    BIRTH_DATE = "birth_date"


@dataclass(frozen=True)
class Suggestion:
    """`text[start:end]` looks like personal information of `category`."""

    start: int
    end: int
    category: PiiCategory
    text: str


_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
                    r"(?![A-Za-z0-9-])")

# The same separator twice (\2), so "123-45 6789" and runs of longer numbers do not match.
_SSN = re.compile(r"(?<![\d-])(?!000|666|9)(\d{3})([- ])(?!00)(\d{2})\2(?!0000)(\d{4})"
                  r"(?![\d-])")

_SUFFIXES = ("Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane",
             "Ln", "Drive", "Dr", "Court", "Ct", "Way", "Place", "Pl")
_SUFFIX = "|".join(sorted({*_SUFFIXES, *(s.upper() for s in _SUFFIXES)}, key=len, reverse=True))
_ADDRESS = re.compile(
    r"(?<![\w$.,/-])\d{1,6}[A-Z]?"  # house number: 1200, 12B
    # street name, one to four words: Main, NE 8th, Martin Luther King Jr.
    r"(?:[^\S\n]+(?:[A-Z][A-Za-z'-]*\.?|\d+(?:st|nd|rd|th))){1,4}?"
    rf"[^\S\n]+(?:{_SUFFIX})\b\.?"
    r"(?:[^\S\n]+(?:N|S|E|W|NE|NW|SE|SW)\b)?"  # post-directional: Main St NW
    r"(?:,?[^\S\n]+(?:(?:Apt|Apartment|Unit|Suite|Ste)\.?[^\S\n]*#?|#[^\S\n]*)"
    r"[A-Za-z0-9-]*\d[A-Za-z0-9-]*\b)?")  # unit: Apt 4B, Suite 210, # 3

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_DAY_NUMBER = r"(?:0?[1-9]|[12]\d|3[01])"
_DATE = re.compile(
    r"(?<![\w/-])(?:"
    rf"{_MONTH_NUMBER}/{_DAY_NUMBER}/(?:\d{{4}}|\d{{2}})"  # 03/14/1962, 3/14/62
    rf"|{_MONTH_NUMBER}-{_DAY_NUMBER}-\d{{4}}"            # 03-14-1962
    rf"|\d{{4}}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"  # 1962-03-14
    rf"|(?:{_MONTHS})\.?\s+{_DAY_NUMBER}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 14, 1962
    rf"|{_DAY_NUMBER}\s+(?:{_MONTHS})\.?,?\s+\d{{4}}"     # 14 March 1962
    r")(?![\w/-])")
_BIRTH_CUE = re.compile(r"\b(?:born|birth\s?day|birth\s?date|date\s+of\s+birth|d\.o\.b\.?|dob)"
                        r"(?!\w)", re.IGNORECASE)
# How far a cue may be from its date, and what may not lie between them: a sentence end.
_CUE_REACH = 40
_SENTENCE_END = re.compile(r"[.!?]\s|[\n;]")


def suggest(text: str, region: str = "US") -> list[Suggestion]:
    """Spans of `text` that look like personal information, sorted by position.

    `region` is the country (ISO 3166 code, "US") whose phone numbers may be written without
    a country code; it is not a state, so pass "US" for every US agency.
    """
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"unknown phone region {region!r}: pass a two-letter country code "
                           f"in capitals, such as 'US' or 'GB' (a country, not a state)")
    found = [(m.start(), m.end(), PiiCategory.EMAIL) for m in _EMAIL.finditer(text)]
    found += [(m.start, m.end, PiiCategory.PHONE) for m in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID)]
    found += [(m.start(), m.end(), PiiCategory.SSN) for m in _SSN.finditer(text)]
    found += [(m.start(), m.end(), PiiCategory.ADDRESS) for m in _ADDRESS.finditer(text)]
    found += [(start, end, PiiCategory.BIRTH_DATE) for start, end in _birth_dates(text)]
    return [Suggestion(start, end, category, text[start:end])
            for start, end, category in _longest_first(found)]


def _birth_dates(text: str) -> list[tuple[int, int]]:
    cues = [(m.start(), m.end()) for m in _BIRTH_CUE.finditer(text)]
    starts, ends = [start for start, _ in cues], [end for _, end in cues]
    dates = []
    for m in _DATE.finditer(text):
        # Only the closest cue on each side can qualify: a farther one has more text between.
        before = bisect_right(ends, m.start()) - 1
        after = bisect_left(starts, m.end())
        if (before >= 0 and _close(text[ends[before]:m.start()])
                or after < len(cues) and _close(text[m.end():starts[after]])):
            dates.append((m.start(), m.end()))
    return dates


def _close(between: str) -> bool:
    return len(between) <= _CUE_REACH and not _SENTENCE_END.search(between)


def _longest_first(found: list[tuple[int, int, PiiCategory]]
                   ) -> list[tuple[int, int, PiiCategory]]:
    # Longer spans win; among equal lengths the earlier, then the detector listed first.
    order = list(PiiCategory)
    kept: list[tuple[int, int, PiiCategory]] = []
    for start, end, category in sorted(found, key=lambda f: (f[0] - f[1], f[0],
                                                             order.index(f[2]))):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, category))
    return sorted(kept)
