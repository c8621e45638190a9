"""Keeping a search index consistent with the store, from the ledger.

Every change to what can be found is a ledger entry: a new version, or a tombstone when
disposition purges one. The index remembers the ledger size it reflects; catching up
re-indexes every record touched by a later entry, in one atomic `apply`. Re-indexing a
record replaces all of its documents, so replaying after a crash changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice

import orjson
import sqlalchemy as sa

from civicarchive.clock import parse_time
from civicarchive.model.record import Event, Kind, text_of
from civicarchive.search.index import IndexBusy, SearchDoc, SearchIndex
from civicarchive.store import schema as t

__all__ = ["IngestFeed", "catch_up", "documents", "ledger_size"]

CHUNK = 2000
WORKER_AFTER = 5000  # fresh records before indexing moves to a second process
MEDIA_FIELDS = ("media", "attachments", "media_urls", "file", "images", "video")
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
    index.apply(_documents(store, items, progress), [] if through == 0 else items, size, wait)
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
        self.fresh: set[int] = set()
        self.touched: set[int] = set()
        self.live = hasattr(index, "session")

    def add(self, fresh: list, touched: set[int]) -> None:
        """A committed batch: `fresh` (version, item, Prepared) records and `touched` items."""
        self.touched |= touched
        if not (self.live and fresh):
            return
        # Raw captures stay behind: the index needs only the normalised content.
        fresh = [(v, i, p._replace(raw=None)) for v, i, p in fresh]
        self.fresh.update(i for _, i, _ in fresh)
        if self.worker is None:
            self.pending += fresh
            if len(self.pending) < WORKER_AFTER:
                return
            from civicarchive.search.indexer import IndexerProcess
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
            v = t.versions.c
            with self.store.read() as conn:
                size = ledger_size(conn)
                changed = changed_since(conn, self.mark)
                several = {i for (i,) in conn.execute(
                    sa.select(v.item_id).where(v.ledger_index >= self.mark)
                    .group_by(v.item_id).having(sa.func.count() > 1))}
            redo = sorted(changed - (self.fresh - self.touched - several))
            if self.worker is not None:
                indexed = self.worker.finish(redo, size)
                self.index.index.reload()
            else:
                session = self.index.session(wait)
                try:
                    session.add(fresh_document(v, i, p, *self.accounts[p.account_id])
                                for v, i, p in self.pending)
                    session.replace(redo, _documents(self.store, redo, None))
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


def fresh_document(version_id: int, item_id: int, p, platform: str,  # noqa: ANN001
                   handle: str) -> SearchDoc:
    """The document of a record's first version, from its observation (no store read)."""
    content = orjson.loads(p.content)
    text, media = _text_and_media(content, Kind(p.kind))
    return SearchDoc(version=version_id, item=item_id, account=p.account_id,
                     platform=platform, kind=p.kind,
                     author=(p.author or "").lower().removeprefix("@"),
                     created=int(parse_time(p.created_at or p.observed_at).timestamp()),
                     latest=True, deleted=False, edited=False, hidden=False, media=media,
                     text=text, handle=handle, author_name=p.author or "",
                     created_at=p.created_at or "", url=p.url or "", event=Event.CREATED.value,
                     observed_at=p.observed_at)


def _documents(store, items: list[int], progress: Progress | None) -> Iterator[SearchDoc]:
    done = 0
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        with store.read() as conn:
            yield from documents(store, conn, chunk)
        done += len(chunk)
        if progress:
            progress(done, len(items))


def documents(store, conn: sa.Connection, item_ids: list[int]) -> Iterator[SearchDoc]:
    """The documents of these records: one per version that is not purged."""
    i, a, v, ts, b = t.items.c, t.accounts.c, t.versions.c, t.tombstones.c, t.blobs.c
    items = {row.id: row for row in conn.execute(
        sa.select(i.id, i.account_id, a.platform, a.handle, i.kind, i.author, i.created_at,
                  i.first_seen_at, i.url).join(t.accounts, a.id == i.account_id)
        .where(store.member_of(i.id, item_ids)))}
    versions: dict[int, list] = {}
    for row in conn.execute(
            sa.select(v.id, v.item_id, v.event, v.observed_at, v.content_sha256,
                      ts.version_id.label("purged"))
            .outerjoin(t.tombstones, ts.version_id == v.id)
            .where(store.member_of(v.item_id, item_ids))
            .order_by(v.item_id, v.observed_at, v.id)):
        versions.setdefault(row.item_id, []).append(row)
    shas = {bytes(row.content_sha256) for rows in versions.values() for row in rows
            if row.purged is None}
    blobs = {bytes(sha): data for sha, data in conn.execute(
        sa.select(b.sha256, b.data).where(b.sha256.in_(list(shas))))} \
        if shas else {}
    for item_id in item_ids:
        item, rows = items.get(item_id), versions.get(item_id, [])
        if item is None or not rows:
            continue
        events = [Event(row.event) for row in rows]
        visibility = [e for e in events if e in (Event.HIDDEN, Event.UNHIDDEN)]
        flags = {"deleted": events[-1] is Event.DELETED,
                 "edited": Event.EDITED in events,
                 "hidden": bool(visibility) and visibility[-1] is Event.HIDDEN}
        created = int(parse_time(item.created_at or item.first_seen_at).timestamp())
        author = (item.author or "").lower().removeprefix("@")
        for n, row in enumerate(rows):
            if row.purged is not None:
                continue
            sha = bytes(row.content_sha256)
            data = blobs.get(sha) or store.blob(sha)
            content = orjson.loads(data) if data else {}
            text, media = _text_and_media(content, Kind(item.kind))
            yield SearchDoc(version=row.id, item=item_id, account=item.account_id,
                            platform=item.platform, kind=item.kind, author=author,
                            created=created, latest=n == len(rows) - 1, media=media,
                            text=text, handle=item.handle, author_name=item.author or "",
                            created_at=item.created_at or "", url=item.url or "",
                            event=row.event, observed_at=row.observed_at, **flags)


def _text_and_media(content: object, kind: Kind) -> tuple[str, bool]:
    if not isinstance(content, dict):
        return "", kind is Kind.MEDIA
    media = kind is Kind.MEDIA or any(content.get(key) for key in MEDIA_FIELDS)
    return text_of(content), media
