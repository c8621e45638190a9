"""The human-readable social media policy, rendered from a Policy as Markdown, HTML or PDF,
and the difference between two policy files in both forms.

The words are composed once, as sections of plain-text blocks (`policy_sections`); the
Markdown and HTML writers only escape and mark them up, and the PDF is WeasyPrint's
rendering of the HTML with every URL fetch refused (the document references none).
"""

from __future__ import annotations

import difflib
from datetime import date
import enum
from pathlib import Path

from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.policy.calendar import Calendar, Closed, subdivision_name
from civicarchive.policy.model import (DayCount, DispositionAction, ModerationAction,
                                       PersonalAccounts, Policy, Provision, Trigger)
from civicarchive.policy.prose import (Bullets, Definitions, Paragraph, Section, Table,
                                       to_html, to_markdown, to_pdf)
from civicarchive.policy.schema import load_policy

ACCOUNTS = {
    Classification.AGENCY: "agency accounts",
    Classification.OFFICIAL_PROFESSIONAL: "officials' professional accounts",
    Classification.OFFICIAL_PERSONAL: "officials' personal accounts used for public business",
    Classification.EMPLOYEE: "employees' accounts used for agency business",
}
RECORDS = {Kind.POST: "posts", Kind.COMMENT: "comments", Kind.REPLY: "replies",
           Kind.MESSAGE: "direct messages", Kind.MEDIA: "media files",
           Kind.PROFILE: "profile information"}
DISPOSITION = {DispositionAction.DESTROY: "Destroy",
               DispositionAction.TRANSFER_TO_STATE_ARCHIVES: "Transfer to the State Archives"}
ACTION = {ModerationAction.HIDE: "hidden", ModerationAction.REMOVE: "removed"}

VIEWPOINT = ("Viewpoint is never a reason for hiding or removing a comment. Criticism of the "
             "agency, its officials, its employees or its decisions is protected speech and "
             "stays up, however strongly it is put.")
BLOCKING = ("Blocking a person is a last resort. A block shuts a person out of the whole page, "
            "so it is judged more strictly than hiding one comment (O'Connor-Ratcliff v. "
            "Garnier, remanded 2024), and blocking someone for their views is viewpoint "
            "discrimination (Davison v. Randall, 4th Cir. 2019). A block is considered only "
            "when hiding or removing individual comments under the categories above has not "
            "worked, and is kept as short and narrow as it can be.")
KEPT = ("Hidden and removed comments are not destroyed: the archive keeps each one as a public "
        "record, with the category relied on, who acted and when, for as long as its record "
        "series requires.")
APPROACH = {
    PersonalAccounts.NEVER_FOR_BUSINESS: (
        "Officials' personal accounts are never used for agency business. Officials and "
        "employees do not conduct agency business on personal accounts. If agency business "
        "appears on one anyway, that content is a public record: tell the {officer} at once "
        "so that it can be preserved."),
    PersonalAccounts.SEPARATE_PROFESSIONAL: (
        "Officials keep a separate professional account for agency business. An official who "
        "speaks about agency business on social media does so from a professional account "
        "registered under this policy and kept by the archive; the official's personal "
        "account stays personal. If agency business appears on a personal account anyway, "
        "that content is a public record: tell the {officer} at once so that it can be "
        "preserved."),
    PersonalAccounts.REGISTERED_AND_ARCHIVED: (
        "Officials may speak about agency business from a personal account only after "
        "registering that account under this policy; the archive then captures it like an "
        "agency account. What an official posts there about agency business is kept as a "
        "public record; purely personal posts are not agency records."),
}


class DocumentFormat(enum.StrEnum):
    MD = "md"
    HTML = "html"
    PDF = "pdf"


def title(policy: Policy) -> str:
    return f"{policy.agency}: Social Media Policy"


def render_markdown(policy: Policy) -> str:
    return to_markdown(title(policy), policy_sections(policy))


def render_html(policy: Policy) -> str:
    return to_html(title(policy), policy_sections(policy))


