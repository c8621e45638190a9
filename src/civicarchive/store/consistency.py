"""Consistency proofs from the ledger: the newest signed checkpoint, and the RFC 9162
paths showing that each older tree a proof was signed over is a prefix of its tree.

An evidence package carries them so that proofs made against different checkpoints (a
production that reuses older proofs, a write landing while the package is written) are
all tied to one signed tree: a ledger rewritten between them could not be linked.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

import sqlalchemy as sa

from civicarchive.errors import ProofError
from civicarchive.store import schema as t
from civicarchive.store import timestamps
from civicarchive.store.merkle import consistency_path
from civicarchive.store.sql import SqlRecordStore

__all__ = ["newest_checkpoint_link"]


def newest_checkpoint_link(store: SqlRecordStore, tree_sizes: Iterable[int]) -> dict:
    """The newest checkpoint (body, base64 signature, and its RFC 3161 timestamp token
    when one is stored) and, for each distinct tree size, the consistency path from that
    tree to the checkpoint's, smallest size first.

    Reads the checkpoint and the leaves in one transaction, so they agree. Raises
    ProofError for a size the newest checkpoint does not cover."""
    sizes = sorted(set(tree_sizes))
    cp, le = t.checkpoints.c, t.ledger_entries.c
    with store.read() as conn:
        checkpoint = conn.execute(sa.select(cp.id, cp.tree_size, cp.body, cp.signature)
                                  .order_by(cp.tree_size.desc(), cp.id.desc()).limit(1)).first()
        if checkpoint is None:
            raise ProofError("the archive has no signed checkpoint yet")
        outside = [size for size in sizes if not 0 < size <= checkpoint.tree_size]
        if outside:
            raise ProofError(f"no consistency proof from a tree of {outside[0]} entries to "
                             f"the newest checkpoint's {checkpoint.tree_size}")
        # The common case, every proof against the newest checkpoint, reads no leaves.
        older = any(size < checkpoint.tree_size for size in sizes)
        leaves = [bytes(h) for (h,) in conn.execute(
            sa.select(le.leaf_hash).where(le.idx < checkpoint.tree_size).order_by(le.idx))] \
            if older else []
        token = timestamps.token_of(conn, checkpoint.id)
    signed = {"body": checkpoint.body,
              "signature": base64.b64encode(bytes(checkpoint.signature)).decode()}
    if token is not None:  # the witness that the checkpoint existed by then
        signed["timestamp"] = base64.b64encode(token).decode()
    return {
        "checkpoint": signed,
        "consistency": [{"tree_size": size, "path": [] if size == checkpoint.tree_size else
                         [h.hex() for h in consistency_path(size, leaves)]}
                        for size in sizes],
    }
