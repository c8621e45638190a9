"""The ledger entries: what each Merkle leaf commits to.

An entry is RFC 8785 canonical JSON. It names the record and the sha256 of its content
and raw bytes, never the content itself, so a lawful purge leaves every leaf intact.
The writer and the verifier both build entries here, so they cannot drift apart.
"""

from __future__ import annotations

import enum

import orjson
import sqlalchemy as sa

from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json


class EntryKind(enum.StrEnum):
    VERSION = "version"
    AUDIT = "audit"
    TOMBSTONE = "tombstone"


def version_entry(*, version_id: int, item_id: int, account_id: int, platform: str,
                  native_id: str, kind: str, parent_native_id: str | None, author: str | None,
                  url: str | None, created_at: str | None, event: str, observed_at: str,
                  recorded_at: str, content_sha256: str, raw_sha256: str, source: str) -> bytes:
    # Keys are ASCII and values are strings and small ints: orjson with sorted keys is
    # exactly RFC 8785 here (tests hold it to the reference), and fast on the hot path.
    return orjson.dumps({
        "type": "version", "version": version_id, "item": item_id, "account": account_id,
        "platform": platform, "native_id": native_id, "kind": kind,
        "parent_native_id": parent_native_id, "author": author, "url": url,
        "created_at": created_at, "event": event,
        "observed_at": observed_at, "recorded_at": recorded_at,
        "content_sha256": content_sha256, "raw_sha256": raw_sha256, "source": source,
    }, option=orjson.OPT_SORT_KEYS)


def audit_entry(*, audit_id: int, at: str, actor: str, action: str, subject: str,
                details: str) -> bytes:
    """`details` is the canonical JSON text stored with the audit event."""
    return canonical_json({"type": "audit", "audit": audit_id, "at": at, "actor": actor,
                           "action": action, "subject": subject,
                           "details": orjson.loads(details)})


def tombstone_entry(*, version_id: int, content_sha256: str, raw_sha256: str, reason: str,
                    purged_at: str) -> bytes:
    return canonical_json({"type": "tombstone", "version": version_id,
                           "content_sha256": content_sha256, "raw_sha256": raw_sha256,
                           "reason": reason, "purged_at": purged_at})


def version_rows() -> sa.Select:
    """The columns a version entry is rebuilt from, ordered by ledger position."""
    v, i, a = t.versions.c, t.items.c, t.accounts.c
    return sa.select(v.id, v.item_id, v.event, v.observed_at, v.recorded_at,
                     v.content_sha256, v.raw_sha256, v.source, v.ledger_index,
                     i.account_id, i.native_id, i.kind, i.parent_native_id, i.author,
                     i.url, i.created_at, a.platform) \
        .join(t.items, i.id == v.item_id).join(t.accounts, a.id == i.account_id) \
        .order_by(v.ledger_index)


def audit_rows() -> sa.Select:
    return sa.select(t.audit_events).order_by(t.audit_events.c.ledger_index)


def tombstone_rows() -> sa.Select:
    ts, v = t.tombstones.c, t.versions.c
    return sa.select(ts.version_id, ts.ledger_index, ts.reason, ts.purged_at,
                     v.content_sha256, v.raw_sha256) \
        .join(t.versions, v.id == ts.version_id).order_by(ts.ledger_index)


def rebuild(kind: str, row: sa.Row) -> tuple[bytes, str]:
    """The entry a stored row stands for, and a name for the row in reports."""
    if kind == EntryKind.VERSION:
        return version_entry(
            version_id=row.id, item_id=row.item_id, account_id=row.account_id,
            platform=row.platform, native_id=row.native_id, kind=row.kind,
            parent_native_id=row.parent_native_id, author=row.author, url=row.url,
            created_at=row.created_at, event=row.event, observed_at=row.observed_at,
            recorded_at=row.recorded_at, content_sha256=row.content_sha256,
            raw_sha256=row.raw_sha256, source=row.source), f"version {row.id}"
    if kind == EntryKind.AUDIT:
        return audit_entry(audit_id=row.id, at=row.at, actor=row.actor, action=row.action,
                           subject=row.subject, details=row.details), f"audit event {row.id}"
    return tombstone_entry(version_id=row.version_id, content_sha256=row.content_sha256,
                           raw_sha256=row.raw_sha256, reason=row.reason,
                           purged_at=row.purged_at), f"tombstone of version {row.version_id}"
