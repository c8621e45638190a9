"""The agency social media policy as frozen values, and which record series a record falls in.

No I/O here: `civicarchive.policy.schema` loads a policy file into these values and
`civicarchive.policy.document` renders them as the human-readable policy.

A record's series comes from the assignment rules: a rule matches a record when every set
the rule gives contains the record's value (a rule without `platforms` matches every
platform, and so on; a rule with `tags` matches a record carrying at least one of them).
There is no precedence: a record matched by rules naming two different series is an
overlap, a record matched by none is a gap, and `assignment_report` finds both.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product

from civicarchive.errors import InvalidInput
from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.model.request import RequestStatus
from civicarchive.policy.calendar import Calendar

# Stands for every platform the assignment rules do not name.
OTHER_PLATFORM = "other"


class Trigger(enum.StrEnum):
    """What starts the retention period."""

    CREATED = "created"
    ACCOUNT_CLOSED = "account_closed"
    EVENT = "event"


class DispositionAction(enum.StrEnum):
    """What happens to a record when its retention ends."""

    DESTROY = "destroy"
    TRANSFER_TO_STATE_ARCHIVES = "transfer_to_state_archives"


class ModerationAction(enum.StrEnum):
    HIDE = "hide"
    REMOVE = "remove"


class DayCount(enum.StrEnum):
    BUSINESS = "business"
    CALENDAR = "calendar"


class PersonalAccounts(enum.StrEnum):
    """How the agency treats officials' personal accounts."""

    NEVER_FOR_BUSINESS = "never_for_business"
    SEPARATE_PROFESSIONAL = "separate_professional"
    REGISTERED_AND_ARCHIVED = "registered_and_archived"


@dataclass(frozen=True)
class Retention:
    years: int = 0
    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = [f"{n} {unit}{'' if n == 1 else 's'}"
                 for n, unit in ((self.years, "year"), (self.months, "month"),
                                 (self.days, "day")) if n]
        return " ".join(parts) or "0 days"


@dataclass(frozen=True)
class RecordSeries:
    """One item of a retention schedule, as the agency applies it."""

    code: str
    title: str
    citation: str
    retention: Retention
    trigger: Trigger
    disposition: DispositionAction
    event: str | None = None  # the event's name when trigger is EVENT
    uncertain: str | None = None  # what is not confirmed against the official text


@dataclass(frozen=True)
class AssignmentRule:
    """Records matching every given set belong to `series`; None means "any"."""

    series: str
    classifications: frozenset[Classification] | None = None
    platforms: frozenset[str] | None = None
    kinds: frozenset[Kind] | None = None
    tags: frozenset[str] | None = None

    def matches(self, classification: Classification, platform: str, kind: Kind,
                tags: frozenset[str] = frozenset()) -> bool:
        return ((self.classifications is None or classification in self.classifications)
                and (self.platforms is None or platform in self.platforms)
                and (self.kinds is None or kind in self.kinds)
                and (self.tags is None or bool(self.tags & tags)))


@dataclass(frozen=True)
class ModerationCategory:
    """A reason the agency may hide or remove a comment, with the clause it adopts."""

    key: str
    name: str
    clause: str
    action: ModerationAction
    footing: str  # the legal footing, with citations


@dataclass(frozen=True)
class Provision:
    """A rule or fact with its citation: an exemption, a duty, a note."""

    text: str
    citation: str | None = None
    uncertain: str | None = None


@dataclass(frozen=True)
class Registration:
    required_for: frozenset[Classification]
    acknowledgement_required: bool
    acknowledgement_valid_days: int | None = None  # None: does not expire


@dataclass(frozen=True)
class Training:
    required: bool
    renew_every_days: int | None = None  # None: once


