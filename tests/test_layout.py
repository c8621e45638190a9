"""The architecture in STYLE.md holds: imports point one way, and the migrations build
exactly the schema the code declares."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import civicarchive
from civicarchive.store import schema

PACKAGE = Path(civicarchive.__file__).parent
EDGES = ("cli", "web")
ENGINES = ("store", "connectors", "search", "records", "moderation", "compliance", "exports")


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(under: str) -> list[Path]:
    target = PACKAGE / under
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


@pytest.mark.parametrize("edge", EDGES)
def test_edges_reach_storage_only_through_the_archive(edge):
    for path in modules(edge):
        for name in imports_of(path):
            assert not name.startswith(("sqlite3", "sqlalchemy", "psycopg", "alembic")), \
                f"{path.name} imports {name}"
            assert not name.startswith(("civicarchive.store", "civicarchive.connectors",
                                        "civicarchive.records", "civicarchive.policy")), \
                f"{path.name} imports {name}: go through civicarchive.archive"


def test_model_does_no_io_and_imports_no_engine():
    for path in modules("model"):
        for name in imports_of(path):
            assert name.split(".")[0] not in ("sqlalchemy", "sqlite3", "os", "pathlib",
                                              "requests", "httpx"), f"{path.name}: {name}"
            assert not name.startswith(tuple(f"civicarchive.{e}" for e in ENGINES)), name


def test_engines_do_not_import_the_application_or_edges():
    for engine in ENGINES:
        for path in modules(engine) if (PACKAGE / engine).exists() else []:
            for name in imports_of(path):
                assert not name.startswith(("civicarchive.archive", "civicarchive.cli",
                                            "civicarchive.web")), f"{path}: {name}"


def test_no_catch_all_module_names():
    names = {p.stem for p in PACKAGE.rglob("*.py")}
    assert not names & {"utils", "helpers", "manager", "misc", "common"}


def test_migrations_build_the_declared_schema(archive):
    with archive.context.store.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        differences = compare_metadata(context, schema.metadata)
    assert differences == []


def test_every_append_only_table_is_guarded(archive):
    with archive.context.store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(sa.text("SELECT tbl_name FROM sqlite_master "
                                        "WHERE type = 'trigger'")).scalars()
        else:
            # This test's own schema: other runs' schemas share the server.
            rows = conn.execute(sa.text("SELECT event_object_table FROM "
                                        "information_schema.triggers WHERE "
                                        "trigger_schema = current_schema()")).scalars()
        guarded = set(rows)
    assert guarded == set(schema.APPEND_ONLY_TABLES)
