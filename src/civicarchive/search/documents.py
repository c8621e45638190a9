"""Search documents from the archive's records: from an observation still in memory (a
record's first version, during an ingest) or read back from the store (everything else).
Both the catching-up in sync.py and the indexer process build documents here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

import orjson
import sqlalchemy as sa

from civicarchive.clock import parse_time
from civicarchive.model.record import Event, Kind, audience_restricted, text_of
from civicarchive.search.index import SearchDoc
from civicarchive.store import schema as t

__all__ = ["documents", "fresh_document", "fresh_records", "read_documents"]

CHUNK = 2000
MEDIA_FIELDS = ("media", "attachments", "media_urls", "file", "images", "video")
Progress = Callable[[int, int], None]


def fresh_records(fresh: Iterable[tuple[int, int, object]]) -> list[tuple]:
    """What `fresh_document` reads of records first seen in an ingest, from (version,
    item, a tuple in Prepared's field order): plain tuples, which pickle (to the indexer
    process) six times faster than the observations themselves, and without their raw
    bytes."""
    return [(v, i, p[0], p[2], p[3], p[4], p[5], p[7], p[9]) for v, i, p in fresh]


def fresh_document(record: tuple, accounts: dict[int, tuple[str, str]]) -> SearchDoc:
    """The document of a record's first version, from a `fresh_records` tuple (no store
    read); `accounts` maps account ids to (platform, handle)."""
    version_id, item_id, account_id, kind, observed_at, created_at, author, url, content = \
        record
    platform, handle = accounts[account_id]
    content = orjson.loads(content)
    text, media = _text_and_media(content, Kind(kind))
    return SearchDoc(version=version_id, item=item_id, account=account_id,
                     platform=platform, kind=kind,
                     author=(author or "").lower().removeprefix("@"),
                     created=int(parse_time(created_at or observed_at).timestamp()),
                     latest=True, deleted=False, edited=False, hidden=False, media=media,
                     restricted=audience_restricted(content), text=text, handle=handle,
                     author_name=author or "", created_at=created_at or "", url=url or "",
                     event=Event.CREATED.value, observed_at=observed_at)


def read_documents(store, items: list[int], progress: Progress | None  # noqa: ANN001
                   ) -> Iterator[SearchDoc]:
    """The documents of these records, read from the store a chunk at a time."""
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
        contents = [None if row.purged is not None else _content(store, blobs, row)
                    for row in rows]
        # The latest content that is still held says (a deletion keeps the one before it).
        flags["restricted"] = audience_restricted(next(
            (c for c in reversed(contents) if c is not None), None))
        for n, (row, content) in enumerate(zip(rows, contents)):
            if content is None:
                continue
            text, media = _text_and_media(content, Kind(item.kind))
            yield SearchDoc(version=row.id, item=item_id, account=item.account_id,
                            platform=item.platform, kind=item.kind, author=author,
                            created=created, latest=n == len(rows) - 1, media=media,
                            text=text, handle=item.handle, author_name=item.author or "",
                            created_at=item.created_at or "", url=item.url or "",
                            event=row.event, observed_at=row.observed_at, **flags)


def _content(store, blobs: dict[bytes, bytes], row) -> object:  # noqa: ANN001
    sha = bytes(row.content_sha256)
    data = blobs.get(sha) or store.blob(sha)
    return orjson.loads(data) if data else {}


def _text_and_media(content: object, kind: Kind) -> tuple[str, bool]:
    if not isinstance(content, dict):
        return "", kind is Kind.MEDIA
    media = kind is Kind.MEDIA or any(content.get(key) for key in MEDIA_FIELDS)
    return text_of(content), media
