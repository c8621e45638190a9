"""The SQL of the moderation log: actions on comments and their authors, reviewers' stance
labels, acknowledgements of alerts; and the comments of given accounts as the review queue
reads them: newest first a page at a time, each with the post its thread answers, its
latest content and its author's earlier comments (indexes of 0011 and 0014), or all at once
with the post each answers.

Every table here is append-only, and every row is written with an audit event in the
ledger that carries the row's fields (tagged with the table's name), so verification
re-derives each row from the ledger (store/provenance.py). An action on the platform
that failed is still a row: the attempt is part of the record.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.record import Kind
from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json
from civicarchive.store.people import account_posts

COMMENT_KINDS = (Kind.COMMENT, Kind.REPLY)
# As literal SQL, the condition of the partial indexes of 0014: a query that names it is
# one the planner may answer from them (a bound parameter would not match).
IS_COMMENT = sa.text(f"items.{t.COMMENTS}")
CHUNK = 500  # ids per IN (...) list
ROW = (t.items.c.id, t.items.c.account_id, t.items.c.native_id, t.items.c.kind,
       t.items.c.parent_native_id, t.items.c.author, t.items.c.url, t.items.c.created_at,
       t.items.c.first_seen_at)


def _json(value: object) -> str:
    return canonical_json(value).decode()


def _plain(row: sa.Row) -> dict:
    return {str(key): value for key, value in row._mapping.items()}


def add_action(tx, row: dict, actor: str) -> int:  # noqa: ANN001
    """One action of the log: `row` holds its columns but id, verdict and warning as
    objects (stored as JSON), acted_at and acted_by."""
    row = {"id": tx.next_id("moderation_actions"), **row, "verdict": _json(row["verdict"]),
           "warning": None if row.get("warning") is None else _json(row["warning"]),
           "acted_at": tx.now, "acted_by": actor}
    tx.conn.execute(t.moderation_actions.insert(), [row])
    tx.audit(actor, f"moderation.{row['action']}", f"item {row['item_id']}",
             {"table": "moderation_actions", **row})
    return row["id"]


def actions(conn: Connection, account_id: int | None = None,
            item_id: int | None = None, item_ids: Iterable[int] | None = None) -> list[dict]:
    """The log (or its actions on one account, one item, or these items), oldest first,
    each action's verdict and warning parsed."""
    m = t.moderation_actions.c
    query = sa.select(t.moderation_actions).order_by(m.id)
    if account_id is not None:
        query = query.where(m.account_id == account_id)
    if item_id is not None:
        query = query.where(m.item_id == item_id)
    if item_ids is not None:
        query = query.where(m.item_id.in_(sorted(set(item_ids))))
    return [{**_plain(row), "verdict": orjson.loads(row.verdict),
             "warning": orjson.loads(row.warning) if row.warning else None}
            for row in conn.execute(query)]


def add_label(tx, item_id: int, stance: str, actor: str) -> int:  # noqa: ANN001
    row = {"id": tx.next_id("moderation_labels"), "item_id": item_id, "stance": stance,
           "labelled_at": tx.now, "labelled_by": actor}
    tx.conn.execute(t.moderation_labels.insert(), [row])
    tx.audit(actor, "moderation.label", f"item {item_id}", {"table": "moderation_labels", **row})
    return row["id"]


