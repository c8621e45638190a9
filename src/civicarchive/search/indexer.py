"""Indexing in a forked process while an ingest writes the store.

An ingest is CPU-bound in this process (versioning, hashing, SQL); turning records into
index documents costs a third as much again. Sent to a child process as each batch
commits, that work overlaps the ingest instead of following it. The child holds the
index's writer; on `finish` it re-reads the records the batches could not describe alone
(edited, deleted, purged, or touched by another process), and publishes everything with
the new ledger mark in one commit. A crash of either process leaves the index at its old
mark: the next search catches up (search/sync.py).
"""

from __future__ import annotations

import multiprocessing
import os
import queue

from civicarchive.errors import ArchiveError
from civicarchive.search.index import IndexBusy
from civicarchive.search.sync import _documents, fresh_document

DEPTH = 8  # batches in flight


class IndexerProcess:
    """The child process; `send` batches of fresh records, then `finish` or `abandon`."""

    def __init__(self, recipe: tuple, folder, accounts: dict[int, tuple[str, str]]) -> None:  # noqa: ANN001
        context = multiprocessing.get_context("fork")
        self.inbox = context.Queue(maxsize=DEPTH)
        self.outbox = context.Queue()
        self.process = context.Process(target=_run, daemon=True, args=(
            recipe, folder, accounts, self.inbox, self.outbox, os.getpid()))
        self.process.start()
        kind, payload = self._reply()
        if kind == "busy":
            self.process.join()
            raise IndexBusy(str(folder))

    def send(self, fresh: list) -> None:
        # Raw captures stay here: the index needs only the normalised content.
        self._put(("fresh", [(v, i, p._replace(raw=None)) for v, i, p in fresh]))

    def finish(self, redo: list[int], through: int) -> int:
        self._put(("finish", (redo, through)))
        kind, payload = self._reply()
        self.process.join()
        if kind == "error":
            raise ArchiveError(f"indexing for search failed: {payload}; the archive is "
                               "complete, and `civicarchive search-index rebuild` recreates "
                               "the index")
        return payload

    def abandon(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()

    def _put(self, message: tuple) -> None:
        while True:
            try:
                self.inbox.put(message, timeout=1)
                return
            except queue.Full:
                if not self.process.is_alive():
                    raise ArchiveError("the search indexer stopped unexpectedly; the archive "
                                       "is complete, and the next search catches up") from None

    def _reply(self) -> tuple:
        while True:
            try:
                return self.outbox.get(timeout=1)
            except queue.Empty:
                if not self.process.is_alive():
                    raise ArchiveError("the search indexer stopped unexpectedly; the archive "
                                       "is complete, and the next search catches up") from None


def _run(recipe: tuple, folder, accounts: dict, inbox, outbox, parent: int) -> None:  # noqa: ANN001
    from civicarchive.search.tantivy_index import TantivyIndex
    try:
        kind, location, blob_store = recipe
        store = kind.at(location, blob_store)  # its own engine, never the parent's
        try:
            session = TantivyIndex(folder).session(wait=0)
        except IndexBusy:
            outbox.put(("busy", None))
            _leave(outbox, 0)
        outbox.put(("ready", None))
        fresh_items = 0
        while True:
            try:
                kind, payload = inbox.get(timeout=1)
            except queue.Empty:
                if os.getppid() != parent:  # the ingest was killed: publish nothing
                    _leave(outbox, 1)
                continue
            if kind == "fresh":
                session.add(fresh_document(v, i, p, *accounts[p.account_id])
                            for v, i, p in payload)
                fresh_items += len(payload)
            elif kind == "finish":
                redo, through = payload
                session.replace(redo, _documents(store, redo, None))
                session.commit(through)
                outbox.put(("done", fresh_items + len(redo)))
                break
    except Exception as error:  # noqa: BLE001 - reported to the parent
        outbox.put(("error", str(error)))
    _leave(outbox, 0)


def _leave(outbox, code: int) -> None:  # noqa: ANN001
    """Exit once replies are flushed, without the parent's finalizers (its database
    connections and index handles are the parent's)."""
    outbox.close()
    outbox.join_thread()
    os._exit(code)
