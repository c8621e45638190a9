"""Every row that carries meaning, re-derived from the ledgered audit event that wrote it.

The registry, policies, holds, dispositions, requests and productions are plain rows; the
write that adds one also records an audit event, and the ledger seals that event. So
each row is checked against its event, column by column: a row changed, deleted or added
behind the archive's back no longer matches, or has no event, or an event lacks its row.
Where an event does not carry a column (older events, or details the service does not
record yet), that column is not checked; DERIVATIONS says exactly what each one covers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import zip_longest

import orjson
import sqlalchemy as sa

from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json
from civicarchive.store.checkpoint import fingerprint

_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, binascii.Error)


@dataclass(frozen=True)
class Event:
    """One audit event, its details parsed."""

    id: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict

    @property
    def subject_id(self) -> int:
        """The id in a subject such as "hold 3"."""
        return int(self.subject.rsplit(" ", 1)[-1])

    def carried(self, **columns: object) -> dict:
        """The columns whose details key the event carries: {column: details key}."""
        return {column: self.details[key] for column, key in columns.items()
                if key in self.details}


@dataclass(frozen=True)
class Derived:
    """A column checked through a reading of it: `read(stored) == value`."""

    read: Callable[[object], object]
    value: object
    reading: str  # what `read` takes the column for, for the report ("JSON")


@dataclass(frozen=True)
class Derivation:
    """How one table's rows follow from audit events."""

    table: sa.Table
    actions: Callable[[str], bool]
    expect: Callable[[Event], dict]              # column -> value or Derived
    key: Callable[[Event], tuple] | None = None  # the row's key; None: pair in order
    rows: Callable[[sa.Connection], Iterator[dict]] | None = None  # default: the table
    tagged: bool = False  # its events name the table in their details ("table": name)


def _is(*names: str) -> Callable[[str], bool]:
    return frozenset(names).__contains__


def _sha256_of_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _key_fingerprint(public_key_b64: str) -> str:
    return fingerprint(base64.b64decode(public_key_b64, validate=True))


def _canonical_text(text: str) -> str:
    return canonical_json(orjson.loads(text)).decode()


def _due_dates(text: str) -> list:
    return [deadline["due"] for deadline in orjson.loads(text)]


def _as_audited(text: str) -> str:
    """A request event's details as its audit event records them: a redacted phrase only
    by its sha256 (the words must stay out of the audit log)."""
    details = orjson.loads(text)
    if "phrase" in details:
        details["phrase_sha256"] = _sha256_of_text(details.pop("phrase"))
    return canonical_json(details).decode()


def _json(value: object) -> str:
    return canonical_json(value).decode()


def _disposition_items(conn: sa.Connection) -> Iterator[dict]:
    """One row per batch: its items, as the review event counts (or lists) them."""
    di = t.disposition_items.c
    batches: dict[int, list[int]] = {}
    for batch_id, item_id in conn.execute(sa.select(di.batch_id, di.item_id)
                                          .order_by(di.batch_id, di.item_id)):
        batches.setdefault(batch_id, []).append(item_id)
    for batch_id, items in batches.items():
        yield {"batch_id": batch_id, "records": len(items), "items": items}


def _tagged_row(e: Event) -> dict:
    """A row whose audit event carries every field (live capture: store/capture.py); a
    credential's ciphertext by its SHA-256 only."""
    expected = {k: v for k, v in e.details.items()
                if k not in ("table", "ciphertext_sha256", "password_hash_sha256")}
    if "ciphertext_sha256" in e.details:
        expected["ciphertext"] = Derived(_sha256_of_text, e.details["ciphertext_sha256"],
                                         "text")
    if "password_hash_sha256" in e.details:  # a staff user's argon2id hash (store/staff.py)
        expected["password_hash"] = Derived(_sha256_of_text,
                                            e.details["password_hash_sha256"], "text")
    return expected


def _tagged(table: sa.Table, key: str = "id") -> Derivation:
    return Derivation(table, lambda action: False, _tagged_row,
                      key=lambda e: (e.details[key],), tagged=True)


def _request_event(e: Event) -> dict:
    details = {k: v for k, v in e.details.items() if k != "event"}
    want = {"request_id": e.subject_id, "at": e.at, "actor": e.actor,
            "action": e.action.removeprefix("request."),
            "details": Derived(_as_audited, _json(details), "JSON")}
    if "event" in e.details:
        want["id"] = e.details["event"]
    return want