def render_pdf(policy: Policy) -> bytes:
    """The HTML rendering as PDF. Nothing is fetched: every URL is refused."""
    return to_pdf(render_html(policy))


class Audience(enum.StrEnum):
    """Who a document rendered from the policy is for."""

    EVERYONE = "everyone"    # the policy itself
    OFFICIALS = "officials"  # the guide for officials (guide.py)


def render(policy: Policy, fmt: DocumentFormat | str,
           audience: Audience | str = Audience.EVERYONE) -> bytes:
    """The policy document, or the officials' guide, in `fmt` (md, html or pdf), as bytes
    ready to write."""
    fmt, audience = DocumentFormat(fmt), Audience(audience)
    if audience is Audience.OFFICIALS:
        from civicarchive.policy import guide
        markdown, page = guide.render_guide_markdown, guide.render_guide_html
    else:
        markdown, page = render_markdown, render_html
    if fmt is DocumentFormat.PDF:
        return to_pdf(page(policy))
    return (markdown(policy) if fmt is DocumentFormat.MD else page(policy)).encode("utf-8")


def diff_policies(old_path: str | Path, new_path: str | Path) -> str:
    """A unified diff of the two policy files, then of their rendered Markdown documents;
    empty when nothing differs. Raises PolicyInvalid if either file has errors."""
    old, new = load_policy(old_path), load_policy(new_path)
    file_diff = _diff(Path(old_path).read_text(encoding="utf-8"),
                      Path(new_path).read_text(encoding="utf-8"), str(old_path), str(new_path))
    document_diff = _diff(render_markdown(old), render_markdown(new),
                          f"{old_path} (rendered policy)", f"{new_path} (rendered policy)")
    return file_diff + document_diff


def _diff(old: str, new: str, old_name: str, new_name: str) -> str:
    def lines(text: str) -> list[str]:
        return [line if line.endswith("\n") else line + "\n"
                for line in text.splitlines(keepends=True)]
    return "".join(difflib.unified_diff(lines(old), lines(new), old_name, new_name))


# the words ----------------------------------------------------------------------------

def policy_sections(policy: Policy) -> tuple[Section, ...]:
    """The policy's sections, in order, as plain text blocks."""
    return (_purpose(policy), _use(policy), _retention(policy), _moderation(policy),
            _registration(policy), _training(policy), _requests(policy))


def _cite(item: Provision) -> str:
    """'Text (citation).', then what is to be confirmed, if anything."""
    text = item.text.rstrip().removesuffix(".")
    text = f"{text} ({item.citation})." if item.citation else f"{text}."
    return f"{text} To confirm: {item.uncertain}" if item.uncertain else text


