"""The SQL of reading records: items, their versions, purge markers, and what a purge
removes. Rows come back as the model's dataclasses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.record import Event, Item, Kind, Version
from civicarchive.store import schema as t
from civicarchive.store.entries import EntryKind, tombstone_entry, version_rows

def item(conn: Connection, item_id: int) -> Item | None:
    row = conn.execute(sa.select(t.items).where(t.items.c.id == item_id)).first()
    return Item(**{**row._asdict(), "kind": Kind(row.kind)}) if row is not None else None


def history(conn: Connection, item_id: int) -> list[Version]:
    """Every version of an item, in observed order."""
    v = t.versions.c
    return [_version(row) for row in conn.execute(
        sa.select(t.versions).where(v.item_id == item_id).order_by(v.observed_at, v.id))]


def version(conn: Connection, version_id: int) -> Version | None:
    row = conn.execute(sa.select(t.versions).where(t.versions.c.id == version_id)).first()
    return _version(row) if row is not None else None


def purged_among(conn: Connection, version_ids: Collection[int]) -> set[int]:
    """Which of these versions were purged by disposition (one query)."""
    if not version_ids:
        return set()
    ts = t.tombstones.c
    return {i for (i,) in conn.execute(sa.select(ts.version_id)
                                       .where(ts.version_id.in_(sorted(version_ids))))}


def purged_of_items(conn: Connection, item_ids: Collection[int]) -> set[int]:
    """The purged versions of these records (one query)."""
    if not item_ids:
        return set()
    v, ts = t.versions.c, t.tombstones.c
    return {i for (i,) in conn.execute(
        sa.select(ts.version_id).join(t.versions, v.id == ts.version_id)
        .where(v.item_id.in_(sorted(item_ids))))}


def item_keys(conn: Connection, account_id: int, kinds: Iterable[Kind], after: int = 0,
              limit: int = 10_000) -> list[tuple[int, str, str]]:
    """(id, native id, kind) of an account's items of these kinds, by id, from after id
    `after`: a page at a time, so that a large account is never held at once."""
    i = t.items.c
    return [tuple(row) for row in conn.execute(
        sa.select(i.id, i.native_id, i.kind).where(
            i.account_id == account_id, i.kind.in_(sorted(k.value for k in kinds)),
            i.id > after).order_by(i.id).limit(limit))]


def media_of(conn: Connection, record: Item) -> list[int]:
    """The media records under a record, or the record itself when it is one."""
    i = t.items.c
    # By the thread index (ix_items_parent) alone: an OR with the id would scan the
    # account's records.
    under = {media_id for (media_id,) in conn.execute(sa.select(i.id).where(
        i.account_id == record.account_id, i.parent_native_id == record.native_id,
        i.kind == Kind.MEDIA.value))}
    if record.kind is Kind.MEDIA:
        under.add(record.id)
    return sorted(under)


def replies(conn: Connection, record: Item) -> list[Item]:
    """The comments and replies that answer a record directly, in the order first seen
    (index ix_items_parent)."""
    i = t.items.c
    return [Item(**{**row._asdict(), "kind": Kind(row.kind)}) for row in conn.execute(
        sa.select(t.items).where(
        i.account_id == record.account_id, i.parent_native_id == record.native_id,
            i.kind != Kind.MEDIA.value, i.id != record.id).order_by(i.id))]


def version_ids_of(conn: Connection, item_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Item id -> its (version id, content sha256 hex), in id order."""
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if item_ids:
        v = t.versions.c
        for version_id, item_id, content in conn.execute(
                sa.select(v.id, v.item_id, v.content_sha256)
                .where(v.item_id.in_(item_ids)).order_by(v.id)):
            found[item_id].append((version_id, bytes(content).hex()))
    return found


def native_ids(conn: Connection, item_ids: list[int]) -> dict[int, str]:
    return dict(conn.execute(sa.select(t.items.c.id, t.items.c.native_id)
                             .where(t.items.c.id.in_(item_ids))).all())


def purge(tx, version_ids: list[int], reason: str  # noqa: ANN001
          ) -> tuple[list[int], list[int], list[bytes]]:
    """Tombstones for the versions not yet purged, and the removal of the blobs no kept
    version uses, in the write transaction `tx`. Returns (ledger indexes, versions purged,
    blobs removed); LookupError(first missing id) when a version does not exist."""
    v, ts = t.versions.c, t.tombstones.c
    conn = tx.conn
    rows = conn.execute(sa.select(v.id, v.content_sha256, v.raw_sha256)
                        .where(v.id.in_(version_ids))).all()
    missing = set(version_ids) - {row.id for row in rows}
    if missing:
        raise LookupError(min(missing))
    already = purged_among(conn, version_ids)
    indexes, purged = [], []
    for row in rows:
        if row.id in already:
            continue
        index = tx.ledger.append(EntryKind.TOMBSTONE, tombstone_entry(
            version_id=row.id, content_sha256=row.content_sha256.hex(),
            raw_sha256=row.raw_sha256.hex(), reason=reason, purged_at=tx.now))
        tx.add("tombstones", {"version_id": row.id, "ledger_index": index,
                              "reason": reason, "purged_at": tx.now})
        indexes.append(index)
        purged.append(row.id)
    tx.flush()
    shas = {sha for row in rows for sha in (row.content_sha256, row.raw_sha256)}
    kept = sa.select(v.id).where(v.id.not_in(sa.select(ts.version_id)))
    still_used = {sha for (c, r) in conn.execute(
        sa.select(v.content_sha256, v.raw_sha256).where(
            v.id.in_(kept), sa.or_(v.content_sha256.in_(shas), v.raw_sha256.in_(shas))))
        for sha in (c, r)}
    orphans = sorted(shas - still_used)
    if orphans:
        conn.execute(t.blobs.delete().where(t.blobs.c.sha256.in_(orphans)))
    return indexes, purged, orphans


def _version(row: sa.Row) -> Version:
    return Version(**{**row._asdict(), "event": Event(row.event),
                      "content_sha256": row.content_sha256.hex(),
                      "raw_sha256": row.raw_sha256.hex()})


def export_rows(store, conn: Connection, version_ids: Collection[int]  # noqa: ANN001
                ) -> dict[int, tuple]:
    """Version id -> its `version_rows()` columns, then content sha256 and data, raw sha256,
    data and media type: one query for what an export writes of many versions."""
    content, raw = t.blobs.alias("content_blob"), t.blobs.alias("raw_blob")
    v = t.versions.c
    query = version_rows() \
        .add_columns(content.c.sha256, content.c.data, raw.c.sha256, raw.c.data,
                     raw.c.media_type) \
        .outerjoin(content, content.c.sha256 == v.content_sha256) \
        .outerjoin(raw, raw.c.sha256 == v.raw_sha256) \
        .where(store.member_of(v.id, version_ids))
    return {row[1]: tuple(row) for row in conn.execute(query)}
