"""Retention: when a record's series lets it be disposed of, and why not yet.

A pure engine: `eligibility(facts, series, holds, now)` decides from plain facts and says
why in a sentence a records officer can read. It never disposes of anything; the
disposition runner acts on eligible records only after the approvals the policy requires.

Retention periods are calendar periods, as schedules state them ("2 years after..."): years
and months move the calendar date, with the day clamped to the end of a shorter month,
then days are added.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import datetime, timedelta

from civicarchive.policy.model import RecordSeries, Retention, Trigger
from civicarchive.records.holds import covers, describe
from civicarchive.model.custody import Eligibility, Hold, RecordFacts

# The event name that starts retention when a record is taken down. Washington's GS50-01-12
# counts online content as "provided" until it is taken down, so its two years start then.
TAKEN_DOWN = "taken_down"


def add_period(moment: datetime, retention: Retention) -> datetime:
    """`moment` plus the retention: calendar years and months (day clamped), then days.

    Jan 31 + 1 month is Feb 28 (29 in a leap year); Feb 29 + 1 year is Feb 28. Time of day
    and timezone are kept.
    """
    year, month = divmod(moment.year * 12 + moment.month - 1 + retention.years * 12
                         + retention.months, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day) + timedelta(days=retention.days)


def trigger_time(facts: RecordFacts, series: RecordSeries) -> datetime | None:
    """When the series' retention period started for this record; None if not yet.

    An event the archive cannot observe (any name but "taken_down") has no time here:
    such records wait until the event is recorded some other way.
    """
    if series.trigger is Trigger.CREATED:
        return facts.created_at or facts.first_seen_at
    if series.trigger is Trigger.ACCOUNT_CLOSED:
        return facts.account_closed_at
    if series.event == TAKEN_DOWN:
        return facts.deleted_at
    return None


def eligibility(facts: RecordFacts, series: RecordSeries | None, holds: Iterable[Hold],
                now: datetime) -> Eligibility:
    """Whether the record may be disposed of at `now`, when it may be, and why.

    Eligible only when its series' retention has run from the trigger and no active hold
    covers it. A purged record is never eligible again: it has already been disposed of.
    """
    covering = tuple(hold for hold in holds if covers(hold, facts, now))
    held_by = tuple(hold.id for hold in covering)
    held = f"It is {_held_by(covering)}." if covering else ""
    if series is None:
        return Eligibility(None, None, False, held_by,
                           _join(f"No record series applies to record {facts.item_id} "
                                 f"({facts.platform} {facts.kind.value}), so it cannot be "
                                 f"disposed of; add an assignment rule for it to the policy "
                                 f"file and run `civicarchive policy check`.", held))
    trigger = trigger_time(facts, series)
    eligible_at = add_period(trigger, series.retention) if trigger is not None else None
    if facts.purged:
        return Eligibility(series.code, eligible_at, False, held_by,
                           f"Record {facts.item_id} has already been disposed of: its content "
                           f"was purged and only its hashes remain in the ledger, so it is "
                           f"never eligible again.")
    if trigger is None:
        return Eligibility(series.code, None, False, held_by,
                           _join(f"Not eligible: retention under {series.code} starts "
                                 f"{_pending(facts, series)}.", held))
    period = (f"{series.retention} after {_started(series)} on {_when(trigger)}, "
              f"under {series.code} ({series.citation})")
    if now < eligible_at:
        return Eligibility(series.code, eligible_at, False, held_by,
                           _join(f"Not eligible until {_when(eligible_at)}: {period}.", held))
    if covering:
        return Eligibility(series.code, eligible_at, False, held_by,
                           f"Retention ended on {_when(eligible_at)} ({period}), but the "
                           f"record is {_held_by(covering)}; it may not be disposed of "
                           f"until {'that hold is' if len(covering) == 1 else 'those holds are'}"
                           f" released.")
    return Eligibility(series.code, eligible_at, True, (),
                       f"Eligible since {_when(eligible_at)}: {period}; no hold covers it.")


def _started(series: RecordSeries) -> str:
    if series.trigger is Trigger.CREATED:
        return "it was created"
    if series.trigger is Trigger.ACCOUNT_CLOSED:
        return "its account was closed"
    if series.event == TAKEN_DOWN:
        return "it was taken down"
    return f'the event "{series.event}"'


def _pending(facts: RecordFacts, series: RecordSeries) -> str:
    """What has not happened yet, as the end of 'retention ... starts ...'."""
    if series.trigger is Trigger.ACCOUNT_CLOSED:
        return f"when account {facts.account_id} is closed, and it has not been closed"
    if series.event == TAKEN_DOWN:
        return ("when the record is taken down, and it is still online (no deletion has "
                "been observed)")
    name = series.event or "its event"
    return (f'at the event "{name}", which has not been recorded for this record (the '
            f'archive can only observe "{TAKEN_DOWN}")')


def _held_by(covering: tuple[Hold, ...]) -> str:
    """'held by hold 3 (Smith v. City) and hold 4 (...)'."""
    names = [describe(hold) for hold in covering]
    return "held by " + (names[0] if len(names) == 1
                         else ", ".join(names[:-1]) + " and " + names[-1])


def _join(*sentences: str) -> str:
    return " ".join(sentence for sentence in sentences if sentence)


def _when(moment: datetime) -> str:
    zone = moment.tzname()
    return moment.strftime("%Y-%m-%d %H:%M") + (f" {zone}" if zone else "")
