"""Self-contained inclusion proofs: one version, checkable offline with a public key.

The format is documented in docs/proof-format.md; `verify_proof` is the reference
verifier and needs nothing from the archive.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.errors import NotFound, ProofError
from civicarchive.store import schema as t
from civicarchive.store.entries import version_entry_of, version_rows
from civicarchive.store.checkpoint import (CheckpointBody, fingerprint, public_raw,
                                           signature_valid)
from civicarchive.store.merkle import inclusion_paths, leaf_hash, root_from_inclusion
from civicarchive.store.sql import SqlRecordStore

FORMAT = "civicarchive-inclusion-proof/1"


def build_proof(store: SqlRecordStore, version_id: int, public_key_raw: bytes) -> dict:
    """The proof for one version against the newest checkpoint."""
    return next(build_proofs(store, [version_id], public_key_raw))


def build_proofs(store: SqlRecordStore, version_ids: Iterable[int], public_key_raw: bytes
                 ) -> Iterator[dict]:
    """Proofs for many versions against the newest checkpoint, in the order given, from
    one read of the ledger and one pass over its tree (a production proves thousands)."""
    ids = list(version_ids)
    v, le, cp = t.versions.c, t.ledger_entries.c, t.checkpoints.c
    with store.read() as conn:
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows.update((row.id, row) for row in conn.execute(
                version_rows().where(v.id.in_(chunk))))
        missing = [i for i in ids if i not in rows]
        if missing:
            raise NotFound("version", missing[0])
        checkpoint = conn.execute(sa.select(t.checkpoints).order_by(cp.tree_size.desc(),
                                                                    cp.id.desc()).limit(1)).first()
        late = [i for i in ids if checkpoint is None or
                checkpoint.tree_size <= rows[i].ledger_index]
        if late:
            raise ProofError(f"version {late[0]} is not covered by a signed checkpoint yet")
        leaves = [bytes(h) for (h,) in conn.execute(
            sa.select(le.leaf_hash).where(le.idx < checkpoint.tree_size).order_by(le.idx))]
    paths = inclusion_paths((rows[i].ledger_index for i in ids), leaves)
    del leaves
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
            "checkpoint": {"body": checkpoint.body,
                           "signature": base64.b64encode(bytes(checkpoint.signature)).decode()},
            "public_key": base64.b64encode(public_key_raw).decode(),
        }


@dataclass(frozen=True)
class ProofResult:
    version_id: int
    leaf_index: int
    tree_size: int
    root: str
    checkpoint_time: str
    key_fingerprint: str
    content_included: bool
    entry: dict


def verify_proof(doc: object, trusted_key: Ed25519PublicKey | None = None) -> ProofResult:
    """Check a proof document; raises ProofError naming the first thing that fails."""
    try:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ProofError(f"not a {FORMAT} document")
        entry_text, index, size = doc["entry"], doc["leaf_index"], doc["tree_size"]
        if not (isinstance(entry_text, str) and type(index) is int and type(size) is int):
            raise ProofError("entry must be a string, leaf_index and tree_size integers")
        path = [bytes.fromhex(h) for h in doc["audit_path"]]
        if any(len(h) != 32 for h in path):
            raise ProofError("every audit path element must be 32 bytes of hex")
        key_raw = base64.b64decode(doc["public_key"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(key_raw)
        signature = base64.b64decode(doc["checkpoint"]["signature"], validate=True)
        body_text = doc["checkpoint"]["body"]
        entry = orjson.loads(entry_text)
    except ProofError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise ProofError(f"proof is malformed: {error!r}") from error
    if trusted_key is not None and public_raw(trusted_key) != key_raw:
        raise ProofError("the proof is signed with a different key than the one you trust")
    if not signature_valid(key, body_text, signature):
        raise ProofError("checkpoint signature does not verify")
    try:
        body = CheckpointBody.parse(body_text)
    except ValueError as error:
        raise ProofError(f"checkpoint body is malformed: {error}") from error
    if body.size != size:
        raise ProofError(f"proof claims tree size {size}, the signed checkpoint {body.size}")
    content = doc.get("content")
    if content is not None:
        if not isinstance(content, str):
            raise ProofError("content must be a string")
        if hashlib.sha256(content.encode()).hexdigest() != entry.get("content_sha256"):
            raise ProofError("content does not match the entry's content_sha256")
    try:
        root = root_from_inclusion(index, size, leaf_hash(entry_text.encode()), path)
    except ValueError as error:
        raise ProofError(f"audit path does not fit the tree: {error}") from error
    if root != body.root:
        raise ProofError("audit path does not lead to the signed root: the entry is not in "
                         "the tree this checkpoint signs")
    if entry.get("version") != doc.get("version_id"):
        raise ProofError("the entry is for another version than the proof names")
    return ProofResult(version_id=entry["version"], leaf_index=index, tree_size=size,
                       root=root.hex(), checkpoint_time=body.time,
                       key_fingerprint=fingerprint(key_raw),
                       content_included=content is not None, entry=entry)