def _request(e: Event) -> dict:
    d = e.details
    want = {"id": e.subject_id, "number": d.get("number"), "received_at": d.get("received_at"),
            "created_at": e.at, "created_by": e.actor,
            **e.carried(requester="requester", contact="contact", description="description",
                        policy_id="policy")}
    want["deadlines"] = Derived(_canonical_text, _json(d["deadlines"]), "JSON") \
        if "deadlines" in d else Derived(_due_dates, d.get("due"), "JSON deadlines")
    return want


DERIVATIONS = (
    Derivation(t.archive_info, _is("archive.init"), lambda e: {
        "id": e.subject.removeprefix("archive "), "created_at": e.at,
        "public_key": Derived(_key_fingerprint, e.details.get("public_key_sha256"),
                              "base64 public key")},
        key=lambda e: (e.subject.removeprefix("archive "),)),
    Derivation(t.agencies, lambda action: action in ("archive.init", "agency.add"), lambda e: {
        "name": e.details.get("agency"), "created_at": e.at,
        **e.carried(id="agency_id", slug="slug")}),
    Derivation(t.accounts, _is("account.register"), lambda e: {
        "id": e.subject_id, **e.carried(**{c: c for c in (
            "agency_id", "platform", "handle", "platform_id", "owner", "classification",
            "registered_at", "registered_by")})},
        key=lambda e: (e.subject_id,)),
    Derivation(t.policies, _is("policy.adopt"), lambda e: {
        "id": e.subject_id, "adopted_at": e.at, "adopted_by": e.actor,
        "sha256": e.details.get("sha256"),
        "text": Derived(_sha256_of_text, e.details.get("sha256"), "text")},
        key=lambda e: (e.subject_id,)),
    Derivation(t.account_closures, _is("account.close"), lambda e: {
        "account_id": e.subject_id, "closed_at": e.details.get("closed_at"),
        "recorded_at": e.at, "recorded_by": e.actor},
        key=lambda e: (e.subject_id,)),
    Derivation(t.account_tags, _is("account.tag"), lambda e: {
        "account_id": e.subject_id, "tag": e.details.get("tag"), "tagged_at": e.at,
        "tagged_by": e.actor},
        key=lambda e: (e.subject_id, e.details.get("tag"))),
    Derivation(t.acknowledgements, _is("policy.acknowledge"), lambda e: {
        "owner": e.subject, "policy_id": e.details.get("policy"),
        "acknowledged_at": e.details.get("at"), "recorded_by": e.actor,
        **e.carried(id="acknowledgement")}),
    Derivation(t.holds, _is("hold.add"), lambda e: {
        "id": e.subject_id, "name": e.details.get("name"), "matter": e.details.get("matter"),
        "reason": e.details.get("reason"),
        "scope": Derived(_canonical_text, _json(e.details.get("scope")), "JSON"),
        "created_at": e.at, "created_by": e.actor},
        key=lambda e: (e.subject_id,)),
    Derivation(t.hold_releases, _is("hold.release"), lambda e: {
        "hold_id": e.subject_id, "reason": e.details.get("reason"), "released_at": e.at,
        "released_by": e.actor},
        key=lambda e: (e.subject_id,)),
    Derivation(t.disposition_batches, _is("disposition.review"), lambda e: {
        "id": e.subject_id, "series": e.details.get("series"), "created_at": e.at,
        "created_by": e.actor, **e.carried(policy_id="policy")},
        key=lambda e: (e.subject_id,)),
    Derivation(t.disposition_items, _is("disposition.review"), lambda e: {
        "batch_id": e.subject_id, "records": e.details.get("records"),
        **e.carried(items="items")},
        key=lambda e: (e.subject_id,), rows=_disposition_items),
    Derivation(t.disposition_approvals, _is("disposition.approve"), lambda e: {
        "batch_id": e.subject_id, "approver": e.actor, "approved_at": e.at},
        key=lambda e: (e.subject_id, e.actor)),
    Derivation(t.disposition_executions, _is("disposition.execute"), lambda e: {
        "batch_id": e.subject_id, "executed_at": e.at, "executed_by": e.actor,
        "certificate": Derived(_sha256_of_text, e.details.get("certificate_sha256"),
                               "text")},
        key=lambda e: (e.subject_id,)),
    Derivation(t.requests, _is("request.new"), _request, key=lambda e: (e.subject_id,)),
    Derivation(t.request_events, lambda action: action.startswith("request.") and
               action != "request.new", _request_event),
    Derivation(t.productions, _is("request.produced"), lambda e: {
        "id": e.details.get("production"), "request_id": e.subject_id,
        "first_number": e.details.get("first"), "last_number": e.details.get("last"),
        "items": e.details.get("items"), "withheld": e.details.get("withheld"),
        "manifest_sha256": e.details.get("manifest_sha256"), "produced_at": e.at,
        "produced_by": e.actor, **e.carried(prefix="prefix", folder="folder")},
        key=lambda e: (e.details.get("production"),)),
    *(_tagged(table) for table in (t.capture_settings, t.credentials, t.capture_runs,
                                   t.capture_gaps, t.alerts)),
    _tagged(t.capture_gap_closures, key="gap_id"),
    # The registry of people (store/people.py): each row's event carries all its fields.
    *(_tagged(table) for table in (t.people, t.people_terms, t.people_accounts,
                                   t.people_acknowledgements, t.people_trainings)),
    _tagged(t.people_term_ends, key="term_id"),
    # The moderation log and alert acknowledgements (store/moderation.py): likewise.
    *(_tagged(table) for table in (t.moderation_actions, t.moderation_labels)),
    _tagged(t.alert_acknowledgements, key="alert_id"),
    # Staff users, sessions and API tokens (store/staff.py): likewise.
    *(_tagged(table) for table in (t.staff_users, t.staff_user_versions, t.staff_sessions,
                                   t.api_tokens)),
    _tagged(t.staff_session_ends, key="session_id"),
    _tagged(t.api_token_revocations, key="token_id"),
    # Tracking links of requests made through the open archive (store/requests.py).
    _tagged(t.request_trackers, key="request_id"),
)


