"""The open archive's rules, decided on read."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.model.record import Kind
from civicarchive.policy.model import DeletedShown, HiddenShown, PublicArchive
from civicarchive.records.publication import Facts, embargo_cutoff, showing

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
RULES = PublicArchive(published=True, embargo_days=30)
POST = Facts(Kind.POST, "agency", NOW - timedelta(days=40), NOW - timedelta(days=40))


def test_showing_a_public_post_after_its_embargo():
    assert showing(POST, RULES, NOW).shown


def test_showing_nothing_when_the_archive_is_not_published():
    assert not showing(POST, PublicArchive(), NOW).shown


@pytest.mark.parametrize("kind", [Kind.MESSAGE, Kind.PROFILE])
def test_showing_never_a_direct_message_whatever_the_policy(kind):
    rules = replace(RULES, accounts=frozenset({"agency", "official_personal", "employee"}),
                    embargo_days=0)
    assert not showing(replace(POST, kind=kind), rules, NOW).shown


def test_showing_only_published_classifications():
    assert not showing(replace(POST, classification="employee"), RULES, NOW).shown
    assert showing(replace(POST, classification="official_professional"), RULES, NOW).shown


def test_showing_embargoed_records_later():
    young = replace(POST, created_at=NOW - timedelta(days=10))
    decision = showing(young, RULES, NOW)
    assert not decision.shown and decision.public_from == NOW + timedelta(days=20)
    assert showing(young, RULES, NOW + timedelta(days=20)).shown


def test_showing_counts_embargo_from_capture_when_creation_is_unknown():
    unknown = replace(POST, created_at=None, first_seen_at=NOW - timedelta(days=1))
    assert not showing(unknown, RULES, NOW).shown


def test_showing_withheld_records_never():
    assert not showing(replace(POST, withheld=True), RULES, NOW).shown


def test_showing_deleted_records_as_the_policy_says():
    deleted = replace(POST, deleted_at="2026-05-20T10:00:00Z")
    noticed = showing(deleted, RULES, NOW)
    assert noticed.shown and "2026-05-20" in noticed.notice and noticed.text_shown
    assert not showing(deleted, replace(RULES, deleted=DeletedShown.HIDE), NOW).shown


def test_showing_hidden_comments_without_their_text_or_not_at_all():
    hidden = replace(POST, kind=Kind.COMMENT, hidden=True)
    assert not showing(hidden, RULES, NOW).shown
    noticed = showing(hidden, replace(RULES, hidden=HiddenShown.NOTICE), NOW)
    assert noticed.shown and not noticed.text_shown and noticed.notice


def test_showing_no_comments_when_the_policy_publishes_none():
    comment = replace(POST, kind=Kind.COMMENT)
    assert showing(comment, RULES, NOW).shown
    assert not showing(comment, replace(RULES, comments=False), NOW).shown


@given(days=st.integers(0, 3650), age=st.integers(0, 4000))
def test_showing_agrees_with_the_embargo_cutoff(days, age):
    rules = replace(RULES, embargo_days=days)
    facts = replace(POST, created_at=NOW - timedelta(days=age))
    assert showing(facts, rules, NOW).shown == (facts.created_at <= embargo_cutoff(rules, NOW))