def labels(conn: Connection, account_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """Item id -> its stance label in force (the latest), with who gave it and when; only
    those on comments and replies of these accounts, when given."""
    m, i = t.moderation_labels.c, t.items.c
    query = sa.select(t.moderation_labels).order_by(m.id)
    if account_ids is not None:
        query = query.join(t.items, i.id == m.item_id).where(
            i.account_id.in_(sorted(set(account_ids))),
            i.kind.in_([k.value for k in COMMENT_KINDS]))
    return {row.item_id: _plain(row) for row in conn.execute(query)}


def acknowledge_alert(tx, alert_id: int, note: str | None, actor: str) -> None:  # noqa: ANN001
    row = {"alert_id": alert_id, "note": note, "acknowledged_at": tx.now,
           "acknowledged_by": actor}
    tx.conn.execute(t.alert_acknowledgements.insert(), [row])
    tx.audit(actor, "alert.ack", f"alert {alert_id}", {"table": "alert_acknowledgements", **row})


def acknowledgements(conn: Connection, alert_ids: Iterable[int] | None = None
                     ) -> dict[int, dict]:
    """Alert id -> its acknowledgement (note, when, by whom)."""
    a = t.alert_acknowledgements.c
    query = sa.select(t.alert_acknowledgements)
    if alert_ids is not None:
        query = query.where(a.alert_id.in_(sorted(set(alert_ids))))
    return {row.alert_id: _plain(row) for row in conn.execute(query)}


def comments(conn: Connection, blob, account_ids: Iterable[int],  # noqa: ANN001
             item_ids: Iterable[int] | None = None) -> list[dict]:
    """The comments and replies on these accounts (or only those named), by id, each with
    its latest text, author, whether it is deleted, and the text of the post its thread
    answers (`post`, empty when that post is not archived) and that post's id."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    found = list(account_posts(conn, blob, ids, COMMENT_KINDS, item_ids))
    if not found:
        return []
    i = t.items.c
    meta = {row.id: row for row in conn.execute(
        sa.select(i.id, i.account_id, i.native_id, i.parent_native_id, i.author, i.kind)
        .where(i.account_id.in_(ids)))}
    by_native = {(row.account_id, row.native_id): row.id for row in meta.values()}
    roots: dict[int, int | None] = {}
    for row in found:
        current, seen = row["item_id"], set()
        while current is not None and current not in seen:
            seen.add(current)
            parent = meta[current].parent_native_id
            nxt = by_native.get((meta[current].account_id, parent)) if parent else None
            if nxt is None:
                break
            current = nxt
        roots[row["item_id"]] = current if current != row["item_id"] and \
            meta[current].kind == Kind.POST.value else None
    posts = {p["item_id"]: p["text"] for p in account_posts(
        conn, blob, ids, (Kind.POST,), {r for r in roots.values() if r is not None})}
    return [{**row, "author": meta[row["item_id"]].author,
             "post_id": roots[row["item_id"]],
             "post": posts.get(roots[row["item_id"]], "")} for row in found]


# -- the queue, a page at a time ----------------------------------------------------------

def comment(conn: Connection, item_id: int, account_ids: Iterable[int]) -> sa.Row | None:
    """The item if it is a comment or reply on one of these accounts (ROW's columns)."""
    i = t.items.c
    return conn.execute(sa.select(*ROW).where(
        i.id == item_id, i.account_id.in_(sorted(set(account_ids))),
        i.kind.in_([k.value for k in COMMENT_KINDS]))).first()


def newest(conn: Connection, account_ids: Iterable[int], pending: bool = False,
           page: int = 100) -> Iterator[sa.Row]:
    """The comments and replies of these accounts, newest first (by creation, else first
    sight, then id: `sort_at` and ROW's columns), read `page` at a time from each account
    (ix_items_comments_newest) and merged; with `pending`, only those no action is logged
    on (ix_moderation_actions_item). Lazy: read only as far as it is consumed."""
    return heapq.merge(*(_account_newest(conn, a, pending, page)
                         for a in sorted(set(account_ids))),
                       key=lambda row: (row.sort_at, row.id), reverse=True)


def _account_newest(conn: Connection, account_id: int, pending: bool, page: int
                    ) -> Iterator[sa.Row]:
    i, m = t.items.c, t.moderation_actions.c
    query = sa.select(*ROW, t.SORT_AT.label("sort_at")).where(
        i.account_id == account_id, IS_COMMENT)
    if pending:
        query = query.where(~sa.exists().where(m.item_id == i.id))
    query = query.order_by(t.SORT_AT.desc(), i.id.desc()).limit(page)
    before = None
    while True:
        # Below the last row read: `<=` as the index range (SQLite ranges no row value
        # over an expression), the same time's rows read already left out.
        rows = conn.execute(query if before is None else query.where(
            t.SORT_AT <= before[0], ~sa.and_(t.SORT_AT == before[0], i.id >= before[1]))
        ).all()
        yield from rows
        if len(rows) < page:
            return
        before = (rows[-1].sort_at, rows[-1].id)


def in_order(conn: Connection, account_ids: Iterable[int]) -> list[sa.Row]:
    """Every comment and reply of these accounts, by id (ROW's columns)."""
    i = t.items.c
    return conn.execute(sa.select(*ROW).where(
        i.account_id.in_(sorted(set(account_ids))), i.kind.in_([k.value for k in COMMENT_KINDS])
    ).order_by(i.id)).all()


def thread_roots(conn: Connection, rows: Iterable) -> dict[int, int | None]:
    """Item id -> the post its thread answers (its parent's parent..., on the same account,
    by uq_items_native), None when that post is not archived, for rows with ROW's columns.
    As `comments` finds it: a loop in the chain stops at the item met again."""
    i = t.items.c
    known: dict[tuple[int, str], tuple[int, str | None, str] | None] = {}
    # item id -> [account, current id, its parent's native id, its kind, ids seen]
    walking = {row.id: [row.account_id, row.id, row.parent_native_id, row.kind, {row.id}]
               for row in rows}
    roots: dict[int, int | None] = {}
    while walking:
        wanted: dict[int, set[str]] = {}
        for account, _, parent, _, _ in walking.values():
            if parent and (account, parent) not in known:
                wanted.setdefault(account, set()).add(parent)
        for account, natives in wanted.items():
            for chunk in _chunks(sorted(natives)):
                found = {row.native_id: (row.id, row.parent_native_id, row.kind)
                         for row in conn.execute(
                             sa.select(i.id, i.native_id, i.parent_native_id, i.kind)
                             .where(i.account_id == account, i.native_id.in_(chunk)))}
                known.update({(account, n): found.get(n) for n in chunk})
        for item_id, walk in list(walking.items()):
            account, _, parent, _, seen = walk
            found = known.get((account, parent)) if parent else None
            if found is not None:
                walk[1], walk[2], walk[3] = found
                if found[0] not in seen:
                    seen.add(found[0])
                    continue
            roots[item_id] = walk[1] if walk[1] != item_id and walk[3] == Kind.POST.value \
                else None
            del walking[item_id]
    return roots


def earlier(conn: Connection, account_ids: Iterable[int], author: str, before: int,
            limit: int, since: int | None = None) -> list[int]:
    """The ids of the author's comments and replies on these accounts below `before`
    (ix_items_comments_author): the last `limit`, or with `since` every one from that id
    on; in id order."""
    i = t.items.c
    query = sa.select(i.id).where(i.author == author, IS_COMMENT, i.id < before,
                                  i.account_id.in_(sorted(set(account_ids))))
    if since is not None:
        return list(conn.execute(query.where(i.id >= since).order_by(i.id)).scalars())
    return sorted(conn.execute(query.order_by(i.id.desc()).limit(limit)).scalars())


def latest(conn: Connection, item_ids: Iterable[int] | None = None,
           account_ids: Iterable[int] | None = None) -> dict[int, tuple]:
    """Item id -> its latest version (by observation, then id) as (version id, event,
    content sha256, purged): of these items, or of every comment and reply of these
    accounts (one scan)."""
    v, i, ts = t.versions.c, t.items.c, t.tombstones.c
    query = sa.select(v.item_id, v.id, v.event, v.content_sha256,
                      ts.version_id.is_not(None).label("purged")).outerjoin(
        t.tombstones, ts.version_id == v.id).order_by(v.item_id, v.observed_at, v.id)
    found: dict[int, tuple] = {}
    if item_ids is None:
        queries = [query.join(t.items, i.id == v.item_id).where(
            i.account_id.in_(sorted(set(account_ids or ()))),
            i.kind.in_([k.value for k in COMMENT_KINDS]))]
    else:
        queries = [query.where(v.item_id.in_(chunk)) for chunk in _chunks(sorted(set(item_ids)))]
    for each in queries:
        for row in conn.execute(each):
            found[row.item_id] = (row.id, row.event, bytes(row.content_sha256), row.purged)
    return found


def readable(conn: Connection, shas: Iterable[bytes]) -> set[bytes]:
    """Of these content sha256s, those whose blob is still held."""
    b = t.blobs.c
    held: set[bytes] = set()
    for chunk in _chunks(sorted(set(shas))):
        held |= {bytes(sha) for sha in conn.execute(sa.select(b.sha256).where(
            b.sha256.in_(chunk))).scalars()}
    return held


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]
