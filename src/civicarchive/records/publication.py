"""What the open archive shows of one record, decided on read. Pure.

The archive is never rewritten for the public: `showing(facts, rules, now)` says whether
a record shows, with what notice, and why not when it does not (for staff; the public
only ever gets "not found"). The rules come from the policy's `public_archive` section.

A record does not show when:

- the open archive is not published;
- it is a direct message (never, whatever the policy says), or a profile;
- its account's classification is not one the policy publishes;
- it is a comment or reply and the policy shows no comments;
- staff withheld it (from a request's review, or from the open archive);
- it is still under embargo: created less than `embargo_days` ago (a record without a
  creation time counts from when it was first captured);
- it is deleted and the policy hides deleted records;
- it is a comment hidden under the moderation policy and the policy hides those.

A deleted record the policy shows carries a notice and its text as it was; a hidden
comment the policy shows carries a notice and no text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from civicarchive.model.record import Kind
from civicarchive.policy.model import DeletedShown, HiddenShown, PublicArchive

NEVER_PUBLIC = frozenset({Kind.MESSAGE, Kind.PROFILE})
COMMENTS = frozenset({Kind.COMMENT, Kind.REPLY})


@dataclass(frozen=True)
class Facts:
    """What the rules look at, about one record as it stands."""

    kind: Kind
    classification: str
    created_at: datetime | None
    first_seen_at: datetime
    deleted_at: str | None = None   # when its latest version is a deletion
    hidden: bool = False            # its latest visibility event is a hide
    withheld: bool = False


@dataclass(frozen=True)
class Showing:
    shown: bool
    why: str = ""                   # why not, for staff
    notice: str | None = None       # shown with it: "Deleted on ..."
    text_shown: bool = True
    public_from: datetime | None = None  # under embargo: when it will show


def public_from(facts: Facts, rules: PublicArchive) -> datetime:
    """When the record leaves its embargo."""
    return (facts.created_at or facts.first_seen_at) + timedelta(days=rules.embargo_days)


def showing(facts: Facts, rules: PublicArchive, now: datetime) -> Showing:
    """Whether and how the open archive shows this record now."""
    if not rules.published:
        return Showing(False, "the open archive is not published")
    if facts.kind in NEVER_PUBLIC:
        return Showing(False, f"a {facts.kind.value} is never public")
    if facts.classification not in rules.accounts:
        return Showing(False, f"{facts.classification} accounts are not published")
    if facts.kind in COMMENTS and not rules.comments:
        return Showing(False, "comments are not published")
    if facts.withheld:
        return Showing(False, "withheld by staff")
    release = public_from(facts, rules)
    if release > now:
        return Showing(False, "under embargo", public_from=release)
    if facts.deleted_at is not None:
        if rules.deleted is DeletedShown.HIDE:
            return Showing(False, "deleted, and the policy hides deleted records")
        return Showing(True, notice=f"Deleted from the platform; the archive kept it "
                                    f"(deletion recorded {facts.deleted_at[:10]}).")
    if facts.hidden:
        if rules.hidden is HiddenShown.HIDE:
            return Showing(False, "hidden under the moderation policy")
        return Showing(True, notice="A comment hidden under the agency's moderation policy.",
                       text_shown=False)
    return Showing(True)


def embargo_cutoff(rules: PublicArchive, now: datetime) -> datetime:
    """Records created before this have left their embargo."""
    return now - timedelta(days=rules.embargo_days)
