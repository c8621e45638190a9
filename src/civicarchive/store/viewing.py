"""The SQL of the staff views: a record's thread, an account's records a page at a time,
the latest version of many records at once, the newest checkpoint, and the audit log a
page at a time. Every query reads by an index (0011_items_parent, 0013_items_account):
none scans an account's records or the whole log to answer one page."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.record import Event, Item, Kind, Version
from civicarchive.store import schema as t
from civicarchive.store.records import _version


def _item(row: sa.Row) -> Item:
    return Item(**{**row._asdict(), "kind": Kind(row.kind)})


def replies(conn: Connection, account_id: int, parents: Collection[str],
            leave_out: Iterable[Kind] = (), limit: int = 500) -> list[Item]:
    """The records of an account directly under any of these native ids, oldest first."""
    if not parents:
        return []
    i = t.items.c
    query = sa.select(t.items).where(i.account_id == account_id,
                                     i.parent_native_id.in_(sorted(parents)))
    skipped = sorted(k.value for k in leave_out)
    if skipped:
        query = query.where(i.kind.not_in(skipped))
    return [_item(row) for row in conn.execute(
        query.order_by(sa.func.coalesce(i.created_at, i.first_seen_at), i.id).limit(limit))]


def children(conn: Connection, account_id: int, parents: Collection[str]) -> list[Item]:
    """The records of an account directly under any of these native ids (replies and
    media records alike), by id."""
    if not parents:
        return []
    i = t.items.c
    # Sorted here: ORDER BY id leads SQLite to walk the account's records in id order
    # (ix_items_account_id) instead of the thread index.
    return sorted((_item(row) for row in conn.execute(sa.select(t.items).where(
        i.account_id == account_id, i.parent_native_id.in_(sorted(parents))))),
        key=lambda item: item.id)


def items(conn: Connection, item_ids: Collection[int]) -> dict[int, Item]:
    """Item id -> the item, for those that exist (records.item for many, in one query)."""
    if not item_ids:
        return {}
    i = t.items.c
    return {row.id: _item(row) for row in conn.execute(
        sa.select(t.items).where(i.id.in_(sorted(item_ids))))}


def histories(conn: Connection, item_ids: Collection[int]
              ) -> dict[int, list[tuple[Version, bytes | None, bool]]]:
    """Item id -> every version of it in observed order (records.history for many), each
    with its content's bytes when the database holds them (small blobs: else None, read
    it with `store.blob`) and whether it was purged; in one query. An item without
    versions is left out."""
    if not item_ids:
        return {}
    v, b, ts = t.versions.c, t.blobs.c, t.tombstones.c
    query = sa.select(t.versions, b.data.label("content_data"),
                      ts.version_id.label("purged_version")).select_from(
        t.versions.outerjoin(t.blobs, b.sha256 == v.content_sha256)
        .outerjoin(t.tombstones, ts.version_id == v.id)).where(
        v.item_id.in_(sorted(item_ids))).order_by(v.item_id, v.observed_at, v.id)
    found: dict[int, list[tuple[Version, bytes | None, bool]]] = {}
    for row in conn.execute(query):
        values = row._asdict()
        data, purged = values.pop("content_data"), values.pop("purged_version") is not None
        version = Version(**{**values, "event": Event(values["event"]),
                             "content_sha256": values["content_sha256"].hex(),
                             "raw_sha256": values["raw_sha256"].hex()})
        found.setdefault(row.item_id, []).append(
            (version, bytes(data) if data is not None else None, purged))
    return found


def open_archive_marks(conn: Connection) -> tuple[int | None, ...]:
    """The newest policy, agency, account, request, request event and version ids: what
    the open archive's rules, agencies, accounts, overlay and hidden comments follow
    (their tables are append-only, so a new row is the only change), in one plain
    statement."""
    return tuple(conn.exec_driver_sql(
        "SELECT (SELECT max(id) FROM policies), (SELECT max(id) FROM agencies), "
        "(SELECT max(id) FROM accounts), (SELECT max(id) FROM requests), "
        "(SELECT max(id) FROM request_events), (SELECT max(id) FROM versions)").one())


def descendants(conn: Connection, item_ids: Iterable[int]) -> set[int]:
    """The records under these (replies, their replies...), to any depth, by the native
    id each names as its parent in its own account (a cycle of parents ends)."""
    ids = sorted(set(item_ids))
    if not ids:
        return set()
    i, child = t.items.c, t.items.alias("child")
    under = sa.select(i.id, i.account_id, i.native_id).where(i.id.in_(ids)) \
        .cte("under", recursive=True)
    under = under.union(sa.select(child.c.id, child.c.account_id, child.c.native_id).join(
        under, sa.and_(child.c.account_id == under.c.account_id,
                       child.c.parent_native_id == under.c.native_id)))
    return {row[0] for row in conn.execute(sa.select(under.c.id))} - set(ids)


Link = tuple[int, str, str, int, str]  # parent id, kind and time; child id and time


def _links(parent: sa.Table, child: sa.Table) -> sa.Select:
    """Parent links as `Link` rows: a record's time is its creation time, or when it was
    first seen."""
    p, c = parent.c, child.c
    return sa.select(p.id, p.kind, sa.func.coalesce(p.created_at, p.first_seen_at),
                     c.id, sa.func.coalesce(c.created_at, c.first_seen_at)).join(
        child, sa.and_(c.account_id == p.account_id, c.parent_native_id == p.native_id))


def inheriting_links(conn: Connection, never: Collection[str], comments: Collection[str],
                     after: int = 0) -> list[Link]:
    """The parent links by which a record inherits something in the open archive: its
    parent is of a kind in `never` (and it is not), or in `comments` (and it is not), or
    was made after it; of the records after item id `after`, as child or as parent."""
    parent, child = t.items.alias("parent"), t.items.alias("child")
    p, c = parent.c, child.c
    inherits = sa.or_(
        sa.and_(p.kind.in_(sorted(never)), c.kind.not_in(sorted(never))),
        sa.and_(p.kind.in_(sorted(comments)), c.kind.not_in(sorted(comments))),
        sa.func.coalesce(p.created_at, p.first_seen_at)
        > sa.func.coalesce(c.created_at, c.first_seen_at))
    query = _links(parent, child).where(inherits)
    if not after:
        return [tuple(row) for row in conn.execute(query)]
    return [tuple(row) for part in (c.id > after, p.id > after)
            for row in conn.execute(query.where(part))]


def links_of_records_after(conn: Connection, after: int) -> Iterator[Link]:
    """The parent links of the records after item id `after`, read as they are used."""
    parent, child = t.items.alias("parent"), t.items.alias("child")
    for row in conn.execute(_links(parent, child).where(child.c.id > after)):
        yield tuple(row)


def links_below(conn: Connection, item_ids: Iterable[int]) -> list[Link]:
    """Every parent link under these records, to any depth (a cycle of parents ends)."""
    ids = sorted(set(item_ids))
    if not ids:
        return []
    # Every column of the recursive part typed as the first part's (PostgreSQL insists).
    i, child = t.items.c, t.items.alias("child")
    c = child.c

    def text(column):  # noqa: ANN001, ANN202
        return sa.cast(column, sa.Text)

    under = sa.select(i.id, i.account_id, i.native_id, text(i.kind).label("kind"),
                      text(sa.func.coalesce(i.created_at, i.first_seen_at)).label("time"),
                      sa.cast(sa.null(), i.id.type).label("parent_id"),
                      text(sa.null()).label("parent_kind"),
                      text(sa.null()).label("parent_time")) \
        .where(i.id.in_(ids)).cte("under", recursive=True)
    under = under.union(sa.select(
        c.id, c.account_id, c.native_id, text(c.kind),
        text(sa.func.coalesce(c.created_at, c.first_seen_at)),
        under.c.id, under.c.kind, under.c.time).join(
        under, sa.and_(c.account_id == under.c.account_id,
                       c.parent_native_id == under.c.native_id)))
    u = under.c
    return [tuple(row) for row in conn.execute(
        sa.select(u.parent_id, u.parent_kind, u.parent_time, u.id, u.time)
        .where(u.parent_id.is_not(None)).distinct())]


def newest_item(conn: Connection) -> int:
    return conn.execute(sa.select(sa.func.max(t.items.c.id))).scalar_one() or 0


def replies_page(conn: Connection, account_id: int, parent: str, leave_out: Iterable[Kind],
                 limit: int, offset: int) -> tuple[list[Item], int]:
    """One page of the records directly under a native id, oldest first, and how many."""
    i = t.items.c
    condition = [i.account_id == account_id, i.parent_native_id == parent]
    skipped = sorted(k.value for k in leave_out)
    if skipped:
        condition.append(i.kind.not_in(skipped))
    total = conn.execute(sa.select(sa.func.count()).select_from(t.items)
                         .where(*condition)).scalar_one()
    rows = conn.execute(sa.select(t.items).where(*condition).order_by(
        sa.func.coalesce(i.created_at, i.first_seen_at), i.id).limit(limit).offset(offset))
    return [_item(row) for row in rows], total


def account_items(conn: Connection, account_id: int, leave_out: Iterable[Kind],
                  limit: int, offset: int, leave_out_ids: Collection[int] = ()
                  ) -> tuple[list[Item], int]:
    """One page of an account's records, newest first, and how many there are, leaving
    out the kinds and records named."""
    i = t.items.c
    condition = [i.account_id == account_id]
    skipped = sorted(k.value for k in leave_out)
    if skipped:
        condition.append(i.kind.not_in(skipped))
    if leave_out_ids:  # written into the statement: there may be more than it takes values
        condition.append(i.id.not_in(sa.bindparam("leave_out_ids", sorted(leave_out_ids),
                                                  expanding=True, literal_execute=True)))
    total = conn.execute(sa.select(sa.func.count()).select_from(t.items)
                         .where(*condition)).scalar_one()
    rows = conn.execute(sa.select(t.items).where(*condition).order_by(i.id.desc())
                        .limit(limit).offset(offset))
    return [_item(row) for row in rows], total


def latest_versions(conn: Connection, item_ids: Collection[int]) -> dict[int, Version]:
    """Item id -> its latest version (in observed order), in one query."""
    if not item_ids:
        return {}
    v = t.versions.c
    found: dict[int, Version] = {}
    for row in conn.execute(sa.select(t.versions).where(v.item_id.in_(sorted(item_ids)))
                            .order_by(v.item_id, v.observed_at, v.id)):
        found[row.item_id] = _version(row)
    return found


def history_page(conn: Connection, item_id: int, limit: int, offset: int
                 ) -> tuple[list[Version], int]:
    """One page of a record's versions in observed order, and how many there are."""
    v = t.versions.c
    total = conn.execute(sa.select(sa.func.count()).select_from(t.versions)
                         .where(v.item_id == item_id)).scalar_one()
    rows = conn.execute(sa.select(t.versions).where(v.item_id == item_id)
                        .order_by(v.observed_at, v.id).limit(limit).offset(offset))
    return [_version(row) for row in rows], total