def _listing(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _days(n: int | None, what: str) -> str:
    return f", {what} every {n} days" if n else ""


def _purpose(p: Policy) -> Section:
    return Section("1. Purpose", (
        Paragraph(f"This policy sets out how {p.agency} ({p.jurisdiction}) uses social media: "
                  f"who may speak for the agency and from which accounts, how social media "
                  f"content is kept as public records, how public comments are moderated, "
                  f"and how requests for those records are answered. The {p.records_officer} "
                  f"administers it."),
        Paragraph("This document is generated from the agency's policy file, which also "
                  "drives the agency's archive: a change to the policy is made in that file, "
                  "so the archive and this document always agree."),
    ))


def _use(p: Policy) -> Section:
    approach = APPROACH[p.personal_accounts.approach].format(officer=p.records_officer)
    blocks: list = [
        Paragraph(f"Only accounts registered under this policy are used for {p.agency} "
                  f"business on social media. Everything on them that relates to agency "
                  f"business ({_listing(list(RECORDS.values()))}, with their edits, deletions "
                  f"and hidden comments) is a public record and is captured by the agency's "
                  f"archive."),
        Paragraph(f"Officials' personal accounts. {approach}"),
    ]
    if p.personal_accounts.duties:
        blocks.append(Bullets(tuple(_cite(duty) for duty in p.personal_accounts.duties)))
    return Section("2. Employee and official use", tuple(blocks))


def _trigger(trigger: Trigger, event: str | None) -> str:
    if trigger is Trigger.EVENT:
        return "when " + (event or "the event occurs").replace("_", " ")
    return {Trigger.CREATED: "when created",
            Trigger.ACCOUNT_CLOSED: "when the account is closed"}[trigger]


def _rule_text(p: Policy, index: int) -> str:
    rule = p.assignment[index]
    accounts = ("all accounts" if rule.classifications is None else
                _listing([ACCOUNTS[c] for c in Classification if c in rule.classifications]))
    platforms = ("any platform" if rule.platforms is None else
                 "on " + _listing(sorted(rule.platforms)))
    kinds = ("every kind of record" if rule.kinds is None else
             _listing([RECORDS[k] for k in Kind if k in rule.kinds]))
    tags = "" if rule.tags is None else f", tagged {_listing(sorted(rule.tags))}"
    series = next((s.title for s in p.series if s.code == rule.series), "")
    return f"{accounts[0].upper()}{accounts[1:]}, {platforms}, {kinds}{tags}: " \
           f"{rule.series} {series}".rstrip()


def _retention(p: Policy) -> Section:
    approval = ("approved by two people" if p.disposition.two_person_approval
                else f"approved by the {p.records_officer}")
    rows = tuple((s.code, s.title, str(s.retention), _trigger(s.trigger, s.event),
                  DISPOSITION[s.disposition], s.citation) for s in p.series)
    blocks: list = [
        Paragraph("Social media content is kept in context, with its edits, deletions and "
                  "hidden comments, for as long as its record series requires. When the "
                  f"retention ends, content is disposed of only by a certified disposition "
                  f"{approval}; a legal hold stops disposition for as long as it lasts."),
        Table(("Series", "Title", "Retention", "Retention starts", "Disposition", "Citation"),
              rows),
        Paragraph("Which series applies:"),
        Bullets(tuple(_rule_text(p, i) for i in range(len(p.assignment)))),
    ]
    if p.records_notes:
        blocks += [Paragraph("How these records are kept:"),
                   Bullets(tuple(_cite(note) for note in p.records_notes))]
    uncertain = tuple(f"{s.code}: {s.uncertain}" for s in p.series if s.uncertain)
    if uncertain:
        blocks += [Paragraph("To confirm against the official schedule:"), Bullets(uncertain)]
    return Section("3. Public records and retention", tuple(blocks))


def _moderation(p: Policy) -> Section:
    return Section("4. Comment moderation", (
        Paragraph(f"Comment threads on {p.agency}'s pages are open to the public. A comment is "
                  f"hidden or removed only under one of the categories below, applied the same "
                  f"way to everyone: rules for these forums must be reasonable and viewpoint "
                  f"neutral (Cornelius, 1985; Rosenberger, 1995) and objective enough to apply "
                  f"consistently (Minnesota Voters Alliance v. Mansky, 2018). Every action "
                  f"names the category it relied on."),
        Definitions(tuple((f"{c.name} ({ACTION[c.action]})",
                           f"{c.clause} Legal footing: {c.footing}") for c in p.moderation)),
        Paragraph(VIEWPOINT),
        Paragraph(BLOCKING),
        Paragraph(KEPT),
    ))


def _registration(p: Policy) -> Section:
    required = [ACCOUNTS[c] for c in Classification if c in p.registration.required_for]
    who = (f"Registration is required for {_listing(required)}." if required
           else "This policy names no account type that must be registered.")
    return Section("5. Profile registration", (
        Paragraph(f"Before an account is used for agency business, it is registered with the "
                  f"{p.records_officer}, who records its platform, handle, owner, "
                  f"classification and record series, so that the archive captures it. {who}"),
    ))


def _training(p: Policy) -> Section:
    training = (f"Everyone who posts, moderates or manages a registered account completes "
                f"training on this policy, public records and comment moderation before using "
                f"the account{_days(p.training.renew_every_days, 'and again')}."
                if p.training.required else "This policy does not require training.")
    ack = p.registration
    acknowledgement = (f"The owner of each registered account signs an acknowledgement of this "
                       f"policy when registering it"
                       f"{_days(ack.acknowledgement_valid_days, 'renewed')}."
                       if ack.acknowledgement_required
                       else "This policy does not require a signed acknowledgement.")
    return Section("6. Training and acknowledgement",
                   (Paragraph(training), Paragraph(acknowledgement)))


def _calendar(c: Calendar) -> list:
    """The holiday calendar in words, then each year the agency changed, in full."""
    if c.country is None:
        named = ("the holidays listed below" if c.additions else
                 "no holidays: the policy names no holiday calendar")
        blocks: list = [Paragraph(f"Business days exclude Saturdays, Sundays and {named}.")]
    else:
        place = (f"{subdivision_name(c.country, c.subdivision)} ({c.country}-{c.subdivision})"
                 if c.subdivision else c.country)
        blocks = [Paragraph(f"Business days exclude Saturdays, Sundays and the official public "
                            f"holidays of {place}, every year, on the days they are observed, "
                            f"as the holidays library (python-holidays) gives them.")]
    if c.additions:
        blocks += [Paragraph("The agency is also closed on these days, which are not business "
                             "days:"),
                   Bullets(tuple(_dated(h.day, h.name or "holiday") for h in c.additions))]
    if c.removals:
        blocks += [Paragraph("The agency is open on these holidays, which count as business "
                             "days:"),
                   Bullets(tuple(_dated(day, c.removed(day) or "not a holiday") for day
                                 in c.removals))]
    years = sorted({h.day.year for h in c.additions} | {day.year for day in c.removals})
    for year in years if c.country else ():
        rows = tuple((_dated(closure.day), closure.name or "holiday",
                      "agency" if closure.reason is Closed.AGENCY else "official")
                     for closure in sorted(c.holidays(year).values(), key=lambda h: h.day))
        blocks += [Paragraph(f"The holidays of {year}:"),
                   Table(("Date", "Holiday", "Calendar"), rows)]
    return blocks


def _dated(day: date, name: str | None = None) -> str:
    text = f"{day:%A} {day.isoformat()}"
    return f"{text}: {name}" if name else text


def _requests(p: Policy) -> Section:
    r = p.requests
    rows = tuple((d.name, f"{d.days} {'business' if d.count is DayCount.BUSINESS else 'calendar'}"
                  f" day{'' if d.days == 1 else 's'}", d.citation) for d in r.deadlines)
    after_hours = ("A request received after business hours counts as received on the next "
                   "business day." if r.after_hours_next_business_day else
                   "A request counts as received on the day it arrives, even after business "
                   "hours.")
    blocks: list = [
        Paragraph(f"Requests for social media records go to the {p.records_officer}. The "
                  f"archive searches, collects, reviews, redacts and produces them, and logs "
                  f"each production."),
        Table(("Step", "Time limit", "Citation"), rows),
    ]
    if r.day_counting:
        blocks.append(Paragraph(f"Counting days: {_cite(r.day_counting)}"))
    blocks.append(Paragraph(after_hours))
    blocks += _calendar(r.calendar)
    if r.exemptions:
        blocks += [Paragraph("Exemptions often met in social media records:"),
                   Bullets(tuple(_cite(e) for e in r.exemptions))]
    if r.redaction:
        blocks.append(Paragraph(f"Redaction: {_cite(r.redaction)}"))
    if r.notes:
        blocks += [Paragraph("Also:"), Bullets(tuple(_cite(note) for note in r.notes))]
    uncertain = tuple(f"{d.name}: {d.uncertain}" for d in r.deadlines if d.uncertain)
    if uncertain:
        blocks += [Paragraph("To confirm against the official text:"), Bullets(uncertain)]
    return Section("7. Public records requests", tuple(blocks))
