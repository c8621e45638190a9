"""The SQL of custody: adopted policies, acknowledgements, legal holds and their releases,
and the facts about every record that retention and holds are decided on."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.clock import parse_time
from civicarchive.model.account import Classification
from civicarchive.model.record import Event, Kind
from civicarchive.model.custody import Hold, HoldScope, RecordFacts
from civicarchive.store import accounts as registry
from civicarchive.store import schema as t


def latest_policy_id(conn: Connection) -> int | None:
    return conn.execute(sa.select(sa.func.max(t.policies.c.id))).scalar()


def policy_text(conn: Connection, policy_id: int) -> str:
    return conn.execute(sa.select(t.policies.c.text).where(t.policies.c.id == policy_id)
                        ).scalar_one()


def add_policy(tx, text: str, digest: str, actor: str) -> int:  # noqa: ANN001
    policy_id = tx.next_id("policies")
    tx.conn.execute(t.policies.insert(), [{"id": policy_id, "adopted_at": tx.now,
                                           "adopted_by": actor, "sha256": digest,
                                           "text": text}])
    return policy_id


def add_acknowledgement(tx, owner: str, policy_id: int, at: str,  # noqa: ANN001
                        actor: str) -> int:
    ack_id = tx.next_id("acknowledgements")
    tx.conn.execute(t.acknowledgements.insert(), [{
        "id": ack_id, "owner": owner, "policy_id": policy_id, "acknowledged_at": at,
        "recorded_by": actor}])
    return ack_id


def latest_acknowledgements(conn: Connection) -> dict[str, str]:
    """Owner -> when they last acknowledged a policy."""
    a = t.acknowledgements.c
    return dict(conn.execute(sa.select(a.owner, sa.func.max(a.acknowledged_at))
                             .group_by(a.owner)).all())


def add_hold(tx, name: str, matter: str, reason: str, scope_json: str,  # noqa: ANN001
             actor: str) -> int:
    hold_id = tx.next_id("holds")
    tx.conn.execute(t.holds.insert(), [{
        "id": hold_id, "name": name, "matter": matter, "reason": reason, "scope": scope_json,
        "created_at": tx.now, "created_by": actor}])
    return hold_id


def hold_exists(conn: Connection, hold_id: int) -> bool:
    return conn.execute(sa.select(t.holds.c.id).where(t.holds.c.id == hold_id)
                        ).first() is not None


def hold_released(conn: Connection, hold_id: int) -> bool:
    return conn.execute(sa.select(t.hold_releases.c.hold_id).where(
        t.hold_releases.c.hold_id == hold_id)).first() is not None


def add_release(tx, hold_id: int, reason: str, actor: str) -> None:  # noqa: ANN001
    tx.conn.execute(t.hold_releases.insert(), [{"hold_id": hold_id, "reason": reason,
                                                "released_at": tx.now,
                                                "released_by": actor}])


def holds(conn: Connection) -> list[Hold]:
    h, r = t.holds.c, t.hold_releases.c
    return [_hold(row) for row in conn.execute(
        sa.select(t.holds, r.released_at, r.reason.label("release_reason"))
        .outerjoin(t.hold_releases, r.hold_id == h.id).order_by(h.id))]


def record_facts(conn: Connection, blob, with_text: bool,  # noqa: ANN001
                 item_ids: list[int] | None = None) -> Iterator[RecordFacts]:
    """What retention and holds decide on, for every record (or those named). `blob`
    reads a content blob by sha256; texts are read only `with_text` (a hold's query)."""
    i, a, v = t.items.c, t.accounts.c, t.versions.c
    closures = registry.closures(conn)
    tags = registry.tags(conn)
    purged_items = {row[0] for row in conn.execute(
        sa.select(v.item_id).join(t.tombstones, t.tombstones.c.version_id == v.id)
        .distinct())}
    query = sa.select(i.id, i.account_id, a.classification, a.platform, i.kind,
                      i.created_at, i.first_seen_at).join(t.accounts, a.id == i.account_id)
    latest_query = sa.select(v.item_id, v.event, v.observed_at, v.content_sha256)
    if item_ids is not None:
        query = query.where(i.id.in_(item_ids))
        latest_query = latest_query.where(v.item_id.in_(item_ids))
    # One pass over the versions, in observed order: the last one seen per item is its
    # latest (a query per item would make status take minutes on a large archive). A hold
    # query reads every version's text, not the latest only: an edit or a deletion must
    # not take a record out of a hold.
    latest, contents = {}, {}
    for item_id, event, observed_at, content_sha in conn.execute(
            latest_query.order_by(v.item_id, v.observed_at, v.id)):
        latest[item_id] = (event, observed_at)
        if with_text:
            contents.setdefault(item_id, {})[bytes(content_sha)] = None
    for row in conn.execute(query.order_by(i.id)).all():
        event, observed_at = latest[row.id]
        yield RecordFacts(
            item_id=row.id, account_id=row.account_id,
            classification=Classification(row.classification), platform=row.platform,
            kind=Kind(row.kind),
            created_at=parse_time(row.created_at) if row.created_at else None,
            first_seen_at=parse_time(row.first_seen_at),
            deleted_at=parse_time(observed_at) if event == Event.DELETED else None,
            account_closed_at=parse_time(closures[row.account_id])
            if row.account_id in closures else None,
            texts=tuple(_text(blob(sha)) for sha in contents.get(row.id, ())),
            purged=row.id in purged_items, tags=tags.get(row.account_id, frozenset()))


def _text(data: bytes | None) -> str:
    """The text member of a version's content ("" for none, or content that is no object)."""
    content = orjson.loads(data) if data else {}
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def _hold(row: sa.Row) -> Hold:
    scope = orjson.loads(row.scope)
    return Hold(
        id=row.id, name=row.name, matter=row.matter, reason=row.reason,
        scope=HoldScope(
            accounts=frozenset(scope["accounts"]) if scope["accounts"] is not None else None,
            start=parse_time(scope["start"]) if scope["start"] else None,
            end=parse_time(scope["end"]) if scope["end"] else None,
            query=scope["query"],
            items=frozenset(scope["items"]) if scope["items"] is not None else None),
        created_at=parse_time(row.created_at), created_by=row.created_by,
        released_at=parse_time(row.released_at) if row.released_at else None,
        release_reason=row.release_reason)
