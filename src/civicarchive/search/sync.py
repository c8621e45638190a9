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


def changed_since(conn: sa.Connection, through: int) -> set[int]:
    """Records with a version or a tombstone at ledger index `through` or later."""
    v, ts = t.versions.c, t.tombstones.c
    changed = {i for (i,) in conn.execute(
        sa.select(v.item_id).where(v.ledger_index >= through).distinct())}
    changed |= {i for (i,) in conn.execute(
        sa.select(v.item_id).join(t.tombstones, ts.version_id == v.id)
        .where(ts.ledger_index >= through).distinct())}
    return changed


def changes_since(conn: sa.Connection, through: int) -> Iterator[tuple[int, int]]:
    """(record, versions at ledger index `through` or later) for every record changed
    since; a record purged since comes (also) with 0. Streamed: it can be every record."""
    v, ts = t.versions.c, t.tombstones.c
    yield from conn.execute(sa.select(v.item_id, sa.func.count()).where(
        v.ledger_index >= through).group_by(v.item_id))
    for (item,) in conn.execute(sa.select(v.item_id).join(t.tombstones, ts.version_id == v.id)
                                .where(ts.ledger_index >= through).distinct()):
        yield item, 0


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
        # Bitmaps: an import of a million records touches a million items.
        self.fresh = ItemSet()
        self.touched = ItemSet()
        self.live = hasattr(index, "session")

    def add(self, fresh: list, touched: set[int]) -> None:
        """A committed batch: `fresh` (version, item, Prepared) records and `touched` items."""
        self.touched.update(touched)
        if not (self.live and fresh):
            return
        self.fresh.update(i for _, i, _ in fresh)
        fresh = fresh_records(fresh)  # (raw captures stay behind: the index needs none)
        if self.worker is None:
            self.pending += fresh
            if len(self.pending) < WORKER_AFTER:
                return
            try:
                self.worker = IndexerProcess(self.store.recipe(), self.index.folder,
                                             self.accounts)
            except IndexBusy:  # someone else writes the index: catch up at the end
                self.live, self.pending = False, []
                return
            fresh, self.pending = self.pending, []
        self.worker.send(fresh)

    def abandon(self) -> None:
        """Drop what was sent (the ingest failed); the next catch-up covers its batches."""
        if self.worker is not None:
            self.worker.abandon()
            self.worker = None
        self.pending = []

    def finish(self, wait: float = 2.0) -> int:
        """Publish; returns the records indexed. IndexBusy as `catch_up`."""
        if not (self.live and self.fresh):
            return catch_up(self.store, self.index, wait=wait)
        try:
            with self.store.read() as conn:
                size = ledger_size(conn)
                # Re-read what the observations in memory could not describe alone: a
                # record with more than one new version, a tombstone, a touched one, or
                # one another process changed.
                redo = sorted({item for item, versions in changes_since(conn, self.mark)
                               if versions != 1 or item not in self.fresh
                               or item in self.touched})
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