def contents(conn: Connection, sha256s: Iterable[str]) -> dict[str, bytes | None]:
    """Content hash (hex) -> the blob's bytes when the database holds them (small blobs);
    a hash left out is absent or kept in the blob store (read it with `store.blob`)."""
    wanted = sorted({bytes.fromhex(h) for h in sha256s})
    if not wanted:
        return {}
    b = t.blobs.c
    return {bytes(sha).hex(): bytes(data) for sha, data in conn.execute(
        sa.select(b.sha256, b.data).where(b.sha256.in_(wanted), b.data.is_not(None)))}


def newest_checkpoint(conn: Connection) -> sa.Row | None:
    """The newest signed checkpoint: id, tree size, body, signature, created at. By id,
    the primary key (every write signs one, so a deployment holds many); checkpoints are
    signed in ledger order, so the newest is also the largest."""
    cp = t.checkpoints.c
    return conn.execute(sa.select(cp.id, cp.tree_size, cp.body, cp.signature, cp.created_at)
                        .order_by(cp.id.desc()).limit(1)).first()


def _audit_filter(query: sa.Select, actions: str | None, actor: str | None) -> sa.Select:
    au = t.audit_events.c
    if actions:
        prefix = actions.replace("\\", "").replace("%", "").replace("_", "\\_")
        query = query.where(sa.or_(au.action == actions,
                                   au.action.like(prefix + ".%", escape="\\")))
    if actor:
        query = query.where(au.actor == actor)
    return query


