"""The PostgreSQL schemas the tests are lent again (tests/postgres.py) are what a newly
migrated schema is, or they are not lent: the other PostgreSQL tests rely on it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civicarchive import Archive

from ..conftest import observe

pytestmark = pytest.mark.postgres


def tables_of(pg_engine, schema: str) -> list[str]:
    with pg_engine.connect() as conn:
        return conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                            {"s": schema}).scalars().all()


def used(pg_schemas, pg_engine, tmp_path) -> str:
    """A schema lent, written to by an archive (and its search engine), given back."""
    schema = pg_schemas.lend()
    with Archive.init("City of Example", home=tmp_path / "home",
                      database_url=pg_schemas.url_of(schema), actor="clerk") as archive:
        account = archive.registry.add_account("x", "cityofexample", "agency")
        archive.ingesting.ingest([observe(account.id, "1", "budget hearing")], source="t")
        assert archive.finding.search("budget").total == 1
    assert "search_documents" in tables_of(pg_engine, schema)
    pg_schemas.give_back(schema)
    return schema


def test_a_schema_given_back_is_empty_and_as_migrated(pg_schemas, pg_engine, tmp_path):
    schema = used(pg_schemas, pg_engine, tmp_path)
    assert pg_schemas.state(schema) == pg_schemas.pristine
    tables = tables_of(pg_engine, schema)
    assert "search_documents" not in tables and "items" in tables
    assert pg_schemas.lend() == schema
    with Archive.init("Again", home=tmp_path / "again", database_url=pg_schemas.url_of(schema)
                      ) as archive:   # ids start again from 1
        assert archive.registry.add_account("x", "again", "agency").id == 1
    pg_schemas.give_back(schema)


@pytest.mark.parametrize("change", [
    'DROP TRIGGER {trigger} ON "{schema}".items',
    'ALTER TABLE "{schema}".items DISABLE TRIGGER ALL',
    'CREATE OR REPLACE FUNCTION "{schema}".civicarchive_append_only() RETURNS trigger '
    'LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$',   # no longer refuses anything
    'ALTER TABLE "{schema}".items ADD COLUMN extra text',
    'CREATE INDEX ix_extra ON "{schema}".items (author)',
    'INSERT INTO "{schema}".agencies (id, slug, name, created_at) VALUES (9, \'a\', \'A\', \'x\')',
    "SELECT nextval('\"{schema}\".{sequence}')",
])
def test_a_schema_changed_after_it_was_given_back_is_not_lent_again(pg_schemas, pg_engine,
                                                                     tmp_path, change):
    schema = used(pg_schemas, pg_engine, tmp_path)
    with pg_engine.connect() as conn:
        trigger = conn.execute(sa.text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = "
            "CAST(CAST(:t AS text) AS regclass)"), {"t": f'"{schema}".items'}).scalars().first()
        sequence = conn.execute(sa.text("SELECT sequencename FROM pg_sequences WHERE "
                                        "schemaname = :s"), {"s": schema}).scalars().first()
        if "{sequence}" in change and sequence is None:
            pytest.fail("the schema has no sequence: drop this case")
        conn.execute(sa.text(change.format(schema=schema, trigger=trigger, sequence=sequence)))
    lent = pg_schemas.lend()
    assert lent != schema
    assert pg_schemas.state(lent) == pg_schemas.pristine
    with pg_engine.connect() as conn:
        assert not conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"),
                                {"s": schema}).first()
    pg_schemas.give_back(lent)
