"""Applying redactions: merged spans, reasons kept, and no redacted character left behind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.errors import InvalidInput
from civicarchive.model.production import Redaction, plain
from civicarchive.records.redaction import apply, span_of

PERSONAL = "personal information (RCW 42.56.230)"
PRIVACY = "privacy (RCW 42.56.050)"


def test_apply_replaces_a_span_with_its_reason():
    text = "Call Jane at (206) 386-1234 about the park."
    assert apply(text, [(13, 27, PERSONAL)]) == (
        "Call Jane at ", Redaction(PERSONAL), " about the park.")


def test_apply_without_spans_returns_the_text():
    assert apply("Nothing to hide.", []) == ("Nothing to hide.",)
    assert apply("", []) == ()


def test_apply_span_at_either_end_leaves_no_empty_segment():
    assert apply("abcdef", [(0, 2, PERSONAL), (4, 6, PRIVACY)]) == (
        Redaction(PERSONAL), "cd", Redaction(PRIVACY))
    assert apply("abcdef", [(0, 6, PERSONAL)]) == (Redaction(PERSONAL),)


def test_apply_overlapping_spans_merge_with_both_reasons_in_order():
    assert apply("0123456789", [(5, 8, PRIVACY), (2, 6, PERSONAL)]) == (
        "01", Redaction(f"{PERSONAL}; {PRIVACY}"), "89")


def test_apply_touching_spans_merge():
    assert apply("0123456789", [(2, 4, PERSONAL), (4, 6, PRIVACY)]) == (
        "01", Redaction(f"{PERSONAL}; {PRIVACY}"), "6789")


def test_apply_spans_one_apart_stay_separate():
    assert apply("0123456789", [(2, 4, PERSONAL), (5, 6, PERSONAL)]) == (
        "01", Redaction(PERSONAL), "4", Redaction(PERSONAL), "6789")


def test_apply_repeated_reason_is_given_once():
    assert apply("0123456789", [(1, 3, PERSONAL), (2, 5, PRIVACY), (4, 7, PERSONAL),
                                (1, 3, PERSONAL)]) == (
        "0", Redaction(f"{PERSONAL}; {PRIVACY}"), "789")


def test_apply_a_span_inside_another_merges_into_it():
    assert apply("0123456789", [(1, 9, PERSONAL), (3, 4, PRIVACY)]) == (
        "0", Redaction(f"{PERSONAL}; {PRIVACY}"), "9")


@pytest.mark.parametrize("span, complaint", [
    ((3, 3, PERSONAL), r"span 1 \(3, 3, .*\) is not inside the text: give 0 <= start < end"),
    ((5, 2, PERSONAL), r"span 1 \(5, 2, "),
    ((-1, 2, PERSONAL), r"span 1 \(-1, 2, "),
    ((8, 11, PERSONAL), r"span 1 \(8, 11, .*<= 10 \(the text's length\)"),
    ((1, 2, "  "), r"span 1 \(1, 2, '  '\) has no reason: give the exemption"),
    ((1.0, 2, PERSONAL), r"span 1 \(1.0, 2, .*whole character indexes"),
    ((1, 2), r"span 1 is \(1, 2\): give \(start, end, reason\)"),
])
def test_apply_bad_span_is_refused_naming_it(span, complaint):
    with pytest.raises(InvalidInput, match=complaint):
        apply("0123456789", [span])


def test_apply_bad_span_is_named_by_its_position():
    with pytest.raises(InvalidInput, match=r"redaction span 2 \(4, 40, "):
        apply("0123456789", [(1, 2, PERSONAL), (4, 40, PRIVACY)])


def test_span_of_finds_every_occurrence_in_any_case():
    text = "Jane Roe wrote to Jane; JANE and jane are not Jane's."
    assert [text[s:e] for s, e in span_of(text, "jane")] == ["Jane", "Jane", "JANE", "jane",
                                                            "Jane"]
    assert span_of(text, "Smith") == []


@pytest.mark.parametrize("written, phrase", [
    ("Jane\u00adRoe", "JaneRoe"), ("Ja\u200bne Roe", "Jane Roe"), ("JANE\n  ROE", "jane roe"),
    ("Jane\u2060 Roe", "Jane Roe"), ("jane\u200d\tRoe", "Jane Roe")])
def test_span_of_sees_through_invisible_characters_and_any_white_space(written, phrase):
    text = f"Call {written} today"
    (found,) = span_of(text, phrase)
    assert apply(text, [(*found, PERSONAL)]) == ("Call ", Redaction(PERSONAL), " today")


def test_span_of_overlapping_occurrences_all_redact():
    spans = span_of("aaab", "aa")
    assert spans == [(0, 2), (1, 3)]
    assert apply("aaab", [(s, e, PERSONAL) for s, e in spans]) == (Redaction(PERSONAL), "b")


def test_span_of_empty_phrase_is_refused():
    with pytest.raises(InvalidInput, match="empty"):
        span_of("text", "")


def test_apply_result_renders_with_markers():
    text = "Jane Roe lives at 12 Oak Way."
    redacted = apply(text, [(s, e, PERSONAL) for s, e in span_of(text, "12 Oak Way")])
    assert plain(redacted) == f"Jane Roe lives at [REDACTED: {PERSONAL}]."


@st.composite
def text_and_spans(draw):
    text = draw(st.text(min_size=1, max_size=40))
    bounds = st.integers(min_value=0, max_value=len(text))
    spans = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        a, b = draw(bounds), draw(bounds)
        if a != b:
            spans.append((min(a, b), max(a, b), draw(st.sampled_from(["a", "b", "c"]))))
    return text, spans


@given(text_and_spans())
def test_apply_removes_exactly_the_redacted_characters(case):
    text, spans = case
    hidden = [False] * len(text)
    for start, end, _ in spans:
        hidden[start:end] = [True] * (end - start)
    # Runs of hidden indexes: overlapping and touching spans form one run, one redaction.
    runs = sum(1 for i, h in enumerate(hidden) if h and (i == 0 or not hidden[i - 1]))

    result = apply(text, spans)

    shown = "".join(s for s in result if isinstance(s, str))
    assert shown == "".join(c for c, h in zip(text, hidden) if not h)
    assert sum(isinstance(s, Redaction) for s in result) == runs
    assert "" not in result
    # Text segments alternate with redactions: no two of either kind side by side.
    assert all(isinstance(a, str) != isinstance(b, str) for a, b in zip(result, result[1:]))
    for segment in result:
        if isinstance(segment, Redaction):
            reasons = segment.reason.split("; ")
            assert len(reasons) == len(set(reasons)) and set(reasons) <= {"a", "b", "c"}


@pytest.mark.parametrize("written", [
    "Jose\u0301 Morales",                # é decomposed: e and a combining acute accent
    "ＪＯＳＥ́ Ｍｏｒａｌｅｓ",     # full-width letters
    "JOSÉ MORALES",
])
@pytest.mark.parametrize("phrase", ["José Morales", "Jose\u0301 Morales"])
def test_span_of_sees_through_unicode_normalisation(written, phrase):
    """é composed or decomposed, full-width letters: the same name to a reader, so the
    same redaction; the span covers the characters as written."""
    text = f"Ask {written} tonight"
    (found,) = span_of(text, phrase)
    assert text[slice(*found)] == written


def test_span_of_reads_an_accented_letter_alike_however_it_is_written():
    # A letter and its accent are one character to a reader: never half of one.
    assert span_of("Jose\u0301", "Jose") == span_of("José", "Jose") == []
