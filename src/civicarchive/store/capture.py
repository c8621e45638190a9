"""The SQL of live capture: settings, credentials, runs, gaps and alerts.

Every table here is append-only, and every row is written with an audit event in the
ledger that carries the row's fields, so that verification can re-derive the row from the
ledger (a credential's ciphertext is carried as its sha256: the ledger never holds even
encrypted secrets). What is "current" (settings, credentials, an open gap) is the latest
row, read back here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json
from civicarchive.store.entries import audit_entry_of, audit_rows
from civicarchive.store.proof import signed_checkpoint, signed_paths


def _json(value: object) -> str:
    return canonical_json(value).decode()


def _plain(row: sa.Row) -> dict:
    """A row as a dict with plain str keys (column names are str subclasses, which
    JSON encoders refuse)."""
    return {str(key): value for key, value in row._mapping.items()}


def _insert(tx, table: sa.Table, row: dict, actor: str, action: str, subject: str,  # noqa: ANN001
            audited: dict | None = None) -> int:
    """INSERT one row with a new id, and its audit event carrying the row's fields."""
    row = {"id": tx.next_id(table.name), **row}
    tx.conn.execute(table.insert(), [row])
    tx.audit(actor, action, subject, {"table": table.name, "id": row["id"],
                                      **(audited or row)})
    return row["id"]


# -- settings ------------------------------------------------------------------------------

def add_settings(tx, account_id: int, settings: dict, actor: str) -> int:  # noqa: ANN001
    return _insert(tx, t.capture_settings, {
        "account_id": account_id, "settings": _json(settings), "set_at": tx.now,
        "set_by": actor}, actor, "capture.configure", f"account {account_id}")


def settings(conn: Connection) -> dict[int, dict]:
    """Account id -> its capture settings in force (the latest row)."""
    s = t.capture_settings.c
    latest = sa.select(sa.func.max(s.id)).group_by(s.account_id).scalar_subquery()
    return {row.account_id: orjson.loads(row.settings) for row in conn.execute(
        sa.select(s.account_id, s.settings).where(s.id.in_(latest)))}


# -- credentials ---------------------------------------------------------------------------

def add_credential(tx, account_id: int, ciphertext: str, key_fingerprint: str,  # noqa: ANN001
                   expires_at: str | None, actor: str, action: str = "credentials.set"
                   ) -> int:
    row = {"account_id": account_id, "ciphertext": ciphertext,
           "key_fingerprint": key_fingerprint, "expires_at": expires_at, "set_at": tx.now,
           "set_by": actor}
    audited = {**{k: v for k, v in row.items() if k != "ciphertext"},
               "ciphertext_sha256": hashlib.sha256(ciphertext.encode()).hexdigest()}
    return _insert(tx, t.credentials, row, actor, action, f"account {account_id}", audited)


def credentials(conn: Connection) -> dict[int, sa.Row]:
    """Account id -> its credential in force (the latest row)."""
    c = t.credentials.c
    latest = sa.select(sa.func.max(c.id)).group_by(c.account_id).scalar_subquery()
    return {row.account_id: row for row in conn.execute(
        sa.select(t.credentials).where(c.id.in_(latest)))}


# -- runs ----------------------------------------------------------------------------------

def add_run(tx, fields: dict, actor: str) -> int:  # noqa: ANN001
    row = {**fields, "problems": _json(fields["problems"]),
           "cursor": None if fields["cursor"] is None else _json(fields["cursor"]),
           "failure": None if fields["failure"] is None else _json(fields["failure"]),
           "recorded_by": actor}
    return _insert(tx, t.capture_runs, row, actor, "capture.run",
                   f"account {fields['account_id']}")


def runs(conn: Connection, account_id: int, limit: int = 20) -> list[dict]:
    """The account's latest runs, newest first, with JSON fields parsed."""
    r = t.capture_runs.c
    return [_run(row) for row in conn.execute(
        sa.select(t.capture_runs).where(r.account_id == account_id)
        .order_by(r.id.desc()).limit(limit))]


