"""The write-ahead log is copied into the database file behind the writer (SQLite)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from civicarchive import Archive
from civicarchive.store import sql

from tests.conftest import observe

BATCH_BYTES = 150 * 1024  # what one ingest batch below adds, roughly
BATCHES = 30


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "civicarchive-wal-checkpoint"]


def _ingest(archive: Archive, account_id: int, wal: Path) -> int:
    """Ingest BATCHES batches of about BATCH_BYTES; the WAL file's largest size."""
    largest = 0
    for batch in range(BATCHES):
        archive.ingesting.ingest(
            [observe(account_id, f"{batch}-{n}", f"{batch}-{n} " + "words " * 400)
             for n in range(30)], source="test")
        largest = max(largest, os.path.getsize(wal))
    return largest


def test_the_log_stays_small_while_a_large_ingest_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(sql, "WAL_CHECKPOINT_BYTES", 4 * BATCH_BYTES)
    archive = Archive.init("Checkpoint City", home=tmp_path)
    account = archive.registry.add_account("x", "checkpointcity", "agency")
    largest = _ingest(archive, account.id, tmp_path / "archive.db-wal")
    written = BATCHES * BATCH_BYTES
    # SQLite's own checkpoint would come only at 1 GB: without the thread, the log would
    # hold everything written (4.5 MB and more); with it, the log starts afresh after
    # each copy, so it never holds more than the threshold and the batches written while
    # a copy runs.
    assert largest < written / 3, (largest, written)
    assert _checkpointers()
    assert archive.evidence.verify().ok
    archive.close()
    assert not _checkpointers()  # closing the archive ends the thread
    reopened = Archive.open(home=tmp_path)
    assert reopened.evidence.verify().ok
    reopened.close()


def test_without_the_thread_the_log_holds_what_was_written(tmp_path, monkeypatch):
    # The same ingest with the threshold out of reach: the measure above can fail.
    monkeypatch.setattr(sql, "WAL_CHECKPOINT_BYTES", 1 << 40)
    archive = Archive.init("Checkpoint City", home=tmp_path)
    account = archive.registry.add_account("x", "checkpointcity", "agency")
    largest = _ingest(archive, account.id, tmp_path / "archive.db-wal")
    assert largest > BATCHES * BATCH_BYTES / 2
    assert not _checkpointers()
    archive.close()
