"""The SQL of the registry of people: officials and staff, their terms in office, the
accounts linked to them, their acknowledgements of the officials' guide and their
training; and the posts of given accounts, as the compliance monitors read them.

Every table here is append-only, and every row is written with an audit event in the
ledger that carries the row's fields (tagged with the table's name), so verification
re-derives each row from the ledger as it does live capture's (store/capture.py). What
changes (a term ended early, an account linked to someone else) is a new row; the latest
is in force.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.people import GuideAcknowledgement, Person, Role, Term, Training
from civicarchive.model.record import Event, Kind, text_of
from civicarchive.store import schema as t


def _insert(tx, table: sa.Table, row: dict, actor: str, action: str,  # noqa: ANN001
            person_id: int | None = None) -> int:
    """INSERT one row with a new id, and its audit event about the person, carrying the
    row's fields."""
    row = {"id": tx.next_id(table.name), **row}
    tx.conn.execute(table.insert(), [row])
    tx.audit(actor, action, f"person {row['id'] if person_id is None else person_id}",
             {"table": table.name, **row})
    return row["id"]


def add_person(tx, agency_id: int, name: str, role: Role, actor: str) -> int:  # noqa: ANN001
    return _insert(tx, t.people, {
        "agency_id": agency_id, "name": name, "role": role.value, "added_at": tx.now,
        "added_by": actor}, actor, "person.add")


def add_term(tx, person_id: int, office: str, starts_on: str,  # noqa: ANN001
             ends_on: str | None, actor: str) -> int:
    return _insert(tx, t.people_terms, {
        "person_id": person_id, "office": office, "starts_on": starts_on, "ends_on": ends_on,
        "recorded_at": tx.now, "recorded_by": actor}, actor, "person.term", person_id)


def end_term(tx, term_id: int, person_id: int, ends_on: str, actor: str) -> None:  # noqa: ANN001
    row = {"term_id": term_id, "ends_on": ends_on, "recorded_at": tx.now, "recorded_by": actor}
    tx.conn.execute(t.people_term_ends.insert(), [row])
    tx.audit(actor, "person.term.end", f"person {person_id}",
             {"table": "people_term_ends", **row})


def link_account(tx, account_id: int, person_id: int, actor: str) -> int:  # noqa: ANN001
    return _insert(tx, t.people_accounts, {
        "account_id": account_id, "person_id": person_id, "linked_at": tx.now,
        "linked_by": actor}, actor, "person.link", person_id)


def add_acknowledgement(tx, person_id: int, policy_id: int, guide_sha256: str,  # noqa: ANN001
                        at: str, actor: str) -> int:
    return _insert(tx, t.people_acknowledgements, {
        "person_id": person_id, "policy_id": policy_id, "guide_sha256": guide_sha256,
        "acknowledged_at": at, "recorded_by": actor}, actor, "person.acknowledge", person_id)


def add_training(tx, person_id: int, course: str, at: str, actor: str) -> int:  # noqa: ANN001
    return _insert(tx, t.people_trainings, {
        "person_id": person_id, "course": course, "completed_at": at, "recorded_by": actor},
        actor, "person.train", person_id)


def term(conn: Connection, term_id: int) -> Term | None:
    found = [x for x in _terms(conn, term_id) if x.id == term_id]
    return found[0] if found else None


def term_end(conn: Connection, term_id: int) -> str | None:
    """The last day recorded for a term that ended early, if one was."""
    e = t.people_term_ends.c
    return conn.execute(sa.select(e.ends_on).where(e.term_id == term_id)).scalar()


def account_people(conn: Connection) -> dict[int, int]:
    """Account id -> the person it is linked to (the latest link)."""
    a = t.people_accounts.c
    found: dict[int, int] = {}
    for account_id, person_id in conn.execute(sa.select(a.account_id, a.person_id)
                                              .order_by(a.id)):
        found[account_id] = person_id
    return found


def people(conn: Connection, person_id: int | None = None) -> list[Person]:
    """Every person (or the one named), by id, with terms, accounts, acknowledgements and
    training."""
    p = t.people.c
    query = sa.select(t.people).order_by(p.id)
    if person_id is not None:
        query = query.where(p.id == person_id)
    rows = conn.execute(query).all()
    terms: dict[int, list[Term]] = defaultdict(list)
    for found in _terms(conn):
        terms[found.person_id].append(found)
    accounts: dict[int, list[int]] = defaultdict(list)
    for account_id, owner in sorted(account_people(conn).items()):
        accounts[owner].append(account_id)
    acks: dict[int, list[GuideAcknowledgement]] = defaultdict(list)
    for row in conn.execute(sa.select(t.people_acknowledgements)
                            .order_by(t.people_acknowledgements.c.id)):
        acks[row.person_id].append(GuideAcknowledgement(**row._asdict()))
    trainings: dict[int, list[Training]] = defaultdict(list)
    for row in conn.execute(sa.select(t.people_trainings).order_by(t.people_trainings.c.id)):
        trainings[row.person_id].append(Training(**row._asdict()))
    return [Person(id=row.id, agency_id=row.agency_id, name=row.name, role=Role(row.role),
                   added_at=row.added_at, added_by=row.added_by,
                   terms=tuple(terms[row.id]), accounts=tuple(accounts[row.id]),
                   acknowledgements=tuple(sorted(acks[row.id],
                                                 key=lambda a: (a.acknowledged_at, a.id))),
                   trainings=tuple(sorted(trainings[row.id],
                                          key=lambda x: (x.completed_at, x.id))))
            for row in rows]


