"""Records-request due dates, counted from the example Washington and Texas policies.

Both examples name the holidays package's calendar (US + WA, US + TX). Every date below
is worked out by hand from the 2026-2028 calendars:
- both: Wed 2026-11-11 Veterans Day, Thu 11-26 Thanksgiving, Fri 11-27 (WA: Native
  American Heritage Day; TX: Friday After Thanksgiving), Fri 12-25 Christmas, Fri
  2027-01-01 New Year's Day; Independence Day falls on Sat 2026-07-04 and is observed on
  Fri 07-03; New Year's Day 2028 falls on a Saturday and is observed on Fri 2027-12-31;
- Texas: Thu 2026-12-24 Christmas Eve, Sat 12-26 Day After Christmas; removals (open, so
  business days) Tue 2026-03-31 Cesar Chavez Day and Fri 04-03 Good Friday.
The examples add no agency closure (one that is not a legal holiday does not extend a
statutory deadline); to test additions, these tests give each calendar one of their own:
Washington Thu 2026-12-24, Christmas Eve, and Texas Thu 2026-12-31, New Year's Eve.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.policy import EXAMPLES, load_policy
from civicarchive.policy.calendar import Calendar, Closed, Closure, Holiday, as_calendar
from civicarchive.policy.model import DayCount, Deadline
from civicarchive.records.deadlines import (DueDate, add_business_days, business_days_between,
                                            due_dates, is_business_day, next_business_day,
                                            received_day)
from civicarchive.records.explanation import CountedDay, explain, explanation_lines
from civicarchive.records.requests import RequestStatus, deadline_status



def closed_on(rules, day: date, name: str):  # noqa: ANN001, ANN201
    """The example's request rules with an agency closure added to its calendar."""
    return replace(rules, calendar=replace(rules.calendar, additions=(Holiday(day, name),)))


WASHINGTON = closed_on(load_policy(EXAMPLES / "washington-local.yaml").requests,
                       date(2026, 12, 24), "Christmas Eve (city offices closed)")
