"""Re-derive everything the archive claims and collect what does not hold.

Checks, streaming: every blob re-hashed; every version, audit event and tombstone turned
back into its ledger entry, hashed and compared with its stored leaf; the tree root
recomputed at each checkpoint's size (successive checkpoints are consistent because each
root is recomputed from the same leaves); every checkpoint signature checked; every
version's content and raw bytes present, or purged by a recorded tombstone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.store import schema as t
from civicarchive.store.checkpoint import CheckpointBody, signature_valid
from civicarchive.store.entries import (EntryKind, audit_rows, rebuild, tombstone_rows,
                                        version_rows)
from civicarchive.store.merkle import Frontier, leaf_hash
from civicarchive.store.sql import SqlRecordStore

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class VerifyReport:
    entries: int = 0
    versions: int = 0
    audit_events: int = 0
    tombstones: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    checkpoints: int = 0
    purged_versions: int = 0
    unsealed_entries: int = 0
    root: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "versions": self.versions,
                "audit_events": self.audit_events, "tombstones": self.tombstones,
                "blobs": self.blobs, "blob_bytes": self.blob_bytes,
                "checkpoints": self.checkpoints, "purged_versions": self.purged_versions,
                "unsealed_entries": self.unsealed_entries, "root": self.root,
                "problems": [{"where": p.where, "what": p.what} for p in self.problems]}


def verify_store(store: SqlRecordStore, public_key: Ed25519PublicKey, origin: str,
                 progress: Progress | None = None) -> VerifyReport:
    report = VerifyReport()
    with store.read() as conn:
        _check_blobs(store, conn, report, progress)
        _check_ledger(store, conn, report, public_key, origin, progress)
        _check_presence(conn, report)
    return report


def _check_blobs(store: SqlRecordStore, conn: sa.Connection, report: VerifyReport,
                 progress: Progress | None) -> None:
    b = t.blobs.c
    for sha256, size, data in store.stream(conn, sa.select(b.sha256, b.size, b.data)):
        if data is None:
            try:
                with store.blob_store.open(sha256) as stream:
                    data = stream.read()
            except FileNotFoundError:
                report.problems.append(Problem(f"blob {sha256}", "file is missing from the "
                                               "blob store"))
                continue
        report.blobs += 1
        report.blob_bytes += len(data)
        if hashlib.sha256(data).hexdigest() != sha256 or len(data) != size:
            report.problems.append(Problem(f"blob {sha256}", "content does not match its hash"))
        if progress and report.blobs % 50000 == 0:
            progress("blobs", report.blobs)


def _expected_entries(store: SqlRecordStore, conn: sa.Connection) -> dict[str, Iterator]:
    return {EntryKind.VERSION: iter(store.stream(conn, version_rows())),
            EntryKind.AUDIT: iter(store.stream(conn, audit_rows())),
            EntryKind.TOMBSTONE: iter(store.stream(conn, tombstone_rows()))}


def _check_ledger(store: SqlRecordStore, conn: sa.Connection, report: VerifyReport,
                  public_key: Ed25519PublicKey, origin: str, progress: Progress | None) -> None:
    checkpoints = conn.execute(sa.select(t.checkpoints).order_by(t.checkpoints.c.id)).all()
    previous = 0
    for cp in checkpoints:
        if cp.tree_size < previous:
            report.problems.append(Problem(f"checkpoint {cp.id}", f"tree size {cp.tree_size} is "
                                           f"smaller than the previous checkpoint's {previous}"))
        previous = max(previous, cp.tree_size)
    pending = sorted(checkpoints, key=lambda cp: (cp.tree_size, cp.id))
    expected = _expected_entries(store, conn)
    counters = {EntryKind.VERSION: "versions", EntryKind.AUDIT: "audit_events",
                EntryKind.TOMBSTONE: "tombstones"}
    frontier = Frontier()
    cursor = 0
    while cursor < len(pending) and pending[cursor].tree_size == 0:
        _check_checkpoint(pending[cursor], frontier, public_key, origin, report)
        cursor += 1
    le = t.ledger_entries.c
    for idx, kind, stored in store.stream(
            conn, sa.select(le.idx, le.kind, le.leaf_hash).order_by(le.idx)):
        where = f"ledger entry {idx}"
        if idx != frontier.size:
            report.problems.append(Problem(where, f"expected entry {frontier.size}: the ledger "
                                           "has a gap or a duplicate"))
        leaf = bytes(stored)
        source = expected.get(kind)
        row = next(source, None) if source is not None else None
        if row is None:
            report.problems.append(Problem(where, f"no {kind} record backs this entry"))
        else:
            rebuilt, subject = rebuild(kind, row)
            if row.ledger_index != idx:
                report.problems.append(Problem(where, f"{subject} claims ledger entry "
                                               f"{row.ledger_index}"))
            elif leaf_hash(rebuilt) != leaf:
                report.problems.append(Problem(where, f"{subject} no longer matches its "
                                               "ledger leaf: the record or the leaf changed"))
            setattr(report, counters[kind], getattr(report, counters[kind]) + 1)
        frontier.append(leaf)
        report.entries += 1
        while cursor < len(pending) and pending[cursor].tree_size == frontier.size:
            _check_checkpoint(pending[cursor], frontier, public_key, origin, report)
            cursor += 1
        if progress and report.entries % 50000 == 0:
            progress("ledger", report.entries)
    for kind, source in expected.items():
        for row in source:
            report.problems.append(Problem(f"{kind} row with ledger entry {row.ledger_index}",
                                           "has no ledger entry"))
    for cp in pending[cursor:]:
        report.problems.append(Problem(f"checkpoint {cp.id}", f"covers {cp.tree_size} entries "
                                       f"but the ledger holds {frontier.size}: entries are "
                                       "missing"))
    sealed = max((cp.tree_size for cp in checkpoints), default=0)
    report.unsealed_entries = max(0, frontier.size - sealed)
    report.root = frontier.root().hex()


def _check_checkpoint(cp: sa.Row, frontier: Frontier, public_key: Ed25519PublicKey,
                      origin: str, report: VerifyReport) -> None:
    where = f"checkpoint {cp.id} (tree size {cp.tree_size})"
    report.checkpoints += 1
    if not signature_valid(public_key, cp.body, bytes(cp.signature)):
        report.problems.append(Problem(where, "signature does not verify with the archive's "
                                       "public key"))
        return
    try:
        body = CheckpointBody.parse(cp.body)
    except ValueError as error:
        report.problems.append(Problem(where, f"signed body is malformed: {error}"))
        return
    root = frontier.root()
    if body.origin != origin:
        report.problems.append(Problem(where, f"signed for archive {body.origin}, not {origin}"))
    if (body.size, body.root, body.time) != (cp.tree_size, bytes(cp.root_hash), cp.created_at):
        report.problems.append(Problem(where, "stored size, root or time differ from the "
                                       "signed body"))
    if body.root != root:
        report.problems.append(Problem(where, "signed root does not match the root recomputed "
                                       "from the ledger"))
    if orjson.loads(cp.frontier) != [h.hex() for h in frontier.hashes()]:
        report.problems.append(Problem(where, "stored frontier does not match the ledger"))


def _check_presence(conn: sa.Connection, report: VerifyReport) -> None:
    """Every version's content and raw blobs exist, unless a tombstone purged them."""
    v, b, ts = t.versions.c, t.blobs.c, t.tombstones.c
    purged = sa.select(ts.version_id)
    report.purged_versions = conn.execute(sa.select(sa.func.count()).select_from(t.tombstones)
                                          ).scalar_one()
    for column, label in ((v.content_sha256, "content"), (v.raw_sha256, "raw bytes")):
        missing = conn.execute(
            sa.select(v.id).outerjoin(t.blobs, b.sha256 == column)
            .where(b.sha256.is_(None), v.id.not_in(purged)).order_by(v.id).limit(100))
        for (version_id,) in missing:
            report.problems.append(Problem(f"version {version_id}", f"its {label} blob is "
                                           "missing and no tombstone records a purge"))