def check_provenance(conn: sa.Connection) -> list[tuple[str, str]]:
    """(where, what) for every row that does not follow from its audit event."""
    problems: list[tuple[str, str]] = []
    events = list(_events(conn, problems))
    for derivation in DERIVATIONS:
        problems += _check(conn, derivation, [
            e for e in events if (e.details.get("table") == derivation.table.name
                                  if derivation.tagged else derivation.actions(e.action))])
    return problems


def _events(conn: sa.Connection, problems: list) -> Iterator[Event]:
    au = t.audit_events.c
    for row in conn.execute(sa.select(au.id, au.at, au.actor, au.action, au.subject,
                                      au.details).order_by(au.id)):
        try:
            details = orjson.loads(row.details)
            if not isinstance(details, dict):
                raise TypeError("not an object")
        except _UNREADABLE:
            problems.append((f"audit_events row {row.id}", "details is not valid JSON"))
            continue
        yield Event(row.id, row.at, row.actor, row.action, row.subject, details)


def _check(conn: sa.Connection, derivation: Derivation, events: list[Event]
           ) -> list[tuple[str, str]]:
    table = derivation.table
    pk = [c.name for c in table.primary_key]
    rows = list(derivation.rows(conn) if derivation.rows else
                (dict(row) for row in conn.execute(sa.select(table).order_by(
                    *table.primary_key)).mappings()))
    problems: list[tuple[str, str]] = []

    def name(row_key: tuple) -> str:
        return f"{table.name} row {'/'.join(map(str, row_key))}"

    def missing(event: Event, row_key: tuple | None) -> None:
        where = name(row_key) if row_key else table.name
        problems.append((where, f"audit event {event.id} ({event.action}) records it, but "
                                "the row is missing"))

    if derivation.key is None:  # rows and their events were written in the same order
        for row, event in zip_longest(rows, events):
            if event is None:
                problems.append((name(tuple(row[c] for c in pk)), "has no audit event"))
            elif row is None:
                missing(event, None)
            else:
                problems += _compare(name(tuple(row[c] for c in pk)), row, event, derivation)
        return problems
    by_key = {tuple(row[c] for c in (pk if derivation.rows is None else pk[:1])): row
              for row in rows}
    for event in events:
        try:
            row_key = derivation.key(event)
        except _UNREADABLE:
            problems.append((f"audit_events row {event.id}", f"does not name a {table.name} "
                                                             "row"))
            continue
        row = by_key.pop(row_key, None)
        if row is None:
            missing(event, row_key)
        else:
            problems += _compare(name(row_key), row, event, derivation)
    problems += [(name(row_key), "has no audit event") for row_key in by_key]
    return problems


def _compare(where: str, row: dict, event: Event, derivation: Derivation
             ) -> list[tuple[str, str]]:
    problems = []
    try:
        expected = derivation.expect(event)
    except _UNREADABLE:
        return [(where, f"audit event {event.id} ({event.action}) is missing details")]
    for column, want in expected.items():
        have = row[column]
        if isinstance(want, Derived):
            try:
                have = want.read(have)
            except _UNREADABLE:
                problems.append((where, f"{column} is not valid {want.reading}"))
                continue
            want = want.value
        if have != want:
            problems.append((where, f"{column} differs from audit event {event.id} "
                                    f"({event.action}), which the ledger seals"))
    return problems