TEXAS = closed_on(load_policy(EXAMPLES / "texas-local.yaml").requests,
                  date(2026, 12, 31), "New Year's Eve (city offices closed)")
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
    # Thu 12-24 after hours: Fri 25 is Christmas and 26-27 a weekend, so Mon 12-28.
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
    # 15 business days: Fri 20 (11), Mon 23 (12), Tue 24 (13), Wed 25 (14), [Thu 26
    # Thanksgiving, Fri 27 Friday After Thanksgiving, Sat 28, Sun 29], Mon 30 (15).
    # 10 calendar days: Sat 11-14, a weekend, so the next business day, Mon 11-16.
    dues = due_dates(at("2026-11-04", 23, 59, CENTRAL), TEXAS)
    assert [(d.due, d.days, d.count) for d in dues] == [
        (date(2026, 11, 19), 10, DayCount.BUSINESS),
        (date(2026, 11, 19), 10, DayCount.BUSINESS),
        (date(2026, 11, 30), 15, DayCount.BUSINESS),
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
    # Without a calendar, 11-11 is an ordinary Wednesday and the deadline stays on it.
    rules = replace(rules, calendar=Calendar())
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
    rules = replace(WASHINGTON, calendar=as_calendar(holidays),
                    after_hours_next_business_day=after_hours,
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
    rules = replace(TEXAS, calendar=as_calendar(holidays),
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


# -- the package calendars: holidays on a set weekday, observed dates, year boundaries --

def test_due_dates_washington_thanksgiving_and_the_day_after_are_skipped():
    # Mon 11-23: Tue 24 (1), Wed 25 (2), [Thu 26 Thanksgiving, Fri 27 Native American
    # Heritage Day, Sat 28, Sun 29], Mon 30 (3), Tue 12-01 (4), Wed 12-02 (5).
    (first,) = due_dates(at("2026-11-23"), WASHINGTON)
    assert first.due == date(2026, 12, 2)


def test_due_dates_washington_saturday_holiday_is_observed_on_the_friday():
    # Tue 06-30: Wed 07-01 (1), Thu 02 (2), [Fri 03 Independence Day observed, Sat 04,
    # Sun 05], Mon 06 (3), Tue 07 (4), Wed 08 (5).
    (first,) = due_dates(at("2026-06-30"), WASHINGTON)
    assert first.due == date(2026, 7, 8)
    assert WASHINGTON.calendar.closure(date(2026, 7, 3)) == Closure(
        date(2026, 7, 3), Closed.HOLIDAY, "Independence Day (observed)")


def test_due_dates_washington_sunday_holiday_is_observed_on_the_monday():
    # Fri 2027-07-02: [Sat 03, Sun 04 Independence Day, Mon 05 observed], Tue 06 (1),
    # Wed 07 (2), Thu 08 (3), Fri 09 (4), Mon 12 (5).
    (first,) = due_dates(at("2027-07-02"), WASHINGTON)
    assert first.due == date(2027, 7, 12)


def test_due_dates_washington_after_hours_across_new_year_uses_both_years():
    # Wed 2026-12-23 18:00, after hours: [Thu 24 agency addition, Fri 25 Christmas, Sat 26,
    # Sun 27], so received Mon 12-28. Tue 29 (1), Wed 30 (2), Thu 31 (3), [Fri 2027-01-01
    # New Year's Day, Sat 02, Sun 03], Mon 04 (4), Tue 05 (5).
    assert received_day(at("2026-12-23", 18), WASHINGTON) == date(2026, 12, 28)
    (first,) = due_dates(at("2026-12-23", 18), WASHINGTON)
    assert first.due == date(2027, 1, 5)


def test_due_dates_next_years_holiday_observed_on_new_years_eve():
    # New Year's Day 2028 is a Saturday, observed Fri 2027-12-31. Tue 2027-12-28: Wed 29
    # (1), Thu 30 (2), [Fri 31, Sat 2028-01-01, Sun 02], Mon 03 (3), Tue 04 (4), Wed 05 (5).
    (first,) = due_dates(at("2027-12-28"), WASHINGTON)
    assert first.due == date(2028, 1, 5)


def test_due_dates_agency_additions_are_dated_and_apply_to_their_year_only():
    # 2027-12-24 is Christmas observed (Christmas 2027 is a Saturday), an official holiday;
    # 2027-12-23 is an ordinary Thursday: the 2026 addition does not recur.
    assert WASHINGTON.calendar.closure(date(2026, 12, 24)).reason is Closed.AGENCY
    assert WASHINGTON.calendar.closure(date(2027, 12, 23)) is None
    assert WASHINGTON.calendar.closure(date(2027, 12, 24)).reason is Closed.HOLIDAY


def test_due_dates_texas_removed_holidays_count_as_business_days():
    # Mon 03-30, Cesar Chavez Day and Good Friday removed: Tue 31 (1), Wed 04-01 (2),
    # Thu 02 (3), Fri 03 (4), Mon 06 (5), Tue 07 (6), Wed 08 (7), Thu 09 (8), Fri 10 (9),
    # Mon 13 (10).
    assert due_dates(at("2026-03-30", tz=CENTRAL), TEXAS)[0].due == date(2026, 4, 13)
    # Without the removals: [Tue 31], Wed 01 (1), Thu 02 (2), [Fri 03], Mon 06 (3) ...
    # Fri 10 (7), Mon 13 (8), Tue 14 (9), Wed 15 (10).
    package_only = replace(TEXAS, calendar=Calendar("US", "TX"))
    assert due_dates(at("2026-03-30", tz=CENTRAL), package_only)[0].due == date(2026, 4, 15)
    # A removal is dated too: Cesar Chavez Day 2027 (Wed 03-31) is a holiday again.
    assert not is_business_day(date(2027, 3, 31), TEXAS.calendar)


def test_due_dates_texas_christmas_and_new_year_with_an_agency_addition():
    # Mon 12-21: Tue 22 (1), Wed 23 (2), [Thu 24 Christmas Eve, Fri 25 Christmas, Sat 26
    # Day After Christmas, Sun 27], Mon 28 (3), Tue 29 (4), Wed 30 (5), [Thu 31 New Year's
    # Eve, agency; Fri 2027-01-01, Sat, Sun], Mon 04 (6), Tue 05 (7), Wed 06 (8),
    # Thu 07 (9), Fri 08 (10). 10 calendar days: Thu 12-31, closed, so Mon 2027-01-04.
    dues = due_dates(at("2026-12-21", tz=CENTRAL), TEXAS)
    assert dues[0].due == date(2027, 1, 8)
    assert dues[-1].due == date(2027, 1, 4) and dues[-1].count is DayCount.CALENDAR


def test_business_days_between_counts_holidays_of_every_year_it_crosses():
    # Mon 2026-12-28 to Tue 2027-01-05 in Washington: 29, 30, 31, [01-01], 04, 05.
    assert business_days_between(date(2026, 12, 28), date(2027, 1, 5),
                                 WASHINGTON.calendar) == 5
    assert business_days_between(date(2027, 1, 5), date(2026, 12, 28),
                                 WASHINGTON.calendar) == -5


def test_deadline_status_takes_the_policy_calendar():
    # Due Tue 2027-01-05. From Wed 2026-12-30: Thu 31 (1), [Fri 01-01 New Year's Day, Sat,
    # Sun], Mon 04 (2), Tue 05 (3): 3 left. On Thu 01-07, Wed 06 and Thu 07 have passed.
    (status,) = deadline_status([{"due": "2027-01-05"}], date(2026, 12, 30),
                                WASHINGTON.calendar, RequestStatus.RECEIVED)
    assert status["business_days_left"] == 3 and not status["overdue"]
    (late,) = deadline_status([{"due": "2027-01-05"}], date(2027, 1, 7),
                              WASHINGTON.calendar, RequestStatus.IN_REVIEW)
    assert late["business_days_left"] == -2 and late["overdue"]


def test_deadline_status_stops_once_a_status_it_names_is_entered_and_says_when():
    first = {"due": "2027-01-05", "met_by": ["acknowledged", "clarification"]}
    both = [first, {"due": "2027-01-05"}]   # the second names no status: it runs on
    answered, running = deadline_status(both, date(2027, 1, 7), WASHINGTON.calendar,
                                        RequestStatus.IN_REVIEW,
                                        {"acknowledged": date(2027, 1, 4)})
    assert answered["business_days_left"] is None and not answered["overdue"]
    assert answered["met_on"] == "2027-01-04" and not answered["late"]
    assert running["overdue"] and running["met_on"] is None
    (late,) = deadline_status([first], date(2027, 1, 7), WASHINGTON.calendar,
                              RequestStatus.CLARIFICATION, {"in_review": date(2027, 1, 2),
                                                            "clarification": date(2027, 1, 6)})
    assert late["met_on"] == "2027-01-06" and late["late"]
    (unanswered,) = deadline_status([first], date(2027, 1, 7), WASHINGTON.calendar,
                                    RequestStatus.IN_REVIEW, {"in_review": date(2027, 1, 2)})
    assert unanswered["overdue"] and unanswered["met_on"] is None


def test_the_example_calendars_add_no_closure_that_would_extend_a_statutory_deadline():
    for name in ("washington-local.yaml", "texas-local.yaml"):
        assert load_policy(EXAMPLES / name).requests.calendar.additions == ()


# -- the explanation -------------------------------------------------------------------

def test_explain_washington_after_hours_across_new_year_lists_each_step():
    explanation = explain(at("2026-12-23", 18), WASHINGTON)
    receipt = explanation.receipt
    assert receipt.received_at == at("2026-12-23", 18)
    assert receipt.after_hours and receipt.moved and receipt.closed_on_arrival is None
    assert receipt.counts_from == date(2026, 12, 28)
    assert receipt.skipped == (
        Closure(date(2026, 12, 24), Closed.AGENCY, "Christmas Eve (city offices closed)"),
        Closure(date(2026, 12, 25), Closed.HOLIDAY, "Christmas Day"),
        Closure(date(2026, 12, 26), Closed.WEEKEND),
        Closure(date(2026, 12, 27), Closed.WEEKEND))
    (first,) = explanation.deadlines
    assert first.due == due_dates(at("2026-12-23", 18), WASHINGTON)[0]
    assert first.counted == (CountedDay(date(2026, 12, 29), 1), CountedDay(date(2026, 12, 30), 2),
                             CountedDay(date(2026, 12, 31), 3), CountedDay(date(2027, 1, 4), 4),
                             CountedDay(date(2027, 1, 5), 5))
    assert first.skipped == (Closure(date(2027, 1, 1), Closed.HOLIDAY, "New Year's Day"),
                             Closure(date(2027, 1, 2), Closed.WEEKEND),
                             Closure(date(2027, 1, 3), Closed.WEEKEND))
    assert [step.day for step in first.steps] == [date(2026, 12, 29) + timedelta(days=i)
                                                  for i in range(8)]


def test_explain_names_a_weekend_holiday_and_its_observed_friday():
    (first,) = explain(at("2026-06-30"), WASHINGTON).deadlines
    assert first.skipped == (
        Closure(date(2026, 7, 3), Closed.HOLIDAY, "Independence Day (observed)"),
        Closure(date(2026, 7, 4), Closed.WEEKEND, "Independence Day"),
        Closure(date(2026, 7, 5), Closed.WEEKEND))


def test_explain_in_office_hours_does_not_move_the_start():
    receipt = explain(at("2026-11-04", 16, 59), WASHINGTON).receipt
    assert not receipt.moved and not receipt.after_hours
    assert receipt.counts_from == date(2026, 11, 4) and receipt.skipped == ()


def test_explain_weekend_arrival_moves_the_start_for_being_closed():
    receipt = explain(at("2026-11-07"), WASHINGTON).receipt  # Saturday, 10:00
    assert receipt.moved and not receipt.after_hours
    assert receipt.closed_on_arrival == Closure(date(2026, 11, 7), Closed.WEEKEND)
    assert receipt.skipped == (Closure(date(2026, 11, 8), Closed.WEEKEND),)
    assert receipt.counts_from == date(2026, 11, 9)


def test_explain_texas_counts_a_removed_holiday_and_says_so():
    (first, *_) = explain(at("2026-03-30", tz=CENTRAL), TEXAS).deadlines
    assert first.counted[0] == CountedDay(date(2026, 3, 31), 1, "Cesar Chavez Day")
    assert first.counted[3] == CountedDay(date(2026, 4, 3), 4, "Good Friday")
    assert not explain(at("2026-03-30", tz=CENTRAL), TEXAS).receipt.moved


def test_explain_calendar_deadline_moved_off_closed_days():
    custodian = explain(at("2026-12-21", tz=CENTRAL), TEXAS).deadlines[-1]
    assert custodian.due.count is DayCount.CALENDAR
    assert [c.number for c in custodian.counted] == list(range(1, 11))
    assert custodian.counted[-1].day == date(2026, 12, 31)
    assert custodian.moved_from == date(2026, 12, 31)
    assert custodian.skipped == (
        Closure(date(2026, 12, 31), Closed.AGENCY, "New Year's Eve (city offices closed)"),
        Closure(date(2027, 1, 1), Closed.HOLIDAY, "New Year's Day"),
        Closure(date(2027, 1, 2), Closed.WEEKEND),
        Closure(date(2027, 1, 3), Closed.WEEKEND))
    assert custodian.due.due == date(2027, 1, 4)


def test_explain_calendar_deadline_on_a_business_day_is_not_moved():
    # Wed 11-04 + 10 calendar days with 11-14 a Saturday is moved; + 6 is Tue 11-10, not.
    rules = replace(TEXAS, deadlines=(Deadline("Respond", 6, DayCount.CALENDAR, "Test 1"),))
    (respond,) = explain(at("2026-11-04", tz=CENTRAL), rules).deadlines
    assert respond.moved_from is None and respond.skipped == ()
    assert respond.due.due == date(2026, 11, 10) and len(respond.counted) == 6


def test_explanation_lines_render_the_steps_as_plain_text():
    lines = explanation_lines(explain(at("2026-12-23", 18), WASHINGTON))
    assert lines[0] == "Received Wed 2026-12-23T18:00-08:00."
    assert "after the business day ends (17:00)" in lines[1]
    assert "  Thu 2026-12-24  skipped: agency closure, Christmas Eve (city offices closed)" in lines
    assert "  Fri 2026-12-25  skipped: holiday, Christmas Day" in lines
    assert "Counted from Mon 2026-12-28, which is not itself counted." in lines
    assert any(line.startswith("First response") and line.endswith("(RCW 42.56.520): "
                                                                    "5 business days, due "
                                                                    "Tue 2027-01-05.")
               for line in lines)
    assert "  Fri 2027-01-01  skipped: holiday, New Year's Day" in lines
    assert "  Tue 2027-01-05  business day 5" in lines


def test_explanation_lines_texas_calendar_deadline_and_removed_holiday():
    lines = explanation_lines(explain(at("2026-03-30", tz=CENTRAL), TEXAS))
    assert ("  Tue 2026-03-31  business day 1 (Cesar Chavez Day, a holiday the agency "
            "removed from its calendar)") in lines
    assert "  Tue 2026-03-31 to Thu 2026-04-09  calendar days 1 to 10" in lines
    assert any(line.startswith("  To confirm: The exact trigger") for line in lines)
    moved = explanation_lines(explain(at("2026-12-21", tz=CENTRAL), TEXAS))
    assert any(line.startswith("  The last day, Thu 2026-12-31, is not a business day")
               for line in moved)


calendars = st.builds(
    Calendar, st.just("US"), st.sampled_from(["WA", "TX"]),
    st.lists(days, max_size=5, unique=True).map(
        lambda found: tuple(Holiday(day, "closed") for day in sorted(found))),
    st.lists(days, max_size=5, unique=True).map(lambda found: tuple(sorted(found))))


@given(received=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 1, 1),
                             timezones=st.just(PACIFIC)),
       n=st.integers(min_value=0, max_value=40), calendar=calendars,
       count=st.sampled_from(DayCount), after_hours=st.booleans())
def test_explain_agrees_with_due_dates_and_accounts_for_every_day(received, n, calendar,
                                                                  count, after_hours):
    rules = replace(WASHINGTON, calendar=calendar, after_hours_next_business_day=after_hours,
                    deadlines=(Deadline("Respond", n, count, "Test 1"),))
    explanation = explain(received, rules)
    (due,) = due_dates(received, rules)
    (item,) = explanation.deadlines
    assert item.due == due and explanation.receipt.counts_from == received_day(received, rules)
    assert [c.number for c in item.counted] == list(range(1, n + 1))
    assert all(calendar.closure(c.day) == c for c in item.skipped)
    if count is DayCount.BUSINESS:
        assert all(is_business_day(c.day, calendar) for c in item.counted)
        days_after = (due.due - explanation.receipt.counts_from).days
        assert len(item.steps) == days_after
    receipt = explanation.receipt
    if receipt.moved:  # only the after-hours rule moves the start, and it says why
        assert after_hours and (receipt.after_hours or receipt.closed_on_arrival is not None)