@dataclass(frozen=True)
class Deadline:
    name: str
    days: int
    count: DayCount
    citation: str
    uncertain: str | None = None
    # The statuses that answer this deadline once the request has entered one (a first
    # response may be an acknowledgement); a produced, closed or withdrawn request answers
    # every deadline.
    met_by: frozenset[RequestStatus] = frozenset()

    def __str__(self) -> str:
        return f"{self.days} {self.count.value} day{'' if self.days == 1 else 's'}"


@dataclass(frozen=True)
class Requests:
    """Records-request deadlines and how days are counted."""

    deadlines: tuple[Deadline, ...]
    calendar: Calendar
    after_hours_next_business_day: bool
    day_counting: Provision | None = None
    exemptions: tuple[Provision, ...] = ()
    redaction: Provision | None = None
    notes: tuple[Provision, ...] = ()
    timezone: str | None = None  # IANA name: a request's day of receipt is read in it


@dataclass(frozen=True)
class OfficialsPersonalAccounts:
    approach: PersonalAccounts
    duties: tuple[Provision, ...] = ()
    # Words and phrases that mark a post as the agency's business (compliance/).
    agency_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Authority:
    """A matter on which an office may speak for the agency, and where that power comes
    from: the actual authority of Lindke v. Freed's first step."""

    matter: str
    terms: tuple[str, ...]  # words and phrases that show a post is about the matter
    citation: str           # charter, ordinance or delegation
    uncertain: str | None = None


@dataclass(frozen=True)
class Office:
    """An office an official or staff member holds, with its actual authority (none: the
    office alone may not speak for the agency on any matter)."""

    key: str
    title: str
    authority: tuple[Authority, ...] = ()


@dataclass(frozen=True)
class DispositionRules:
    two_person_approval: bool


class DeletedShown(enum.StrEnum):
    NOTICE = "notice"  # shown with a notice that it was deleted, and when
    HIDE = "hide"      # left out of the public archive


class HiddenShown(enum.StrEnum):
    HIDE = "hide"      # a comment hidden by moderation stays out of the public archive
    NOTICE = "notice"  # shown as "a comment hidden under the moderation policy", no text


@dataclass(frozen=True)
class PublicArchive:
    """What the open archive shows, and from when. Direct messages are never shown,
    whatever is written here; nor are records withheld or text redacted by staff."""

    published: bool = False
    accounts: frozenset[str] = frozenset({"agency", "official_professional"})
    comments: bool = True
    embargo_days: int = 0
    deleted: DeletedShown = DeletedShown.NOTICE
    hidden: HiddenShown = HiddenShown.HIDE
    timezone: str = "UTC"  # IANA name: the agency's local time, for requests made online
    notes: tuple[Provision, ...] = ()


@dataclass(frozen=True)
class Policy:
    agency: str
    jurisdiction: str  # two-letter state code, e.g. "WA"
    records_officer: str  # the title, e.g. "Public Records Officer"
    series: tuple[RecordSeries, ...]
    assignment: tuple[AssignmentRule, ...]
    moderation: tuple[ModerationCategory, ...]
    registration: Registration
    training: Training
    requests: Requests
    personal_accounts: OfficialsPersonalAccounts
    disposition: DispositionRules
    records_notes: tuple[Provision, ...] = ()
    offices: tuple[Office, ...] = ()
    keywords: tuple[str, ...] = ()  # words or phrases the agency wants an alert for
    public_archive: PublicArchive = PublicArchive()  # absent: nothing is published

    def named_platforms(self) -> frozenset[str]:
        return named_platforms(self.assignment)

    def office(self, key: str) -> Office:
        """The office with this key; InvalidInput naming the offices otherwise."""
        for office in self.offices:
            if office.key == key:
                return office
        known = ", ".join(o.key for o in self.offices) or "none: add an `offices:` section"
        raise InvalidInput(f"the policy defines no office {key!r} (offices: {known})",
                           parameter="office")


