"""`backup` copies an archive in use into a folder that is an archive of its own: it
opens, verifies and takes writes (its note of the last checkpoint is never newer than
its database), holds the blob files its database names, and leaves out the credentials
key and the search index."""

from __future__ import annotations

import threading

import orjson
import pytest
from click.testing import CliRunner

from civicarchive import Archive
from civicarchive.app.backup import back_up
from civicarchive.cli import main
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind, Observation
from civicarchive.sample import observations
from tests.conftest import T0, observe


@pytest.fixture
def city(tmp_path):
    archive = Archive.init("City of Example", home=tmp_path / "home")
    account = archive.registry.add_account("x", "cityofexample", "agency")
    yield archive, account.id
    archive.close()


def test_a_backup_taken_during_an_ingest_is_a_whole_archive(city, tmp_path):
    archive, account = city
    sample = tmp_path / "capture.jsonl"
    sample.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in observations(3000)))
    first = threading.Event()
    ingest = threading.Thread(target=archive.ingesting.ingest_jsonl, args=(sample, account),
                              kwargs={"batch_size": 500,
                                      "progress": lambda total: first.set()})
    ingest.start()
    assert first.wait(120)
    report = back_up(archive.context, tmp_path / "copy")
    ingest.join()
    assert report.database_bytes > 0
    with Archive.open(tmp_path / "copy") as copy:
        kept = copy.reading.stats()["versions"]
        assert 500 <= kept <= 3000 and kept % 500 == 0  # whole batches, of a moment
        assert copy.evidence.verify().ok
        copy.ingesting.ingest([observe(account, "after", "Written to the copy")],
                              source="test")  # it extends its own note: no rollback
        assert copy.evidence.verify().ok
        assert copy.finding.search("written").total == 1  # the index, rebuilt from it
    assert archive.reading.stats()["versions"] == 3000 and archive.evidence.verify().ok


def test_a_backup_holds_the_blob_files_and_not_the_credentials_key(city, tmp_path):
    archive, account = city
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(200_000)  # over the inline limit: a file
    archive.ingesting.ingest([Observation(
        account_id=account, native_id="v1", kind=Kind.MEDIA, observed_at=T0,
        content={"file": "v1.mp4", "media_type": "video/mp4"}, raw=video,
        raw_media_type="video/mp4")], source="test")
    token_file = tmp_path / "token"
    token_file.write_text("secret-platform-token")
    archive.credentials.store(account, token_file)
    assert (archive.context.settings.keys_dir / "credentials.key").exists()
    result = CliRunner().invoke(main, ["--home", str(archive.context.settings.home),
                                       "backup", str(tmp_path / "copy")])
    assert result.exit_code == 0, result.output
    assert "The copy verifies." in result.output and "credentials.key" in result.output
    copy_home = tmp_path / "copy"
    assert not (copy_home / "keys" / "credentials.key").exists()
    assert not (copy_home / "search").exists()
    assert (copy_home / "keys" / "archive-ed25519.pem").stat().st_mode & 0o077 == 0
    files = [p for p in (copy_home / "blobs").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in files] == [video]
    with Archive.open(copy_home) as copy:
        version = copy.reading.history(1)[-1]
        assert copy.reading.raw(version) == video
        assert b"secret-platform-token" not in (copy_home / "archive.db").read_bytes()


def test_a_backup_goes_into_a_new_folder_outside_the_archive(city, tmp_path):
    archive, _ = city
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    for folder, says in ((tmp_path / "used", "not an empty folder"),
                         (archive.context.settings.home / "inside", "inside the archive")):
        with pytest.raises(InvalidInput, match=says):
            back_up(archive.context, folder)


def test_a_postgresql_archive_is_sent_to_pg_dump(pg_url, tmp_path):
    with Archive.init("City of Example", home=tmp_path / "home", database_url=pg_url) as \
            archive:
        with pytest.raises(InvalidInput, match="pg_dump"):
            back_up(archive.context, tmp_path / "copy")
