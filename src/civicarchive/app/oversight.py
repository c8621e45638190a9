"""Moderation, compliance and alerts as one principal may see and act on them: the web's
moderation queue and log, stance labels, the viewpoint-neutrality report, the
state-action and public-business findings, people's duties, and the alerts.

Every answer is scoped the way app/access.py scopes records: only the accounts of the
principal's agency that they see (an official: their own), another agency's id the same
NotFound as a missing one, and direct messages never among the comments moderated. The
services underneath (moderation, compliance, alerting) do the work and keep the log.
"""

from __future__ import annotations

from civicarchive.app.access import Access
from civicarchive.app.alerting import Alerts
from civicarchive.app.compliance import Compliance
from civicarchive.app.moderation import Moderation
from civicarchive.app.people import People
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.moderation import ModerationKind
from civicarchive.model.record import Kind
from civicarchive.model.staff import Permission, Principal

# Who may acknowledge an alert: by the first part of its kind.
ACK_PERMISSIONS = {"moderation": Permission.MODERATE, "capture": Permission.MANAGE_CAPTURE,
                   "completeness": Permission.MANAGE_CAPTURE,
                   "credentials": Permission.MANAGE_CAPTURE,
                   "compliance": Permission.MANAGE_REGISTRY}
RESTRICTIONS = ("block", "delete")  # the actions a state-action warning is shown before


