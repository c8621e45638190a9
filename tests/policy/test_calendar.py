"""The policy's holiday calendar: the holidays package's country and subdivision, the
agency's dated additions and removals, the older hand-typed `holidays:` list, every
problem at its line, and the calendar in the rendered document."""

from __future__ import annotations

from datetime import date

import pytest

from civicarchive.policy import (EXAMPLES, PolicyInvalid, Severity, check_policy, load_policy,
                                 render_markdown)
from civicarchive.policy.calendar import (Calendar, Closed, Closure, Holiday, as_calendar,
                                          calendar_problem)

from .conftest import edited, line_of
from .test_document import words

AFTER_HOURS = "  after_hours_next_business_day: true\n"


def with_requests(lines: str) -> str:
    """BASE with `lines` (indented under `requests:`) added to its requests section."""
    return edited(AFTER_HOURS, AFTER_HOURS + lines)


WASHINGTON_CALENDAR = """\
  calendar:
    country: US
    subdivision: WA
    additions:
      - date: 2026-12-24
        name: Christmas Eve
      - date: 2026-12-31
        name: New Year's Eve
    removals: [2026-11-27]
"""


def test_calendar_policy_loads_country_subdivision_additions_and_removals(write):
    path = write(with_requests(WASHINGTON_CALENDAR))
    assert check_policy(path) == []
    calendar = load_policy(path).requests.calendar
    assert calendar == Calendar("US", "WA", (Holiday(date(2026, 12, 24), "Christmas Eve"),
                                             Holiday(date(2026, 12, 31), "New Year's Eve")),
                                (date(2026, 11, 27),))
    # The removed Native American Heritage Day is a business day; Thanksgiving is not.
    assert calendar.closure(date(2026, 11, 27)) is None
    assert calendar.removed(date(2026, 11, 27)) == "Native American Heritage Day"
    assert calendar.closure(date(2026, 11, 26)) == Closure(date(2026, 11, 26), Closed.HOLIDAY,
                                                           "Thanksgiving Day")
    assert calendar.closure(date(2026, 12, 31)).reason is Closed.AGENCY


def test_calendar_without_one_only_weekends_are_closed(write):
    calendar = load_policy(write(with_requests(""))).requests.calendar
    assert calendar == Calendar()
    assert calendar.closure(date(2026, 12, 25)) is None
    assert calendar.closure(date(2026, 12, 26)) == Closure(date(2026, 12, 26), Closed.WEEKEND)


def test_calendar_holidays_of_a_year_include_next_years_observed_day():
    # New Year's Day 2028 is a Saturday: Washington observes it on Fri 2027-12-31.
    year = Calendar("US", "WA").holidays(2027)
    assert year[date(2027, 12, 31)].name == "New Year's Day (observed)"
    assert date(2028, 1, 1) not in year
    assert Calendar("US", "WA").weekday_holidays(date(2027, 12, 30), date(2028, 1, 3)) == 1


def test_calendar_as_calendar_makes_bare_dates_agency_additions():
    calendar = as_calendar([date(2026, 3, 2), date(2026, 3, 2)])
    assert calendar == Calendar(additions=(Holiday(date(2026, 3, 2)),))
    assert calendar.closure(date(2026, 3, 2)) == Closure(date(2026, 3, 2), Closed.AGENCY)
    assert as_calendar(calendar) is calendar


@pytest.mark.parametrize(("country", "subdivision", "field", "fix"), [
    ("us", None, "country", "write 'US'"),
    ("USA", "WA", "country", "write 'US'"),
    ("XX", None, "country", "two-letter ISO 3166-1 code"),
    ("US", "Washington", "subdivision", "write 'WA'"),
    ("US", "wa", "subdivision", "write 'WA'"),
    ("US", "ZZ", "subdivision", "use one of AK, AL"),
])
def test_calendar_problem_names_the_fix(country, subdivision, field, fix):
    found, message = calendar_problem(country, subdivision)
    assert found == field and fix in message


def test_calendar_problem_none_for_known_names():
    assert calendar_problem("US", "TX") is None and calendar_problem("GB", None) is None


