"""Load and check an agency policy file (YAML), reporting every problem with its place.

The file is composed with `yaml.compose` so that every key and value keeps its line and
column; the data is then validated by pydantic models (unknown keys are errors) and by the
checks pydantic cannot express (series references, duplicates, assignment gaps and
overlaps). Every problem is collected, never only the first, and reads
`file:line:column: message`, the message saying what to change.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, get_args

import yaml
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from civicarchive.errors import InvalidInput
from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.model.request import RequestStatus
from civicarchive.policy import model as m
from civicarchive.policy.calendar import Calendar, Holiday
from civicarchive.policy.checks import RULE_SETS, coverage_problems, semantic_problems
from civicarchive.policy.marks import Located, MarkedReader, Marks

Count = Annotated[int, Field(strict=True, ge=0)]
Days = Annotated[int, Field(strict=True, ge=1)]
# Bounds that keep every date the archive computes from them within the calendar
# (datetime ends at year 9999): a period past them is a typo, refused here, not a crash
# when a request is logged or retention is reviewed.
DeadlineDays = Annotated[int, Field(strict=True, ge=1, le=3660)]
Flag = Annotated[bool, Field(strict=True)]
Text = Annotated[str, Field(min_length=1)]
Word = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class PolicyProblem:
    source: str
    line: int  # 1-based
    column: int  # 1-based
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        warning = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.source}:{self.line}:{self.column}: {warning}{self.message}"


class PolicyInvalid(InvalidInput):
    """A policy file with problems; `problems` lists them all."""

    def __init__(self, source: str, problems: list[PolicyProblem]) -> None:
        errors = [p for p in problems if p.severity is Severity.ERROR]
        listing = "\n".join(str(p) for p in problems)
        super().__init__(f"{source} has {len(errors)} problem{'' if len(errors) == 1 else 's'}"
                         f"; fix them and check again with `civicarchive policy check "
                         f"{source}`:\n{listing}")
        self.source = source
        self.problems = problems


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetentionIn(_In):
    years: Annotated[Count, Field(le=1000)] = 0
    months: Annotated[Count, Field(le=12_000)] = 0
    days: Annotated[Count, Field(le=366_000)] = 0


class SeriesIn(_In):
    code: Text
    title: Text
    citation: Text
    retention: RetentionIn
    trigger: m.Trigger
    event: Word | None = None
    disposition: m.DispositionAction
    uncertain: Text | None = None


class RuleIn(_In):
    series: Text
    classifications: list[Classification] | None = None
    platforms: list[Word] | None = None
    kinds: list[Kind] | None = None
    tags: list[Word] | None = None


class CategoryIn(_In):
    key: Word
    name: Text
    clause: Text
    action: m.ModerationAction
    footing: Text


class ProvisionIn(_In):
    text: Text
    citation: Text | None = None
    uncertain: Text | None = None


class RegistrationIn(_In):
    required_for: list[Classification]
    acknowledgement_required: Flag
    acknowledgement_valid_days: Days | None = None


class TrainingIn(_In):
    required: Flag
    renew_every_days: Days | None = None


class DeadlineIn(_In):
    name: Text
    business_days: DeadlineDays | None = None
    calendar_days: DeadlineDays | None = None
    citation: Text
    uncertain: Text | None = None
    met_by: list[RequestStatus] = []


class HolidayIn(_In):
    date: dt.date
    name: Text


class CalendarIn(_In):
    country: Text | None = None  # checks.py checks it and `subdivision` with the package
    subdivision: Text | None = None
    additions: list[HolidayIn] = []
    removals: list[dt.date] = []


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f"unknown time zone {name!r}: give an IANA name such as "
                         "America/Los_Angeles") from None
    return name


class RequestsIn(_In):
    deadlines: list[DeadlineIn]
    calendar: CalendarIn | None = None
    holidays: list[dt.date] = []  # the older form: bare dates typed in by hand
    after_hours_next_business_day: Flag
    day_counting: ProvisionIn | None = None
    exemptions: list[ProvisionIn] = []
    redaction: ProvisionIn | None = None
    notes: list[ProvisionIn] = []
    # The agency's local time (IANA name), in which a request's day of receipt is read;
    # when absent, the open archive's `timezone`, when that section is given.
    timezone: Annotated[str, AfterValidator(_zone)] | None = None


class PersonalAccountsIn(_In):
    approach: m.PersonalAccounts
    duties: list[ProvisionIn] = []
    agency_terms: list[Text] = []


class AuthorityIn(_In):
    matter: Text
    terms: Annotated[list[Text], Field(min_length=1)]
    citation: Text
    uncertain: Text | None = None


class OfficeIn(_In):
    key: Word
    title: Text
    authority: list[AuthorityIn]


class DispositionIn(_In):
    two_person_approval: Flag


class PublicArchiveIn(_In):
    published: Flag
    accounts: list[Classification] = [Classification.AGENCY,
                                      Classification.OFFICIAL_PROFESSIONAL]
    comments: Flag = True
    embargo_days: Annotated[int, Field(ge=0, le=3650)] = 0
    deleted: m.DeletedShown = m.DeletedShown.NOTICE
    hidden: m.HiddenShown = m.HiddenShown.HIDE
    timezone: Annotated[str, AfterValidator(_zone)] = "UTC"
    notes: list[ProvisionIn] = []


class PolicyIn(_In):
    agency: Text
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    records_officer: Text
    series: Annotated[list[SeriesIn], Field(min_length=1)]
    assignment: Annotated[list[RuleIn], Field(min_length=1)]
    moderation: list[CategoryIn]
    registration: RegistrationIn
    training: TrainingIn
    requests: RequestsIn
    personal_accounts: PersonalAccountsIn
    disposition: DispositionIn
    records_notes: list[ProvisionIn] = []
    offices: list[OfficeIn] = []
    keywords: list[Text] = []
    public_archive: PublicArchiveIn | None = None


def check_policy(path: str | Path) -> list[PolicyProblem]:
    """Every problem in the policy file at `path`, in file order (empty when clean)."""
    return _check(_read(path), str(path))[1]


def load_policy(path: str | Path) -> m.Policy:
    """The policy in the file at `path`; raises PolicyInvalid (an InvalidInput) listing
    every error. Warnings do not stop loading."""
    return parse_policy(_read(path), str(path))


def parse_policy(text: str, source: str = "<policy>") -> m.Policy:
    """The policy in YAML `text`; `source` names it in problem messages."""
    policy, problems = _check(text, source)
    if policy is None:
        raise PolicyInvalid(source, problems)
    return policy


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no policy file at {path}: check the path, or start from an "
                           f"example in civicarchive/policy/examples/") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read the policy file {path} ({error}): make sure it "
                           f"is a readable UTF-8 text file") from None


def _check(text: str, source: str) -> tuple[m.Policy | None, list[PolicyProblem]]:
    found: list[Located] = []
    data, marks = None, Marks()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:  # syntax, or a character YAML does not allow
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        reason = getattr(error, "problem", None) or getattr(error, "context", None) or error
        at = (mark.line, mark.column) if mark else _place(text, getattr(error, "position", 0))
        found.append(Located(at, f"not valid YAML ({' '.join(str(reason).split())}): fix "
                                 f"the text at this place"))
        root = None
    if root is None and not found:
        found.append(Located((0, 0), "the file is empty: start from an example in "
                                     "civicarchive/policy/examples/"))
    if root is not None:
        data = MarkedReader(marks, found).plain(root)
        if not isinstance(data, dict):
            found.append(Located(marks.value(()), "the policy must be a mapping of keys "
                                                  "(agency, series, assignment, ...)"))
    validated = None
    if isinstance(data, dict):
        try:
            validated = PolicyIn.model_validate(data)
        except ValidationError as error:
            found += [_located(e, marks) for e in error.errors()]
        found += semantic_problems(data, marks)
        found += coverage_problems(data, marks, _rules(data.get("assignment")))
    problems = sorted((_problem(source, item) for item in found),
                      key=lambda p: (p.line, p.column))
    errors = [p for p in problems if p.severity is Severity.ERROR]
    policy = _policy(validated) if validated is not None and not errors else None
    return policy, problems


def _place(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n"), position - (before.rfind("\n") + 1)


def _problem(source: str, item: Located) -> PolicyProblem:
    line, column = item.at
    return PolicyProblem(source, line + 1, column + 1, item.message,
                         Severity.WARNING if item.warning else Severity.ERROR)


def _rules(raw: object) -> list[m.AssignmentRule] | None:
    try:
        rules = TypeAdapter(list[RuleIn]).validate_python(raw)
    except ValidationError:
        return None  # the full validation reports why
    return [_rule(rule) for rule in rules]


def _rule(rule: RuleIn) -> m.AssignmentRule:
    def as_set(values: list | None) -> frozenset | None:
        return None if values is None else frozenset(values)
    return m.AssignmentRule(rule.series, as_set(rule.classifications), as_set(rule.platforms),
                            as_set(rule.kinds), as_set(rule.tags))


def _provision(p: ProvisionIn | None) -> m.Provision | None:
    return None if p is None else m.Provision(p.text, p.citation, p.uncertain)


def _provisions(items: list[ProvisionIn]) -> tuple[m.Provision, ...]:
    return tuple(_provision(p) for p in items)


def _calendar(r: RequestsIn) -> Calendar:
    # The older `holidays:` list becomes additions without names (checks.py refuses a
    # file that gives it together with `calendar:`).
    c = r.calendar or CalendarIn()
    additions = [Holiday(h.date, h.name) for h in c.additions]
    additions += [Holiday(day) for day in r.holidays]
    return Calendar(c.country, c.subdivision, tuple(sorted(additions, key=lambda h: h.day)),
                    tuple(sorted(c.removals)))


def _policy(p: PolicyIn) -> m.Policy:
    series = tuple(m.RecordSeries(s.code, s.title, s.citation,
                                  m.Retention(s.retention.years, s.retention.months,
                                              s.retention.days),
                                  s.trigger, s.disposition, s.event, s.uncertain)
                   for s in p.series)
    deadlines = tuple(m.Deadline(d.name, d.business_days or d.calendar_days or 0,
                                 m.DayCount.BUSINESS if d.business_days else m.DayCount.CALENDAR,
                                 d.citation, d.uncertain, frozenset(d.met_by))
                      for d in p.requests.deadlines)
    requests = m.Requests(deadlines, _calendar(p.requests),
                          p.requests.after_hours_next_business_day,
                          _provision(p.requests.day_counting),
                          _provisions(p.requests.exemptions), _provision(p.requests.redaction),
                          _provisions(p.requests.notes),
                          p.requests.timezone or (p.public_archive.timezone
                                                  if p.public_archive else None))
    return m.Policy(
        agency=p.agency, jurisdiction=p.jurisdiction, records_officer=p.records_officer,
        series=series, assignment=tuple(_rule(rule) for rule in p.assignment),
        moderation=tuple(m.ModerationCategory(c.key, c.name, c.clause, c.action, c.footing)
                         for c in p.moderation),
        registration=m.Registration(frozenset(p.registration.required_for),
                                    p.registration.acknowledgement_required,
                                    p.registration.acknowledgement_valid_days),
        training=m.Training(p.training.required, p.training.renew_every_days),
        requests=requests,
        personal_accounts=m.OfficialsPersonalAccounts(
            p.personal_accounts.approach, _provisions(p.personal_accounts.duties),
            tuple(p.personal_accounts.agency_terms)),
        disposition=m.DispositionRules(p.disposition.two_person_approval),
        records_notes=_provisions(p.records_notes),
        offices=tuple(m.Office(o.key, o.title, tuple(
            m.Authority(a.matter, tuple(a.terms), a.citation, a.uncertain)
            for a in o.authority)) for o in p.offices),
        keywords=tuple(dict.fromkeys(" ".join(k.split()) for k in p.keywords)),
        public_archive=_public_archive(p.public_archive))


def _public_archive(p: PublicArchiveIn | None) -> m.PublicArchive:
    if p is None:
        return m.PublicArchive()
    return m.PublicArchive(published=p.published,
                           accounts=frozenset(c.value for c in p.accounts),
                           comments=p.comments, embargo_days=p.embargo_days,
                           deleted=p.deleted, hidden=p.hidden, timezone=p.timezone,
                           notes=_provisions(p.notes))


# pydantic error -> message that says what to do --------------------------------------

def _located(error: dict, marks: Marks) -> Located:
    loc = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    field = next((str(part) for part in reversed(loc) if isinstance(part, str)), "value")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return Located(marks.key(loc), f"unknown key {loc[-1]!r}: remove it or fix its "
                                       f"spelling (allowed here: {', '.join(allowed)})")
    return Located(marks.value(loc), _message(kind, field, value, error))


def _message(kind: str, field: str, value: object, error: dict) -> str:
    ctx = error.get("ctx", {})
    if kind == "missing":
        return f"missing key {field!r}: add it here"
    if kind == "enum":
        field = RULE_SETS.get(field, field)
        return f"unknown {field} {value!r}: use one of {ctx.get('expected')}"
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return f"{field} cannot be negative ({value}): give a whole number of 0 or more"
    if kind == "greater_than_equal":
        return f"{field} must be {ctx.get('ge')} or more, not {value!r}"
    if kind == "less_than_equal":
        return f"{field} must be {ctx.get('le')} or less, not {value!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{field} must be a whole number, not {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{field} must be true or false, not {value!r}"
    if kind in ("string_type",):
        return f"{field} must be text, not {value!r}: put it in quotes"
    if kind == "string_too_short":
        return f"{field} must not be empty"
    if kind.startswith("date"):
        return f"{field} must be a date written like 2026-01-01, not {value!r}"
    if kind in ("list_type", "tuple_type"):
        return f"{field} must be a list (lines starting with '- ')"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{field} must be a mapping of keys to values"
    if kind == "too_short":
        return f"{field} must list at least one entry"
    if kind == "string_pattern_mismatch" and field == "jurisdiction":
        return f"jurisdiction must be a two-letter state code like WA, not {value!r}"
    if kind == "string_pattern_mismatch":
        return (f"{field} must be a lowercase word (letters, digits, '_', '-', '.'), "
                f"not {value!r}")
    return f"{field}: {error['msg']}"


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] | None = PolicyIn
    for part in loc:
        if isinstance(part, str) and model is not None:
            info = model.model_fields.get(part)
            model = _inner_model(info.annotation) if info else None
    return list(model.model_fields) if model else []


def _inner_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if (found := _inner_model(arg)) is not None:
            return found
    return None
