"""The SQL of disposition: batches of records under review, their approvals, and the
execution that carries the certificate."""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.store import schema as t


def add_batch(tx, series: str, policy_id: int, item_ids: list[int],  # noqa: ANN001
              actor: str) -> int:
    batch_id = tx.next_id("disposition_batches")
    tx.conn.execute(t.disposition_batches.insert(), [{
        "id": batch_id, "series": series, "policy_id": policy_id, "created_at": tx.now,
        "created_by": actor}])
    tx.conn.execute(t.disposition_items.insert(),
                    [{"batch_id": batch_id, "item_id": i} for i in item_ids])
    return batch_id


def batch_ids(conn: Connection) -> list[int]:
    b = t.disposition_batches.c
    return [i for (i,) in conn.execute(sa.select(b.id).order_by(b.id))]


def batch(conn: Connection, batch_id: int) -> dict | None:
    """A batch with its items, approvals and execution; None when there is none."""
    row = conn.execute(sa.select(t.disposition_batches).where(
        t.disposition_batches.c.id == batch_id)).first()
    if row is None:
        return None
    di, da = t.disposition_items.c, t.disposition_approvals.c
    items = [i for (i,) in conn.execute(sa.select(di.item_id).where(di.batch_id == batch_id)
                                        .order_by(di.item_id))]
    approvals = conn.execute(sa.select(t.disposition_approvals).where(
        da.batch_id == batch_id).order_by(da.approved_at)).all()
    executed = conn.execute(sa.select(t.disposition_executions).where(
        t.disposition_executions.c.batch_id == batch_id)).first()
    return {"id": row.id, "series": row.series, "policy": row.policy_id,
            "created_at": row.created_at, "created_by": row.created_by, "items": items,
            "approvals": [(a.approver, a.approved_at) for a in approvals],
            "executed_at": executed.executed_at if executed else None,
            "transfers": transfers(conn, batch_id),
            "certificate": orjson.loads(executed.certificate) if executed else None}


def add_approval(tx, batch_id: int, actor: str) -> None:  # noqa: ANN001
    tx.conn.execute(t.disposition_approvals.insert(), [{
        "batch_id": batch_id, "approver": actor, "approved_at": tx.now}])


def add_execution(tx, batch_id: int, certificate: str, actor: str) -> None:  # noqa: ANN001
    tx.conn.execute(t.disposition_executions.insert(), [{
        "batch_id": batch_id, "executed_at": tx.now, "executed_by": actor,
        "certificate": certificate}])


def transfers(conn: Connection, batch_id: int) -> list[dict]:
    """The transfer packages written of a batch (their audit events' details), oldest
    first."""
    au = t.audit_events.c
    rows = conn.execute(sa.select(au.details).where(
        au.action == "disposition.transfer", au.subject == f"batch {batch_id}")
        .order_by(au.id))
    return [orjson.loads(details) for (details,) in rows]


def latest_checkpoint(conn: Connection) -> tuple[int, str, str]:
    """(tree size, root hex, created at) of the newest checkpoint."""
    row = conn.execute(sa.select(t.checkpoints).order_by(
        t.checkpoints.c.tree_size.desc()).limit(1)).one()
    return row.tree_size, bytes(row.root_hash).hex(), row.created_at
