"""Redacting fields beyond the text: the author, the handle, URLs; identities hidden
wherever they appear, and never inside a longer word."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from civicarchive.model.production import Redaction, plain
from civicarchive.records.fields import (FieldRules, RecordFields, Term, identity_terms,
                                         redact_fields, term_spans, url_spans)

PERSONAL = "personal information, RCW 42.56.230"
URL = "https://social.example/@jane_doe/112233"
RECORD = RecordFields(author="jane_doe@social.example", handle="jane_doe", url=URL,
                      native_id="112233",
                      texts=("Thanks @jane_doe, see https://example.org/a.pdf.",
                             "Jane Doe says JANE_DOE is here; jane_doesnt is not"))


def test_identity_terms_strip_the_at_and_add_the_local_part_of_a_fediverse_handle():
    terms = identity_terms(["@jane_doe@social.example", "Jane Doe", None, "  "], PERSONAL)
    assert terms == (Term("jane_doe@social.example", PERSONAL),
                     Term("jane_doe", PERSONAL, mention_only=True), Term("Jane Doe", PERSONAL))


def test_term_spans_are_whole_words_in_any_case_with_the_at():
    text = "@Jane_Doe and jane_doe, not jane_doesnt nor xjane_doe nor jane_doe.org"
    assert [text[s:e] for s, e in term_spans(text, Term("jane_doe", PERSONAL))] == [
        "@Jane_Doe", "jane_doe"]
    assert [text[s:e] for s, e in term_spans(text, Term("jane_doe", PERSONAL, True))] == [
        "@Jane_Doe"]


def test_url_spans_leave_out_sentence_punctuation():
    text = "See https://example.org/a.pdf. Or (www.example.org/b), ftp://x.example/c!"
    assert [text[s:e] for s, e in url_spans(text)] == [
        "https://example.org/a.pdf", "www.example.org/b", "ftp://x.example/c"]


def test_redact_author_field_whole_and_identity_everywhere():
    terms = identity_terms([RECORD.author, "Jane Doe"], PERSONAL)
    shown = redact_fields(RECORD, FieldRules(author=PERSONAL, terms=terms))
    assert shown.author == (Redaction(PERSONAL),)
    assert shown.url == ("https://social.example/", Redaction(PERSONAL), "/112233")
    assert plain(shown.texts[0]) == (f"Thanks [REDACTED: {PERSONAL}], see "
                                     "https://example.org/a.pdf.")
    assert plain(shown.texts[1]) == (f"[REDACTED: {PERSONAL}] says JANE_DOE is here; "
                                     "jane_doesnt is not")  # a bare local part stays
    assert shown.handle == ("jane_doe",) and shown.fields_redacted


def test_redact_handle_reaches_the_url_and_bare_mentions():
    shown = redact_fields(RECORD, FieldRules(handle=PERSONAL,
                                             terms=identity_terms(["jane_doe"], PERSONAL)))
    assert shown.handle == (Redaction(PERSONAL),)
    assert plain(shown.url, "#") == "https://social.example/#/112233"
    assert plain(shown.texts[0], "#") == "Thanks #, see https://example.org/a.pdf."
    assert plain(shown.texts[1], "#") == "Jane Doe says # is here; jane_doesnt is not"
    assert shown.author == ("jane_doe@social.example",)  # the author field is another rule


def test_redact_permalink_every_url_and_one_url():
    permalink = redact_fields(RECORD, FieldRules(permalink=PERSONAL))
    assert permalink.url == (Redaction(PERSONAL),)
    assert permalink.texts[0] == (RECORD.texts[0],)
    every = redact_fields(RECORD, FieldRules(urls=PERSONAL))
    assert every.url == (Redaction(PERSONAL),)
    assert every.texts[0] == ("Thanks @jane_doe, see ", Redaction(PERSONAL), ".")
    one = redact_fields(RECORD, FieldRules(phrases=(("https://example.org/a.pdf", PERSONAL),)))
    assert one.url == (URL,) and one.texts[0] == ("Thanks @jane_doe, see ",
                                                 Redaction(PERSONAL), ".")


def test_no_rules_change_nothing():
    shown = redact_fields(RECORD, FieldRules())
    assert (shown.author, shown.handle, shown.url, shown.native_id) == (
        (RECORD.author,), (RECORD.handle,), (URL,), ("112233",))
    assert not shown.fields_redacted
    assert [plain(t) for t in shown.texts] == list(RECORD.texts)
    assert redact_fields(RecordFields(None, "h", None, "1", ()), FieldRules(
        author=PERSONAL, permalink=PERSONAL)).author is None


@given(st.text(alphabet="ab @._-", max_size=30), st.text(alphabet="ab_", min_size=1,
                                                       max_size=4))
def test_a_redacted_identity_removes_exactly_its_mentions(text, name):
    shown = redact_fields(RecordFields(None, "h", None, "1", (text,)),
                          FieldRules(terms=identity_terms([name], PERSONAL)))
    covered = {i for s, e in term_spans(text, Term(name, PERSONAL)) for i in range(s, e)}
    kept = "".join(s for s in shown.texts[0] if isinstance(s, str))
    assert kept == "".join(c for i, c in enumerate(text) if i not in covered)


def test_term_spans_read_a_name_however_it_is_spaced_or_spelled():
    """A display name broken over a line, spaced with a no-break space, its accent
    written as a combining mark or in full-width letters, is still the name."""
    text = "Ask Jane\nDoe, Jane\u00a0Doe, Jane\u00adDoe, José Roe, Ｊｏｓｅ́ Ｒｏｅ or Jose\u0301 Roe"
    found = [text[s:e] for name in ("Jane Doe", "JaneDoe", "Jose\u0301 Roe")
             for s, e in term_spans(text, Term(name, PERSONAL))]
    assert found == ["Jane\nDoe", "Jane\u00a0Doe", "Jane\u00adDoe", "José Roe",
                     "Ｊｏｓｅ́ Ｒｏｅ", "Jose\u0301 Roe"]