def _terms(conn: Connection, term_id: int | None = None) -> list[Term]:
    """Terms by id, each with its end in force: the early end recorded, if any."""
    te, e = t.people_terms.c, t.people_term_ends.c
    query = sa.select(t.people_terms, e.ends_on.label("ended_on")).outerjoin(
        t.people_term_ends, e.term_id == te.id).order_by(te.id)
    if term_id is not None:
        query = query.where(te.id == term_id)
    return [Term(id=row.id, person_id=row.person_id, office=row.office,
                 starts_on=row.starts_on, ends_on=row.ended_on or row.ends_on,
                 recorded_at=row.recorded_at, recorded_by=row.recorded_by)
            for row in conn.execute(query)]


def account_posts(conn: Connection, blob, account_ids: Iterable[int],  # noqa: ANN001
                  kinds: Iterable[Kind] = (Kind.POST,),
                  item_ids: Iterable[int] | None = None) -> Iterator[dict]:
    """The records of these kinds on these accounts (or only the items named), by id,
    each with its latest version's text (empty when purged): item_id, account_id,
    native_id, kind, url, created_at, first_seen_at, deleted, text. `blob` reads a content
    blob by its sha256."""
    i, v = t.items.c, t.versions.c
    ids = sorted(set(account_ids))
    if not ids:
        return
    where = [i.account_id.in_(ids), i.kind.in_(sorted(k.value for k in kinds))]
    if item_ids is not None:
        where.append(i.id.in_(sorted(set(item_ids))))
    latest: dict[int, tuple] = {}
    for item_id, event, content_sha in conn.execute(
            sa.select(v.item_id, v.event, v.content_sha256).join(t.items, i.id == v.item_id)
            .where(*where).order_by(v.item_id, v.observed_at, v.id)):
        latest[item_id] = (event, bytes(content_sha))
    for row in conn.execute(sa.select(i.id, i.account_id, i.native_id, i.kind, i.url,
                                      i.created_at, i.first_seen_at).where(*where)
                            .order_by(i.id)):
        event, content_sha = latest[row.id]
        data = blob(content_sha)
        yield {"item_id": row.id, "account_id": row.account_id, "native_id": row.native_id,
               "kind": row.kind, "url": row.url, "created_at": row.created_at,
               "first_seen_at": row.first_seen_at, "deleted": event == Event.DELETED,
               "text": text_of(orjson.loads(data)) if data else ""}


def latest_texts(conn: Connection, blob, account_ids: Iterable[int], count: int,  # noqa: ANN001
                 kinds: Iterable[Kind] = (Kind.POST,), page: int = 500) -> list[str]:
    """The texts of the last `count` records of these kinds on these accounts (by id) that
    have text and are not deleted, in id order: what `account_posts` would end with, read
    from the newest back a page at a time instead of whole."""
    i, v = t.items.c, t.versions.c
    ids = sorted(set(account_ids))
    query = sa.select(i.id).where(i.account_id.in_(ids),
                                  i.kind.in_(sorted(k.value for k in kinds)))
    found: list[str] = []
    before = None
    while len(found) < count and ids:
        newest = list(conn.execute((query if before is None else query.where(i.id < before))
                                   .order_by(i.id.desc()).limit(page)).scalars())
        if not newest:
            break
        latest: dict[int, tuple[str, bytes]] = {}
        for item_id, event, content_sha in conn.execute(
                sa.select(v.item_id, v.event, v.content_sha256).where(v.item_id.in_(newest))
                .order_by(v.item_id, v.observed_at, v.id)):
            latest[item_id] = (event, bytes(content_sha))
        texts = content_texts(conn, blob, {item_id: sha for item_id, (_, sha) in latest.items()})
        found += [texts[item_id] for item_id in newest
                  if texts[item_id] and latest[item_id][0] != Event.DELETED][:count - len(found)]
        before = newest[-1]
    return found[::-1]


def content_texts(conn: Connection, blob, contents: dict) -> dict:  # noqa: ANN001
    """Key -> the text of the content with this sha256 (empty when its blob is gone), as
    `account_posts` reads it: small blobs in the same query, large ones through `blob`."""
    b = t.blobs.c
    data: dict[bytes, bytes | None] = {}
    shas = sorted(set(contents.values()))
    for start in range(0, len(shas), 500):
        for sha, raw in conn.execute(sa.select(b.sha256, b.data).where(
                b.sha256.in_(shas[start:start + 500]))):
            data[bytes(sha)] = bytes(raw) if raw is not None else blob(bytes(sha))
    return {key: text_of(orjson.loads(found)) if (found := data.get(sha)) else ""
            for key, sha in contents.items()}


def latest_change(conn: Connection) -> tuple[int, int]:
    """The newest version's id and the newest purge's ledger index (0 for none): while
    both stay, every record's latest text does (a key for what is derived from texts)."""
    v, ts = t.versions.c, t.tombstones.c
    return (conn.execute(sa.select(sa.func.coalesce(sa.func.max(v.id), 0))).scalar_one(),
            conn.execute(sa.select(sa.func.coalesce(sa.func.max(ts.ledger_index), 0))
                         ).scalar_one())


def ledger_head(conn: Connection) -> int:
    """The index of the ledger's last entry (-1 for none): it grows with every write."""
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.ledger_entries.c.idx), -1))
                        ).scalar_one()


def parent_post(conn: Connection, item_id: int) -> int | None:
    """The id of the item a comment or reply answers (its parent on the same account),
    or None when it answers nothing archived."""
    i = t.items.c
    row = conn.execute(sa.select(i.account_id, i.parent_native_id).where(i.id == item_id)
                       ).first()
    if row is None or row.parent_native_id is None:
        return None
    return conn.execute(sa.select(i.id).where(i.account_id == row.account_id,
                                              i.native_id == row.parent_native_id)).scalar()
