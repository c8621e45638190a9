"""Any single-byte change to archived bytes is caught by `verify` (Hypothesis).

The attacker here has the database file: they drop the append-only triggers and edit rows
directly. Verification must still name what changed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicarchive import Archive

from .conftest import observe

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


def tamper(home, table: str, column: str, key: str, binary: bool, row: int, position: int,
           delta: int) -> bool:
    """Change one byte of one stored value; False when there was nothing to change."""
    db = sqlite3.connect(home / "archive.db")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
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
    with Archive.open(home) as archive:
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
