"""When a public records request is due, from the agency policy's deadlines and calendar.

Pure: the moment a request arrived is passed in, already in the agency's local time, and
nothing here reads the clock. Counting follows the usual rule for computing time (in
Washington RCW 1.12.040, which the example policy cites):

- the day the request is received is not counted;
- a business-day deadline counts only days that are neither a Saturday, a Sunday nor one
  of the policy's holidays;
- a calendar-day deadline counts every day, but when its last day falls on a weekend or a
  holiday the request is due on the next business day.

Whether a request that arrives after hours, or on a day the agency is closed, counts as
received on the next business day is an agency rule, `Requests.after_hours_next_business_day`.
The holidays are the policy's `Calendar` (policy/calendar.py): a country's and subdivision's
official holidays for every year a deadline crosses, plus the agency's additions, minus its
removals. Every function taking `holidays` also takes a plain iterable of dates.

`explain` gives the same due dates with the reasons, step by step: see explanation.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from civicarchive.policy.calendar import Calendar, as_calendar
from civicarchive.policy.model import DayCount, Requests

Holidays = Calendar | Iterable[date]
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueDate:
    """One deadline of the policy, applied to one request."""

    name: str
    due: date
    days: int
    count: DayCount
    citation: str
    uncertain: str | None = None


def is_business_day(day: date, holidays: Holidays) -> bool:
    """Whether `day` is neither a Saturday, a Sunday nor one of `holidays`."""
    return not as_calendar(holidays).is_closed(day)


def next_business_day(day: date, holidays: Holidays) -> date:
    """`day` itself when it is a business day, otherwise the first business day after it."""
    calendar = as_calendar(holidays)
    while calendar.is_closed(day):
        day += _DAY
    return day


def add_business_days(day: date, n: int, holidays: Holidays) -> date:
    """The `n`th business day after `day` (before it when `n` is negative; `day` when 0).

    `day` itself is never counted, so it need not be a business day: 1 business day after
    a Saturday is the Monday (or the next open day when Monday is a holiday). For a
    business day `d`, `business_days_between(d, add_business_days(d, n, h), h) == n`.
    """
    calendar = as_calendar(holidays)
    step = _DAY if n > 0 else -_DAY
    remaining = abs(n)
    while remaining:
        day += step
        if not calendar.is_closed(day):
            remaining -= 1
    return day


def _weekdays_through(day: date) -> int:
    # Weekdays from 0001-01-01 (a Monday) through `day`, inclusive.
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def business_days_between(start: date, end: date, holidays: Holidays) -> int:
    """Business days after `start` up to and including `end`; negative when `end` is earlier.

    With `start` the day a request counts as received and `end` its due date, this is the
    deadline's length in business days. With `end` today, `business_days_between(today,
    due)` is the business days left, and `-business_days_between(due, today)` how many
    business days the response is overdue (0 on a weekend straight after a Friday due date:
    compare the dates themselves to know whether a request is late).
    """
    if end < start:
        return -business_days_between(end, start, holidays)
    closed = as_calendar(holidays).weekday_holidays(start, end)
    return _weekdays_through(end) - _weekdays_through(start) - closed


def received_day(received_at: datetime, rules: Requests,
                 business_day_ends: time = time(17, 0)) -> date:
    """The day a request counts as received, the day its deadlines count from.

    `received_at` must be timezone-aware and already in the agency's local time zone
    (`received_at.astimezone(agency_zone)`): its local date is the day received. When
    `rules.after_hours_next_business_day` is set, a request arriving at or after
    `business_day_ends`, or on a weekend or holiday, counts as received on the next
    business day. Otherwise it counts from the day it arrived, whatever the hour.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError(f"received_at {received_at.isoformat()} has no time zone: pass an "
                         f"aware datetime in the agency's local time, e.g. "
                         f"received_at.replace(tzinfo=ZoneInfo('America/Los_Angeles')) or "
                         f"utc_time.astimezone(agency_zone)")
    if business_day_ends.tzinfo is not None:
        raise ValueError(f"business_day_ends {business_day_ends.isoformat()} has a time zone: "
                         f"pass the local closing time without one, e.g. time(17, 0)")
    day = received_at.date()
    if not rules.after_hours_next_business_day:
        return day
    if received_at.time() >= business_day_ends:
        day += _DAY
    return next_business_day(day, rules.calendar)


def due_dates(received_at: datetime, rules: Requests,
              business_day_ends: time = time(17, 0)) -> tuple[DueDate, ...]:
    """Every deadline of the policy for a request received at `received_at`, in policy order.

    Days count from `received_day(received_at, rules, business_day_ends)`, which is not
    itself counted. A calendar-day deadline whose last day is a weekend or holiday moves to
    the next business day: the usual rule for computing time, but the wording differs from
    law to law and it gives the later date, so confirm it for each calendar-day deadline
    (or act by the unmoved date to keep a margin).
    """
    start = received_day(received_at, rules, business_day_ends)
    due: list[DueDate] = []
    for deadline in rules.deadlines:
        if deadline.count is DayCount.BUSINESS:
            day = add_business_days(start, deadline.days, rules.calendar)
        else:
            day = next_business_day(start + timedelta(days=deadline.days), rules.calendar)
        due.append(DueDate(deadline.name, day, deadline.days, deadline.count,
                           deadline.citation, deadline.uncertain))
    return tuple(due)
