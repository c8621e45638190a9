"""Appending to the Merkle ledger inside a write transaction, and cutting checkpoints."""

from __future__ import annotations

import orjson

from civicarchive.store.checkpoint import ArchiveKey, CheckpointBody
from civicarchive.store.merkle import Frontier, leaf_hash, leaf_hashes


class LedgerWriter:
    """Numbers new entries, hashes them and keeps the frontier for the next checkpoint."""

    def __init__(self, frontier: Frontier) -> None:
        self.frontier = frontier
        self.rows: list[dict] = []
        # The tree this write starts from: sealing checks it is the last signed one.
        self.start_size, self.start_root = frontier.size, frontier.root()

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, kind: str, entry: bytes) -> int:
        index = self.frontier.size
        leaf = leaf_hash(entry)
        self.frontier.append(leaf)
        self.rows.append({"idx": index, "kind": kind, "leaf_hash": leaf})
        return index

    def extend(self, kind: str, entries: list[bytes]) -> int:
        """Append entries of one kind in order, hashed together; returns the first one's
        index (the others follow it)."""
        start = self.frontier.size
        leaves = leaf_hashes(entries)
        self.frontier.extend(leaves)
        self.rows += [{"idx": index, "kind": kind, "leaf_hash": leaf}
                      for index, leaf in enumerate(leaves, start)]
        return start

    def take_rows(self) -> list[dict]:
        rows, self.rows = self.rows, []
        return rows

    def checkpoint_row(self, key: ArchiveKey, origin: str, now: str, number: int,
                       previous: bytes | None) -> dict:
        """The row of checkpoint `number` over the tree as it stands, chained to the body
        whose hash is `previous` (None for checkpoint 1)."""
        body = CheckpointBody(origin=origin, size=self.frontier.size, root=self.frontier.root(),
                              time=now, number=number, previous=previous)
        return {"tree_size": body.size, "root_hash": body.root, "body": body.text(),
                "signature": key.sign(body), "created_at": now,
                "frontier": orjson.dumps([h.hex() for h in self.frontier.hashes()]).decode()}


def frontier_from_row(tree_size: int, frontier_json: str) -> Frontier:
    return Frontier(tree_size, [bytes.fromhex(h) for h in orjson.loads(frontier_json)])
