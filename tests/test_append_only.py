"""The database refuses to rewrite archived rows, on both backends, whichever statement
tries: UPDATE, DELETE, REPLACE / INSERT OR REPLACE (SQLite), an upsert (ON CONFLICT DO
UPDATE), MERGE and TRUNCATE (PostgreSQL). SQLite is also tried from a bare connection
that has none of civicarchive's settings, as someone with the file and the sqlite3 shell
would open it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from civicarchive.store import schema as t

from .store.every_table import fill_every_table

TABLES = [t.metadata.tables[name] for name in t.APPEND_ONLY_TABLES]


@pytest.fixture
def full(archive, tmp_path):
    fill_every_table(archive, tmp_path / "production")
    return archive


def unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    keys = [tuple(c.name for c in table.primary_key)]
    keys += [tuple(c.name for c in constraint.columns) for constraint in table.constraints
             if isinstance(constraint, sa.UniqueConstraint)]
    keys += [(c.name,) for c in table.columns if c.unique]
    return keys


def first_row(conn: sa.Connection, table: sa.Table) -> dict:
    row = conn.execute(sa.select(table).order_by(*table.primary_key).limit(1)).mappings().first()
    assert row is not None, f"{table.name} is empty: fill_every_table must write it"
    return dict(row)


def colliding(table: sa.Table, row: dict, key: tuple[str, ...]) -> dict:
    """A copy of `row` that collides with it on `key` only."""
    other = {column for k in unique_keys(table) if k != key for column in k} - set(key)
    return {name: (value + 100_000 if isinstance(value, int) else f"{value}-x")
            if name in other else value for name, value in row.items()}


def insert_sql(table: sa.Table, row: dict, verb: str = "INSERT INTO", tail: str = "") -> str:
    names = list(row)  # quoted: a column may be a reserved word (capture_runs.full)
    return (f"{verb} {table.name} ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}) "
            f"VALUES ({', '.join(':' + n for n in names)}){tail}")


def attempts(table: sa.Table, row: dict, dialect: str) -> Iterator[tuple[str, str, dict]]:
    """(what, SQL, parameters) of every statement that would rewrite `row`."""
    key = unique_keys(table)[0]
    where = " AND ".join(f"{c} = :{c}" for c in key)
    match = {c: row[c] for c in key}
    first = next((c for c in table.columns if c.name not in key), table.c[key[0]]).name
    yield "UPDATE", f"UPDATE {table.name} SET {first} = {first} WHERE {where}", match
    yield "DELETE", f"DELETE FROM {table.name} WHERE {where}", match
    upsert = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {first} = excluded.{first}"
    yield "upsert", insert_sql(table, row, tail=upsert), row
    if dialect == "sqlite":
        for unique in unique_keys(table):
            clash = colliding(table, row, unique)
            yield f"REPLACE on {unique}", insert_sql(table, clash, "REPLACE INTO"), clash
            yield (f"INSERT OR REPLACE on {unique}",
                   insert_sql(table, clash, "INSERT OR REPLACE INTO"), clash)
    else:
        source = ", ".join(f":{c} AS {c}" for c in key)
        on = " AND ".join(f"{table.name}.{c} = s.{c}" for c in key)
        merge = f"MERGE INTO {table.name} USING (SELECT {source}) s ON {on} WHEN MATCHED THEN"
        yield "MERGE UPDATE", f"{merge} UPDATE SET {first} = {table.name}.{first}", match
        yield "MERGE DELETE", f"{merge} DELETE", match
        yield "TRUNCATE", f"TRUNCATE {table.name} CASCADE", {}


def let_through(engine: sa.Engine, dialect: str, rows: dict[str, dict]) -> list[str]:
    """Every attempt the database accepted (each is rolled back either way)."""
    accepted = []
    for table in TABLES:
        for what, sql, params in attempts(table, rows[table.name], dialect):
            with engine.connect() as conn:
                transaction = conn.begin()
                try:
                    conn.execute(sa.text(sql), params)
                except sa.exc.DatabaseError as error:
                    assert "append-only" in str(error.orig), f"{table.name} {what}: {error}"
                else:
                    accepted.append(f"{table.name}: {what}")
                finally:
                    transaction.rollback()
    return accepted


def snapshot(archive) -> dict[str, list]:
    with archive.context.store.read() as conn:
        return {table.name: conn.execute(sa.select(table)).all() for table in TABLES}


def test_append_only_refuses_every_rewrite_through_the_store(full):
    before = snapshot(full)
    with full.context.store.engine.connect() as conn:
        rows = {table.name: first_row(conn, table) for table in TABLES}
    assert let_through(full.context.store.engine, full.context.store.dialect, rows) == []
    assert snapshot(full) == before
    assert full.evidence.verify().ok


@pytest.mark.parametrize("database_url", [None])  # the bare connection opens the SQLite file
def test_append_only_refuses_replace_from_a_bare_sqlite_connection(full):
    bare = sa.create_engine(f"sqlite:///{full.context.store.where}")
    with bare.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 0
        rows = {table.name: first_row(conn, table) for table in TABLES}
    before = snapshot(full)
    try:
        assert let_through(bare, "sqlite", rows) == []
    finally:
        bare.dispose()
    assert snapshot(full) == before


def test_append_only_guards_the_registry_tables():
    assert {"archive_info", "agencies", "accounts"} <= set(t.APPEND_ONLY_TABLES)
    unguarded = set(t.metadata.tables) - set(t.APPEND_ONLY_TABLES)
    assert unguarded == {"blobs"}  # a disposition deletes blobs; verify re-hashes each one


def _triggers(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = "
                                    "'trigger' ORDER BY name").all()


@pytest.mark.parametrize("database_url", [None])
def test_a_bulk_ingest_leaves_every_refuse_replace_trigger_as_it_was(full):
    from civicarchive.store.sql import BULK_ROWS

    from tests.conftest import observe
    account = full.registry.accounts()[0]
    engine = full.context.store.engine
    before = _triggers(engine)
    assert sum(name.endswith("_no_replace") for name, _ in before) >= 5
    full.ingesting.ingest([observe(account.id, f"bulk{n}", f"notice {n}", n)
                           for n in range(BULK_ROWS + 100)], source="test")  # set aside
    assert _triggers(engine) == before
    # A bulk insert that fails half-way (an id already taken) leaves them too.
    with full.context.store.engine.connect() as conn:
        taken = conn.exec_driver_sql("SELECT max(id) FROM items").scalar()
    with pytest.raises(sa.exc.IntegrityError):
        with full.context.write() as tx:
            tx.store._insert_tuples(tx.conn, t.items, (
                "id", "account_id", "native_id", "kind", "first_seen_at"),
                [(taken + 1 + n, account.id, f"late{n}", "post", "2026-01-01T00:00:00Z")
                 for n in range(BULK_ROWS)] + [(taken, account.id, "clash", "post",
                                                "2026-01-01T00:00:00Z")])
    assert _triggers(engine) == before
    bare = sa.create_engine(f"sqlite:///{full.context.store.where}")
    with bare.connect() as conn:
        rows = {table.name: first_row(conn, table) for table in TABLES}
    try:
        assert let_through(bare, "sqlite", rows) == []
    finally:
        bare.dispose()
    assert full.evidence.verify().ok
