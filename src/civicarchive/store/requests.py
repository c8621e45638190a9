"""The SQL of records requests: the request rows, their append-only events, and the
productions made for them."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.store import schema as t


def add_request(tx, fields: dict, year: int, actor: str) -> tuple[int, str]:  # noqa: ANN001
    """A new request numbered R-<year>-<n> in the order received; (id, number)."""
    request_id = tx.next_id("requests")
    count = tx.conn.execute(sa.select(sa.func.count()).where(
        t.requests.c.number.like(f"R-{year}-%"))).scalar_one()
    number = f"R-{year}-{count + 1:04d}"
    tx.conn.execute(t.requests.insert(), [{**fields, "id": request_id, "number": number,
                                           "created_at": tx.now, "created_by": actor}])
    return request_id, number


def request(conn: Connection, request_id: int) -> sa.Row | None:
    return conn.execute(sa.select(t.requests).where(t.requests.c.id == request_id)).first()


def request_ids(conn: Connection) -> list[int]:
    return [i for (i,) in conn.execute(sa.select(t.requests.c.id).order_by(t.requests.c.id))]


def creators(conn: Connection) -> dict[int, str]:
    r = t.requests.c
    return dict(conn.execute(sa.select(r.id, r.created_by)).all())


def events(conn: Connection, request_id: int) -> Iterator[dict]:
    """A request's events in order: id, at, actor, action and details (parsed)."""
    e = t.request_events.c
    for row in conn.execute(sa.select(t.request_events).where(e.request_id == request_id)
                            .order_by(e.id)):
        yield {**row._asdict(), "details": orjson.loads(row.details)}


def last_event_id(conn: Connection) -> int:
    """The newest request event's id (0: none): changes whenever any request does."""
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.request_events.c.id), 0))
                        ).scalar_one()


def add_event(tx, request_id: int, action: str, details: dict, actor: str,  # noqa: ANN001
              event_id: int | None = None) -> int:
    """A request event; its id is allocated here unless the caller did (a redaction
    names itself by its event's id)."""
    event_id = event_id if event_id is not None else tx.next_id("request_events")
    tx.conn.execute(t.request_events.insert(), [{
        "id": event_id, "request_id": request_id, "at": tx.now, "actor": actor,
        "action": action, "details": orjson.dumps(details).decode()}])
    return event_id


def productions(conn: Connection, request_id: int) -> list[sa.Row]:
    return conn.execute(sa.select(t.productions).where(t.productions.c.request_id == request_id)
                        .order_by(t.productions.c.id)).all()


def last_production_number(conn: Connection, prefix: str) -> int:
    return conn.execute(sa.select(sa.func.max(t.productions.c.last_number)).where(
        t.productions.c.prefix == prefix)).scalar() or 0


def production_count(conn: Connection, request_id: int) -> int:
    return conn.execute(sa.select(sa.func.count()).where(
        t.productions.c.request_id == request_id)).scalar_one()


def add_production(tx, fields: dict, actor: str) -> int:  # noqa: ANN001
    production_id = tx.next_id("productions")
    tx.conn.execute(t.productions.insert(), [{**fields, "id": production_id,
                                              "produced_at": tx.now, "produced_by": actor}])
    return production_id


def add_tracker(tx, request_id: int, token_sha256: str, agency_id: int,  # noqa: ANN001
                actor: str) -> None:
    """A request's tracking link, by the sha256 of its secret; its audit event carries
    the row (verification re-derives it)."""
    row = {"request_id": request_id, "token_sha256": token_sha256, "agency_id": agency_id,
           "created_at": tx.now}
    tx.conn.execute(t.request_trackers.insert(), [row])
    tx.audit(actor, "portal.tracker", f"request {request_id}",
             {"table": "request_trackers", **row})


def tracked(conn: Connection, token_sha256: str) -> tuple[int, int] | None:
    """(request id, agency id) of the tracking link with this secret's sha256."""
    c = t.request_trackers.c
    row = conn.execute(sa.select(c.request_id, c.agency_id)
                       .where(c.token_sha256 == token_sha256)).first()
    return (row.request_id, row.agency_id) if row else None


def tracker_agencies(conn: Connection) -> dict[int, int]:
    """Request id -> the agency it was made to, for requests made through the portal."""
    c = t.request_trackers.c
    return dict(conn.execute(sa.select(c.request_id, c.agency_id)).all())