def last_success(conn: Connection, account_id: int) -> dict | None:
    r = t.capture_runs.c
    row = conn.execute(sa.select(t.capture_runs).where(r.account_id == account_id,
                                                       r.outcome == "ok")
                       .order_by(r.id.desc()).limit(1)).first()
    return _run(row) if row else None


def failures_since(conn: Connection, account_id: int, run_id: int) -> int:
    """Failed runs of the account after run `run_id` (0: ever)."""
    r = t.capture_runs.c
    return conn.execute(sa.select(sa.func.count()).where(
        r.account_id == account_id, r.outcome != "ok", r.id > run_id)).scalar_one()


def cursor(conn: Connection, account_id: int) -> dict:
    """The cursor the account's last successful run left ({} before the first)."""
    found = last_success(conn, account_id)
    return found["cursor"] if found and found["cursor"] is not None else {}


def _run(row: sa.Row) -> dict:
    found = _plain(row)
    for key in ("problems", "cursor", "failure"):
        if found[key] is not None:
            found[key] = orjson.loads(found[key])
    found["full"] = bool(found["full"])
    return found


# -- gaps ----------------------------------------------------------------------------------

def add_gap(tx, account_id: int, gap_from: str, cause: str, evidence: dict,  # noqa: ANN001
            actor: str) -> int:
    return _insert(tx, t.capture_gaps, {
        "account_id": account_id, "gap_from": gap_from, "cause": cause,
        "evidence": _json(evidence), "opened_at": tx.now, "opened_by": actor},
        actor, "capture.gap", f"account {account_id}")


def close_gap(tx, gap_id: int, account_id: int, gap_to: str, actor: str) -> None:  # noqa: ANN001
    row = {"gap_id": gap_id, "gap_to": gap_to, "closed_at": tx.now, "closed_by": actor}
    tx.conn.execute(t.capture_gap_closures.insert(), [row])
    tx.audit(actor, "capture.gap.close", f"account {account_id}",
             {"table": "capture_gap_closures", **row})


def gaps(conn: Connection, account_id: int | None = None, open_only: bool = False
         ) -> list[dict]:
    """Gaps, oldest first, with `gap_to` (None while open) and their evidence parsed."""
    g, c = t.capture_gaps.c, t.capture_gap_closures.c
    query = sa.select(t.capture_gaps, c.gap_to, c.closed_at).select_from(
        t.capture_gaps.outerjoin(t.capture_gap_closures, c.gap_id == g.id)).order_by(g.id)
    if account_id is not None:
        query = query.where(g.account_id == account_id)
    if open_only:
        query = query.where(c.gap_id.is_(None))
    return [{**_plain(row), "evidence": orjson.loads(row.evidence)}
            for row in conn.execute(query)]


def account_starts(conn: Connection, version_ids: Iterable[int]) -> dict[int, str]:
    """Account id -> the earliest creation or observation among the versions given of
    its records."""
    v, i = t.versions.c, t.items.c
    ids = sorted(set(version_ids))
    starts: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        query = sa.select(i.account_id, sa.func.min(sa.func.coalesce(i.created_at,
                                                                       v.observed_at)),
                          sa.func.min(v.observed_at)) \
            .join(t.items, i.id == v.item_id).where(v.id.in_(ids[start:start + 500])) \
            .group_by(i.account_id)
        for account_id, created, observed in conn.execute(query):
            starts[account_id] = min(created, observed, starts.get(account_id, observed))
    return starts


def gaps_since(conn: Connection, starts: dict[int, str]) -> list[dict]:
    """The gaps of each account that were open at or after its start time."""
    return [gap for gap in gaps(conn) if gap["account_id"] in starts
            and (gap["gap_to"] is None or gap["gap_to"] >= starts[gap["account_id"]])]


