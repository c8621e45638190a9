"""What `verify` catches from someone who can write the database but holds no key.

The attacker here has the database file: they drop the append-only triggers and edit rows
directly. Any single-byte change to archived bytes is caught (Hypothesis), and so is a
change to one value of any column of any table, a deleted row, an added row and a
changed blob (inline or a file in the blob store), except the few harmless ones listed
in NOT_CAUGHT with the reason; a damaged database file or undecodable value is a named
problem, never a crash.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from unittest import mock

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicarchive import Archive, ArchiveError
from civicarchive.clock import FixedClock
from civicarchive.store import schema as t
from civicarchive.store import verification
from civicarchive.store.canonical import canonical_json
from civicarchive.store.checkpoint import load_public_key
from civicarchive.store.verification import verify_store

from .conftest import observe
from .store.every_table import fill_every_table

TARGETS = [
    # (table, column, key column, binary?)
    ("blobs", "data", "sha256", True),
    ("ledger_entries", "leaf_hash", "idx", True),
    ("checkpoints", "signature", "id", True),
    ("checkpoints", "root_hash", "id", True),
    ("checkpoints", "body", "id", False),
    ("checkpoints", "frontier", "id", False),
    ("checkpoints", "created_at", "id", False),
    ("versions", "observed_at", "id", False),
    ("versions", "content_sha256", "id", True),
    ("items", "native_id", "id", False),
    ("items", "author", "id", False),
    ("audit_events", "details", "id", False),
]


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("tamper") / "home"
    archive = Archive.init("Tamper City", home=home)
    account = archive.registry.add_account("x", "tamper", "agency")
    archive.ingesting.ingest([observe(account.id, str(n), f"post {n}", n) for n in range(12)],
                             source="t", batch_size=5)
    archive.ingesting.ingest([observe(account.id, "3", "post 3, edited", 60)], source="t")
    archive.close()
    return home


def drop_triggers(db: sqlite3.Connection) -> None:
    """Drop the append-only triggers, in one transaction (one commit, not one per trigger:
    each commit waits for the disk)."""
    with db:
        db.execute("BEGIN")
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'"
                                  ).fetchall():
            db.execute(f"DROP TRIGGER {name}")


def tamper(home, table: str, column: str, key: str, binary: bool, row: int, position: int,
           delta: int) -> bool:
    """Change one byte of one stored value; False when there was nothing to change."""
    db = sqlite3.connect(home / "archive.db")
    drop_triggers(db)
    rows = db.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL "
                      f"ORDER BY {key}").fetchall()
    if not rows:
        return False
    ident, value = rows[row % len(rows)]
    data = bytearray(value if binary else value.encode())
    if not data:
        return False
    i = position % len(data)
    if binary:
        data[i] ^= delta
        new = bytes(data)
    else:  # keep text valid: swap one printable ASCII character for another
        old = chr(data[i]) if data[i] < 128 else "é"
        replacement = chr(33 + (ord(old) - 33 + delta) % 94) if old.isprintable() else "x"
        if replacement == old:
            replacement = "~" if old != "~" else "!"
        new = value[:i] + replacement + value[i + 1:] if data[i] < 128 else value + "x"
    try:
        with db:
            db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (new, ident))
    except sqlite3.IntegrityError:  # the change would collide with a unique value
        return False
    finally:
        db.close()
    return True


@settings(max_examples=int(os.environ.get("TAMPER_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(TARGETS), row=st.integers(0, 50), position=st.integers(0, 5000),
       delta=st.integers(1, 255))
def test_verify_detects_any_single_byte_change(base_home, tmp_path_factory, target, row,
                                               position, delta):
    home = tmp_path_factory.mktemp("case") / "home"
    shutil.copytree(base_home, home)
    if not tamper(home, *target, row, position, delta):
        return
    # Archive.verify's checks, all in this process: its two worker processes cost more
    # than the checks of an archive this small. The tests below verify with the workers.
    with mock.patch.object(verification, "_pool", lambda: None), Archive.open(home) as archive:
        report = archive.evidence.verify()
    assert not report.ok, f"{target} change went unnoticed"


def test_verify_names_the_first_bad_entry(base_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(base_home, home)
    tamper(home, "versions", "observed_at", "id", False, row=3, position=3, delta=1)
    with Archive.open(home) as archive:
        report = archive.evidence.verify()
    assert not report.ok
    assert report.problems[0].where.startswith("ledger entry")
    assert "version 4 no longer matches" in report.problems[0].what


# -- every column of every table ------------------------------------------------------

# Changes verify does not catch, each harmless or out of this attacker's reach, and why.
# The "audit lacks" ones are covered once the service records that detail in its audit
# event (the names are the details keys provenance.py reads); then move them out.
NOT_CAUGHT = {
    ("change", "blobs", "media_type"): "the ledger commits to the bytes, not the type a "
        "platform declared for them; a changed type changes how an export labels the "
        "bytes, never the bytes",
    ("change", "blobs", "created_at"): "when the bytes were first stored: read by nothing",
    # A miss is the record that the time-stamping authority did not answer: it proves
    # nothing, so nothing depends on it. A token row is checked against its checkpoint
    # (and by `openssl ts -verify`): tests/test_witnessing.py changes one.
    **{("change", "checkpoint_timestamps", column): "a timestamp miss proves nothing"
       for column in ("id", "checkpoint_id", "tsa_url", "requested_at", "token", "error")},
    ("delete", "checkpoint_timestamps", None): "a timestamp miss proves nothing",
    ("add", "checkpoint_timestamps", None): "a timestamp miss proves nothing",
}
T_FULL = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def full_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("full") / "home"
    archive = Archive.init("City of Example", home=home, clock=FixedClock(T_FULL),
                           actor="clerk")
    fill_every_table(archive, home.parent / "production")
    archive.close()
    return home


def _first_key(db, table: sa.Table, column: str | None) -> tuple:
    key = [c.name for c in table.primary_key]
    where = f"WHERE {column} IS NOT NULL " if column else ""
    row = db.execute(f"SELECT {', '.join(key)} FROM {table.name} {where}ORDER BY rowid "
                     "LIMIT 1").fetchone()
    if row is None and column:
        row = db.execute(f"SELECT {', '.join(key)} FROM {table.name} ORDER BY rowid "
                         "LIMIT 1").fetchone()
    assert row is not None, f"{table.name} is empty: fill_every_table must write it"
    return key, tuple(row)


def changed(value):
    """A different value of the same kind: JSON stays JSON, text keeps its shape."""
    if value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, bytes):
        return bytes([value[0] ^ 1]) + value[1:]
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, (dict, list)):
        canonical = canonical_json(parsed).decode() == value
        parsed = _change_first_leaf(parsed)
        return canonical_json(parsed).decode() if canonical else orjson.dumps(parsed).decode()
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if digits:
        i = digits[len(digits) // 2]  # a last base64 digit may carry only padding bits
        return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1:]
    return value + "x"


def _change_first_leaf(node):
    if isinstance(node, dict) and node:
        first = sorted(node)[0]
        return {**node, first: _change_first_leaf(node[first])}
    if isinstance(node, list) and node:
        return [_change_first_leaf(node[0]), *node[1:]]
    if isinstance(node, (list, dict)):  # empty: something added is a change too
        return ["x"] if isinstance(node, list) else {"x": "x"}
    if isinstance(node, bool) or node is None:
        return not node
    return changed(node) if isinstance(node, (int, str)) else node


def _open_raw(home):
    db = sqlite3.connect(home / "archive.db", isolation_level=None)
    drop_triggers(db)
    return db


def _changed_copy(full_home, tmp_path, statement: str):  # noqa: ANN001, ANN202
    """A copy of the full archive with one SQL statement run on its file, triggers off."""
    home = tmp_path / "home"
    shutil.copytree(full_home, home)
    db = _open_raw(home)
    db.execute(statement)
    db.close()
    return home


def alter(home, how: str, table: sa.Table, column: str | None) -> None:
    """One change by someone with the database file: a value, a deleted or an added row."""
    db = _open_raw(home)
    try:
        key, ident = _first_key(db, table, column)
        where = " AND ".join(f"{k} = ?" for k in key)
        if how == "change":
            (value,) = db.execute(f"SELECT {column} FROM {table.name} WHERE {where}",
                                  ident).fetchone()
            for new in (changed(value), _fresh(value)):  # the second where the first collides
                try:
                    db.execute(f"UPDATE {table.name} SET {column} = ? WHERE {where}",
                               (new, *ident))
                    break
                except sqlite3.IntegrityError:
                    continue
        elif how == "delete":
            db.execute(f"DELETE FROM {table.name} WHERE {where}", ident)
        else:  # a copy of the row under a key of its own
            names = [c.name for c in table.columns]
            row = dict(zip(names, db.execute(f"SELECT {', '.join(names)} FROM {table.name} "
                                             f"WHERE {where}", ident).fetchone()))
            unique = {c.name for c in table.columns if c.primary_key or c.unique} | {
                c.name for u in table.constraints if isinstance(u, sa.UniqueConstraint)
                for c in u.columns}
            for name in unique:
                row[name] = _fresh(row[name])
            db.execute(f"INSERT INTO {table.name} ({', '.join(row)}) VALUES "
                       f"({', '.join('?' * len(row))})", list(row.values()))
    finally:
        db.close()


def _fresh(value):
    """A value of the same kind no row holds yet."""
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, bytes):
        return hashlib.sha256(value).digest()
    return f"{value}-added"


def caught(home) -> bool:
    try:
        archive = Archive.open(home)
    except (ArchiveError, sa.exc.SQLAlchemyError):  # the archive refuses to open at all
        return True
    with archive:  # the checks Archive.verify runs, in this process: 180 cases add up
        return not verify_store(archive.context.store, load_public_key(archive.evidence.public_key_pem()),
                                archive.context.archive_id, parallel=False).ok


CASES = [("change", table, column.name) for table in t.metadata.sorted_tables
         for column in table.columns] + \
        [(how, table, None) for how in ("delete", "add") for table in t.metadata.sorted_tables]


@pytest.mark.parametrize("how, table, column", CASES,
                         ids=[f"{how}-{table.name}-{column or 'row'}"
                              for how, table, column in CASES])
def test_verify_catches_a_change_to_any_table(full_home, tmp_path, how, table, column):
    home = tmp_path / "home"
    shutil.copytree(full_home, home)
    alter(home, how, table, column)
    expected = (how, table.name, column) not in NOT_CAUGHT
    assert caught(home) == expected, f"{how} {table.name}.{column or 'row'}: " + (
        "went unnoticed" if expected else "is now caught: drop it from NOT_CAUGHT")


def test_verify_catches_a_changed_file_in_the_blob_store(full_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(full_home, home)
    [path] = [p for p in (home / "blobs").rglob("*") if p.is_file()]  # the large media file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with Archive.open(home) as archive:
        report = archive.evidence.verify()
    assert [p.where for p in report.problems] == [f"blob {path.name}"]


@pytest.mark.parametrize("inline", [True, False], ids=["in-the-database", "in-the-blob-store"])
def test_verify_says_a_blob_s_recorded_size_is_wrong_rather_than_its_hash(full_home, tmp_path,
                                                                          inline):
    home = tmp_path / "home"
    shutil.copytree(full_home, home)
    db = _open_raw(home)
    (name,) = db.execute("SELECT sha256 FROM blobs WHERE data IS " + (
        "NOT NULL" if inline else "NULL") + " ORDER BY sha256 LIMIT 1").fetchone()
    db.execute("UPDATE blobs SET size = size + 1 WHERE sha256 = ?", (name,))
    db.close()
    with Archive.open(home) as archive:
        problems = archive.evidence.verify().problems
    (problem,) = problems
    assert problem.where == f"blob {bytes(name).hex()}"
    assert re.fullmatch(r"its recorded size is (\d+) bytes, but it holds (\d+)", problem.what)


def test_verify_names_a_value_that_is_not_utf8(full_home, tmp_path):
    home = _changed_copy(full_home, tmp_path,
                         "UPDATE items SET author = CAST(X'6369747980ff' AS TEXT) WHERE id = 2")
    with Archive.open(home) as archive:
        report = archive.evidence.verify()
    assert str(report.problems[0]) == "items row 2: author is not valid UTF-8 text"
    assert any("no longer matches" in p.what for p in report.problems[1:])


def test_verify_names_a_column_that_is_not_json(full_home, tmp_path):
    home = _changed_copy(full_home, tmp_path,
                         "UPDATE holds SET scope = '{\"items\": [1' WHERE id = 1")
    with Archive.open(home) as archive:
        report = archive.evidence.verify()
    assert [str(p) for p in report.problems] == ["holds row 1: scope is not valid JSON"]


@pytest.mark.parametrize("page, offset, said", [
    # an index's cell pointers: every row still reads back, only the structure check sees it
    ("ix_versions_item_observed", 4, "On tree page {root}"),
    ("versions", 0, "cannot be read: database disk image is malformed"),  # its page type
])
def test_verify_reports_a_damaged_database_file(full_home, tmp_path, page, offset, said):
    home = tmp_path / "home"
    shutil.copytree(full_home, home)
    db = sqlite3.connect(home / "archive.db")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (page,)
                      ).fetchone()[0]
    db.close()
    with open(home / "archive.db", "r+b") as f:  # one bit
        f.seek((root - 1) * page_size + offset)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x10]))
    with Archive.open(home) as archive:
        report = archive.evidence.verify()
    assert report.problems and all(p.where == "database" for p in report.problems)
    assert any(said.format(root=root) in p.what for p in report.problems), report.problems
    assert all("\n" not in p.what for p in report.problems)


# SQLite keeps a value of any type in any column: each of these stopped verify with a
# traceback, where it must name the row and fail.
WRONG_TYPES = [
    ("UPDATE blobs SET data = CAST(data AS TEXT) WHERE rowid = (SELECT min(rowid) FROM "
     "blobs WHERE data IS NOT NULL)", "blobs row ", "data is stored as text"),
    ("UPDATE versions SET content_sha256 = hex(content_sha256) WHERE id = 1",
     "versions row 1", "content_sha256 is stored as text"),
    ("UPDATE ledger_entries SET leaf_hash = hex(leaf_hash) WHERE idx = 2",
     "ledger_entries row 2", "leaf_hash is stored as text"),
    ("UPDATE checkpoints SET signature = hex(signature) WHERE id = 1",
     "checkpoints row 1", "signature is stored as text"),
    ("UPDATE archive_info SET public_key = 'not base64!'", "archive_info row ",
     "public_key is not the base64 of an Ed25519 public key"),
    ("DROP TABLE tombstones", "database", "the table tombstones is missing"),
]


@pytest.mark.parametrize("change, where, what", WRONG_TYPES,
                         ids=["blob-data", "content-sha256", "leaf-hash", "signature",
                              "public-key", "dropped-table"])
def test_verify_names_a_value_of_the_wrong_type(full_home, tmp_path, change, where, what):
    from click.testing import CliRunner

    from civicarchive.cli import main
    home = _changed_copy(full_home, tmp_path, change)
    result = CliRunner().invoke(main, ["--home", str(home), "verify", "--json"])
    assert type(result.exception) is SystemExit and result.exit_code == 1, \
        result.output[-500:]
    report = orjson.loads(result.stdout)
    assert not report["ok"]
    assert any(p["where"].startswith(where) and p["what"].startswith(what)
               for p in report["problems"]), report["problems"]


def _verify_cli(home, *args):
    from click.testing import CliRunner

    from civicarchive.cli import main
    return CliRunner().invoke(main, ["--home", str(home), *args])


def _revision(home) -> list:
    db = sqlite3.connect(home / "archive.db")
    try:
        return [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    finally:
        db.close()


def test_verify_refuses_an_older_schema_and_leaves_it_as_it_is(full_home, tmp_path):
    # Verifying reads: it must not run the migrations every other command runs on open.
    home = _changed_copy(full_home, tmp_path,
                         "UPDATE alembic_version SET version_num = '0013_items_account'")
    result = _verify_cli(home, "verify")
    assert type(result.exception) is SystemExit and result.exit_code == 1, \
        result.output[-500:]
    assert "error: " in result.output and "older than" in result.output
    assert _revision(home) == ["0013_items_account"]


@pytest.mark.parametrize("change, what", [
    ("UPDATE alembic_version SET version_num = 'bogus'", "records revision 'bogus'"),
    ("DELETE FROM alembic_version", "records no revision"),
], ids=["unknown", "missing"])
def test_verify_names_a_schema_revision_it_does_not_know(full_home, tmp_path, change, what):
    home = _changed_copy(full_home, tmp_path, change)
    before = _revision(home)
    result = _verify_cli(home, "verify", "--json")
    assert type(result.exception) is SystemExit and result.exit_code == 1, \
        result.output[-500:]
    problems = orjson.loads(result.stdout)["problems"]
    assert [p["where"] for p in problems] == ["alembic_version"], problems
    assert problems[0]["what"].startswith(what)
    # Any other command upgrades on open: it refuses, in a sentence, to guess from where.
    result = _verify_cli(home, "stats")
    assert type(result.exception) is SystemExit and result.exit_code == 1, \
        result.output[-500:]
    assert result.output.startswith("error: ") and "alembic_version" in result.output
    assert _revision(home) == before
