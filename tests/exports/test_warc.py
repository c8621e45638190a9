"""WARC export: warcio accepts it, raw bytes round-trip, re-exports are identical."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from civicarchive.exports.warc import write_warc
from civicarchive import Kind, Observation
from tests.conftest import T0, observe

WARCIO = Path(sys.executable).parent / "warcio"


@pytest.fixture
def versions(archive, account):
    archive.ingest([observe(account.id, "1", "hello", 0),
                    observe(account.id, "1", "hello, edited", 5),
                    observe(account.id, "2", "second post", 1, raw=b"\x00\xffbinary")],
                   source="t")
    return [v.id for item in (1, 2) for v in archive.history(item)]


def _export(archive, ids) -> bytes:
    out = BytesIO()
    write_warc(archive, ids, out)
    return out.getvalue()


def test_warc_warcio_check_and_index_accept_it(archive, versions, tmp_path):
    path = tmp_path / "records.warc.gz"
    path.write_bytes(_export(archive, versions))
    check = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([str(WARCIO), "index", str(path)], capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert [line["warc-type"] for line in lines] == \
        ["warcinfo"] + ["resource", "metadata"] * len(versions)


def test_warc_resource_records_hold_the_exact_raw_bytes(archive, versions):
    raws = {str(v): archive.raw(archive.version(v)) for v in versions}
    seen = {}
    metadata = {}
    for record in ArchiveIterator(BytesIO(_export(archive, versions))):
        version = record.rec_headers.get_header("WARC-Civicarchive-Version")
        if record.rec_type == "resource":
            data = record.content_stream().read()
            seen[version] = data
            assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha256:")
            assert record.rec_headers.get_header("Content-Type") == "application/octet-stream"
            assert record.rec_headers.get_header("WARC-Target-URI") == \
                f"urn:civicarchive:{archive.archive_id}:item:" \
                f"{record.rec_headers.get_header('WARC-Civicarchive-Item')}"
        elif record.rec_type == "metadata":
            metadata[version] = (record.rec_headers.get_header("WARC-Concurrent-To"),
                                 json.loads(record.content_stream().read()))
    assert seen == raws
    for version, (concurrent, facts) in metadata.items():
        assert concurrent is not None
        stored = archive.version(int(version))
        assert facts["content"] == archive.content(stored)
        assert facts["raw_sha256"] == hashlib.sha256(raws[version]).hexdigest()
        assert json.loads(facts["ledger_entry"])["version"] == int(version)


def test_warc_reexport_is_identical_but_for_the_warcinfo_date(archive, versions):
    first, second = _export(archive, versions), _export(archive, versions)  # clock ticks

    def split(data: bytes) -> tuple[list, bytes]:
        iterator = ArchiveIterator(BytesIO(data))
        warcinfo = next(iterator)
        headers = [h for h in warcinfo.rec_headers.headers if h[0] != "WARC-Date"]
        next(iterator)  # read past the warcinfo member to learn where the rest begins
        return headers, data[iterator.get_record_offset():]

    (info1, rest1), (info2, rest2) = split(first), split(second)
    assert first != second
    assert info1 == info2
    assert rest1 == rest2


def test_warc_purged_version_gets_only_a_metadata_record(archive, versions):
    archive.purge([versions[0]], reason="schedule GS-1 approved", actor="clerk")
    types = []
    for record in ArchiveIterator(BytesIO(_export(archive, versions[:2]))):
        types.append(record.rec_type)
        if record.rec_headers.get_header("WARC-Civicarchive-Version") == str(versions[0]):
            assert record.rec_type == "metadata"
            facts = json.loads(record.content_stream().read())
            assert facts["purged"] is True and "content" not in facts
            assert record.rec_headers.get_header("WARC-Concurrent-To") is None
    assert types == ["warcinfo", "metadata", "resource", "metadata"]


def test_warc_uses_the_item_url_and_raw_media_type(archive, account):
    archive.ingest([Observation(account_id=account.id, native_id="9", kind=Kind.POST,
                                observed_at=T0, content={"text": "linked"}, raw=b'{"id": "9"}',
                                url="https://x.com/city/status/9",
                                raw_media_type="application/json")], source="t")
    version = archive.history(1)[0]
    resource = next(r for r in ArchiveIterator(BytesIO(_export(archive, [version.id])))
                    if r.rec_type == "resource")
    assert resource.rec_headers.get_header("WARC-Target-URI") == "https://x.com/city/status/9"
    assert resource.rec_headers.get_header("Content-Type") == "application/json"
    assert resource.rec_headers.get_header("WARC-Date") == version.observed_at
    assert resource.content_stream().read() == b'{"id": "9"}'
