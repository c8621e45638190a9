"""WARC export: warcio accepts it, raw bytes round-trip, re-exports are identical, versions are
read in bulk, and a redacted version's raw bytes and content are written nowhere."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from warcio.archiveiterator import ArchiveIterator

from civicarchive import Kind, Observation
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.exports.versions import read_versions
from civicarchive.exports.warc import REDACTED_HEADER, write_warc
from civicarchive.store.canonical import canonical_json
from tests.conftest import T0, observe

WARCIO = Path(sys.executable).parent / "warcio"


@pytest.fixture
def versions(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "hello", 0),
                              observe(account.id, "1", "hello, edited", 5),
                              observe(account.id, "2", "second post", 1, raw=b"\x00\xffbinary")],
                             source="t")
    return [v.id for item in (1, 2) for v in archive.reading.history(item)]


def _export(archive, ids) -> bytes:
    out = BytesIO()
    write_warc(archive.evidence.source, ids, out)
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
    raws = {str(v): archive.reading.raw(archive.reading.version(v)) for v in versions}
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
                f"urn:civicarchive:{archive.context.archive_id}:item:" \
                f"{record.rec_headers.get_header('WARC-Civicarchive-Item')}"
        elif record.rec_type == "metadata":
            metadata[version] = (record.rec_headers.get_header("WARC-Concurrent-To"),
                                 json.loads(record.content_stream().read()))
    assert seen == raws
    for version, (concurrent, facts) in metadata.items():
        assert concurrent is not None
        stored = archive.reading.version(int(version))
        assert facts["content"] == archive.reading.content(stored)
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
    archive.disposition.purge([versions[0]], reason="schedule GS-1 approved", actor="clerk")
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
    linked = Observation(account_id=account.id, native_id="9", kind=Kind.POST, observed_at=T0,
                         content={"text": "linked"}, raw=b'{"id": "9"}',
                         url="https://x.com/city/status/9", raw_media_type="application/json")
    archive.ingesting.ingest([linked], source="t")
    version = archive.reading.history(1)[0]
    resource = next(r for r in ArchiveIterator(BytesIO(_export(archive, [version.id])))
                    if r.rec_type == "resource")
    assert resource.rec_headers.get_header("WARC-Target-URI") == "https://x.com/city/status/9"
    assert resource.rec_headers.get_header("Content-Type") == "application/json"
    assert resource.rec_headers.get_header("WARC-Date") == version.observed_at
    assert resource.content_stream().read() == b'{"id": "9"}'


# -- reading in bulk -----------------------------------------------------------------

def test_warc_reads_versions_in_a_few_queries_whatever_their_number(archive, account):
    archive.ingesting.ingest([observe(account.id, str(n), f"post {n}", n) for n in range(1200)],
                             source="t")
    ids = list(range(1, 1201))
    statements = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(archive.context.store.engine, "before_cursor_execute", count)
    try:
        written = write_warc(archive.evidence.source, ids, BytesIO())
    finally:
        sa.event.remove(archive.context.store.engine, "before_cursor_execute", count)
    assert written == 1 + 2 * len(ids)
    versions_queries = [s for s in statements if "FROM versions" in s]
    assert len(versions_queries) == 3  # chunks of 500
    assert len(statements) <= 12


def test_warc_read_versions_keeps_order_and_repeats_across_chunks(archive, versions):
    wanted = [versions[2], versions[0], versions[2], versions[1]]
    chunked = [v.row for v in read_versions(archive.evidence.source, wanted, chunk=2)]
    whole = [v.row for v in read_versions(archive.evidence.source, wanted)]
    assert chunked == whole and [row[1] for row in chunked] == wanted
    with pytest.raises(NotFound, match="version with id 99"):
        list(read_versions(archive.evidence.source, [versions[0], 99], chunk=1))


def test_warc_large_raw_bytes_stream_from_the_blob_store(archive, account):
    raw = bytes(range(256)) * 400  # over the inline limit: kept in the blob store
    archive.ingesting.ingest([observe(account.id, "1", "a video", 0, raw=raw)], source="t")
    version = archive.reading.history(1)[0]
    assert archive.context.settings.blobs_dir.joinpath(version.raw_sha256[:2]).exists()
    resource = next(r for r in ArchiveIterator(BytesIO(_export(archive, [version.id])))
                    if r.rec_type == "resource")
    assert resource.content_stream().read() == raw


# -- redacted versions ---------------------------------------------------------------

CANARY = b"CANARY-5150-private"
RENDERING = b'{"text":  "second [REDACTED: personal information]"}'


def test_warc_redacted_version_holds_only_its_rendering(archive, versions):
    secret = versions[2]  # "second post", raw b"\x00\xffbinary"
    data = BytesIO()
    assert write_warc(archive.evidence.source, versions, data, redacted={secret: RENDERING}) == \
        1 + 2 * len(versions)
    stored = archive.reading.version(secret)
    for record in ArchiveIterator(BytesIO(data.getvalue())):
        if record.rec_headers.get_header("WARC-Civicarchive-Version") != str(secret):
            assert record.rec_headers.get_header(REDACTED_HEADER) is None
            continue
        body = record.content_stream().read()
        if record.rec_type == "resource":
            assert record.rec_headers.get_header(REDACTED_HEADER) == "true"
            assert record.rec_headers.get_header("Content-Type") == "application/json"
            assert body == canonical_json(json.loads(RENDERING))
        else:
            facts = json.loads(body)
            assert "content" not in facts and facts["redacted"] is True
            assert (facts["content_sha256"], facts["raw_sha256"]) == \
                (stored.content_sha256, stored.raw_sha256)
            assert json.loads(facts["ledger_entry"])["raw_sha256"] == stored.raw_sha256
            assert facts["rendering_sha256"] == \
                hashlib.sha256(canonical_json(json.loads(RENDERING))).hexdigest()


def test_warc_redacted_canary_is_in_no_record(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", f"call {CANARY.decode()}", 0),
                              observe(account.id, "2", "public", 1)], source="t")
    plain = gzip.decompress(_export(archive, [1, 2]))
    assert CANARY in plain  # the raw bytes and the content both carry it
    out = BytesIO()
    write_warc(archive.evidence.source, [1, 2], out, redacted={1: b'{"text": "call [REDACTED]"}'})
    assert CANARY not in gzip.decompress(out.getvalue())
    for record in ArchiveIterator(BytesIO(out.getvalue())):
        assert CANARY not in record.content_stream().read()


def test_warc_warcio_check_and_index_accept_redacted_records(archive, versions, tmp_path):
    path = tmp_path / "redacted.warc.gz"
    with open(path, "wb") as out:
        write_warc(archive.evidence.source, versions, out, redacted={versions[0]: RENDERING})
    check = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 1 + 2 * len(versions)
    index = subprocess.run([str(WARCIO), "index", "-f", "warc-type,content-type", str(path)],
                           capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert lines[1] == {"warc-type": "resource", "content-type": "application/json"}


@pytest.mark.parametrize("redacted, message", [
    ({99: RENDERING}, "not exported"),
    ({1: b"not json"}, "not JSON"),
])
def test_warc_refuses_a_rendering_it_cannot_use(archive, versions, redacted, message):
    with pytest.raises(InvalidInput, match=message):
        write_warc(archive.evidence.source, versions, BytesIO(), redacted=redacted)


def test_warc_refuses_the_unredacted_content_as_a_rendering(archive, versions):
    content = json.dumps(archive.reading.content(archive.reading.version(versions[0]))).encode()
    with pytest.raises(InvalidInput, match="unredacted content"):
        write_warc(archive.evidence.source, versions, BytesIO(), redacted={versions[0]: content})
