"""`import`: detection, idempotence, edits from a later export, deletion by absence,
problems, and the per-kind summary, end to end through the archive and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from click.testing import CliRunner

from civicarchive import InvalidInput, Kind, Observation
from civicarchive.cli import main
from civicarchive.connectors import registry
from civicarchive.connectors.base import ImportContext, json_array_items
from civicarchive.connectors.files import ExportFiles

from .connectors.test_feed import RSS


class ListImporter:
    """A minimal full-export format for these tests: posts.json, an array of posts."""

    format = "listfmt"
    platform = "x"

    def detect(self, files: ExportFiles) -> bool:
        return bool(files.find("posts*.json"))

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        context.complete_kinds.add(Kind.POST)
        for name in files.find("posts*.json"):
            yield from self._posts(files, name, context)

    def _posts(self, files: ExportFiles, name: str, context: ImportContext
               ) -> Iterator[Observation]:
        try:
            items = list(json_array_items(files.read(name).decode()))
        except ValueError as error:
            raise InvalidInput(f"{files.where(name)}: not valid JSON ({error})") from None
        for entry, raw in items:
            if "id" not in entry:
                context.problem(files.where(name), "an entry without id; skipped")
                continue
            yield Observation(account_id=context.account_id, native_id=entry["id"],
                              kind=Kind.POST, observed_at=context.observed_at,
                              created_at=datetime.fromisoformat(entry["at"]),
                              content={"text": entry["text"], "author": "city"},
                              raw=raw.encode(), raw_media_type="application/json",
                              author="city")


@pytest.fixture
def listfmt(monkeypatch):
    monkeypatch.setitem(registry.IMPORTERS, "listfmt", "tests.test_import:ListImporter")


def export(tmp_path, name, posts):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "posts.json").write_text(json.dumps(posts, indent=1))
    return folder


def post(native_id, text):
    return {"id": native_id, "at": "2025-01-02T03:04:05+00:00", "text": text}


def test_import_detects_and_reimporting_adds_nothing(archive, account, tmp_path, listfmt):
    first = export(tmp_path, "e1", [post("1", "a"), post("2", "b"), {"text": "no id"}])
    report = archive.ingesting.import_export(first, account.id).as_dict()
    assert report["format"] == "listfmt"
    assert (report["created"], report["unchanged"]) == (2, 0)
    assert report["by_kind"]["post"]["created"] == 2
    assert report["problems"][0]["what"] == "an entry without id; skipped"
    [version] = archive.reading.history(1)
    assert json.loads(archive.reading.raw(version)) == post("1", "a")  # the export's own bytes
    assert archive.reading.raw(version).startswith(b"{\n")  # exactly as written, indentation kept
    again = archive.ingesting.import_export(first, account.id).as_dict()
    assert (again["versions"], again["unchanged"]) == (0, 2)


def test_import_later_export_edits_and_marks_absent_items_deleted(archive, account, tmp_path,
                                                                  listfmt):
    archive.ingesting.import_export(export(tmp_path, "e1", [post("1", "a"), post("2", "b")]),
                                    account.id)
    later = export(tmp_path, "e2", [post("1", "a, corrected")])
    report = archive.ingesting.import_export(later, account.id).as_dict()
    assert (report["edited"], report["deleted"], report["absent_marked_deleted"]) == (1, 1, 1)
    gone = archive.reading.history(2)[-1]
    assert gone.event.value == "deleted" and "absent from this export" in gone.source
    assert "e2" in gone.source and archive.reading.content(gone)["text"] == "b"
    assert archive.ingesting.import_export(later, account.id).as_dict()["versions"] == 0
    assert archive.evidence.verify().ok
    with archive.context.store.read() as conn:
        from civicarchive.store import schema
        audits = conn.execute(schema.audit_events.select().where(
            schema.audit_events.c.action == "import")).all()
    assert len(audits) == 3 and json.loads(audits[1].details)["absent_marked_deleted"] == 1


def test_import_partial_export_deletes_nothing_by_absence(archive, account, tmp_path, listfmt):
    archive.ingesting.import_export(export(tmp_path, "e1", [post("1", "a"), post("2", "b")]),
                                    account.id)
    report = archive.ingesting.import_export(export(tmp_path, "e2", [post("1", "a")]), account.id,
                                             partial=True).as_dict()
    assert (report["deleted"], report["absent_marked_deleted"]) == (0, 0)
    assert archive.reading.history(2)[-1].event.value == "created"


def feed_and_account(tmp_path, platform: str):  # noqa: ANN201
    """An RSS file, and a CLI runner with its --home on an archive holding account 1 on
    `platform`."""
    feed = tmp_path / "news.xml"
    feed.write_text(RSS)
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()
    assert runner.invoke(main, [*home, "init", "--agency", "Town"]).exit_code == 0
    runner.invoke(main, [*home, "accounts", "add", "--platform", platform, "--handle", "news",
                         "--classification", "agency"])
    return feed, runner, home


def test_import_feed_through_the_cli(tmp_path):
    feed, runner, home = feed_and_account(tmp_path, "web")
    result = runner.invoke(main, [*home, "import", str(feed), "--account", "1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["format"], summary["created"]) == ("feed", 2)
    text = runner.invoke(main, [*home, "import", str(feed), "--account", "1"]).output
    assert "2 unchanged" in text and "post" in text


def test_import_refuses_unknown_formats_and_wrong_platforms(archive, account, tmp_path,
                                                            listfmt):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 nothing")
    with pytest.raises(InvalidInput, match="not an export format"):
        archive.ingesting.import_export(junk, account.id)
    other = archive.registry.add_account("mastodon", "@city@social.example", "agency")
    with pytest.raises(InvalidInput, match="is a x export"):
        archive.ingesting.import_export(export(tmp_path, "e1", [post("1", "a")]), other.id)


def test_import_of_a_hostile_archive_writes_nothing(archive, account, tmp_path):
    import zipfile
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("outbox.json", "{}")
        bundle.writestr("../../escaped.txt", "owned")
    before = archive.reading.stats()
    with pytest.raises(InvalidInput, match="escaped.txt"):
        archive.ingesting.import_export(path, account.id)
    assert archive.reading.stats() == before
    assert not list(tmp_path.rglob("escaped.txt"))


def test_import_stopped_by_a_broken_file_resumes_without_duplicates(archive, account, tmp_path,
                                                                    listfmt):
    folder = export(tmp_path, "e1", [post(str(n), f"p{n}") for n in range(10)])
    (folder / "posts2.json").write_text('[{"id": "10", "at": "2025-01-02T03:04:05+00:00", "te')
    with pytest.raises(InvalidInput, match="posts2.json"):
        archive.ingesting.import_export(folder, account.id, batch_size=4)
    assert archive.reading.stats()["versions"] == 8  # two whole batches landed, the third did not
    assert archive.evidence.verify().ok
    (folder / "posts2.json").write_text(json.dumps([post("10", "p10")]))
    report = archive.ingesting.import_export(folder, account.id, batch_size=4).as_dict()
    assert (report["created"], report["unchanged"]) == (3, 8)
    assert archive.reading.stats()["versions"] == 11 and archive.evidence.verify().ok


def test_a_feed_is_not_imported_into_an_account_with_an_export_of_its_own(tmp_path):
    # Its entries would be other records of the account's posts, and the account's next
    # full export would record them all deleted.
    feed, runner, home = feed_and_account(tmp_path, "x")
    refused = runner.invoke(main, [*home, "import", str(feed), "--account", "1"])
    assert refused.exit_code != 0 and "register the feed as an account of its own" in \
        refused.output
    assert "Traceback" not in refused.output
    stats = json.loads(runner.invoke(main, [*home, "stats", "--json"]).output)
    assert stats["items"] == 0
