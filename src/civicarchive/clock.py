"""Clocks: time is injected so that tests and replays are deterministic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol



class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock for tests: starts at `start` and advances `step` on every reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self._now = start
        self._step = step

    def now(self) -> datetime:
        current = self._now
        self._now += self._step
        return current


def format_time(moment: datetime) -> str:
    """The one text form of a time in the archive: UTC, microseconds, `Z` (sorts as text)."""
    if moment.tzinfo is None:
        raise ValueError(f"time without a timezone: {moment.isoformat()}")
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return f"{moment.isoformat(timespec='microseconds')[:26]}Z"


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time that names its offset (`Z` or `+hh:mm`)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no timezone: add `Z` or an offset such as +00:00")
    return moment.astimezone(timezone.utc)
