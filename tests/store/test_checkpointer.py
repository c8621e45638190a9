"""The write-ahead log is copied into the database file as a bulk ingest writes (SQLite),
and starts afresh: it stays about the size of a checkpoint's threshold and a batch, not
the size of the ingest."""

from __future__ import annotations

import os
from pathlib import Path

from civicarchive import Archive
from civicarchive.store import sql

from tests.conftest import observe

BATCH_BYTES = 150 * 1024  # what one ingest batch below adds, roughly
BATCHES = 30


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
    monkeypatch.setattr(sql, "WAL_CHECKPOINT_PAGES", 4 * BATCH_BYTES // 4096)
    archive = Archive.init("Checkpoint City", home=tmp_path)
    account = archive.registry.add_account("x", "checkpointcity", "agency")
    largest = _ingest(archive, account.id, tmp_path / "archive.db-wal")
    written = BATCHES * BATCH_BYTES
    # Each commit past the threshold copies the log whole; the next write starts it
    # from the beginning, so the file never holds much more than the threshold.
    assert largest < written / 3, (largest, written)
    assert archive.evidence.verify().ok
    archive.close()
    reopened = Archive.open(home=tmp_path)
    assert reopened.evidence.verify().ok
    reopened.close()


def test_with_the_threshold_out_of_reach_the_log_holds_what_was_written(tmp_path,
                                                                        monkeypatch):
    # The same ingest without checkpoints: the measure above can fail.
    monkeypatch.setattr(sql, "WAL_CHECKPOINT_PAGES", 1 << 30)
    archive = Archive.init("Checkpoint City", home=tmp_path)
    account = archive.registry.add_account("x", "checkpointcity", "agency")
    largest = _ingest(archive, account.id, tmp_path / "archive.db-wal")
    assert largest > BATCHES * BATCH_BYTES / 2
    archive.close()
