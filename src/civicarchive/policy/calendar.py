"""The days an agency is closed: a country's (and subdivision's) official public holidays,
observed dates included, from the `holidays` package, plus the agency's own additions and
minus its removals; and Saturdays and Sundays.

The package derives each year's dates from rules (nothing is fetched), so a policy that
names `US` and `WA` gets every year's calendar, and a deadline that crosses New Year uses
both years. Additions and removals are dated: each one applies to the day it names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import import_module
from types import MappingProxyType


_SATURDAY = 5  # date.weekday() of Saturday; Sunday is 6


class Closed(enum.StrEnum):
    """Why a day is not a business day."""

    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # an official public holiday of the named calendar
    AGENCY = "agency"  # a day the agency added to its calendar


@dataclass(frozen=True)
class Holiday:
    """A day the agency adds to its calendar; `name` is None for a bare date (the older
    `holidays:` list of a policy file)."""

    day: date
    name: str | None = None


@dataclass(frozen=True)
class Closure:
    """A day that is not a business day, and why. On a weekend day that is also a
    holiday, `reason` is WEEKEND and `name` the holiday's."""

    day: date
    reason: Closed
    name: str | None = None


@dataclass(frozen=True)
class Calendar:
    """The holiday calendar a policy names; the empty calendar closes only on weekends."""

    country: str | None = None  # ISO 3166-1 alpha-2 code the holidays package knows, e.g. US
    subdivision: str | None = None  # its subdivision code there, e.g. WA
    additions: tuple[Holiday, ...] = ()
    removals: tuple[date, ...] = ()

    def holidays(self, year: int) -> dict[date, Closure]:
        """Every holiday of `year` by day, official (less removals) and added, those on a
        weekend included."""
        return dict(_holidays(self, year))

    def closure(self, day: date) -> Closure | None:
        """Why `day` is not a business day, or None when it is one."""
        holiday = _holidays(self, day.year).get(day)
        if day.weekday() >= _SATURDAY:
            return Closure(day, Closed.WEEKEND, holiday.name if holiday else None)
        return holiday

    def is_closed(self, day: date) -> bool:
        return day.weekday() >= _SATURDAY or day in _holidays(self, day.year)

    def weekday_holidays(self, after: date, through: date) -> int:
        """How many holidays fall on a weekday after `after` up to and including `through`."""
        return sum(1 for year in range(after.year, through.year + 1)
                   for day in _holidays(self, year)
                   if after < day <= through and day.weekday() < _SATURDAY)

    def removed(self, day: date) -> str | None:
        """The name of the official holiday on `day` that the agency removed, if any."""
        if day not in self.removals:
            return None
        return official_holidays(self.country, self.subdivision, day.year).get(day)


def as_calendar(holidays: Calendar | Iterable[date]) -> Calendar:
    """`holidays` itself when it is a Calendar; otherwise an iterable of dates, which
    become additions without a name."""
    if isinstance(holidays, Calendar):
        return holidays
    return Calendar(additions=tuple(Holiday(day) for day in sorted(set(holidays))))


@lru_cache(maxsize=512)
def _holidays(calendar: Calendar, year: int) -> Mapping[date, Closure]:
    # Cached per calendar and year, so read-only.
    removed = frozenset(calendar.removals)
    found = {day: Closure(day, Closed.HOLIDAY, name) for day, name in
             official_holidays(calendar.country, calendar.subdivision, year).items()
             if day not in removed}
    for added in calendar.additions:
        if added.day.year == year:
            found[added.day] = Closure(added.day, Closed.AGENCY, added.name)
    return MappingProxyType(found)


@lru_cache(maxsize=256)
def official_holidays(country: str | None, subdivision: str | None, year: int
                      ) -> Mapping[date, str]:
    """The package's public holidays of `country` (and `subdivision`) in `year`, with the
    observed dates, read-only; empty without a country."""
    if country is None:
        return MappingProxyType({})
    found = _package().country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType({day: name for day, name in sorted(found.items())
                             if day.year == year})


def calendar_problem(country: str, subdivision: str | None) -> tuple[str, str] | None:
    """('country' | 'subdivision', what to change) when the holidays package does not know
    the country or its subdivision; None when it does."""
    supported = _package().list_supported_countries(include_aliases=False)
    if country not in supported:
        hint = country.upper() if country.upper() in supported else _alpha2(country)
        fix = (f"write {hint!r}" if hint else "use a two-letter ISO 3166-1 code the holidays "
               "package supports, e.g. US, CA, GB")
        return "country", f"the holidays package has no country {country!r}: {fix}"
    codes = supported[country]
    if subdivision is None or subdivision in codes:
        return None
    by_name = {name.lower(): code for name, code in
               _package().country_holidays(country).subdivisions_aliases.items()}
    hint = subdivision.upper() if subdivision.upper() in codes else by_name.get(
        subdivision.lower())
    fix = f"write {hint!r}" if hint else f"use one of {', '.join(codes)}"
    return "subdivision", (f"the holidays package has no subdivision {subdivision!r} of "
                           f"{country}: {fix}")


def subdivision_name(country: str, subdivision: str) -> str:
    """The subdivision's name in the package (e.g. 'Washington' for US, WA), else its code."""
    aliases = _package().country_holidays(country).subdivisions_aliases
    return next((name for name, code in aliases.items() if code == subdivision), subdivision)


def _alpha2(code: str) -> str | None:
    # The package also answers to three-letter codes (USA); the policy names the two-letter
    # one, as `jurisdiction` and the examples do.
    if code.upper() not in _package().list_supported_countries(include_aliases=True):
        return None
    return _package().country_holidays(code.upper()).country


def _package():  # noqa: ANN202 - the holidays package, imported on first use (it is slow)
    return import_module("holidays")

