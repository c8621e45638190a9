"""What the open archive shows of one record, decided on read. Pure.

The archive is never rewritten for the public: `showing(facts, rules, now)` says whether
a record shows, with what notice, and why not when it does not (for staff; the public
only ever gets "not found"). The rules come from the policy's `public_archive` section.

A record does not show when:

- the open archive is not published;
- it is a direct message (never, whatever the policy says), or a profile;
- the platform showed it only to some people (a Mastodon post to followers only, a
  private YouTube video: `model.record.audience_restricted`), whatever the policy says:
  publishing it would show everyone what its author did not;
- its account's classification is not one the policy publishes;
- it is a comment or reply and the policy shows no comments;
- staff withheld it (from a request's review, or from the open archive);
- it is still under embargo: created less than `embargo_days` ago (a record without a
  creation time counts from when it was first captured);
- it is deleted and the policy hides deleted records;
- it is a comment hidden under the moderation policy and the policy hides those;
- it is under a record that never shows (a photo sent in a direct message, a reply to a
  post to followers only), under a comment when the policy shows no comments, or under a
  record still under embargo (a photo taken last year, shared in a post made today, is
  held back with the post): `Lineage` keeps what each record inherits from those it is
  under.

A deleted record the policy shows carries a notice and its text as it was; a hidden
comment the policy shows carries a notice and no text.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    restricted: bool = False        # its platform showed it only to some people


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
    if facts.restricted:
        return Showing(False, "its platform showed it only to some people (followers only, "
                              "private)")
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


class Lineage:
    """What records inherit from the records they are under, built from parent links
    (parent id, kind and time; child id and time: a time is the creation time, else when
    first seen) as they are found. Only the records that inherit something are kept: the
    ones under a direct message (staff who may not read messages do not see them either),
    under a profile, under a comment or reply, or made before a record above them (with
    the latest time above them)."""

    def __init__(self) -> None:
        self._children: dict[int, set[int]] = {}
        self._kinds: dict[int, str] = {}   # a parent's kind
        self._times: dict[int, str] = {}   # a record's own time
        # under a message, under a message or profile, under a comment, latest time above
        self._state: dict[int, tuple[bool, bool, bool, str]] = {}
        self._message: frozenset[int] = frozenset()
        self._never: frozenset[int] = frozenset()
        self._comment: frozenset[int] = frozenset()
        self._later: dict[int, str] = {}  # made before a record above it: the latest time

    def inherits(self, item_id: int) -> bool:
        """Whether the record inherits something (and so passes it on to those under it)."""
        return item_id in self._state

    def add(self, links: Iterable[tuple[int, str, str, int, str]]) -> set[int]:
        """Take these links into account; returns the records that inherit something new
        (their own links below may not be known yet)."""
        work = []
        for parent, kind, parent_time, child, child_time in links:
            self._kinds[parent], self._times[parent] = kind, parent_time
            self._times[child] = child_time
            self._children.setdefault(parent, set()).add(child)
            work.append(parent)
        changed: set[int] = set()
        while work:
            parent = work.pop()
            message, never, comment, latest = self._state.get(parent, _NOTHING)
            kind = self._kinds[parent]
            down = (message or kind == _MESSAGE, never or kind in _NEVER,
                    comment or kind in _COMMENTS, max(latest, self._times[parent]))
            for child in self._children.get(parent, ()):
                old = self._state.get(child, _NOTHING)
                new = (old[0] or down[0], old[1] or down[1], old[2] or down[2],
                       max(old[3], down[3]))
                if new[:3] == _NOTHING[:3] and new[3] <= self._times[child]:
                    continue  # under an ordinary record made before it: nothing to keep
                if new != old:
                    self._state[child] = new
                    changed.add(child)
                    if child in self._children:
                        work.append(child)
        if changed:  # the answers, worked out once per change and not per question
            state = self._state.items()
            self._message = frozenset(i for i, (message, _, _, _) in state if message)
            self._never = frozenset(i for i, (_, never, _, _) in state if never)
            self._comment = frozenset(i for i, (_, _, comment, _) in state if comment)
            self._later = {i: latest for i, (_, _, _, latest) in state
                           if latest > self._times[i]}
        return changed

    def under_message(self) -> frozenset[int]:
        """The records under a direct message (a photo sent in it)."""
        return self._message

    def under_never(self) -> frozenset[int]:
        """The records under a direct message or profile."""
        return self._never

    def under_comment(self) -> frozenset[int]:
        """The records (not themselves comments) under a comment or reply."""
        return self._comment

    def held_back(self, rules: PublicArchive, now: datetime) -> frozenset[int]:
        """The records under one still under embargo, though old enough themselves."""
        cutoff = embargo_cutoff(rules, now)
        return frozenset(i for i, latest in self._later.items() if _parse(latest) > cutoff)


_NOTHING = (False, False, False, "")
_MESSAGE = Kind.MESSAGE.value
_NEVER = frozenset(k.value for k in NEVER_PUBLIC)
_COMMENTS = frozenset(k.value for k in COMMENTS)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
