"""Suggested redactions of personal information: what is found, with exact spans, and what
is deliberately not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.errors import InvalidInput
from civicarchive.records.pii import PiiCategory, Suggestion, suggest


def found(text: str) -> list[tuple[str, PiiCategory]]:
    return [(s.text, s.category) for s in suggest(text)]


def found_in_gb(text: str) -> list[tuple[str, PiiCategory]]:
    return [(s.text, s.category) for s in suggest(text, region="GB")]


def test_suggest_email_with_exact_span():
    text = "Email me at jane.doe+city@example.org."
    assert suggest(text) == [Suggestion(12, 37, PiiCategory.EMAIL, "jane.doe+city@example.org")]


def test_suggest_phone_numbers_in_us_and_international_form():
    text = "Call (206) 386-1234 or 206.386.1234 or +44 20 7946 0958 today"
    assert suggest(text) == [
        Suggestion(5, 19, PiiCategory.PHONE, "(206) 386-1234"),
        Suggestion(23, 35, PiiCategory.PHONE, "206.386.1234"),
        Suggestion(39, 55, PiiCategory.PHONE, "+44 20 7946 0958"),
    ]


def test_suggest_phone_region_reads_national_numbers():
    assert found("ring 020 7946 0958") == []
    assert found_in_gb("ring 020 7946 0958") == [("020 7946 0958", PiiCategory.PHONE)]


def test_suggest_unknown_region_is_refused():
    with pytest.raises(InvalidInput, match="unknown phone region 'WA'.*not a state"):
        suggest("call (206) 386-1234", region="WA")


def test_suggest_ssn_with_dashes_or_spaces():
    text = "My SSN is 123-45-6789 (or 123 45 6789)."
    assert suggest(text) == [Suggestion(10, 21, PiiCategory.SSN, "123-45-6789"),
                             Suggestion(26, 37, PiiCategory.SSN, "123 45 6789")]


@pytest.mark.parametrize("number", ["000-12-3456", "666-12-3456", "912-34-5678",
                                    "123-00-4567", "123-45-0000", "123-45 6789",
                                    "1123-45-6789", "123-45-67890"])
def test_suggest_ssn_that_cannot_be_issued_is_not_suggested(number):
    assert found(f"number {number} here") == []


def test_suggest_street_address_with_unit():
    text = "I live at 1234 Main St, Apt 4B, Seattle."
    assert suggest(text) == [Suggestion(10, 30, PiiCategory.ADDRESS, "1234 Main St, Apt 4B")]


@pytest.mark.parametrize("address", ["12 Oak Way", "1600 Pennsylvania Avenue NW",
                                     "400 NE 8th Street # 3", "77 Martin Luther King Jr Blvd",
                                     "9 ELM RD", "18B Harbor Ln.", "55 Lake Dr Suite 210"])
def test_suggest_street_address_forms(address):
    assert found(f"Send it to {address} please") == [(address, PiiCategory.ADDRESS)]


@pytest.mark.parametrize("text, date", [
    ("she was born on March 14, 1962 in Ohio", "March 14, 1962"),
    ("DOB: 03/14/1962", "03/14/1962"),
    ("D.O.B. 3/14/62", "3/14/62"),
    ("1962-03-14 is my date of birth", "1962-03-14"),
    ("Born 14 March 1962.", "14 March 1962"),
    ("my birthday is Mar. 14th, 1962", "Mar. 14th, 1962"),
])
def test_suggest_birth_date_near_a_cue(text, date):
    (suggestion,) = suggest(text)
    assert (suggestion.text, suggestion.category) == (date, PiiCategory.BIRTH_DATE)
    assert text[suggestion.start:suggestion.end] == date


@pytest.mark.parametrize("text", [
    "The meeting is on 03/14/2026 at 10:30 am.",     # a date without a birth cue
    "Council adopted it on March 14, 2026.",
    "I was born in 1962 and have lived here since.",   # a year is not a date of birth
    "I was born here. The hearing is 03/14/2026.",     # the cue is in another sentence
    "Born and raised here; the levy passed 2024-11-05.",
    "It costs $1,250.00 to plant 1500 trees, or $4,500,000 in all.",
    "Open 9:00 to 5:30 PM, call after 17:00.",
    "Resolution 2024-117 passed 5-2 with 12 amendments on page 3/4.",
    "Route 9 and 3 more lanes, then 2 miles to the park.",
    "See RCW 42.56.520 and ordinance 1234-56.",
])
def test_suggest_ordinary_numbers_dates_and_prices_are_not_suggested(text):
    assert suggest(text) == []


def test_suggest_birth_cue_must_be_within_reach_of_the_date():
    near = "born, as the county clerk's records show, 03/14/1962"
    far = "born, as the records of the county clerk will show to anyone, on 03/14/1962"
    assert found(near) == [("03/14/1962", PiiCategory.BIRTH_DATE)]
    assert found(far) == []


def test_suggest_spans_are_right_after_non_ascii_text():
    text = "Café Zoë — 🎉 naïve: zoe@example.org, (206) 386-1234, born 1962-03-14"
    suggestions = suggest(text)
    assert [(s.start, s.end, s.category) for s in suggestions] == [
        (20, 35, PiiCategory.EMAIL), (37, 51, PiiCategory.PHONE),
        (58, 68, PiiCategory.BIRTH_DATE)]
    assert [text[s.start:s.end] for s in suggestions] == [
        "zoe@example.org", "(206) 386-1234", "1962-03-14"]


def test_suggest_overlapping_detectors_keep_the_longer_span():
    # "206 386 1234" is a phone number and "1234 Main Street" an address; they share 1234.
    assert found("Call 206 386 1234 Main Street") == [("1234 Main Street",
                                                       PiiCategory.ADDRESS)]
    # Digits inside an email address stay part of the email.
    assert found("write to j2063861234@example.org") == [("j2063861234@example.org",
                                                          PiiCategory.EMAIL)]


def test_suggest_results_are_sorted_across_categories():
    text = "DOB 03/14/1962; SSN 123-45-6789; 1 Elm St; a@b.co; (206) 386-1234"
    assert [s.category for s in suggest(text)] == [
        PiiCategory.BIRTH_DATE, PiiCategory.SSN, PiiCategory.ADDRESS, PiiCategory.EMAIL,
        PiiCategory.PHONE]


FRAGMENTS = ["jane@example.org", "(206) 386-1234", "123-45-6789", "12 Oak Way, Apt 4B",
             "born 03/14/1962", "DOB", "March 14, 1962", "+44 20 7946 0958", " ", "\n",
             "Zoë", "🎉", "1234", "St", "@", ".", "-"]


@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12)
       .map("".join))
def test_suggest_spans_are_in_range_sorted_and_disjoint(text):
    suggestions = suggest(text)
    for s in suggestions:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == s.text
    for before, after in zip(suggestions, suggestions[1:]):
        assert before.end <= after.start
