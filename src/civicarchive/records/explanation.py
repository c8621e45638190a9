"""Why a request is due when it is: each due date, step by step. Pure, like deadlines.py.

`explain(received_at, rules)` returns data: when the request arrived and the day it counts
from (and why, when the after-hours rule moved it), then for every deadline the days in
order, each either counted (with its number) or skipped (a `Closure`: weekend, a holiday
by name, or an agency addition). `explanation_lines` renders it as plain text lines.

The due dates are `due_dates`' own; the steps only lay out the days between the day
received and each due date, so an explanation cannot disagree with a stored due date
computed from the same policy and calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from civicarchive.policy.calendar import Calendar, Closed, Closure
from civicarchive.policy.model import DayCount, Requests
from civicarchive.records.deadlines import DueDate, due_dates, received_day

__all__ = ["CountedDay", "DeadlineExplanation", "Explanation", "Receipt", "explain",
           "explanation_lines"]

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Receipt:
    """When the request arrived and the day its deadlines count from (not itself counted)."""

    received_at: datetime
    counts_from: date
    business_day_ends: time
    after_hours: bool  # the after-hours rule applies and it arrived at or after closing
    closed_on_arrival: Closure | None  # the rule applies and the day it arrived was closed
    skipped: tuple[Closure, ...]  # closed days after arrival passed over to `counts_from`

    @property
    def moved(self) -> bool:
        """Whether the after-hours rule moved the start off the day it arrived."""
        return self.counts_from != self.received_at.date()


@dataclass(frozen=True)
class CountedDay:
    """A day counted toward a deadline: business day `number`, or calendar day `number`."""

    day: date
    number: int
    kept_open: str | None = None  # an official holiday on this day the agency removed


Step = CountedDay | Closure


@dataclass(frozen=True)
class DeadlineExplanation:
    """One due date and the days, in date order, that lead to it.

    For a business-day deadline every day after the day received up to the due date is a
    step, counted or skipped. For a calendar-day deadline every day is counted; when the
    last one is closed (`moved_from`), the closed days from it up to the due date follow
    as skipped steps, so `moved_from` appears both counted and skipped.
    """

    due: DueDate
    steps: tuple[Step, ...]
    moved_from: date | None = None

    @property
    def counted(self) -> tuple[CountedDay, ...]:
        return tuple(step for step in self.steps if isinstance(step, CountedDay))

    @property
    def skipped(self) -> tuple[Closure, ...]:
        return tuple(step for step in self.steps if isinstance(step, Closure))


@dataclass(frozen=True)
class Explanation:
    receipt: Receipt
    deadlines: tuple[DeadlineExplanation, ...]  # in policy order, as `due_dates` gives them


def explain(received_at: datetime, rules: Requests,
            business_day_ends: time = time(17, 0)) -> Explanation:
    """Every due date of a request received at `received_at`, with the steps that give it.

    Takes what `due_dates` takes (an aware `received_at` in the agency's local time) and
    gives the same dates. To explain a logged request, pass the policy it was logged
    under: a later policy or calendar may give other dates than the stored ones.
    """
    calendar = rules.calendar
    counts_from = received_day(received_at, rules, business_day_ends)
    return Explanation(
        _receipt(received_at, counts_from, rules, business_day_ends),
        tuple(_deadline(due, counts_from, calendar)
              for due in due_dates(received_at, rules, business_day_ends)))


def _receipt(received_at: datetime, counts_from: date, rules: Requests,
             business_day_ends: time) -> Receipt:
    arrived = received_at.date()
    rule = rules.after_hours_next_business_day
    after_hours = rule and received_at.time() >= business_day_ends
    closed_on_arrival = rules.calendar.closure(arrived) if rule else None
    return Receipt(received_at, counts_from, business_day_ends, after_hours,
                   closed_on_arrival,
                   _closures(rules.calendar, arrived + _DAY, counts_from))


def _deadline(due: DueDate, start: date, calendar: Calendar) -> DeadlineExplanation:
    steps: list[Step] = []
    if due.count is DayCount.BUSINESS:
        number = 0
        for day in _days(start + _DAY, due.due + _DAY):
            closure = calendar.closure(day)
            if closure is None:
                number += 1
                steps.append(CountedDay(day, number, calendar.removed(day)))
            else:
                steps.append(closure)
        return DeadlineExplanation(due, tuple(steps))
    last = start + timedelta(days=due.days)
    steps = [CountedDay(day, (day - start).days, calendar.removed(day))
             for day in _days(start + _DAY, last + _DAY)]
    moved = last if due.due != last else None
    steps += _closures(calendar, last, due.due)
    return DeadlineExplanation(due, tuple(steps), moved)


def _days(first: date, stop: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((stop - first).days)]


def _closures(calendar: Calendar, first: date, stop: date) -> tuple[Closure, ...]:
    # Every day from `first` up to `stop` (excluded) is closed when the caller asks.
    return tuple(c for day in _days(first, stop) if (c := calendar.closure(day)) is not None)


# as plain text ------------------------------------------------------------------------

def explanation_lines(explanation: Explanation) -> list[str]:
    """The explanation as plain text lines: the receipt, then each deadline's days."""
    lines = _receipt_lines(explanation.receipt)
    for item in explanation.deadlines:
        lines += _deadline_lines(item)
    return lines


def _receipt_lines(receipt: Receipt) -> list[str]:
    at = receipt.received_at
    lines = [f"Received {at:%a} {at.isoformat(timespec='minutes')}."]
    if receipt.moved:
        why = []
        if receipt.after_hours:
            why.append(f"after the business day ends ({receipt.business_day_ends:%H:%M})")
        if receipt.closed_on_arrival is not None:
            why.append(f"on a day the agency is closed ({_reason(receipt.closed_on_arrival)})")
        lines.append(f"It arrived {' and '.join(why)}: under the policy's after-hours rule "
                     f"it counts as received on the next business day.")
        lines += [f"  {_day(c.day)}  skipped: {_reason(c)}" for c in receipt.skipped]
    lines.append(f"Counted from {_day(receipt.counts_from)}, which is not itself counted.")
    return lines


def _deadline_lines(item: DeadlineExplanation) -> list[str]:
    due = item.due
    unit = "business" if due.count is DayCount.BUSINESS else "calendar"
    lines = [f"{due.name} ({due.citation}): {due.days} {unit} day"
             f"{'' if due.days == 1 else 's'}, due {_day(due.due)}."]
    if due.count is DayCount.BUSINESS:
        lines += [_step_line(step, unit) for step in item.steps]
    else:  # every day counts: one line for the run, then what is worth saying
        counted = item.counted
        if counted:
            lines.append(f"  {_day(counted[0].day)} to {_day(counted[-1].day)}  calendar "
                         f"days 1 to {counted[-1].number}")
        lines += [_step_line(step, unit) for step in counted if step.kept_open]
        if item.moved_from is not None:
            lines.append(f"  The last day, {_day(item.moved_from)}, is not a business day, "
                         f"so the request is due on the next one (the usual rule for "
                         f"computing time: confirm it for this deadline).")
        lines += [_step_line(step, unit) for step in item.skipped]
    if due.uncertain:
        lines.append(f"  To confirm: {due.uncertain}")
    return lines


def _step_line(step: Step, unit: str) -> str:
    if isinstance(step, Closure):
        return f"  {_day(step.day)}  skipped: {_reason(step)}"
    kept = (f" ({step.kept_open}, a holiday the agency removed from its calendar)"
            if step.kept_open else "")
    return f"  {_day(step.day)}  {unit} day {step.number}{kept}"


def _day(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _reason(closure: Closure) -> str:
    if closure.reason is Closed.WEEKEND:
        return f"weekend ({closure.name})" if closure.name else "weekend"
    if closure.reason is Closed.HOLIDAY:
        return f"holiday, {closure.name}"
    return f"agency closure, {closure.name}" if closure.name else "a holiday the policy lists"
