"""Writes the store refuses: a full disk, a database locked too long, a connection lost.
The user is told so in a sentence (never a traceback, and never the bound values of the
rows, which are records' own bytes), the write under way is undone, what was written
before it is kept and verifies, and running the same command again completes it.

SQLite is held to a page budget (`PRAGMA max_page_count`), which makes it refuse a write
with SQLITE_FULL, the error a full disk gives; the blob store and the checkpoint note
are refused with ENOSPC. PostgreSQL's disk_full (SQLSTATE 53100) cannot be provoked on a
shared server, so it is recognised from psycopg's own exception class.
"""

from __future__ import annotations

import errno

import orjson
import psycopg.errors
import pytest
import sqlalchemy as sa

from civicarchive import Archive
from civicarchive.errors import StoreUnavailable
from civicarchive.sample import observations
from civicarchive.store import continuity, sql
from civicarchive.store.blobs import FileBlobStore

N = 3000


@pytest.fixture
def city(tmp_path):
    archive = Archive.init("City of Example", home=tmp_path / "home")
    account = archive.registry.add_account("x", "cityofexample", "agency")
    sample = tmp_path / "capture.jsonl"
    sample.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in observations(N)))
    yield archive, account.id, sample
    archive.close()


def _pages_left(archive, pages: int) -> None:
    """Every new connection of the archive may grow the database file by `pages` more."""
    engine = archive.context.store.engine
    with engine.connect() as conn:
        used = conn.exec_driver_sql("PRAGMA page_count").scalar()

    def limit(dbapi_connection, _record):  # noqa: ANN001, ANN202
        dbapi_connection.execute(f"PRAGMA max_page_count={used + pages}")
    sa.event.listen(engine, "connect", limit)
    engine.dispose()
    return limit


def _full_message(error: StoreUnavailable) -> None:
    message = str(error)
    assert "is full" in message and "run the same command again" in message
    assert "Traceback" not in message


def test_a_database_with_no_room_left_undoes_the_batch_and_keeps_the_rest(city):
    archive, account, sample = city
    limit = _pages_left(archive, 1500)  # room for the first batches of 1,000, not all
    with pytest.raises(StoreUnavailable) as refused:
        archive.ingesting.ingest_jsonl(sample, account, batch_size=1000)
    _full_message(refused.value)
    assert "was undone" in str(refused.value)
    kept = archive.reading.stats()["versions"]
    assert 0 < kept < N and kept % 1000 == 0  # whole batches, nothing of the refused one
    assert archive.evidence.verify().ok
    sa.event.remove(archive.context.store.engine, "connect", limit)
    archive.context.store.engine.dispose()
    report = archive.ingesting.ingest_jsonl(sample, account, batch_size=1000)
    assert report.versions == N - kept and archive.reading.stats()["versions"] == N
    assert archive.evidence.verify().ok


def test_a_blob_store_with_no_room_left_is_the_same_sentence(city, monkeypatch):
    archive, account, _sample = city

    def refuse(self, sha256, data):  # noqa: ANN001, ANN202
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path(sha256)))
    monkeypatch.setattr(FileBlobStore, "put", refuse)
    from civicarchive.model.record import Kind, Observation
    from tests.conftest import T0
    video = Observation(account_id=account, native_id="v1", kind=Kind.MEDIA, observed_at=T0,
                        content={"file": "v1.mp4", "media_type": "video/mp4"},
                        raw=b"\x00" * (8 * 1024 * 1024), raw_media_type="video/mp4")
    with pytest.raises(StoreUnavailable) as refused:
        archive.ingesting.ingest([video], source="test")
    _full_message(refused.value)
    assert "No space left on device" in str(refused.value)
    assert archive.reading.stats()["versions"] == 0 and archive.evidence.verify().ok


