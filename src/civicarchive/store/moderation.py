"""The SQL of the moderation log: actions on comments and their authors, reviewers' stance
labels, acknowledgements of alerts; and the comments of given accounts with the post each
answers, as the review queue reads them.

Every table here is append-only, and every row is written with an audit event in the
ledger that carries the row's fields (tagged with the table's name), so verification
re-derives each row from the ledger (store/provenance.py). An action on the platform
that failed is still a row: the attempt is part of the record.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.record import Kind
from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json
from civicarchive.store.people import account_posts

COMMENT_KINDS = (Kind.COMMENT, Kind.REPLY)


def _json(value: object) -> str:
    return canonical_json(value).decode()


def _plain(row: sa.Row) -> dict:
    return {str(key): value for key, value in row._mapping.items()}


def add_action(tx, row: dict, actor: str) -> int:  # noqa: ANN001
    """One action of the log: `row` holds its columns but id, verdict and warning as
    objects (stored as JSON), acted_at and acted_by."""
    row = {"id": tx.next_id("moderation_actions"), **row, "verdict": _json(row["verdict"]),
           "warning": None if row.get("warning") is None else _json(row["warning"]),
           "acted_at": tx.now, "acted_by": actor}
    tx.conn.execute(t.moderation_actions.insert(), [row])
    tx.audit(actor, f"moderation.{row['action']}", f"item {row['item_id']}",
             {"table": "moderation_actions", **row})
    return row["id"]


def actions(conn: Connection, account_id: int | None = None,
            item_id: int | None = None) -> list[dict]:
    """The log, oldest first, each action's verdict and warning parsed."""
    m = t.moderation_actions.c
    query = sa.select(t.moderation_actions).order_by(m.id)
    if account_id is not None:
        query = query.where(m.account_id == account_id)
    if item_id is not None:
        query = query.where(m.item_id == item_id)
    return [{**_plain(row), "verdict": orjson.loads(row.verdict),
             "warning": orjson.loads(row.warning) if row.warning else None}
            for row in conn.execute(query)]


def add_label(tx, item_id: int, stance: str, actor: str) -> int:  # noqa: ANN001
    row = {"id": tx.next_id("moderation_labels"), "item_id": item_id, "stance": stance,
           "labelled_at": tx.now, "labelled_by": actor}
    tx.conn.execute(t.moderation_labels.insert(), [row])
    tx.audit(actor, "moderation.label", f"item {item_id}", {"table": "moderation_labels", **row})
    return row["id"]


def labels(conn: Connection) -> dict[int, dict]:
    """Item id -> its stance label in force (the latest), with who gave it and when."""
    m = t.moderation_labels.c
    return {row.item_id: _plain(row) for row in conn.execute(
        sa.select(t.moderation_labels).order_by(m.id))}


def acknowledge_alert(tx, alert_id: int, note: str | None, actor: str) -> None:  # noqa: ANN001
    row = {"alert_id": alert_id, "note": note, "acknowledged_at": tx.now,
           "acknowledged_by": actor}
    tx.conn.execute(t.alert_acknowledgements.insert(), [row])
    tx.audit(actor, "alert.ack", f"alert {alert_id}", {"table": "alert_acknowledgements", **row})


def acknowledgements(conn: Connection, alert_ids: Iterable[int] | None = None
                     ) -> dict[int, dict]:
    """Alert id -> its acknowledgement (note, when, by whom)."""
    a = t.alert_acknowledgements.c
    query = sa.select(t.alert_acknowledgements)
    if alert_ids is not None:
        query = query.where(a.alert_id.in_(sorted(set(alert_ids))))
    return {row.alert_id: _plain(row) for row in conn.execute(query)}


def comments(conn: Connection, blob, account_ids: Iterable[int],  # noqa: ANN001
             item_ids: Iterable[int] | None = None) -> list[dict]:
    """The comments and replies on these accounts (or only those named), by id, each with
    its latest text, author, whether it is deleted, and the text of the post its thread
    answers (`post`, empty when that post is not archived) and that post's id."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    found = list(account_posts(conn, blob, ids, COMMENT_KINDS, item_ids))
    if not found:
        return []
    i = t.items.c
    meta = {row.id: row for row in conn.execute(
        sa.select(i.id, i.account_id, i.native_id, i.parent_native_id, i.author, i.kind)
        .where(i.account_id.in_(ids)))}
    by_native = {(row.account_id, row.native_id): row.id for row in meta.values()}
    roots: dict[int, int | None] = {}
    for row in found:
        current, seen = row["item_id"], set()
        while current is not None and current not in seen:
            seen.add(current)
            parent = meta[current].parent_native_id
            nxt = by_native.get((meta[current].account_id, parent)) if parent else None
            if nxt is None:
                break
            current = nxt
        roots[row["item_id"]] = current if current != row["item_id"] and \
            meta[current].kind == Kind.POST.value else None
    posts = {p["item_id"]: p["text"] for p in account_posts(
        conn, blob, ids, (Kind.POST,), {r for r in roots.values() if r is not None})}
    return [{**row, "author": meta[row["item_id"]].author,
             "post_id": roots[row["item_id"]],
             "post": posts.get(roots[row["item_id"]], "")} for row in found]
