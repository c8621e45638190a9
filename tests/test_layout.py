"""The architecture in STYLE.md holds: imports point one way, and the migrations build
exactly the schema the code declares."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import civicarchive
from civicarchive.store import schema

PACKAGE = Path(civicarchive.__file__).parent
EDGES = ("cli", "web")
ENGINES = ("store", "connectors", "search", "records", "moderation", "compliance", "exports",
           "policy", "capture")
# Engines that hold no SQL: they are handed what they read (exports read an ExportSource).
SQL_FREE = ("model", "connectors", "records", "moderation", "compliance", "exports", "policy",
            "capture")
APP_FILE_LIMIT = 400


@functools.cache
def tree(path: Path) -> ast.Module:
    """A module's syntax tree, parsed once for every test here (the package's take a
    second); read, never changed."""
    return ast.parse(path.read_text(), str(path))


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(tree(path)):
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
                assert not name.startswith(("civicarchive.archive", "civicarchive.app",
                                            "civicarchive.cli", "civicarchive.web")), \
                    f"{path}: {name}"


@pytest.mark.parametrize("part", SQL_FREE)
def test_pure_engines_import_no_sql_and_no_service(part):
    for path in modules(part) if (PACKAGE / part).exists() else []:
        for name in imports_of(path):
            assert name.split(".")[0] not in ("sqlalchemy", "sqlite3", "psycopg"), \
                f"{path}: {name}"
            assert not name.startswith(("civicarchive.app", "civicarchive.store.sql",
                                        "civicarchive.store.schema")), f"{path}: {name}"


def test_app_imports_only_downwards():
    for path in modules("app"):
        for name in imports_of(path):
            assert not name.startswith(("civicarchive.archive", "civicarchive.cli",
                                        "civicarchive.web")), f"{path}: {name}"
            assert name.split(".")[0] not in ("sqlalchemy", "sqlite3", "psycopg"), \
                f"{path}: {name}: SQL belongs in store/"


def test_archive_is_a_front_door_without_base_classes():
    from civicarchive.archive import Archive
    assert Archive.__bases__ == (object,)
    (archive,) = [n for n in tree(PACKAGE / "archive.py").body if isinstance(n, ast.ClassDef) and n.name == "Archive"]
    methods = {n.name for n in archive.body if isinstance(n, ast.FunctionDef)
               and not _builds_a_service(n)}
    assert methods <= {"__init__", "init", "open", "close", "__enter__", "__exit__"}, \
        f"the front door grew methods: {methods}; put them in a service in app/"


def _builds_a_service(function: ast.FunctionDef) -> bool:
    """A cached property that imports a service and returns it, built: nothing else."""
    cached = any(isinstance(d, ast.Name) and d.id == "cached_property"
                 for d in function.decorator_list)
    body = [n for n in function.body if not isinstance(n, ast.ImportFrom)]
    return cached and len(body) == 1 and isinstance(body[0], ast.Return) and \
        isinstance(body[0].value, ast.Call)


def test_app_files_are_small_and_services_keep_to_themselves():
    for path in modules("app"):
        lines = path.read_text().count("\n")
        assert lines <= APP_FILE_LIMIT, f"{path.name} has {lines} lines: split it"
        for node in ast.walk(tree(path)):
            # another object's private state: `self.registry._cache`, `other._write`
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and \
                    not node.attr.startswith("__") and \
                    not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                raise AssertionError(f"{path.name}:{node.lineno} reaches into .{node.attr}")


def test_every_public_service_method_has_a_docstring():
    for path in modules("app"):
        for node in tree(path).body:
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                    assert ast.get_docstring(member), \
                        f"{path.name}: {node.name}.{member.name} has no docstring"


def test_cli_defaults_match_the_services():
    from civicarchive import cli
    from civicarchive.app import ingesting
    assert cli.DEFAULT_BATCH == ingesting.DEFAULT_BATCH
    assert sorted(cli.FORMATS) == sorted(ingesting.FORMATS)


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


def test_the_head_revision_read_from_the_files_is_alembics():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from civicarchive.store.sql import head_revision
    config = Config()
    config.set_main_option("script_location", str(PACKAGE / "store" / "migrations"))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_core_error_messages_name_no_command_line_flag():
    """The web shows these messages too: flags are the CLI's to add (errors.py)."""
    import re
    flag = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                texts = [n.value for arg in node.exc.args for n in ast.walk(arg)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                found = [t for t in texts if flag.search(t)]
                assert not found, f"{path.name}:{node.lineno} names a flag: {found}"


def test_no_test_skips():
    """A test of a real server fails when the server is missing: `make test` installs and
    starts them all (scripts/test-prerequisites.sh)."""
    import re
    tests = Path(__file__).parent
    skipping = re.compile(r"pytest\.skip\(|skipif|importorskip")
    found = [f"{path.relative_to(tests)}:{n}" for path in tests.rglob("*.py")
             if path != Path(__file__)
             for n, line in enumerate(path.read_text().splitlines(), 1) if skipping.search(line)]
    assert found == []


def test_every_kind_not_found_names_where_to_find_its_ids():
    """A NotFound says where the ids of its kind are listed; a kind missing from
    LISTINGS would send people to `stats`, which lists none of them."""
    from civicarchive.errors import LISTINGS
    kinds = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "NotFound" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                kinds.add(node.args[0].value)
    assert len(kinds) > 10
    assert sorted(kinds - set(LISTINGS)) == []
