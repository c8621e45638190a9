"""The query language parses into the tree engines compile, and rejects what it cannot
understand with a message that says what would be valid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.errors import InvalidInput
from civicarchive.search.query import AllOf, AnyOf, Filter, Not, Phrase, Word, parse


def test_parse_words_phrases_or_and_exclusions():
    tree = parse('zoning "main street" -parking budget OR levy OR "bond vote"')
    assert tree == AllOf((Word("zoning"), Phrase("main street"), Not(Word("parking")),
                          AnyOf((Word("budget"), Word("levy"), Phrase("bond vote")))))


def test_parse_filters_with_quoted_and_negated_values():
    tree = parse('author:"Jane Doe" -platform:Facebook kind:Reply is:deleted has:media '
                 'from:2026-01-01 to:2026-02-01 hold:3 series:GS-01')
    assert tree.clauses == (Filter("author", "Jane Doe"), Not(Filter("platform", "facebook")),
                            Filter("kind", "reply"), Filter("is", "deleted"),
                            Filter("has", "media"), Filter("from", "2026-01-01"),
                            Filter("to", "2026-02-01"), Filter("hold", "3"),
                            Filter("series", "GS-01"))


def test_parse_urls_are_text_not_filters():
    assert parse("https://example.gov/x").clauses == (Word("https://example.gov/x"),)


@pytest.mark.parametrize("query, fragment", [
    ("plaform:x", "unknown filter plaform:"),
    ("kind:tweet", "kind:tweet is not a kind"),
    ("is:secret", "use is:deleted or is:edited or is:hidden"),
    ("from:last-week", "write it as YYYY-MM-DD"),
    ("hold:abc", "hold:abc is not a hold id"),
    ("budget OR", "ends with OR"),
    ("OR budget", "OR needs a term on each side"),
    ("author:", "author: needs a value"),
])
def test_parse_rejects_with_a_useful_message(query, fragment):
    with pytest.raises(InvalidInput, match=fragment.replace("(", r"\(")):
        parse(query)


def test_parse_a_single_quoted_word_is_a_word_and_empty_quotes_vanish():
    assert parse('"budget" ""').clauses == (Word("budget"),)


@given(st.text(max_size=60))
def test_parse_any_text_either_parses_or_says_why(text):
    try:
        tree = parse(text)
    except InvalidInput as error:
        assert str(error)
    else:
        assert isinstance(tree, AllOf)
