"""Reading records: items, their versions in order, normalised content, the raw bytes as
captured, and which versions an approved disposition purged.

`ReadAhead` is a Reading for one page that reads the same few records many times (the
open archive's record and its thread): it reads them ahead, a few queries for all of
them, and answers from memory."""

from __future__ import annotations

from collections.abc import Collection, Iterable

import orjson

from civicarchive.app.context import ArchiveContext
from civicarchive.errors import NotFound
from civicarchive.model.record import LARGEST_ID, Item, Kind, Version
from civicarchive.store import records as sql
from civicarchive.store import viewing as batch




class Reading:
    """Items and versions, read-only."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context

    def item(self, item_id: int) -> Item:
        """One record's identity; NotFound when there is none with that id."""
        if not 0 < item_id <= LARGEST_ID:  # (the database could not even be asked)
            raise NotFound("item", item_id)
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


class ReadAhead(Reading):
    """A Reading that answers from what `load_ids` and `load_replies` read ahead (items,
    the records under them, their versions with the contents the database keeps and
    their purge marks), and from the store for anything else. For one page: it never
    sees what was written after it read."""

    def __init__(self, context: ArchiveContext) -> None:
        super().__init__(context)
        self._items: dict[int, Item] = {}
        self._histories: dict[int, list[Version]] = {}
        self._contents: dict[str, bytes] = {}
        self._purged: set[int] = set()              # purged versions of loaded items
        self._replies: dict[int, list[Item]] = {}
        self._media: dict[int, list[int]] = {}      # item -> its media records' ids

    def load_ids(self, item_ids: Iterable[int]) -> None:
        """Read ahead these records (those that exist), their replies and media records,
        and the versions of all of them: three queries."""
        wanted = [i for i in item_ids if i not in self._histories and 0 < i <= LARGEST_ID]
        if not wanted:
            return
        with self.context.read() as conn:
            found = list(batch.items(conn, wanted).values())
            self._items.update({i.id: i for i in found})
            self._read(conn, found, found)

    def knows_replies(self, item_id: int) -> bool:
        """Whether the replies to this record were read ahead."""
        return item_id in self._replies

    def load_replies(self, records: Iterable[Item]) -> None:
        """Read ahead the replies to these records (as `replies` gives them) and their
        media records, with their versions: two queries."""
        records = [r for r in records if r.id not in self._replies]
        if records:
            with self.context.read() as conn:
                self._read(conn, records, [])

    def _read(self, conn, parents: list[Item], also: list[Item]) -> None:  # noqa: ANN001
        """The records under `parents`, and the versions of those and of `also`."""
        under: list[Item] = []
        for account_id in {p.account_id for p in parents}:
            mine = [p for p in parents if p.account_id == account_id]
            found = batch.children(conn, account_id, {p.native_id for p in mine})
            under += found
            for parent in mine:
                kids = [f for f in found if f.parent_native_id == parent.native_id]
                self._replies[parent.id] = [k for k in kids if k.kind is not Kind.MEDIA
                                            and k.id != parent.id]
                self._media[parent.id] = sorted(
                    {k.id for k in kids if k.kind is Kind.MEDIA} |
                    ({parent.id} if parent.kind is Kind.MEDIA else set()))
        self._items.update({i.id: i for i in under})
        wanted = {i.id for i in [*also, *under]} - set(self._histories)
        versions = batch.histories(conn, wanted)
        for item_id in wanted:
            rows = versions.get(item_id, [])
            self._histories[item_id] = [version for version, _, _ in rows]
            for version, data, purged in rows:
                if purged:
                    self._purged.add(version.id)
                elif data is not None:
                    self._contents[version.content_sha256] = data

    def item(self, item_id: int) -> Item:
        """As `Reading.item`, from what was read ahead."""
        found = self._items.get(item_id)
        return found if found is not None else super().item(item_id)

    def history(self, item_id: int) -> list[Version]:
        """As `Reading.history`, from what was read ahead."""
        found = self._histories.get(item_id)
        return list(found) if found is not None else super().history(item_id)

    def content(self, version: Version) -> dict | None:
        """As `Reading.content`, from what was read ahead."""
        data = self._contents.get(version.content_sha256)
        if data is None or version.id in self._purged:
            return super().content(version)  # a large blob, kept in the blob store
        return orjson.loads(data)

    def replies(self, item_id: int) -> list[Item]:
        """As `Reading.replies`, from what was read ahead."""
        found = self._replies.get(item_id)
        return list(found) if found is not None else super().replies(item_id)

    def media_of(self, item_id: int) -> dict[str, int]:
        """As `Reading.media_of`, from what was read ahead."""
        media = self._media.get(item_id)
        if media is None or any(not self._histories.get(m) for m in media):
            return super().media_of(item_id)  # not read ahead (or no version: its error)
        return {str((self.content(self._histories[m][-1]) or {}).get("file")
                    or self._items[m].native_id): m for m in media}

    def purged_of(self, item_ids: Collection[int]) -> set[int]:
        """As `Reading.purged_of`, from what was read ahead."""
        if all(i in self._histories for i in item_ids):
            return {v.id for i in item_ids for v in self._histories[i] if v.id in self._purged}
        return super().purged_of(item_ids)
