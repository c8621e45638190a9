"""The SQL of the registry: agencies, accounts, their closures and tags."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from civicarchive.model.account import Account, Agency, Classification
from civicarchive.model.record import Kind
from civicarchive.store import schema as t


def agencies(conn: Connection) -> list[Agency]:
    return [Agency(**row._asdict()) for row in
            conn.execute(sa.select(t.agencies).order_by(t.agencies.c.id))]


def accounts(conn: Connection) -> list[Account]:
    return [_account(row) for row in conn.execute(sa.select(t.accounts)
                                                  .order_by(t.accounts.c.id))]


def account(conn: Connection, account_id: int) -> Account | None:
    row = conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id)).first()
    return _account(row) if row is not None else None


def account_with_handle(conn: Connection, agency_id: int, platform: str,
                        handle: str) -> int | None:
    a = t.accounts.c
    return conn.execute(sa.select(a.id).where(a.agency_id == agency_id, a.platform == platform,
                                              a.handle == handle)).scalar()


def handles(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(sa.select(t.accounts.c.id, t.accounts.c.handle)).all())


def closures(conn: Connection) -> dict[int, str]:
    """Account id -> when it was closed."""
    c = t.account_closures.c
    return dict(conn.execute(sa.select(c.account_id, c.closed_at)).all())


def add_closure(conn: Connection, account_id: int, closed_at: str, recorded_at: str,
                recorded_by: str) -> None:
    conn.execute(t.account_closures.insert(), [{
        "account_id": account_id, "closed_at": closed_at, "recorded_at": recorded_at,
        "recorded_by": recorded_by}])


def tags(conn: Connection) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for account_id, tag in conn.execute(sa.select(t.account_tags.c.account_id,
                                                  t.account_tags.c.tag)):
        found[account_id].add(tag)
    return {account_id: frozenset(names) for account_id, names in found.items()}


def add_tag(conn: Connection, account_id: int, tag: str, tagged_at: str, tagged_by: str
            ) -> None:
    conn.execute(t.account_tags.insert(), [{"account_id": account_id, "tag": tag,
                                            "tagged_at": tagged_at, "tagged_by": tagged_by}])


def item_counts_after(conn: Connection, after: int
                      ) -> tuple[dict[int, tuple[int, int]], int]:
    """Account id -> (records, direct messages among them) whose id is above `after`, and
    the highest id counted (a range of the primary key: cheap when few records came
    since)."""
    i = t.items.c
    # From scratch, the (account_id, native_id) index is the cheapest to scan; after
    # that, `+ 0` keeps SQLite from scanning that whole index instead of the id range.
    account = i.account_id if after == 0 else (i.account_id + 0).label("account")
    messages = sa.func.sum(sa.case((i.kind == Kind.MESSAGE.value, 1), else_=0))
    rows = conn.execute(sa.select(account, sa.func.count(), messages, sa.func.max(i.id))
                        .where(i.id > after).group_by(account)).all()
    return ({row[0]: (row[1], int(row[2] or 0)) for row in rows},
            max((row[3] for row in rows), default=after))


def _account(row: sa.Row) -> Account:
    return Account(**{**row._asdict(), "classification": Classification(row.classification)})
