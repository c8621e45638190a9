"""Keeping a search index consistent with the store, from the ledger.

Every change to what can be found is a ledger entry: a new version, or a tombstone when
disposition purges one. The index remembers the ledger size it reflects; catching up
re-indexes every record touched by a later entry, in one atomic `apply`. Re-indexing a
record replaces all of its documents, so replaying after a crash changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa

from civicarchive.search.documents import fresh_document, fresh_records, read_documents
from civicarchive.search.index import IndexBusy, SearchIndex
from civicarchive.search.indexer import IndexerProcess
from civicarchive.store import schema as t
from civicarchive.store.itemset import ItemSet

__all__ = ["IngestFeed", "catch_up", "ledger_size"]

WORKER_AFTER = 5000  # fresh records before indexing moves to a second process
Progress = Callable[[int, int], None]


def ledger_size(conn: sa.Connection) -> int:
    # Checked before every search: plain SQL skips the statement compiler's overhead.
    return conn.exec_driver_sql("SELECT coalesce(max(idx), -1) + 1 FROM ledger_entries"
                                ).scalar_one()


def catch_up(store, index: SearchIndex, progress: Progress | None = None,
             rebuild: bool = False, wait: float = 2.0) -> int:
    """Bring `index` up to the store's ledger; returns the records re-indexed. IndexBusy
    when another process holds the index's writer for longer than `wait` seconds."""
    through = 0 if rebuild else index.indexed_through()
    with store.read() as conn:
        size = ledger_size(conn)
    if through > size:  # the database was replaced (e.g. restored from a backup)
        through = 0
    if through == size and not rebuild:
        return 0
    if through == 0:
        index.reset(wait)
    with store.read() as conn:
        items = sorted(changed_since(conn, through))
    index.apply(read_documents(store, items, progress), [] if through == 0 else items, size,
                wait)
    return len(items)


def changed_since(conn: sa.Connection, through: int, before: int | None = None) -> set[int]:
    """Records with a version or a tombstone at ledger index `through` or later (and
    before `before`, if given)."""
    v, ts = t.versions.c, t.tombstones.c
    versions, tombstones = v.ledger_index >= through, ts.ledger_index >= through
    if before is not None:
        versions, tombstones = versions & (v.ledger_index < before), \
            tombstones & (ts.ledger_index < before)
    changed = {i for (i,) in conn.execute(sa.select(v.item_id).where(versions).distinct())}
    changed |= {i for (i,) in conn.execute(
        sa.select(v.item_id).join(t.tombstones, ts.version_id == v.id)
        .where(tombstones).distinct())}
    return changed


class IngestFeed:
    """Keeps the index current during an ingest. Records first seen in it are indexed from
    the observations in memory: in a second process while the ingest goes on once there
    are many (search/indexer.py), else here at the end. Every other record touched since
    the index's mark is re-read from the store, and it is all published in one commit
    with the new mark; PostgreSQL simply catches up at the end. Nothing is published
    before `finish`: a crash leaves the index at its old mark, and the next search
    catches up from there."""

    def __init__(self, store, index: SearchIndex, accounts: dict[int, tuple[str, str]]
                 ) -> None:
        self.store, self.index, self.accounts = store, index, accounts
        self.mark = index.indexed_through()
        self.worker = None
        self.pending: list = []          # fresh records not yet sent to a worker
        self.fresh = 0  # records indexed from memory
        self.touched = ItemSet()  # a bitmap: an import of a million records may touch all
        self.spans: list[list[int]] = []  # the ledger positions the batches wrote, merged
        self.live = hasattr(index, "session")

    def add(self, fresh: list, touched: set[int], entries: range) -> None:
        """A committed batch: `fresh` (version, item, Prepared) records, `touched` items,
        and the ledger positions it wrote."""
        self.touched.update(touched)
        if self.spans and self.spans[-1][1] == entries.start:
            self.spans[-1][1] = entries.stop
        elif entries:
            self.spans.append([entries.start, entries.stop])
        if not (self.live and fresh):
            return
        self.fresh += len(fresh)
        fresh = fresh_records(fresh)  # (raw captures stay behind: the index needs none)
        self.pending += fresh
        if self.worker is None:
            if len(self.pending) < WORKER_AFTER:
                return
            self.worker = IndexerProcess(self.store.recipe(), self.index.folder,
                                         self.accounts)
        self._hand_over(wait=False)

    def _hand_over(self, wait: bool) -> None:
        """Send the pending records to the indexer process once it has started."""
        try:
            if not self.worker.ready(wait):
                return
        except IndexBusy:  # someone else writes the index: catch up at the end
            self.worker, self.live, self.pending = None, False, []
            return
        if self.pending:
            self.worker.send(self.pending)
            self.pending = []

    def _gaps(self, size: int) -> Iterator[tuple[int, int]]:
        """The ledger positions from the mark to `size` that the batches did not write."""
        position = self.mark
        for start, stop in self.spans:
            if start > position:
                yield position, start
            position = max(position, stop)
        if size > position:
            yield position, size

    def abandon(self) -> None:
        """Drop what was sent (the ingest failed); the next catch-up covers its batches."""
        if self.worker is not None:
            self.worker.abandon()
            self.worker = None
        self.pending = []

    def finish(self, wait: float = 2.0) -> int:
        """Publish; returns the records indexed. IndexBusy as `catch_up`."""
        if self.worker is not None:
            self._hand_over(wait=True)
        if not (self.live and self.fresh):
            return catch_up(self.store, self.index, wait=wait)
        try:
            with self.store.read() as conn:
                size = ledger_size(conn)
                # Re-read what the observations in memory could not describe alone: a
                # record the batches touched otherwise (a second version, an edit...),
                # and one another process changed, between or before the batches.
                redo = set(self.touched)
                for start, stop in self._gaps(size):
                    redo |= changed_since(conn, start, stop)
                redo = sorted(redo)
            if self.worker is not None:
                indexed = self.worker.finish(redo, size)
                self.index.index.reload()
            else:
                session = self.index.session(wait)
                try:
                    session.add(fresh_document(record, self.accounts)
                                for record in self.pending)
                    session.replace(redo, read_documents(self.store, redo, None))
                    session.commit(size)
                except BaseException:
                    session.abort()
                    raise
                indexed = len(self.pending) + len(redo)
        except BaseException:
            self.abandon()
            raise
        self.worker, self.pending = None, []
        return indexed
