"""Alerts, as people work through them: every alert the archive raised (capture,
credentials, compliance, moderation), each shown acknowledged or open. Alerts are
append-only: acknowledging one adds a row and an audit event in the ledger, with who,
when and an optional note; the alert itself never changes."""

from __future__ import annotations

from civicarchive.app.context import ArchiveContext
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.store import capture as alerts_sql
from civicarchive.store import moderation as sql

ALL = 1_000_000


class Alerts:
    """Listing alerts with their acknowledgements, and acknowledging them."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context

    def list(self, account_id: int | None = None, kind: str | None = None, limit: int = 100,
             open_only: bool = False) -> list[dict]:
        """Alerts, newest first, each with `acknowledged` (None while open, else who, when
        and the note); `open_only` leaves out the acknowledged ones."""
        with self.context.read() as conn:
            found = alerts_sql.alerts(conn, account_id, kind, ALL if open_only else limit)
            acks = sql.acknowledgements(conn, [a["id"] for a in found])
        rows = [{**a, "acknowledged": _ack(acks.get(a["id"]))} for a in found]
        if open_only:
            rows = [r for r in rows if r["acknowledged"] is None][:limit]
        return rows

    def ack(self, alert_id: int, actor: str, note: str | None = None) -> dict:
        """Acknowledge an alert (once): an audit event in the ledger. Returns the alert
        with its acknowledgement."""
        note = " ".join(note.split()) if note else None
        with self.context.read() as conn:
            found = alerts_sql.alert(conn, alert_id)
            done = sql.acknowledgements(conn, [alert_id]).get(alert_id)
        if found is None:
            raise NotFound("alert", alert_id)
        if done is not None:
            raise InvalidInput(f"alert {alert_id} was acknowledged by {done['acknowledged_by']}"
                               f" at {done['acknowledged_at']}: an acknowledgement stands",
                               parameter="alert")
        with self.context.write() as tx:
            sql.acknowledge_alert(tx, alert_id, note, actor)
        return self.list_one(alert_id)

    def list_one(self, alert_id: int) -> dict:
        """One alert with its acknowledgement."""
        with self.context.read() as conn:
            found = alerts_sql.alert(conn, alert_id)
            acks = sql.acknowledgements(conn, [alert_id])
        if found is None:
            raise NotFound("alert", alert_id)
        return {**found, "acknowledged": _ack(acks.get(alert_id))}


def _ack(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {"at": row["acknowledged_at"], "by": row["acknowledged_by"], "note": row["note"]}
