"""PostgreSQL schemas for the tests, migrated once and lent again.

A test of the PostgreSQL store used to get a new schema and run every migration in it:
about half a second of the server's work, and some 150 new files a checkpoint then has
to write and sync (hundreds of thousands of them over a run, which stalled the disk for
the whole machine). A schema is lent again only when it is what a newly migrated one
would be: the same relations, columns, indexes, constraints, triggers and functions at
the same revision, every table empty and every sequence at its start. One that is not
is dropped, and another migrated.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from civicarchive.store.blobs import FileBlobStore
from civicarchive.store.sql import PostgresRecordStore

# Made on first use by the search engine (search/postgres_index.py), not by a migration:
# dropped when a schema is given back, as a new schema does not have them.
DERIVED = ("search_documents", "search_state")

# Everything a schema defines, with its own name left out (definitions name it).
SHAPE = sa.text("""
SELECT 'relation', c.relname, c.relkind::text FROM pg_class c
 WHERE c.relnamespace = CAST(CAST(:schema AS text) AS regnamespace)
UNION ALL
SELECT 'column', c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || coalesce(' identity ' || nullif(a.attidentity::text, ''), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = CAST(CAST(:schema AS text) AS regnamespace) AND a.attnum > 0
   AND NOT a.attisdropped
UNION ALL
SELECT 'index', c.relname, pg_get_indexdef(c.oid) FROM pg_class c
 WHERE c.relnamespace = CAST(CAST(:schema AS text) AS regnamespace) AND c.relkind IN ('i', 'I')
UNION ALL
SELECT 'constraint', c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE k.connamespace = CAST(CAST(:schema AS text) AS regnamespace)
UNION ALL
SELECT 'trigger', c.relname || '.' || CASE WHEN g.tgisinternal THEN '(foreign key)'
       ELSE g.tgname END,  -- named by its oid when internal, kept by its definition
       g.tgenabled::text || regexp_replace(pg_get_triggerdef(g.oid),
                                           'RI_ConstraintTrigger_[a-z]_[0-9]+', '')
  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
 WHERE c.relnamespace = CAST(CAST(:schema AS text) AS regnamespace)
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       pg_get_functiondef(p.oid)
  FROM pg_proc p WHERE p.pronamespace = CAST(CAST(:schema AS text) AS regnamespace)
UNION ALL
SELECT 'sequence', sequencename, coalesce(last_value::text, 'unused') FROM pg_sequences
 WHERE schemaname = CAST(:schema AS text)
UNION ALL
SELECT 'policy', tablename || '.' || policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '')
  FROM pg_policies WHERE schemaname = CAST(:schema AS text)
ORDER BY 1, 2, 3
""")


class MigratedSchemas:
    """lend() -> a schema migrated to the newest revision with nothing in it; give_back()
    empties it for the next test. One pool per test process."""

    def __init__(self, engine: sa.Engine, url: sa.URL, options: str) -> None:
        self.engine, self.url, self.options = engine, url, options
        self.free: list[str] = []
        self.made: list[str] = []
        self.pristine: list[tuple] | None = None   # the state of the first schema made

    def url_of(self, schema: str) -> str:
        return self.url.update_query_dict(
            {"options": f"-csearch_path={schema} {self.options}"}
        ).render_as_string(hide_password=False)

    def lend(self) -> str:
        while self.free:
            schema = self.free.pop()
            if self.state(schema) == self.pristine:
                return schema
            self.drop(schema)   # changed by a test (or by a thread it left behind)
        schema = self._migrated()
        state = self.state(schema)
        if self.pristine is None:
            self.pristine = state
        assert state == self.pristine, "two schemas migrated to the newest revision differ"
        return schema

    def give_back(self, schema: str) -> None:
        """Empty the tables (bypassing the append-only triggers, which is what needs a
        superuser), restart the sequences, drop the search engine's tables; a schema that
        cannot be emptied is dropped."""
        try:
            with self.engine.connect() as conn, conn.execution_options(
                    isolation_level="READ COMMITTED").begin():  # the engine autocommits
                conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                for table in DERIVED:
                    conn.execute(sa.text(f'DROP TABLE IF EXISTS "{schema}"."{table}"'))
                tables = conn.execute(sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                    "AND tablename <> 'alembic_version'"), {"schema": schema}).scalars().all()
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{schema}"."{table}"'))
                for sequence in conn.execute(sa.text(
                        "SELECT sequencename FROM pg_sequences WHERE schemaname = :schema"),
                        {"schema": schema}).scalars().all():
                    conn.execute(sa.text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))
        except sa.exc.DBAPIError:
            self.drop(schema)
            return
        self.free.append(schema)

    def state(self, schema: str) -> list[tuple]:
        """The schema's shape, and how many rows each table holds (the revision's one
        row in alembic_version, none in the others)."""
        with self.engine.connect() as conn:
            shape = [tuple(str(v).replace(f'"{schema}".', "").replace(f"{schema}.", "")
                           for v in row) for row in conn.execute(SHAPE, {"schema": schema})]
            tables = [name for kind, name, what in shape if kind == "relation" and what == "r"]
            counts = conn.execute(sa.text(" UNION ALL ".join(
                f"SELECT '{name}', count(*), "
                + ("max(version_num)" if name == "alembic_version" else "NULL")
                + f' FROM "{schema}"."{name}"' for name in tables))).all() if tables else []
        return shape + [("rows", *map(str, row)) for row in sorted(counts)]

    def _migrated(self) -> str:
        schema = f"civicarchive_test_{uuid.uuid4().hex[:16]}"
        with self.engine.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        self.made.append(schema)
        with tempfile.TemporaryDirectory() as blobs:
            store = PostgresRecordStore.at(self.url_of(schema), FileBlobStore(Path(blobs)))
            try:
                store.migrate()
            finally:
                store.dispose()
        return schema

    def drop(self, schema: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        for schema in self.made:
            self.drop(schema)