class Oversight:
    """The moderation queue, compliance findings and alerts, scoped to a principal."""

    def __init__(self, access: Access, people: People, moderation: Moderation,
                 compliance: Compliance, alerts: Alerts) -> None:
        self.access = access
        self.people = people
        self.moderation = moderation
        self.compliance = compliance
        self.alerts_ = alerts

    @classmethod
    def of(cls, archive) -> Oversight:  # noqa: ANN001 - an Archive (which imports app/)
        """Over an archive's services."""
        return cls(archive.access, archive.people, archive.moderation, archive.compliance,
                   archive.alerts)

    def visible(self, principal: Principal, account_id: int | None = None) -> list[int]:
        """The ids of the accounts the principal sees (or the one given, checked)."""
        if account_id is not None:
            return [self.access.account(principal, account_id).id]
        return [a.id for a in self.access.accounts(principal)]

    # -- moderation ----------------------------------------------------------------------

    def queue(self, principal: Principal, account_id: int | None = None,
              everything: bool = False, acted: bool = False, offset: int = 0,
              limit: int = 20) -> dict:
        """One page of the review queue over the principal's accounts, newest first: the
        comments no one has acted on yet (with `acted`, those too, each with its last
        action). `rows`, `more` (another page follows) and `total` (None until every
        comment has been judged to find the page: page on)."""
        self.access.require(principal, Permission.MODERATE, "the moderation queue")
        found = self.moderation.review_page(
            everything=everything, within=self.visible(principal, account_id),
            pending=not acted, offset=offset, limit=limit)
        return {**found, "rows": [r for r in found["rows"] if r["kind"] != Kind.MESSAGE.value]}

    def warnings(self, principal: Principal, item_id: int) -> dict[str, dict | None]:
        """The state-action warning shown before a block or a deletion of this comment
        (None for either when the post is assessed likely personal)."""
        self.access.item(principal, item_id)
        found = {}
        for action in RESTRICTIONS:
            warning = self.compliance.restriction_warning(item_id, action)
            found[action] = warning.as_dict() if warning else None
        return found

    def act(self, principal: Principal, item_id: int, action: str, clause: str | None,
            reason: str | None, on_platform: bool = True) -> dict:
        """Log one action on a comment the principal sees (carried out on the platform
        where its API allows): the service's logged action, alerts and warning."""
        self.access.require(principal, Permission.MODERATE, "moderation actions")
        self.access.item(principal, item_id)
        return self.moderation.act(item_id, action, principal.name, clause=clause or None,
                                   reason=reason or None, on_platform=on_platform)

    def log(self, principal: Principal, account_id: int | None = None,
            action: str | None = None) -> list[dict]:
        """The moderation log over the principal's accounts, newest first."""
        self.access.require(principal, Permission.MODERATE, "the moderation log")
        if action is not None and action not in set(ModerationKind):
            raise InvalidInput(f"no moderation action {action!r}: use one of "
                               f"{', '.join(ModerationKind)}", parameter="action")
        ids = set(self.visible(principal, account_id))
        return [a for a in reversed(self.moderation.log())
                if a["account_id"] in ids and (action is None or a["action"] == action)]

    def label(self, principal: Principal, item_id: int, stance: str) -> dict:
        """Record a reviewer's stance label on a comment the principal sees."""
        self.access.require(principal, Permission.MODERATE, "stance labels")
        item = self.access.item(principal, item_id)
        if item.kind not in (Kind.COMMENT, Kind.REPLY):
            raise InvalidInput(f"item {item_id} is a {item.kind.value}: only comments and "
                               f"replies are labelled", parameter="item")
        label_id = self.moderation.label(item_id, stance, principal.name)
        return next(lab for lab in self.labels(principal) if lab["id"] == label_id)

    def labels(self, principal: Principal) -> list[dict]:
        """The stance labels in force on comments of the principal's accounts."""
        self.access.require(principal, Permission.MODERATE, "stance labels")
        return [label for _, label in sorted(
            self.moderation.labels(within=self.visible(principal)).items())]

    def report(self, principal: Principal) -> dict:
        """The viewpoint-neutrality report over the principal's accounts."""
        self.access.require(principal, Permission.MODERATE, "the viewpoint-neutrality report")
        return self.moderation.report(within=self.visible(principal))

    # -- compliance ----------------------------------------------------------------------

    def assessments(self, principal: Principal, account_id: int | None = None) -> list[dict]:
        """The state-action assessment (and public business) of each post on the officials'
        accounts the principal sees."""
        self.access.require(principal, Permission.READ_RECORDS, "compliance")
        ids = set(self.visible(principal, account_id))
        return [row for row in self.compliance.assess() if row["account_id"] in ids]

    def compliance_report(self, principal: Principal) -> dict:
        """Public business flagged, officials' accounts linked to nobody, and people whose
        acknowledgement or training is due: of the principal's agency (an official: their
        own accounts and themselves)."""
        self.access.require(principal, Permission.READ_RECORDS, "compliance")
        ids = set(self.visible(principal))
        found = self.compliance.report()
        people = self._people(principal)
        return {**found,
                "public_business": [r for r in found["public_business"] if r["account"] in ids],
                "unlinked_accounts": [a for a in found["unlinked_accounts"]
                                      if a["account"] in ids],
                "people": [p for p in found["people"] if p["person"] in people]}

    def _people(self, principal: Principal) -> set[int]:
        """The people whose duties and alerts the principal sees."""
        agency = self.access.agency_id(principal)
        if principal.accounts is not None:  # an official: only themselves
            own = principal.user.person_id if principal.user else None
            return {own} if own is not None else set()
        return {p.id for p in self.people.people() if p.agency_id == agency}

    # -- alerts --------------------------------------------------------------------------

    def alerts(self, principal: Principal, open_only: bool = False,
               kind: str | None = None) -> list[dict]:
        """Alerts on the principal's accounts and people, newest first."""
        self.access.require(principal, Permission.READ_RECORDS, "alerts")
        ids, people = set(self.visible(principal)), self._people(principal)
        return [a for a in self.alerts_.list(kind=kind, limit=1_000_000, open_only=open_only)
                if _sees_alert(a, ids, people) and self._sees_record(principal, a)]

    def alert(self, principal: Principal, alert_id: int) -> dict:
        """One alert the principal sees; NotFound otherwise, as for a missing id."""
        self.access.require(principal, Permission.READ_RECORDS, "alerts")
        try:
            found = self.alerts_.list_one(alert_id)
        except NotFound:
            found = None
        if found is None or not _sees_alert(found, set(self.visible(principal)),
                                            self._people(principal)) or \
                not self._sees_record(principal, found):
            raise NotFound("alert", alert_id)
        return found

    def _sees_record(self, principal: Principal, alert: dict) -> bool:
        """An alert about a record (a direct message deleted early...) is the principal's
        only if the record is: never a message without the permission to read them."""
        item_id = (alert["details"] or {}).get("item_id")
        if not isinstance(item_id, int) or principal.can(Permission.READ_MESSAGES):
            return True
        try:
            self.access.item(principal, item_id)
        except NotFound:
            return False
        return True

    def ack(self, principal: Principal, alert_id: int, note: str | None) -> dict:
        """Acknowledge an alert the principal sees, if their role answers for its kind."""
        found = self.alert(principal, alert_id)
        needed = ACK_PERMISSIONS.get(found["kind"].split(".")[0], Permission.MANAGE_REGISTRY)
        self.access.require(principal, needed, f"acknowledging a {found['kind']} alert")
        return self.alerts_.ack(alert_id, principal.name, note)


def _sees_alert(alert: dict, accounts: set[int], people: set[int]) -> bool:
    if alert["account_id"] is not None:
        return alert["account_id"] in accounts
    return (alert["details"] or {}).get("person_id") in people
