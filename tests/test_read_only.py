"""An archive on a read-only file system (a copy mounted read-only for an auditor, a
backup on write-once media) is read as it is: verified, searched, shown and exported,
never written, and its files left byte for byte as they were.

The tests run as root here, whom no file mode stops, so the archive's folder is made
unwritable for the store's own check (`os.access`); SQLite then opens the file as
immutable and the search index is copied to a scratch folder, as on a real read-only
mount (tried by hand: `mount -o remount,ro`).
"""

from __future__ import annotations

import hashlib
import os

import pytest

from civicarchive import Archive
from civicarchive.errors import StoreUnavailable
from civicarchive.store import sql
from tests.conftest import observe


def _snapshot(home) -> dict[str, str]:
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file()}


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    home = tmp_path / "home"
    with Archive.init("City of Example", home=home) as archive:
        account = archive.registry.add_account("x", "cityofexample", "agency")
        archive.ingesting.ingest([observe(account.id, str(n), f"Budget hearing {n}", n)
                                  for n in range(5)], source="test")
        assert archive.finding.search("budget").total == 5  # the index is built
    real = os.access
    monkeypatch.setattr(sql.os, "access", lambda path, mode, **kw: False
                        if str(path) == str(home) and mode == os.W_OK else real(path, mode))
    return home


def test_a_read_only_archive_is_read_verified_and_searched_as_it_is(read_only):
    before = _snapshot(read_only)
    with Archive.open(read_only) as archive:
        assert archive.context.store.readonly
        assert archive.evidence.verify().ok
        assert archive.finding.search("hearing").total == 5
        scratch = archive.finding._scratch  # the index's copy, removed at close
        assert scratch is not None and scratch.is_dir()
        assert archive.reading.stats()["versions"] == 5
        with pytest.raises(StoreUnavailable) as refused:
            archive.registry.add_account("x", "another", "agency")
    assert "read-only file system" in str(refused.value) and "copy its folder" in \
        str(refused.value)
    assert _snapshot(read_only) == before  # no log, no lock, no index file touched
    assert not scratch.exists()


def test_a_read_only_copy_taken_while_in_use_says_what_it_misses(read_only):
    (read_only / "archive.db-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    with pytest.raises(StoreUnavailable) as refused:
        Archive.open(read_only)
    assert "write-ahead log" in str(refused.value) and "copied while in use" in \
        str(refused.value)