def audit_events(conn: Connection, before: int | None, limit: int,
                 actions: str | None = None, actor: str | None = None,
                 offset: int = 0) -> list[dict]:
    """Up to `limit` audit events newest first, with ids below `before` (None: from the
    newest), skipping `offset`; `actions` matches an action or its prefix ("hold" finds
    hold.add)."""
    au = t.audit_events.c
    query = sa.select(au.id, au.at, au.actor, au.action, au.subject, au.details,
                      au.ledger_index).order_by(au.id.desc()).limit(limit).offset(offset)
    if before is not None:
        query = query.where(au.id < before)
    return [dict(row._mapping) for row in conn.execute(_audit_filter(query, actions, actor))]


def audit_count(conn: Connection, actions: str | None = None, actor: str | None = None
                ) -> int:
    """How many audit events match."""
    query = sa.select(sa.func.count()).select_from(t.audit_events)
    return conn.execute(_audit_filter(query, actions, actor)).scalar_one()


def owners(conn: Connection, item_ids: Collection[int], alert_ids: Collection[int],
           person_ids: Collection[int], user_ids: Collection[int], usernames: Collection[str]
           ) -> dict[str, dict]:
    """Who owns what the audit events name: item and alert -> account id, person and
    user -> agency id, username (in lower case) -> agency id."""
    i, a, p, u = t.items.c, t.alerts.c, t.people.c, t.staff_users.c
    found: dict[str, dict] = {"item": {}, "alert": {}, "person": {}, "user": {}, "username": {}}
    if item_ids:
        found["item"] = dict(conn.execute(sa.select(i.id, i.account_id)
                                          .where(i.id.in_(sorted(item_ids)))).all())
    if alert_ids:
        found["alert"] = dict(conn.execute(sa.select(a.id, a.account_id)
                                           .where(a.id.in_(sorted(alert_ids)))).all())
    if person_ids:
        found["person"] = dict(conn.execute(sa.select(p.id, p.agency_id)
                                            .where(p.id.in_(sorted(person_ids)))).all())
    if user_ids:
        found["user"] = dict(conn.execute(sa.select(u.id, u.agency_id)
                                          .where(u.id.in_(sorted(user_ids)))).all())
    if usernames:  # (in lower case, as sign-in matches them)
        lowered = sa.func.lower(u.username)
        found["username"] = dict(conn.execute(sa.select(lowered, u.agency_id).where(
            lowered.in_(sorted({name.lower() for name in usernames})))).all())
    return found
