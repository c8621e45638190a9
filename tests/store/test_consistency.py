"""Consistency proofs read from the store: every older tree links to the newest checkpoint,
and a size the checkpoint does not cover is refused."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from civicarchive.errors import ProofError
from civicarchive.store import schema as t
from civicarchive.store.checkpoint import CheckpointBody, load_public_key, signature_valid
from civicarchive.store.consistency import newest_checkpoint_link
from civicarchive.store.merkle import root_of, verify_consistency
from tests.conftest import observe


def test_newest_checkpoint_link_proves_every_older_tree(archive, account):
    archive.ingesting.ingest([observe(account.id, str(n), f"post {n}", n) for n in range(5)],
                             source="t")
    store = archive.context.store
    with store.read() as conn:
        leaves = [bytes(h) for (h,) in conn.execute(
            sa.select(t.ledger_entries.c.leaf_hash).order_by(t.ledger_entries.c.idx))]
    sizes = range(1, len(leaves) + 1)
    link = newest_checkpoint_link(store, [*sizes, 3])  # a size named twice is proven once
    body = CheckpointBody.parse(link["checkpoint"]["body"])
    assert signature_valid(load_public_key(archive.evidence.public_key_pem()),
                           link["checkpoint"]["body"],
                           base64.b64decode(link["checkpoint"]["signature"]))
    assert body.size == len(leaves) and body.root == root_of(leaves)
    assert [entry["tree_size"] for entry in link["consistency"]] == list(sizes)
    for entry in link["consistency"]:
        path = [bytes.fromhex(h) for h in entry["path"]]
        old = entry["tree_size"]
        assert verify_consistency(old, body.size, root_of(leaves[:old]), body.root, path)
        if old < body.size:  # and the path is no proof of another prefix
            assert not verify_consistency(old, body.size, root_of(leaves[1:old + 1]),
                                          body.root, path)


@pytest.mark.parametrize("size", [0, -1, 10_000])
def test_newest_checkpoint_link_refuses_a_tree_it_does_not_cover(archive, account, size):
    archive.ingesting.ingest([observe(account.id, "1", "post", 0)], source="t")
    with pytest.raises(ProofError, match=f"tree of {size} entries"):
        newest_checkpoint_link(archive.context.store, [size])
