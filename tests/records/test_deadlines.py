"""Records-request due dates, counted from the example Washington and Texas policies.

Weekdays of the dates used below (2026): Wed 11-04, Sat 11-07, Wed 11-11 (Veterans Day,
a holiday in both example policies), Thu 11-26 (Thanksgiving, NOT in the example
calendars), Tue 12-15, Fri 12-25 (Christmas, a holiday in both).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.policy import EXAMPLES, load_policy
from civicarchive.policy.model import DayCount, Deadline
from civicarchive.records.deadlines import (DueDate, add_business_days, business_days_between,
                                            due_dates, is_business_day, next_business_day,
                                            received_day)

WASHINGTON = load_policy(EXAMPLES / "washington-local.yaml").requests
TEXAS = load_policy(EXAMPLES / "texas-local.yaml").requests
PACIFIC = timezone(timedelta(hours=-8), "PST")
CENTRAL = timezone(timedelta(hours=-6), "CST")
HOLIDAYS = (date(2026, 11, 11), date(2026, 12, 25))


def at(day: str, hour: int = 10, minute: int = 0, tz: timezone = PACIFIC) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tz)


def test_due_dates_washington_five_business_days_across_a_weekend_and_a_holiday():
    # Received Wed 11-04 in office hours; 11-04 itself is not counted.
    # Thu 05 (1), Fri 06 (2), [Sat 07, Sun 08], Mon 09 (3), Tue 10 (4),
    # [Wed 11 Veterans Day], Thu 12 (5).
    (first,) = due_dates(at("2026-11-04"), WASHINGTON)
    assert first.due == date(2026, 11, 12)
    assert (first.days, first.count, first.citation) == (5, DayCount.BUSINESS, "RCW 42.56.520")
    assert first.name.startswith("First response")


def test_received_day_washington_after_hours_counts_from_the_next_business_day():
    # WA example sets after_hours_next_business_day: 17:30 Wed 11-04 is received Thu 11-05.
    assert WASHINGTON.after_hours_next_business_day
    assert received_day(at("2026-11-04", 17, 30), WASHINGTON) == date(2026, 11, 5)
    assert received_day(at("2026-11-04", 16, 59), WASHINGTON) == date(2026, 11, 4)
    # Closing time itself is after hours.
    assert received_day(at("2026-11-04", 17, 0), WASHINGTON) == date(2026, 11, 5)
    # From Thu 11-05: Fri 06 (1), Mon 09 (2), Tue 10 (3), [Wed 11], Thu 12 (4), Fri 13 (5).
    (first,) = due_dates(at("2026-11-04", 17, 30), WASHINGTON)
    assert first.due == date(2026, 11, 13)


def test_received_day_business_day_ends_is_configurable():
    assert received_day(at("2026-11-04", 16, 30), WASHINGTON,
                        business_day_ends=time(16, 30)) == date(2026, 11, 5)
    assert received_day(at("2026-11-04", 16, 30), WASHINGTON,
                        business_day_ends=time(18, 0)) == date(2026, 11, 4)


def test_received_day_washington_weekend_and_holiday_count_from_the_next_business_day():
    assert received_day(at("2026-11-07"), WASHINGTON) == date(2026, 11, 9)  # Sat -> Mon
    assert received_day(at("2026-11-11"), WASHINGTON) == date(2026, 11, 12)  # holiday -> Thu
    # Fri 12-24 after hours: Fri 25 is Christmas and 26-27 a weekend, so Mon 12-28.
    assert received_day(at("2026-12-24", 20), WASHINGTON) == date(2026, 12, 28)


def test_received_day_texas_after_hours_counts_from_the_day_it_arrived():
    assert not TEXAS.after_hours_next_business_day
    assert received_day(at("2026-11-04", 23, 59, CENTRAL), TEXAS) == date(2026, 11, 4)
    assert received_day(at("2026-11-07", tz=CENTRAL), TEXAS) == date(2026, 11, 7)


def test_received_day_uses_the_local_date_it_is_given():
    # 01:00 UTC on 11-05 is 17:00 on 11-04 in Seattle: the caller converts, we do not.
    utc = datetime(2026, 11, 5, 1, 0, tzinfo=timezone.utc)
    assert received_day(utc, TEXAS) == date(2026, 11, 5)
    assert received_day(utc.astimezone(PACIFIC), TEXAS) == date(2026, 11, 4)


def test_due_dates_texas_business_and_calendar_deadlines_after_hours():
    # Received 23:59 Wed 11-04; Texas counts from 11-04 itself.
    # 10 business days: Thu 05 (1), Fri 06 (2), Mon 09 (3), Tue 10 (4), [Wed 11 Veterans
    # Day], Thu 12 (5), Fri 13 (6), Mon 16 (7), Tue 17 (8), Wed 18 (9), Thu 19 (10).
    # 15 business days: Fri 20 (11), Mon 23 (12), Tue 24 (13), Wed 25 (14), Thu 26 (15):
    # Thanksgiving, but the example calendar does not list it, so it is a business day.
    # 10 calendar days: Sat 11-14, a weekend, so the next business day, Mon 11-16.
    dues = due_dates(at("2026-11-04", 23, 59, CENTRAL), TEXAS)
    assert [(d.due, d.days, d.count) for d in dues] == [
        (date(2026, 11, 19), 10, DayCount.BUSINESS),
        (date(2026, 11, 19), 10, DayCount.BUSINESS),
        (date(2026, 11, 26), 15, DayCount.BUSINESS),
        (date(2026, 11, 19), 10, DayCount.BUSINESS),
        (date(2026, 11, 16), 10, DayCount.CALENDAR),
    ]
    assert [d.citation for d in dues] == [d.citation for d in TEXAS.deadlines]
    assert dues[2].uncertain and dues[4].uncertain and dues[0].uncertain is None


def test_due_dates_texas_weekend_receipt_counts_from_the_saturday():
    # Sat 11-07, counted from the Saturday: Mon 09 (1), Tue 10 (2), [Wed 11], Thu 12 (3),
    # Fri 13 (4), Mon 16 (5), Tue 17 (6), Wed 18 (7), Thu 19 (8), Fri 20 (9), Mon 23 (10).
    assert due_dates(at("2026-11-07", tz=CENTRAL), TEXAS)[0].due == date(2026, 11, 23)


def test_due_dates_calendar_deadline_on_a_holiday_moves_to_the_next_business_day():
    # Tue 12-15 + 10 calendar days = Fri 12-25 (Christmas); 26-27 weekend; Mon 12-28.
    (custodian,) = [d for d in due_dates(at("2026-12-15", tz=CENTRAL), TEXAS)
                    if d.count is DayCount.CALENDAR]
    assert custodian.due == date(2026, 12, 28)


def test_due_dates_calendar_deadline_moves_only_off_a_closed_day():
    # Wed 11-04 + 7 calendar days = Wed 11-11: Veterans Day in the policy, so Thu 11-12.
    rules = replace(TEXAS, deadlines=(Deadline("Respond", 7, DayCount.CALENDAR, "Test 1"),))
    assert due_dates(at("2026-11-04", tz=CENTRAL), rules) == (
        DueDate("Respond", date(2026, 11, 12), 7, DayCount.CALENDAR, "Test 1"),)
    # Without the holiday, 11-11 is an ordinary Wednesday and the deadline stays on it.
    rules = replace(rules, holidays=())
    assert due_dates(at("2026-11-04", tz=CENTRAL), rules)[0].due == date(2026, 11, 11)


def test_received_day_naive_datetime_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="no time zone: pass an aware datetime"):
        received_day(datetime(2026, 11, 4, 10, 0), WASHINGTON)
    with pytest.raises(ValueError, match="no time zone"):
        due_dates(datetime(2026, 11, 4, 10, 0), TEXAS)


def test_received_day_aware_closing_time_is_refused():
    with pytest.raises(ValueError, match="without one"):
        received_day(at("2026-11-04"), WASHINGTON, business_day_ends=time(17, tzinfo=PACIFIC))


def test_add_business_days_skips_weekends_and_holidays_both_ways():
    assert add_business_days(date(2026, 11, 6), 1, HOLIDAYS) == date(2026, 11, 9)
    assert add_business_days(date(2026, 11, 10), 1, HOLIDAYS) == date(2026, 11, 12)
    assert add_business_days(date(2026, 11, 7), 1, HOLIDAYS) == date(2026, 11, 9)
    assert add_business_days(date(2026, 11, 12), -1, HOLIDAYS) == date(2026, 11, 10)
    assert add_business_days(date(2026, 11, 9), -1, HOLIDAYS) == date(2026, 11, 6)
    assert add_business_days(date(2026, 11, 7), 0, HOLIDAYS) == date(2026, 11, 7)


def test_business_days_between_is_signed():
    assert business_days_between(date(2026, 11, 4), date(2026, 11, 12), HOLIDAYS) == 5
    assert business_days_between(date(2026, 11, 12), date(2026, 11, 4), HOLIDAYS) == -5
    assert business_days_between(date(2026, 11, 4), date(2026, 11, 4), HOLIDAYS) == 0
    # Friday to the weekend after it: no business day has passed.
    assert business_days_between(date(2026, 11, 6), date(2026, 11, 8), HOLIDAYS) == 0
    # A holiday on a weekend is not subtracted twice.
    assert business_days_between(date(2026, 7, 3), date(2026, 7, 6), [date(2026, 7, 4)]) == 1


def test_next_business_day_and_is_business_day():
    assert next_business_day(date(2026, 11, 11), HOLIDAYS) == date(2026, 11, 12)
    assert next_business_day(date(2026, 11, 12), HOLIDAYS) == date(2026, 11, 12)
    assert not is_business_day(date(2026, 11, 11), HOLIDAYS)
    assert is_business_day(date(2026, 11, 11), ())
    assert not is_business_day(date(2026, 11, 8), ())


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
holiday_sets = st.lists(days, max_size=20).map(tuple)


@given(received=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 1, 1),
                             timezones=st.just(PACIFIC)),
       n=st.integers(min_value=0, max_value=60), holidays=holiday_sets,
       after_hours=st.booleans())
def test_due_dates_business_deadline_is_a_business_day_n_days_after_receipt(
        received, n, holidays, after_hours):
    rules = replace(WASHINGTON, holidays=holidays, after_hours_next_business_day=after_hours,
                    deadlines=(Deadline("Respond", n, DayCount.BUSINESS, "Test 1"),))
    (due,) = due_dates(received, rules)
    start = received_day(received, rules)
    if n:
        assert due.due.weekday() < 5 and due.due not in holidays
    assert business_days_between(start, due.due, holidays) == n


@given(received=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 1, 1),
                             timezones=st.just(PACIFIC)),
       n=st.integers(min_value=0, max_value=60), holidays=holiday_sets)
def test_due_dates_calendar_deadline_is_the_first_business_day_from_n_days_on(
        received, n, holidays):
    rules = replace(TEXAS, holidays=holidays,
                    deadlines=(Deadline("Respond", n, DayCount.CALENDAR, "Test 1"),))
    (due,) = due_dates(received, rules)
    earliest = received.date() + timedelta(days=n)
    assert due.due >= earliest and is_business_day(due.due, holidays)
    assert all(not is_business_day(earliest + timedelta(days=i), holidays)
               for i in range((due.due - earliest).days))


@given(start=days, end=days, holidays=holiday_sets)
def test_business_days_between_matches_counting_day_by_day(start, end, holidays):
    low, high = sorted((start, end))
    counted = sum(is_business_day(low + timedelta(days=i + 1), holidays)
                  for i in range((high - low).days))
    assert business_days_between(start, end, holidays) == (counted if end >= start
                                                           else -counted)


@given(day=days, n=st.integers(min_value=-60, max_value=60), holidays=holiday_sets)
def test_add_business_days_inverts_business_days_between(day, n, holidays):
    day = next_business_day(day, holidays)
    moved = add_business_days(day, n, holidays)
    assert business_days_between(day, moved, holidays) == n
    assert is_business_day(moved, holidays)