# (calendar YAML under requests:, text on the problem's line, part of the message)
ERRORS = {
    "unknown country": ("  calendar:\n    country: USA\n", "country: USA",
                        "no country 'USA': write 'US'"),
    "unknown subdivision": ("  calendar:\n    country: US\n    subdivision: Washington\n",
                            "subdivision: Washington", "no subdivision 'Washington' of US: "
                                                       "write 'WA'"),
    "subdivision without country": ("  calendar:\n    subdivision: WA\n", "subdivision: WA",
                                    "a subdivision needs its country"),
    "unknown calendar key": ("  calendar:\n    country: US\n    state: WA\n", "state: WA",
                             "allowed here: country, subdivision, additions, removals"),
    "addition without a name": ("  calendar:\n    additions:\n      - date: 2026-12-24\n",
                                "- date: 2026-12-24", "missing key 'name'"),
    "addition with a bad date": ("  calendar:\n    additions:\n      - date: 2026-02-30\n"
                                 "        name: Nope\n", "date: 2026-02-30", "must be a date"),
    "addition listed twice": ("  calendar:\n    additions:\n      - {date: 2026-12-24, name: A}"
                              "\n      - {date: 2026-12-24, name: B}\n", "name: B",
                              "addition 2026-12-24 is listed twice (first on line"),
    "removal listed twice": ("  calendar:\n    country: US\n    subdivision: WA\n"
                             "    removals:\n      - 2026-11-27\n      - 2026-11-27  # again\n",
                             "# again", "removal 2026-11-27 is listed twice"),
    "added and removed": ("  calendar:\n    country: US\n    subdivision: WA\n    additions:\n"
                          "      - {date: 2026-11-27, name: Closed}\n    removals: [2026-11-27]\n",
                          "name: Closed", "both added and removed"),
    "both forms": ("  holidays: [2026-12-24]\n  calendar:\n    country: US\n"
                   "    subdivision: WA\n", "holidays: [2026-12-24]",
                   "either as `calendar:` or as the older `holidays:` list, not both"),
    "legacy date listed twice": ("  holidays:\n    - 2026-12-24\n    - 2026-12-24  # twice\n",
                                 "# twice", "holiday 2026-12-24 is listed twice"),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_calendar_error_is_reported_at_its_line(write, case):
    lines, fragment, message = case
    text = with_requests(lines)
    path = write(text)
    matching = [p for p in check_policy(path) if message in p.message]
    assert matching, [str(p) for p in check_policy(path)]
    assert matching[0].severity is Severity.ERROR
    assert str(matching[0]).startswith(f"{path}:{line_of(text, fragment)}:")
    with pytest.raises(PolicyInvalid):
        load_policy(path)


# Problems that depend on the package's dates are warnings: a newer package must never
# make the archive's adopted policy unreadable.
WARNINGS = {
    "addition already a holiday": ("    additions:\n      - {date: 2026-11-26, name: TG}\n",
                                   "name: TG", "already Thanksgiving Day in the US-WA"),
    "addition on a weekend": ("    additions:\n      - {date: 2026-11-28, name: Sat}\n",
                              "name: Sat", "2026-11-28 is a Saturday"),
    "removal not a holiday": ("    removals: [2026-11-25]\n", "removals: [2026-11-25]",
                              "2026-11-25 is not a holiday of the US-WA calendar"),
}


@pytest.mark.parametrize("case", WARNINGS.values(), ids=WARNINGS.keys())
def test_calendar_package_dependent_problem_is_a_warning(write, case):
    lines, fragment, message = case
    text = with_requests("  calendar:\n    country: US\n    subdivision: WA\n" + lines)
    path = write(text)
    [problem] = check_policy(path)
    assert message in problem.message and problem.severity is Severity.WARNING
    assert problem.line == line_of(text, fragment)
    assert load_policy(path).requests.calendar.country == "US"


def test_calendar_other_state_than_the_jurisdiction_is_a_warning(write):
    text = with_requests("  calendar:\n    country: US\n    subdivision: TX\n")
    [problem] = check_policy(write(text))
    assert problem.severity is Severity.WARNING and problem.line == line_of(text, "TX")
    assert "jurisdiction is WA" in problem.message
    text = with_requests("  calendar:\n    country: US\n")
    [problem] = check_policy(write(text))
    assert problem.severity is Severity.WARNING and "add `subdivision: WA`" in problem.message


def test_calendar_older_holidays_list_loads_with_a_warning_to_migrate(write):
    text = with_requests("  holidays:\n    - 2026-12-25\n    - 2026-01-01\n")
    [problem] = check_policy(write(text))
    assert problem.severity is Severity.WARNING and problem.line == line_of(text, "holidays:")
    assert "name the calendar instead" in problem.message
    calendar = load_policy(write(text)).requests.calendar
    assert calendar == Calendar(additions=(Holiday(date(2026, 1, 1)), Holiday(date(2026, 12, 25))))
    assert calendar.closure(date(2026, 12, 25)).reason is Closed.AGENCY


def test_calendar_in_the_document_names_the_calendar_and_every_change(write):
    md = words(render_markdown(load_policy(write(with_requests(WASHINGTON_CALENDAR)))))
    assert ("Business days exclude Saturdays, Sundays and the official public holidays of "
            "Washington (US-WA), every year") in md
    assert "- Thursday 2026-12-24: Christmas Eve" in md
    assert ("The agency is open on these holidays, which count as business days: - Friday "
            "2026-11-27: Native American Heritage Day") in md
    assert "| Thursday 2026-11-26 | Thanksgiving Day | official |" in md
    assert "| Thursday 2026-12-31 | New Year's Eve | agency |" in md
    assert "Native American Heritage Day | official" not in md  # removed from 2026's table


def test_calendar_in_the_document_for_the_older_list_and_for_none(write):
    listed = words(render_markdown(load_policy(write(with_requests(
        "  holidays: [2026-12-25]\n")))))
    assert "Sundays and the holidays listed below." in listed
    assert "- Friday 2026-12-25: holiday" in listed
    none = words(render_markdown(load_policy(write(with_requests("")))))
    assert "the policy names no holiday calendar" in none


def test_calendar_examples_render_their_state_calendars():
    texas = words(render_markdown(load_policy(EXAMPLES / "texas-local.yaml")))
    assert "official public holidays of Texas (US-TX)" in texas
    assert "- Tuesday 2026-03-31: Cesar Chavez Day" in texas
    assert "| Tuesday 2026-04-21 | San Jacinto Day | official |" in texas
