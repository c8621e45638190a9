"""Retention: calendar periods, what starts them, and when a record may be disposed of."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.policy.model import DispositionAction, RecordSeries, Retention, Trigger
from civicarchive.records.holds import covers
from civicarchive.model.custody import Hold, HoldScope, RecordFacts
from civicarchive.records.retention import add_period, eligibility, trigger_time

UTC = timezone.utc
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

CORE = RecordSeries(code="GS50-01-12", title="Communications - Governing/Executive/Advisory",
                    citation="Local Government CORE v4.2", retention=Retention(years=2),
                    trigger=Trigger.EVENT, disposition=DispositionAction.TRANSFER_TO_STATE_ARCHIVES,
                    event="taken_down")
GR = RecordSeries(code="GR1000-26b", title="General Correspondence", citation="Local Schedule GR",
                  retention=Retention(years=2), trigger=Trigger.CREATED,
                  disposition=DispositionAction.DESTROY)
CLOSED = replace(GR, code="ACCT", trigger=Trigger.ACCOUNT_CLOSED)
VOTE = replace(GR, code="VOTE", trigger=Trigger.EVENT, event="council_vote")


def record(**changes) -> RecordFacts:
    base = RecordFacts(item_id=7, account_id=1, classification=Classification.AGENCY,
                       platform="facebook", kind=Kind.POST, created_at=T0,
                       first_seen_at=T0 + DAY, deleted_at=None, account_closed_at=None,
                       texts=("Road closure on Main Street",))
    return replace(base, **changes)


def hold(hold_id: int = 3, name: str = "Smith v. City", **changes) -> Hold:
    base = Hold(id=hold_id, name=name, matter="24-2-01234-5", reason="litigation",
                scope=HoldScope(), created_at=T0, created_by="attorney")
    return replace(base, **changes)


# add_period ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, retention, expected", [
    (datetime(2025, 1, 31), Retention(months=1), datetime(2025, 2, 28)),
    (datetime(2024, 1, 31), Retention(months=1), datetime(2024, 2, 29)),
    (datetime(2024, 2, 29), Retention(years=1), datetime(2025, 2, 28)),
    (datetime(2024, 2, 29), Retention(years=4), datetime(2028, 2, 29)),
    (datetime(2025, 8, 31), Retention(months=6), datetime(2026, 2, 28)),
    (datetime(2025, 11, 15), Retention(months=2), datetime(2026, 1, 15)),
    (datetime(2025, 12, 31), Retention(years=1, months=2), datetime(2027, 2, 28)),
    (datetime(2025, 1, 31), Retention(months=1, days=1), datetime(2025, 3, 1)),
    (datetime(2025, 3, 1, 12, 30), Retention(days=30), datetime(2025, 3, 31, 12, 30)),
    (datetime(2025, 3, 1), Retention(), datetime(2025, 3, 1)),
])
def test_retention_add_period_clamps_to_month_end_then_adds_days(start, retention, expected):
    assert add_period(start, retention) == expected


def test_retention_add_period_keeps_timezone_and_time():
    start = datetime(2025, 1, 31, 23, 15, tzinfo=ZoneInfo("America/Los_Angeles"))
    end = add_period(start, Retention(years=2, months=1))
    assert (end.year, end.month, end.day, end.hour, end.minute) == (2027, 2, 28, 23, 15)
    assert end.tzinfo == start.tzinfo


# trigger_time -------------------------------------------------------------------------

def test_retention_trigger_created_falls_back_to_first_seen():
    assert trigger_time(record(), GR) == T0
    assert trigger_time(record(created_at=None), GR) == T0 + DAY


def test_retention_trigger_account_closed_and_taken_down():
    assert trigger_time(record(), CLOSED) is None
    assert trigger_time(record(account_closed_at=T0 + 9 * DAY), CLOSED) == T0 + 9 * DAY
    assert trigger_time(record(), CORE) is None
    assert trigger_time(record(deleted_at=T0 + 5 * DAY), CORE) == T0 + 5 * DAY


def test_retention_trigger_unknown_event_never_starts():
    assert trigger_time(record(deleted_at=T0, account_closed_at=T0), VOTE) is None


# eligibility --------------------------------------------------------------------------

def test_retention_eligible_exactly_when_period_ends():
    end = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    before = eligibility(record(), GR, [], end - timedelta(seconds=1))
    assert (before.eligible, before.eligible_at, before.series) == (False, end, "GR1000-26b")
    assert "Not eligible until 2027-03-01 12:00 UTC" in before.reason
    assert "2 years after it was created" in before.reason
    now = eligibility(record(), GR, [], end)
    assert now.eligible and now.held_by == () and now.eligible_at == end
    assert now.reason.startswith("Eligible since 2027-03-01 12:00 UTC")
    assert "Local Schedule GR" in now.reason


def test_retention_no_series_is_never_eligible():
    result = eligibility(record(), None, [], T0 + 100_000 * DAY)
    assert (result.series, result.eligible_at, result.eligible) == (None, None, False)
    assert "No record series applies" in result.reason


def test_retention_pending_trigger_names_what_has_not_happened():
    later = T0 + 100_000 * DAY
    still_online = eligibility(record(), CORE, [], later)
    assert not still_online.eligible and still_online.eligible_at is None
    assert "taken down" in still_online.reason and "still online" in still_online.reason
    open_account = eligibility(record(), CLOSED, [], later)
    assert "account 1 is closed" in open_account.reason and not open_account.eligible
    vote = eligibility(record(), VOTE, [], later)
    assert '"council_vote"' in vote.reason and not vote.eligible


def test_retention_taken_down_starts_two_years_after_deletion():
    facts = record(deleted_at=datetime(2025, 6, 30, tzinfo=UTC))
    result = eligibility(facts, CORE, [], datetime(2027, 6, 30, tzinfo=UTC))
    assert result.eligible and result.eligible_at == datetime(2027, 6, 30, tzinfo=UTC)
    assert not eligibility(facts, CORE, [], datetime(2027, 6, 29, tzinfo=UTC)).eligible


def test_retention_active_hold_blocks_and_is_named():
    now = T0 + 1000 * DAY
    result = eligibility(record(), GR, [hold(), hold(4, "Audit 2025")], now)
    assert not result.eligible and result.held_by == (3, 4)
    assert result.eligible_at == datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    assert "held by hold 3 (Smith v. City) and hold 4 (Audit 2025)" in result.reason
    assert "those holds are released" in result.reason


def test_retention_hold_out_of_scope_or_released_does_not_block():
    now = T0 + 1000 * DAY
    other = hold(scope=HoldScope(accounts=frozenset({2})))
    released = hold(4, released_at=now - DAY)
    result = eligibility(record(), GR, [other, released], now)
    assert result.eligible and result.held_by == ()


def test_retention_hold_is_mentioned_before_the_period_ends():
    result = eligibility(record(), GR, [hold()], T0 + DAY)
    assert not result.eligible and result.held_by == (3,)
    assert "It is held by hold 3 (Smith v. City)." in result.reason


def test_retention_purged_record_is_never_eligible_again():
    result = eligibility(record(purged=True), GR, [], T0 + 100_000 * DAY)
    assert not result.eligible and "never eligible again" in result.reason


# properties ---------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))
retentions = st.builds(Retention, years=st.integers(0, 30), months=st.integers(0, 36),
                       days=st.integers(0, 400))
series_strategy = st.builds(
    RecordSeries, code=st.just("S"), title=st.just("Series"), citation=st.just("Schedule"),
    retention=retentions, trigger=st.sampled_from(Trigger),
    disposition=st.sampled_from(DispositionAction),
    event=st.sampled_from([None, "taken_down", "council_vote"]))
facts_strategy = st.builds(
    record, created_at=st.none() | moments, first_seen_at=moments,
    deleted_at=st.none() | moments, account_closed_at=st.none() | moments,
    account_id=st.integers(1, 3), texts=st.tuples(st.sampled_from(["budget vote", "parking", ""])),
    purged=st.booleans())
holds_strategy = st.lists(st.builds(
    hold, hold_id=st.integers(1, 9), created_at=moments, released_at=st.none() | moments,
    scope=st.builds(HoldScope, accounts=st.none() | st.frozensets(st.integers(1, 3)),
                    query=st.sampled_from([None, "budget", "-parking"]))), max_size=4)


@given(facts=facts_strategy, series=series_strategy, holds=holds_strategy, now=moments)
def test_retention_record_under_active_hold_is_never_eligible(facts, series, holds, now):
    result = eligibility(facts, series, holds, now)
    covering = tuple(h.id for h in holds if covers(h, facts, now))
    assert result.held_by == covering
    if covering:
        assert not result.eligible


@given(facts=facts_strategy, series=series_strategy, holds=holds_strategy, now=moments)
def test_retention_never_eligible_before_trigger_plus_retention(facts, series, holds, now):
    result = eligibility(facts, series, holds, now)
    trigger = trigger_time(facts, series)
    if result.eligible:
        assert trigger is not None and not facts.purged
        assert now >= add_period(trigger, series.retention) == result.eligible_at
    if result.eligible_at is not None:
        assert result.eligible_at >= trigger + timedelta(days=series.retention.days)
    assert result.reason.endswith(".")


@given(start=moments, retention=retentions, extra=retentions)
def test_retention_add_period_is_monotonic(start, retention, extra):
    longer = Retention(retention.years + extra.years, retention.months + extra.months,
                       retention.days + extra.days)
    assert start <= add_period(start, retention) <= add_period(start, longer)