@dataclass(frozen=True)
class Combination:
    """One kind of record, as the assignment report enumerates them."""

    classification: Classification
    platform: str
    kind: Kind
    tags: frozenset[str] = frozenset()

    def __str__(self) -> str:
        tags = "".join(f" +{tag}" for tag in sorted(self.tags))
        return f"{self.classification.value}/{self.platform}/{self.kind.value}{tags}"


@dataclass(frozen=True)
class Overlap:
    combination: Combination
    series: tuple[str, ...]  # the distinct series codes, in rule order
    rules: tuple[int, ...]  # indexes of the matching rules


def named_platforms(rules: Iterable[AssignmentRule]) -> frozenset[str]:
    return frozenset(p for rule in rules for p in (rule.platforms or ()))


def matching_rules(rules: Sequence[AssignmentRule], classification: Classification | str,
                   platform: str, kind: Kind | str, tags: Iterable[str] = ()) -> tuple[int, ...]:
    """Indexes of the rules that match this record. Rules naming tags are more specific:
    when one of them matches, the rules without tags do not apply, so a tag can move an
    account's records to another series without the general rule overlapping it."""
    try:
        classification, kind = Classification(classification), Kind(kind)
    except ValueError as error:
        raise InvalidInput(f"{error}: use a classification among "
                           f"{', '.join(Classification)} and a kind among "
                           f"{', '.join(Kind)}") from None
    tags = frozenset(tags)
    platform = platform.lower()
    matched = tuple(i for i, rule in enumerate(rules)
                    if rule.matches(classification, platform, kind, tags))
    tagged = tuple(i for i in matched if rules[i].tags is not None)
    return tagged or matched


def series_for(policy: Policy, classification: Classification | str, platform: str,
               kind: Kind | str, tags: Iterable[str] = ()) -> list[RecordSeries]:
    """Every series whose rules match this record, in rule order, each once.

    One series is the healthy answer; none is a gap and several an overlap, which the
    caller should show to the records officer rather than guess.
    """
    by_code = {series.code: series for series in policy.series}
    found: list[RecordSeries] = []
    for i in matching_rules(policy.assignment, classification, platform, kind, tags):
        code = policy.assignment[i].series
        if code not in by_code:
            raise InvalidInput(f"assignment rule {i + 1} names series {code!r}, which the "
                               f"policy does not define: run `civicarchive policy check` "
                               f"on the policy file and fix it")
        if by_code[code] not in found:
            found.append(by_code[code])
    return found


def _distinct(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def rules_report(rules: Sequence[AssignmentRule], platforms: Iterable[str] = ()
                 ) -> tuple[tuple[Overlap, ...], tuple[Combination, ...]]:
    """(overlaps, gaps) over every classification x platform x kind.

    Platforms are those given, those the rules name, and OTHER_PLATFORM. Gaps are looked
    for in records without tags (a tag only narrows the rules that apply to one that
    names it). Overlaps are looked for in records without tags and in records carrying
    each single tag the rules name.
    """
    platform_names = sorted({p.lower() for p in platforms} | named_platforms(rules)
                            | {OTHER_PLATFORM})
    tag_sets = [frozenset()] + [frozenset({tag}) for tag in
                                sorted({t for rule in rules for t in (rule.tags or ())})]
    overlaps: list[Overlap] = []
    gaps: list[Combination] = []
    for classification, platform, kind, tags in product(Classification, platform_names,
                                                        Kind, tag_sets):
        combination = Combination(classification, platform, kind, tags)
        matched = matching_rules(rules, classification, platform, kind, tags)
        codes = _distinct(rules[i].series for i in matched)
        if not matched and not tags:
            gaps.append(combination)
        elif len(codes) > 1:
            overlaps.append(Overlap(combination, codes, matched))
    return tuple(overlaps), tuple(gaps)


def assignment_report(policy: Policy, platforms: Iterable[str] = ()
                      ) -> tuple[tuple[Overlap, ...], tuple[Combination, ...]]:
    """(overlaps, gaps) of the policy's assignment rules; see `rules_report`."""
    return rules_report(policy.assignment, platforms)