def test_a_checkpoint_note_with_no_room_left_says_the_write_was_kept(city, monkeypatch):
    archive, account, _sample = city

    def refuse(key, signed):  # noqa: ANN001, ANN202
        raise OSError(errno.ENOSPC, "No space left on device", "keys/last-checkpoint")
    monkeypatch.setattr(continuity, "remember", refuse)
    from tests.conftest import observe
    with pytest.raises(StoreUnavailable) as refused:
        archive.ingesting.ingest([observe(account, "1", "A post")], source="test")
    _full_message(refused.value)
    assert "was committed" in str(refused.value)
    monkeypatch.undo()
    assert archive.reading.stats()["versions"] == 1 and archive.evidence.verify().ok
    from tests.conftest import observe as again
    archive.ingesting.ingest([again(account, "2", "Another post")], source="test")
    assert archive.evidence.verify().ok


def test_opening_an_archive_on_a_full_disk_says_so(tmp_path, monkeypatch):
    home = tmp_path / "home"
    Archive.init("City of Example", home=home).close()
    (home / "archive.db").unlink()
    (home / "archive.db").mkdir()  # the file cannot be opened, as when -shm cannot be made
    import shutil
    monkeypatch.setattr(sql.shutil, "disk_usage",
                        lambda path: shutil._ntuple_diskusage(10**9, 10**9, 0))
    with pytest.raises(StoreUnavailable) as refused:
        Archive.open(home)
    assert "the disk holding it is full" in str(refused.value)


def test_postgresqls_disk_full_is_recognised():
    assert sql._disk_full(psycopg.errors.DiskFull("could not extend file: No space left"))
    assert not sql._disk_full(psycopg.errors.LockNotAvailable("lock timeout"))


def test_a_database_locked_too_long_is_a_sentence_without_the_rows(city):
    import sqlite3
    archive, account, sample = city
    engine = archive.context.store.engine

    def impatient(dbapi_connection, _record):  # noqa: ANN001, ANN202
        dbapi_connection.execute("PRAGMA busy_timeout=50")
    sa.event.listen(engine, "connect", impatient)
    engine.dispose()
    other = sqlite3.connect(archive.context.settings.sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer that does not let go
    try:
        with pytest.raises(StoreUnavailable) as refused:
            archive.ingesting.ingest_jsonl(sample, account, batch_size=1000)
    finally:
        other.execute("ROLLBACK")
        other.close()
    message = str(refused.value)
    assert "failed during a write (database is locked)" in message
    assert "run the same command again" in message and "About " not in message
    assert archive.reading.stats()["versions"] == 0 and archive.evidence.verify().ok


def test_a_postgresql_connection_lost_mid_write_is_a_sentence_without_the_rows(pg_url,
                                                                                tmp_path):
    # The server ends the session inside the write, as a restart or a failover does.
    from civicarchive.model.record import Kind, Observation
    from tests.conftest import T0
    with Archive.init("City of Example", home=tmp_path / "home", database_url=pg_url) as \
            archive:
        account = archive.registry.add_account("x", "cityofexample", "agency")
        secret = Observation(account_id=account.id, native_id="dm", kind=Kind.MESSAGE,
                             observed_at=T0, content={"text": "SECRET-IN-A-DM"},
                             raw=b"SECRET-IN-A-DM")
        with pytest.raises(StoreUnavailable) as refused:
            with archive.context.write() as tx:
                tx.conn.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        message = str(refused.value)
        assert "failed during a write" in message and "Traceback" not in message
        archive.ingesting.ingest([secret], source="test")  # a new connection, once back
        assert archive.reading.stats()["versions"] == 1 and archive.evidence.verify().ok
        engine = archive.context.store.engine
        with pytest.raises(sa.exc.DBAPIError) as failed, engine.connect() as conn:
            conn.execute(sa.text("INSERT INTO blobs (sha256, size, media_type, data, "
                                 "created_at) VALUES (:s, 1, 'x', :d, NULL)"),
                         {"s": b"x", "d": b"SECRET-IN-A-DM"})
        assert "SECRET-IN-A-DM" not in str(failed.value)  # bound values never in errors
