"""Reading records: items, their versions in order, normalised content, the raw bytes as
captured, and which versions an approved disposition purged."""

from __future__ import annotations

from collections.abc import Collection

import orjson

from civicarchive.app.context import ArchiveContext
from civicarchive.errors import NotFound
from civicarchive.model.record import Item, Version
from civicarchive.store import records as sql


class Reading:
    """Items and versions, read-only."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context

    def item(self, item_id: int) -> Item:
        """One record's identity; NotFound when there is none with that id."""
        with self.context.read() as conn:
            found = sql.item(conn, item_id)
        if found is None:
            raise NotFound("item", item_id)
        return found

    def history(self, item_id: int) -> list[Version]:
        """Every version of an item, in observed order."""
        with self.context.read() as conn:
            if sql.item(conn, item_id) is None:
                raise NotFound("item", item_id)
            return sql.history(conn, item_id)

    def version(self, version_id: int) -> Version:
        """One version; NotFound when there is none with that id."""
        with self.context.read() as conn:
            found = sql.version(conn, version_id)
        if found is None:
            raise NotFound("version", version_id)
        return found

    def content(self, version: Version) -> dict | None:
        """A version's normalised content, or None once purged by disposition."""
        data = self.context.store.blob(bytes.fromhex(version.content_sha256))
        return orjson.loads(data) if data is not None else None

    def raw(self, version: Version) -> bytes | None:
        """The bytes exactly as captured, or None once purged by disposition."""
        return self.context.store.blob(bytes.fromhex(version.raw_sha256))

    def purged(self, version_ids: Collection[int]) -> set[int]:
        """Which of these versions an approved disposition purged."""
        with self.context.read() as conn:
            return sql.purged_among(conn, version_ids)

    def purged_of(self, item_ids: Collection[int]) -> set[int]:
        """The versions of these records that an approved disposition purged."""
        with self.context.read() as conn:
            return sql.purged_of_items(conn, item_ids)

    def replies(self, item_id: int) -> list[Item]:
        """The comments and replies answering a record directly, in the order first seen."""
        record = self.item(item_id)
        with self.context.read() as conn:
            return sql.replies(conn, record)

    def media_of(self, item_id: int) -> dict[str, int]:
        """A record's media files (media records under it, or itself when it is one):
        file name -> media item id."""
        record = self.item(item_id)
        with self.context.read() as conn:
            media = [(sql.item(conn, media_id), sql.history(conn, media_id)[-1])
                     for media_id in sql.media_of(conn, record)]
        return {str((self.content(latest) or {}).get("file") or item.native_id): item.id
                for item, latest in media}

    def stats(self) -> dict[str, int]:
        """Counts of agencies, accounts, items, versions, blobs, ledger entries..."""
        return self.context.store.counts()
