"""The ledger entries: what each Merkle leaf commits to.

An entry is RFC 8785 canonical JSON. It names the record and the sha256 of its content
and raw bytes, never the content itself, so a lawful purge leaves every leaf intact.
The writer and the verifier both build entries here, so they cannot drift apart.
"""

from __future__ import annotations

import enum

import orjson

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
