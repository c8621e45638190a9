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


def version_rows(platform: bool = True) -> sa.Select:
    """The columns `version_entry_of` reads, in its order, in ledger order. Without
    `platform`, the caller appends it (from the small accounts table) to each row."""
    v, i, a = t.versions.c, t.items.c, t.accounts.c
    query = sa.select(v.ledger_index, v.id, v.item_id, v.event, v.observed_at, v.recorded_at,
                      v.content_sha256, v.raw_sha256, v.source, i.account_id, i.native_id,
                      i.kind, i.parent_native_id, i.author, i.url, i.created_at) \
        .join(t.items, i.id == v.item_id) \
        .order_by(v.id)  # ids and ledger positions are allocated together, in one order
    if platform:
        query = query.add_columns(a.platform).join(t.accounts, a.id == i.account_id)
    return query


def version_entry_of(row: tuple, platform: str | None = None) -> bytes:
    """The entry of a `version_rows()` row (its first column, the ledger index, unused).

    `platform` stands in for the last column when the query left it out; columns after
    those `version_rows()` selects are ignored.
    """
    # Keys are ASCII and values are strings and small ints: orjson is exactly RFC 8785
    # here (tests hold it to the reference), and fast on the hot path. The keys are
    # written in sorted order, which RFC 8785 asks for, so orjson need not sort them.
    return orjson.dumps({
        "account": row[9], "author": row[13], "content_sha256": row[6].hex(),
        "created_at": row[15], "event": row[3], "item": row[2], "kind": row[11],
        "native_id": row[10], "observed_at": row[4], "parent_native_id": row[12],
        "platform": row[16] if platform is None else platform,
        "raw_sha256": row[7].hex(), "recorded_at": row[5], "source": row[8],
        "type": "version", "url": row[14], "version": row[1],
    })


def audit_rows() -> sa.Select:
    """The columns `audit_entry_of` reads, in ledger order."""
    au = t.audit_events.c
    return sa.select(au.ledger_index, au.id, au.at, au.actor, au.action, au.subject,
                     au.details).order_by(au.id)


def audit_entry_of(row: tuple) -> bytes:
    _, audit_id, at, actor, action, subject, details = row
    return audit_entry(audit_id=audit_id, at=at, actor=actor, action=action, subject=subject,
                       details=details)


def tombstone_rows() -> sa.Select:
    """The columns `tombstone_entry_of` reads, in ledger order (a tombstone of no version
    too: its hashes are then None, and it matches no leaf)."""
    ts, v = t.tombstones.c, t.versions.c
    return sa.select(ts.ledger_index, ts.version_id, ts.reason, ts.purged_at,
                     v.content_sha256, v.raw_sha256) \
        .outerjoin(t.versions, v.id == ts.version_id).order_by(ts.ledger_index)


def tombstone_entry_of(row: tuple) -> bytes:
    _, version_id, reason, purged_at, content_sha256, raw_sha256 = row
    return tombstone_entry(version_id=version_id, content_sha256=content_sha256.hex(),
                           raw_sha256=raw_sha256.hex(), reason=reason, purged_at=purged_at)


# How each kind of entry is rebuilt from its rows, and how reports name the row.
REBUILDERS = {
    EntryKind.VERSION: (version_rows, version_entry_of, lambda row: f"version {row[1]}"),
    EntryKind.AUDIT: (audit_rows, audit_entry_of, lambda row: f"audit event {row[1]}"),
    EntryKind.TOMBSTONE: (tombstone_rows, tombstone_entry_of,
                          lambda row: f"tombstone of version {row[1]}"),
}
