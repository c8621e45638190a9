"""The checks of a policy file that its schema cannot express.

They read the plain data (before or despite type errors, so that one run reports every
problem) and return `Located` problems: references to series that do not exist,
duplicates, contradictory keys, high-risk moderation categories (an error) and clauses
(a warning), holiday calendars the
holidays package does not know, and assignment gaps and overlaps.

What depends on the installed holidays package's dates (an addition that is already a
holiday, a removal that is not one) is only a warning: the archive re-reads its adopted
policy, and a newer package must never make it unreadable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
# Removal reasons LAW.md rates "high risk: generally protected" (Cohen v. California 1971;
# Matal v. Tam 2017; Iancu v. Brunetti 2019; Robinson v. Hunt County 2019), and reasons that
# name a viewpoint ("negative", "criticism"): the moderation engine's own list.
from civicarchive.moderation.footing import HIGH_RISK_FOOTING, high_risk_clause, high_risk_word
from civicarchive.policy.calendar import calendar_problem, official_holidays
from civicarchive.policy.marks import KeyPath, Located, Marks
from civicarchive.policy.model import (OTHER_PLATFORM, AssignmentRule, Combination, Overlap,
                                       rules_report)

RULE_SETS = {"classifications": "classification", "platforms": "platform", "kinds": "kind",
             "tags": "tag"}


def semantic_problems(data: dict, marks: Marks) -> list[Located]:
    """Problems in `data` (the whole policy file) beyond types and unknown keys."""
    codes = _series_problems(data, marks, found := [])
    _rule_problems(data, marks, codes, found)
    _moderation_problems(data, marks, found)
    _office_problems(data, marks, found)
    requests = data.get("requests")
    if isinstance(requests, dict):
        _deadline_problems(requests, marks, found)
        _holiday_problems(requests, marks, found)
        _calendar_problems(requests, data.get("jurisdiction"), marks, found)
    return found


def coverage_problems(data: dict, marks: Marks,
                      rules: Sequence[AssignmentRule] | None) -> list[Located]:
    """Assignment gaps and overlaps, one problem per group; none if the rules are invalid."""
    if rules is None:
        return []
    overlaps, gaps = rules_report(rules)
    found = []
    groups: dict[tuple[int, ...], list[Overlap]] = {}
    for overlap in overlaps:
        groups.setdefault(overlap.rules, []).append(overlap)
    for indexes, items in groups.items():
        lines = [str(marks.line(("assignment", i))) for i in indexes]
        found.append(Located(
            marks.value(("assignment", indexes[-1])),
            f"assignment rules on lines {_and(lines)} give {len(items)} kind"
            f"{'' if len(items) == 1 else 's'} of record more than one series "
            f"({_and(items[0].series)}), for example {items[0].combination}: narrow the "
            f"rules (classifications, platforms, kinds or tags) so each record has one series"))
    by_classification: dict[Classification, list[Combination]] = {}
    for gap in gaps:
        by_classification.setdefault(gap.classification, []).append(gap)
    for classification, items in by_classification.items():
        found.append(Located(
            marks.key(("assignment",)),
            f"records of {classification.value} accounts match no series "
            f"{_describe(items, rules)}: add an assignment rule that covers them"))
    return found


def _series_problems(data: dict, marks: Marks, found: list[Located]) -> dict[str, KeyPath]:
    codes: dict[str, KeyPath] = {}
    for i, series in _items(data, "series"):
        path = ("series", i)
        code = series.get("code")
        if isinstance(code, str) and code in codes:
            found.append(Located(marks.value(path + ("code",)),
                                 f"series code {code!r} is already used on line "
                                 f"{marks.line(codes[code])}: give each series its own code"))
        elif isinstance(code, str):
            codes[code] = path + ("code",)
        trigger, event = series.get("trigger"), series.get("event")
        if trigger == "event" and event is None:
            found.append(Located(marks.value(path + ("trigger",)),
                                 "trigger 'event' needs the event's name: add `event: NAME` "
                                 "(for example taken_down)"))
        elif trigger in ("created", "account_closed") and event is not None:
            found.append(Located(marks.key(path + ("event",)),
                                 "event is only read when the trigger is 'event': remove it, "
                                 "or set `trigger: event`"))
    return codes


def _rule_problems(data: dict, marks: Marks, codes: dict[str, KeyPath],
                   found: list[Located]) -> None:
    referenced = set()
    for i, rule in _items(data, "assignment"):
        path = ("assignment", i)
        code = rule.get("series")
        if isinstance(code, str):
            referenced.add(code)
            if isinstance(data.get("series"), list) and code not in codes:
                known = ", ".join(codes) or "none"
                found.append(Located(marks.value(path + ("series",)),
                                     f"series {code!r} is not defined under `series` (defined: "
                                     f"{known}): fix the code or add the series"))
        for key, singular in RULE_SETS.items():
            if rule.get(key) == []:
                found.append(Located(marks.value(path + (key,)),
                                     f"an empty {key} list matches nothing: name at least one "
                                     f"{singular}, or remove the key to match every {singular}"))
        platforms = rule.get("platforms")
        if isinstance(platforms, list) and OTHER_PLATFORM in platforms:
            at = path + ("platforms", platforms.index(OTHER_PLATFORM))
            found.append(Located(marks.value(at),
                                 f"'{OTHER_PLATFORM}' stands for every platform the rules do "
                                 f"not name: remove `platforms` to match every platform"))
    if isinstance(data.get("assignment"), list):
        for code, path in codes.items():
            if code not in referenced:
                found.append(Located(marks.value(path),
                                     f"no assignment rule uses series {code!r}, so no record "
                                     f"is kept under it: add a rule or remove the series",
                                     warning=True))


def _moderation_problems(data: dict, marks: Marks, found: list[Located]) -> None:
    keys: dict[str, int] = {}
    for i, category in _items(data, "moderation"):
        path = ("moderation", i)
        _defined_once(keys, category.get("key"), path + ("key",), marks, found,
                      "moderation category", "keep one")
        risky = high_risk_word(str(category.get("key", "")), str(category.get("name", "")))
        if risky:
            found.append(Located(marks.value(path + ("key",)),
                                 f"a moderation category for {risky!r} speech is high risk: "
                                 f"such speech is generally protected ({HIGH_RISK_FOOTING}); "
                                 f"remove it and rely on objective categories such as "
                                 f"obscenity, true threats, off-topic or spam"))
            continue
        clause = category.get("clause")
        sentence = high_risk_clause(clause) if isinstance(clause, str) else None
        if sentence:
            found.append(Located(marks.value(path + ("clause",)),
                                 f"the clause removes comments for a high-risk reason "
                                 f"({high_risk_word(sentence)!r}: \"{sentence}\"), and such "
                                 f"speech is generally protected ({HIGH_RISK_FOOTING}): "
                                 f"word the clause by the legal test, or say that this alone "
                                 f"is never a reason for removal", warning=True))


def _defined_once(seen: dict[str, int], key: object, path: tuple, marks: Marks,
                  found: list[Located], what: str, advice: str) -> None:
    """Note where a key is defined, or report it when it was defined before."""
    if not isinstance(key, str):
        return
    if key in seen:
        found.append(Located(marks.value(path), f"{what} {key!r} is already defined on line "
                                                f"{seen[key]}: {advice}"))
    else:
        seen[key] = marks.line(path)


def _office_problems(data: dict, marks: Marks, found: list[Located]) -> None:
    """Offices named twice, and words listed twice (a list meant to hold each once)."""
    keys: dict[str, int] = {}
    for i, office in _items(data, "offices"):
        path = ("offices", i)
        _defined_once(keys, office.get("key"), path + ("key",), marks, found, "office",
                      "keep one, with every matter of its authority")
        for j, authority in _items(office, "authority"):
            _repeated_words(authority.get("terms"), path + ("authority", j, "terms"), marks,
                            found)
    personal = data.get("personal_accounts")
    if isinstance(personal, dict):
        _repeated_words(personal.get("agency_terms"), ("personal_accounts", "agency_terms"),
                        marks, found)


def _repeated_words(words: object, at: KeyPath, marks: Marks, found: list[Located]) -> None:
    seen: dict[str, int] = {}
    for i, word in enumerate(words if isinstance(words, list) else []):
        if not isinstance(word, str):
            continue  # the schema reports it
        folded = " ".join(word.lower().split())
        if folded in seen:
            found.append(Located(marks.value(at + (i,)),
                                 f"{word!r} is listed twice (first on line {seen[folded]}): "
                                 f"remove one", warning=True))
        else:
            seen[folded] = marks.line(at + (i,))


def _deadline_problems(requests: dict, marks: Marks, found: list[Located]) -> None:
    for i, deadline in _items(requests, "deadlines"):
        path = ("requests", "deadlines", i)
        has_business, has_calendar = "business_days" in deadline, "calendar_days" in deadline
        if has_business and has_calendar:
            found.append(Located(marks.key(path + ("calendar_days",)),
                                 "give either business_days or calendar_days, not both"))
        elif not (has_business or has_calendar):
            found.append(Located(marks.value(path),
                                 "this deadline has no time limit: add `business_days: N` "
                                 "or `calendar_days: N`"))


def _holiday_problems(requests: dict, marks: Marks, found: list[Located]) -> None:
    holidays = requests.get("holidays")
    if not isinstance(holidays, list):
        return
    _duplicate_days(holidays, ("requests", "holidays"), "holiday", marks, found)
    if "calendar" in requests:
        found.append(Located(marks.key(("requests", "holidays")),
                             "give the holidays either as `calendar:` or as the older "
                             "`holidays:` list, not both: move these dates to "
                             "`calendar: additions:`, each with its name"))
    elif holidays:
        found.append(Located(marks.key(("requests", "holidays")),
                             "`holidays` lists days by hand, so every other year has none: "
                             "name the calendar instead (`calendar: {country: US, "
                             "subdivision: WA}`) and move the agency's own closures to "
                             "`calendar: additions:` (see docs/policy.md)", warning=True))


def _calendar_problems(requests: dict, jurisdiction: object, marks: Marks,
                       found: list[Located]) -> None:
    calendar = requests.get("calendar")
    if not isinstance(calendar, dict):
        return  # absent, or the schema reports it
    at = ("requests", "calendar")
    country, subdivision = calendar.get("country"), calendar.get("subdivision")
    known = False  # whether the package knows the country and subdivision
    if isinstance(country, str) and country and (subdivision is None or
                                                  isinstance(subdivision, str)):
        problem = calendar_problem(country, subdivision)
        if problem is not None:
            key, message = problem
            found.append(Located(marks.value(at + (key,)), message))
        known = problem is None
    elif country is None and subdivision is not None:
        found.append(Located(marks.key(at + ("subdivision",)),
                             "a subdivision needs its country: add `country: US` (or the "
                             "country's two-letter code) to the calendar"))
    if known and isinstance(jurisdiction, str) and jurisdiction != subdivision:
        _jurisdiction_problem(country, subdivision, jurisdiction, at, marks, found)
    official = ((lambda year: official_holidays(country, subdivision, year)) if known
                else (lambda year: {}))
    _dated_problems(calendar, official, _named(country, subdivision) if known else "",
                    at, marks, found)


def _dated_problems(calendar: dict, official: Callable[[int], Mapping[date, str]], named: str,
                    at: KeyPath, marks: Marks, found: list[Located]) -> None:
    additions = calendar.get("additions")
    removals = calendar.get("removals")
    removals = removals if isinstance(removals, list) else []
    added = [item.get("date") if isinstance(item, dict) else None
             for item in (additions if isinstance(additions, list) else [])]
    _duplicate_days(added, at + ("additions",), "addition", marks, found, ("date",))
    _duplicate_days(removals, at + ("removals",), "removal", marks, found)
    for i, day in enumerate(added):
        if not isinstance(day, date):
            continue
        place = marks.value(at + ("additions", i, "date"))
        if day in removals:
            found.append(Located(place, f"{day} is both added and removed: keep one"))
        elif day.weekday() >= 5:
            found.append(Located(place, f"{day} is a {day:%A}, never a business day: the "
                                        f"addition changes nothing; check the date",
                                 warning=True))
        elif name := official(day.year).get(day):
            found.append(Located(place, f"{day} is already {name} in the {named} calendar: "
                                        f"remove the addition", warning=True))
    for i, day in enumerate(removals):
        if named and isinstance(day, date) and day not in official(day.year):
            found.append(Located(marks.value(at + ("removals", i)),
                                 f"{day} is not a holiday of the {named} calendar, so "
                                 f"removing it changes nothing: check the date", warning=True))


def _jurisdiction_problem(country: str, subdivision: str | None, jurisdiction: str,
                          at: tuple, marks: Marks, found: list[Located]) -> None:
    if calendar_problem(country, jurisdiction) is not None:
        return  # the jurisdiction is not a subdivision of this country
    if subdivision is None:
        found.append(Located(marks.value(at), f"the calendar has {country}'s national holidays"
                                              f" only: add `subdivision: {jurisdiction}` for "
                                              f"the holidays of {jurisdiction}, the policy's "
                                              f"jurisdiction", warning=True))
    else:
        found.append(Located(marks.value(at + ("subdivision",)),
                             f"the calendar is {subdivision}'s but the policy's jurisdiction "
                             f"is {jurisdiction}: check which state's holidays apply",
                             warning=True))


def _duplicate_days(days: list, at: KeyPath, what: str, marks: Marks, found: list[Located],
                    inner: KeyPath = ()) -> None:
    seen: dict[date, int] = {}
    for i, day in enumerate(days):
        if not isinstance(day, date):
            continue  # the schema reports it
        place = at + (i,) + inner
        if day in seen:
            found.append(Located(marks.value(place), f"{what} {day} is listed twice (first "
                                                     f"on line {seen[day]}): remove one"))
        else:
            seen[day] = marks.line(place)


def _named(country: str, subdivision: str | None) -> str:
    return f"{country}-{subdivision}" if subdivision else country


def _items(data: dict, key: str) -> list[tuple[int, dict]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _and(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _describe(gaps: list[Combination], rules: Sequence[AssignmentRule]) -> str:
    """'on any platform', or which platforms and kinds, e.g. 'on x (post, reply)'."""
    platforms = sorted({p for rule in rules for p in (rule.platforms or ())} | {OTHER_PLATFORM})
    by_platform: dict[str, list[Kind]] = {}
    for gap in gaps:
        by_platform.setdefault(gap.platform, []).append(gap.kind)
    if len(gaps) == len(platforms) * len(Kind):
        return "on any platform"
    parts = []
    for platform, kinds in sorted(by_platform.items()):
        listing = "every kind" if len(kinds) == len(Kind) else ", ".join(k.value for k in kinds)
        parts.append(f"{platform} ({listing})")
    return "on " + "; ".join(parts)
