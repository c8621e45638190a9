"""Legal holds: when a hold is active, which records its scope and query cover."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.errors import InvalidInput
from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.records.holds import (active, covers, holding, in_scope, parse_query,
                                        query_matches)
from civicarchive.model.custody import Hold, HoldScope, RecordFacts

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def record(**changes) -> RecordFacts:
    base = RecordFacts(item_id=7, account_id=1, classification=Classification.AGENCY,
                       platform="mastodon", kind=Kind.POST, created_at=T0 - 30 * DAY,
                       first_seen_at=T0 - 29 * DAY, deleted_at=None, account_closed_at=None,
                       texts=("The City Hall parking budget was approved.",))
    return replace(base, **changes)


def hold(scope: HoldScope = HoldScope(), **changes) -> Hold:
    base = Hold(id=3, name="Smith v. City", matter="24-2-01234-5", reason="litigation",
                scope=scope, created_at=T0, created_by="attorney")
    return replace(base, **changes)


# active -------------------------------------------------------------------------------

def test_holds_active_from_creation_until_release():
    h = hold(released_at=T0 + 10 * DAY)
    assert not active(h, T0 - timedelta(seconds=1))
    assert active(h, T0)
    assert active(h, T0 + 10 * DAY - timedelta(seconds=1))
    assert not active(h, T0 + 10 * DAY)
    assert active(hold(), T0 + 10_000 * DAY)


def test_holds_inactive_hold_covers_nothing_even_in_scope():
    h = hold(released_at=T0 + DAY)
    assert covers(h, record(), T0)
    assert not covers(h, record(), T0 + DAY)
    assert not covers(h, record(), T0 - DAY)


# scope --------------------------------------------------------------------------------

def test_holds_scope_accounts_and_items():
    assert covers(hold(HoldScope(accounts=frozenset({1, 2}))), record(), T0)
    assert not covers(hold(HoldScope(accounts=frozenset({2}))), record(), T0)
    assert covers(hold(HoldScope(items=frozenset({7}))), record(), T0)
    assert not covers(hold(HoldScope(items=frozenset({8}))), record(), T0)
    assert not covers(hold(HoldScope(accounts=frozenset({1}), items=frozenset({8}))),
                      record(), T0)


def test_holds_scope_dates_use_created_at_start_inclusive_end_exclusive():
    created = T0 - 30 * DAY
    assert in_scope(HoldScope(start=created), record())
    assert not in_scope(HoldScope(start=created + timedelta(seconds=1)), record())
    assert in_scope(HoldScope(end=created + timedelta(seconds=1)), record())
    assert not in_scope(HoldScope(end=created), record())
    # first_seen_at is a day later, but created_at wins when the platform gives it
    assert not in_scope(HoldScope(start=created + DAY), record())


def test_holds_scope_dates_fall_back_to_first_seen_when_creation_unknown():
    facts = record(created_at=None)
    assert in_scope(HoldScope(start=T0 - 29 * DAY), facts)
    assert not in_scope(HoldScope(end=T0 - 29 * DAY), facts)


def test_holds_cover_records_captured_after_the_hold_was_placed():
    later = record(created_at=T0 + 5 * DAY, first_seen_at=T0 + 6 * DAY)
    assert covers(hold(HoldScope(accounts=frozenset({1}))), later, T0 + 7 * DAY)


def test_holds_holding_lists_active_covering_holds_in_order():
    holds = [hold(id=1), hold(HoldScope(accounts=frozenset({9})), id=2),
             hold(id=3, released_at=T0 + DAY), hold(HoldScope(query="budget"), id=4),
             hold(id=5, created_at=T0 + 3 * DAY)]
    assert holding(holds, record(), T0 + 2 * DAY) == (1, 4)
    assert holding(holds, record(), T0 + 3 * DAY) == (1, 4, 5)
    assert holding([], record(), T0) == ()


# query --------------------------------------------------------------------------------

def test_holds_parse_query_splits_words_phrases_and_exclusions():
    assert parse_query('Budget "City  Hall" -draft parking -"press release" budget') == (
        ("budget", "parking"), ("city hall",), ("draft", "press release"))
    assert parse_query("") == ((), (), ())
    assert parse_query(None) == ((), (), ())
    assert parse_query('- "" x') == (("x",), (), ())


@pytest.mark.parametrize("query", ['"city hall', 'budget "a" "b', 'x"'])
def test_holds_parse_query_rejects_unbalanced_quote(query):
    with pytest.raises(InvalidInput, match="unbalanced double quote"):
        parse_query(query)


def test_holds_unbalanced_query_is_an_error_not_a_silent_match():
    with pytest.raises(InvalidInput):
        covers(hold(HoldScope(query='"parking')), record(), T0)


@pytest.mark.parametrize("query, expected", [
    ("", True),
    ("budget", True),
    ("BUDGET Parking", True),           # case-insensitive, any order
    ("budget zoning", False),           # every word must appear
    ("park", False),                    # whole words: "park" is not in "parking"
    ("approved", True),                 # punctuation ends a word
    ('"city hall"', True),
    ('"hall city"', False),             # a phrase keeps its order
    ('"city hall parking budget"', True),
    ('"hall park"', False),
    ("-draft budget", True),
    ("-parking", False),
    ('-"city hall"', False),
    ('-"hall city" budget', True),
])
def test_holds_query_matches(query, expected):
    assert query_matches(query, "The City Hall\nparking   budget was approved.") is expected


def test_holds_query_words_with_punctuation_and_other_scripts():
    assert query_matches("#budget", "see the #budget thread")
    assert not query_matches("#budget", "see the budget thread")
    assert query_matches("ÉTÉ", "un été chaud")
    assert query_matches("STRASSE", "die Straße 1")  # casefolded, not just lowered


@pytest.mark.parametrize("query, text, expected", [
    ("会館", "市民会館で会議", True),           # a word inside a run of Han and kana
    ("松鼠", "土狗和松鼠谁当1", True),
    ("queen", "這位Queen Elizabeth", True),     # a Latin word touching CJK
    ("這位", "這位Queen Elizabeth", True),      # CJK touching a Latin word
    ('"市民 会館"', "市民会館", True),           # as in search: CJK needs no space
    ('"会館 市民"', "市民会館", False),          # but keeps its order
    ("서울시", "서울시청에서", True),              # Hangul with a particle attached
    ("queen", "queens", False),                # Latin words stay whole
    ("-会館 会議", "市民会館で会議", False),
])
def test_holds_query_finds_words_in_chinese_japanese_and_korean_as_search_does(
        query, text, expected):
    assert query_matches(query, text) is expected


def test_holds_scope_query_reads_the_record_text():
    assert covers(hold(HoldScope(query='"parking budget" -zoning')), record(), T0)
    assert not covers(hold(HoldScope(query="zoning")), record(), T0)
    assert covers(hold(HoldScope(query="")), record(), T0)


def test_holds_scope_query_matches_a_record_when_any_of_its_versions_does():
    edited = record(texts=("Zoning variance for the lot", "Variance for the lot", ""))
    assert covers(hold(HoldScope(query="zoning")), edited, T0)
    assert covers(hold(HoldScope(query="variance -zoning")), edited, T0)
    assert not covers(hold(HoldScope(query="parking")), edited, T0)


# properties ---------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(timezone.utc))
texts = st.text(max_size=80)


@st.composite
def records(draw) -> RecordFacts:
    return record(item_id=draw(st.integers(1, 50)), account_id=draw(st.integers(1, 5)),
                  created_at=draw(st.none() | moments), first_seen_at=draw(moments),
                  texts=tuple(draw(st.lists(texts, min_size=1, max_size=3))))


@st.composite
def scopes(draw) -> HoldScope:
    ids = st.frozensets(st.integers(1, 50), max_size=5)
    words = st.sampled_from(["budget", '"city hall"', "-draft", "parking", "x"])
    query = " ".join(draw(st.lists(words, max_size=3)))
    return HoldScope(accounts=draw(st.none() | ids), items=draw(st.none() | ids),
                     start=draw(st.none() | moments), end=draw(st.none() | moments),
                     query=draw(st.sampled_from([None, query])))


@given(scope=scopes(), facts=records(), created=moments, length=st.timedeltas(
    min_value=timedelta(0), max_value=timedelta(days=3650)), after=st.timedeltas(
    min_value=timedelta(0), max_value=timedelta(days=36500)))
def test_holds_released_hold_never_covers_after_release(scope, facts, created, length, after):
    released = created + length
    h = hold(scope, created_at=created, released_at=released)
    assert not covers(h, facts, released + after)
    assert holding([h], facts, released + after) == ()


@given(facts=records(), created=moments, after=st.timedeltas(
    min_value=timedelta(0), max_value=timedelta(days=36500)))
def test_holds_unreleased_empty_scope_covers_every_record(facts, created, after):
    h = hold(HoldScope(), created_at=created)
    assert covers(h, facts, created + after)
    assert covers(hold(HoldScope(query=""), created_at=created), facts, created + after)


@given(text=texts, words=st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), max_size=3))
def test_holds_query_with_exclusion_of_a_required_word_matches_nothing(text, words):
    query = " ".join(words + [f"-{w}" for w in words[:1]])
    assert not (words and query_matches(query, text))
