"""Self-contained inclusion proofs: one version, checkable offline with a public key.

The format is documented in docs/proof-format.md, rule by rule; `parse_proof` and
`verify_proof` are the reference verifier, need nothing from the archive, and name the
rule a proof breaks in every error (docs/examples/verify_proof.py enforces the same rules
without civicarchive, and docs/proof-vectors/ holds a proof breaking each one).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.errors import NotFound, ProofError
from civicarchive.store import schema as t
from civicarchive.store.entries import version_entry_of, version_rows
from civicarchive.store.merkle import inclusion_paths
from civicarchive.store.proofcheck import FORMAT, RULES, ProofResult, parse_proof, verify_proof
from civicarchive.store.sql import SqlRecordStore

__all__ = ["FORMAT", "RULES", "ProofResult", "build_proof", "build_proofs", "parse_proof",
           "signed_checkpoint", "signed_paths", "verify_proof"]


def build_proof(store: SqlRecordStore, version_id: int, public_key_raw: bytes) -> dict:
    """The proof for one version against the newest checkpoint."""
    return next(build_proofs(store, [version_id], public_key_raw))


def build_proofs(store: SqlRecordStore, version_ids: Iterable[int], public_key_raw: bytes
                 ) -> Iterator[dict]:
    """Proofs for many versions against the newest checkpoint, in the order given, from
    one read of the ledger and one pass over its tree (a production proves thousands)."""
    ids = list(version_ids)
    v = t.versions.c
    with store.read() as conn:
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows.update((row.id, row) for row in conn.execute(
                version_rows().where(v.id.in_(chunk))))
        missing = [i for i in ids if i not in rows]
        if missing:
            raise NotFound("version", missing[0])
        checkpoint, paths = signed_paths(conn, {i: rows[i].ledger_index for i in ids},
                                         "version")
    for version_id in ids:
        version = rows[version_id]
        content = store.blob(version.content_sha256)
        yield {
            "format": FORMAT,
            "version_id": version_id,
            "leaf_index": version.ledger_index,
            "entry": version_entry_of(tuple(version)).decode(),
            "content": content.decode() if content is not None else None,
            "tree_size": checkpoint.tree_size,
            "audit_path": [h.hex() for h in paths[version.ledger_index]],
            "checkpoint": signed_checkpoint(checkpoint),
            "public_key": base64.b64encode(public_key_raw).decode(),
        }


def signed_paths(conn: Connection, indexes: Mapping[object, int], what: str
                 ) -> tuple[sa.Row, dict[int, list[bytes]]]:
    """The newest checkpoint and the audit path to it of each ledger index (`indexes`
    maps what each proves, named `what` in errors, to its index). ProofError when an
    index lies beyond the newest checkpoint."""
    le, cp = t.ledger_entries.c, t.checkpoints.c
    checkpoint = conn.execute(sa.select(t.checkpoints).order_by(
        cp.tree_size.desc(), cp.id.desc()).limit(1)).first()
    late = [key for key, index in indexes.items()
            if checkpoint is None or checkpoint.tree_size <= index]
    if late:
        raise ProofError(f"{what} {late[0]} is not covered by a signed checkpoint yet")
    if not indexes:
        return checkpoint, {}
    leaves = [bytes(h) for (h,) in conn.execute(
        sa.select(le.leaf_hash).where(le.idx < checkpoint.tree_size).order_by(le.idx))]
    return checkpoint, inclusion_paths(indexes.values(), leaves)


def signed_checkpoint(row: sa.Row) -> dict:
    """A checkpoint row as proofs carry it: its body and base64 signature."""
    return {"body": row.body, "signature": base64.b64encode(bytes(row.signature)).decode()}