def gap_events(conn: Connection, gap_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """Gap id -> the `entries.audit_rows()` rows of the audit events that opened and
    closed it, in ledger order."""
    wanted = set(gap_ids)
    au = t.audit_events.c
    found: dict[int, list[tuple]] = {gap: [] for gap in wanted}
    if not wanted:
        return found
    query = audit_rows().where(au.action.in_(("capture.gap", "capture.gap.close")))
    for row in conn.execute(query):
        details = orjson.loads(row.details)
        gap = details.get("id") if row.action == "capture.gap" else details.get("gap_id")
        if gap in wanted:
            found[gap].append(tuple(row))
    return found


def gap_statements(conn: Connection, version_ids: Iterable[int]) -> dict:
    """The gaps of the versions' accounts since the earliest of those versions, each with
    the inclusion proofs of the audit events that opened and closed it, against the
    newest checkpoint (the `checkpoint` and `gaps` of exports/gaps.py's document)."""
    found = gaps_since(conn, account_starts(conn, version_ids))
    if not found:
        return {"checkpoint": None, "gaps": []}
    events = gap_events(conn, [gap["id"] for gap in found])
    checkpoint, paths = signed_paths(
        conn, {row[0]: row[0] for rows in events.values() for row in rows}, "ledger entry")
    return {"checkpoint": signed_checkpoint(checkpoint), "gaps": [{
        "gap": gap["id"], "account": gap["account_id"], "from": gap["gap_from"],
        "to": gap["gap_to"], "cause": gap["cause"], "evidence": gap["evidence"],
        "events": [{"leaf_index": row[0], "entry": audit_entry_of(row).decode(),
                    "audit_path": [h.hex() for h in paths[row[0]]]}
                   for row in events[gap["id"]]]} for gap in found]}


# -- alerts --------------------------------------------------------------------------------

def add_alert(tx, kind: str, account_id: int | None, message: str, details: dict,  # noqa: ANN001
              actor: str) -> int:
    return _insert(tx, t.alerts, {
        "at": tx.now, "kind": kind, "account_id": account_id, "message": message,
        "details": _json(details)}, actor, "alert",
        f"account {account_id}" if account_id is not None else "archive")


def alerts(conn: Connection, account_id: int | None = None, kind: str | None = None,
           limit: int = 100) -> list[dict]:
    """Alerts, newest first."""
    a = t.alerts.c
    query = sa.select(t.alerts).order_by(a.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(a.account_id == account_id)
    if kind is not None:
        query = query.where(a.kind == kind)
    return [{**_plain(row), "details": orjson.loads(row.details)}
            for row in conn.execute(query)]


def alert(conn: Connection, alert_id: int) -> dict | None:
    """One alert by id."""
    row = conn.execute(sa.select(t.alerts).where(t.alerts.c.id == alert_id)).first()
    return None if row is None else {**_plain(row), "details": orjson.loads(row.details)}


# -- what the archive holds ----------------------------------------------------------------

def known_native_ids(store, conn: Connection, account_id: int,  # noqa: ANN001
                     native_ids: Iterable[str]) -> set[str]:
    """Of these native ids, those the account already has items for."""
    i = t.items.c
    return set(conn.execute(sa.select(i.native_id).where(
        i.account_id == account_id, store.member_of(i.native_id, list(native_ids)))).scalars())


def latest_versions(store, conn: Connection, item_ids: list[int]  # noqa: ANN001
                    ) -> dict[int, tuple[str, bytes]]:
    """Item id -> (event, content sha256) of its latest version by observed time."""
    v = t.versions.c
    found: dict[int, tuple] = {}
    for row in conn.execute(sa.select(v.item_id, v.observed_at, v.id, v.event,
                                      v.content_sha256)
                            .where(store.member_of(v.item_id, item_ids))):
        key = (row.observed_at, row.id)
        if row.item_id not in found or key > found[row.item_id][0]:
            found[row.item_id] = (key, row.event, bytes(row.content_sha256))
    return {item_id: (event, sha) for item_id, (_, event, sha) in found.items()}
