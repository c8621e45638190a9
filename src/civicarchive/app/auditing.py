"""The audit log as one agency's auditors read it: newest first, a page at a time,
filtered by action and actor.

Audit events carry no agency of their own, so each is attributed from what it names: its
subject (`account 3`, `item 7`, `person 2`, `user 5`, `alert 9`, `agency 2`, a failed
sign-in's username) or, failing that, its actor (`user:NAME`). A request, hold or
disposition batch belongs to the agency of the user who made it, and one made from the
command line to the first agency (as app/casework.py scopes them). An event of another
agency is left out, whole. An event that names nothing of any agency (archive.init,
checkpoints, a policy adopted, an import or ingest) is deployment-wide: it is listed,
but in a deployment of several agencies its details are withheld, since they can name
another agency's matters (a file name, a source)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import orjson

from civicarchive.app.context import ArchiveContext
from civicarchive.app.registry import Registry
from civicarchive.model.audit import AuditEvent
from civicarchive.store import viewing as sql

_SUBJECT = re.compile(r"(account|item|person|user|alert|agency|hold|request|batch) (\d+)\Z")
_USERNAME = re.compile(r"username ('.*'|\".*\")\Z")  # the name as Python writes a str
_CHUNK = 500
MAX_SCAN = 200_000  # events looked at for one page; the total is "at least" beyond it


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int               # events the reader sees (counted up to MAX_SCAN)
    complete: bool           # False when the count stopped at MAX_SCAN


class Auditing:
    """The audit log, scoped to an agency."""

    def __init__(self, context: ArchiveContext, registry: Registry) -> None:
        self.context = context
        self.registry = registry

    def events(self, agency_id: int, limit: int = 50, offset: int = 0,
               action: str | None = None, actor: str | None = None) -> AuditPage:
        """One page of what `agency_id`'s auditors see of the log, newest first.
        `action` is an action or its first part (`hold` for hold.add and hold.release)."""
        accounts = {a.id: a.agency_id for a in self.registry.accounts()}
        agencies = self.registry.agencies()
        several, first = len(agencies) > 1, agencies[0].id
        if not several:  # every event is the one agency's: a page and a count in SQL
            with self.context.read() as conn:
                rows = sql.audit_events(conn, None, limit, action or None, actor or None,
                                        offset)
                total = sql.audit_count(conn, action or None, actor or None)
            return AuditPage([_event(row, "agency", orjson.loads(row["details"]))
                              for row in rows], total, True)
        seen, page, scanned, before = 0, [], 0, None
        with self.context.read() as conn:
            while scanned < MAX_SCAN:
                rows = sql.audit_events(conn, before, _CHUNK, action or None, actor or None)
                if not rows:
                    break
                scanned += len(rows)
                before = rows[-1]["id"]
                owners = _owners(conn, rows)
                for row in rows:
                    owner = _agency_of(row, owners, accounts, first)
                    if owner is not None and owner != agency_id:
                        continue
                    if offset <= seen < offset + limit:
                        page.append(_event(row, "agency", orjson.loads(row["details"]))
                                    if owner is not None else _event(row, "deployment", None))
                    seen += 1
                if len(rows) < _CHUNK:
                    break
        return AuditPage(page, seen, scanned < MAX_SCAN)

    def actions(self) -> list[str]:
        """The first parts of the actions the log knows (for a filter's choices)."""
        return ["account", "agency", "alert", "auth", "capture", "checkpoint", "disposition",
                "hold", "import", "ingest", "moderation", "person", "policy", "records",
                "request", "token", "user"]


def _event(row: dict, scope: str, details: dict | None) -> AuditEvent:
    return AuditEvent(row["id"], row["at"], row["actor"], row["action"], row["subject"],
                      row["ledger_index"], scope, details)


def _owners(conn, rows: list[dict]) -> dict[str, dict]:  # noqa: ANN001
    wanted: dict[str, set] = {"item": set(), "alert": set(), "person": set(), "user": set(),
                              "username": set()}
    for row in rows:
        found = _SUBJECT.match(row["subject"])
        if found and found.group(1) in wanted:
            wanted[found.group(1)].add(int(found.group(2)))
        named = _named(row)
        if named is not None:
            wanted["username"].add(named)
        if row["actor"].startswith("user:"):
            wanted["username"].add(row["actor"][5:].lower())
    return sql.owners(conn, wanted["item"], wanted["alert"], wanted["person"],
                      wanted["user"], wanted["username"])


def _agency_of(row: dict, owners: dict[str, dict], accounts: dict[int, int], first: int
               ) -> int | None:
    """The agency an event belongs to, or None when it names none."""
    found = _SUBJECT.match(row["subject"])
    if found:
        kind, number = found.group(1), int(found.group(2))
        if kind == "account":
            return accounts.get(number)
        if kind == "agency":
            return number
        if kind in ("hold", "request", "batch"):
            by_user = row["actor"].startswith("user:")
            return owners["username"].get(row["actor"][5:].lower(), first) if by_user \
                else first
        if kind in ("item", "alert"):
            account = owners[kind].get(number)
            if account is not None:
                return accounts.get(account)
        else:
            return owners[kind].get(number)
    named = _named(row)
    if named is not None and named in owners["username"]:
        return owners["username"][named]
    if row["actor"].startswith("user:"):
        return owners["username"].get(row["actor"][5:].lower())
    return None


def _named(row: dict) -> str | None:
    """The username a failed sign-in tried, in lower case (sign-in ignores case)."""
    found = _USERNAME.match(row["subject"])
    if found is None:
        return None
    try:
        name = ast.literal_eval(found.group(1))
    except (ValueError, SyntaxError):
        return None
    return name.lower() if isinstance(name, str) else None

