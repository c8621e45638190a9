"""WARC export: each version's raw captured bytes as a `resource` record, with a
`metadata` record holding its normalised content and ledger facts.

Record ids are uuid5 of the archive id and version id, and record dates are the
versions' observed times, so exporting the same versions twice gives the same bytes
except for the WARC-Date of the leading warcinfo record.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from io import BytesIO
from typing import BinaryIO

import orjson
import sqlalchemy as sa
from warcio.warcwriter import WARCWriter

from civicarchive.clock import format_time
from civicarchive.store import schema as t
from civicarchive.store.entries import version_entry_of, version_rows

__all__ = ["record_id", "write_warc"]

OCTET_STREAM = "application/octet-stream"


def record_id(archive_id: str, name: str) -> str:
    """A deterministic WARC-Record-ID for one record of this archive's exports."""
    return f"<urn:uuid:{uuid.uuid5(uuid.UUID(archive_id), name)}>"


def write_warc(archive, version_ids: Iterable[int], stream: BinaryIO) -> int:
    """Write a gzipped WARC of the versions to `stream`; returns the records written."""
    writer = WARCWriter(stream, gzip=True, warc_version="1.1")
    info = {"software": "civicarchive", "format": "WARC File Format 1.1",
            "archive-id": archive.archive_id,
            "public-key-sha256": archive.public_key_fingerprint,
            "description": "Archived government social media records, one resource "
                           "record of raw captured bytes and one metadata record per version"}
    warcinfo = writer.create_warcinfo_record(None, info)
    warcinfo.rec_headers.replace_header("WARC-Record-ID",
                                        record_id(archive.archive_id, "warcinfo"))
    warcinfo.rec_headers.replace_header("WARC-Date", format_time(archive.clock.now()))
    writer.write_record(warcinfo)
    written = 1
    for version_id in version_ids:
        for record in _version_records(writer, archive, version_id):
            writer.write_record(record)
            written += 1
    return written


def _version_records(writer: WARCWriter, archive, version_id: int) -> list:
    version = archive.version(version_id)
    item = archive.item(version.item_id)
    uri = item.url or f"urn:civicarchive:{archive.archive_id}:item:{item.id}"
    resource_id = record_id(archive.archive_id, f"version:{version_id}:resource")
    common = {"WARC-Target-URI": uri, "WARC-Date": version.observed_at,
              "WARC-Civicarchive-Version": str(version.id),
              "WARC-Civicarchive-Item": str(item.id),
              "WARC-Civicarchive-Event": version.event.value,
              "WARC-Civicarchive-Ledger-Index": str(version.ledger_index)}
    content = archive.content(version)
    raw = archive.raw(version)
    records = []
    facts = {"version": version.id, "item": item.id, "event": version.event.value,
             "observed_at": version.observed_at, "recorded_at": version.recorded_at,
             "source": version.source, "ledger_index": version.ledger_index,
             "content_sha256": version.content_sha256, "raw_sha256": version.raw_sha256,
             "ledger_entry": ledger_entry(archive, version_id)}
    if content is None or raw is None:
        facts["purged"] = True
        facts["note"] = ("content and raw bytes are no longer held (purged by an approved "
                         "disposition); the ledger entry and its hashes remain")
    else:
        digest = _digest(raw)
        headers = {**common, "WARC-Record-ID": resource_id, "Content-Type": _media_type(
            archive, version.raw_sha256), "WARC-Payload-Digest": digest,
            "WARC-Block-Digest": digest}
        records.append(writer.create_warc_record(uri, "resource", payload=BytesIO(raw),
                                                 length=len(raw), warc_headers_dict=headers))
        facts["purged"] = False
        facts["content"] = content
    body = orjson.dumps(facts, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    headers = {**common, "Content-Type": "application/json",
               "WARC-Record-ID": record_id(archive.archive_id, f"version:{version_id}:metadata"),
               "WARC-Block-Digest": _digest(body), "WARC-Payload-Digest": _digest(body)}
    if records:
        headers["WARC-Concurrent-To"] = resource_id
    records.append(writer.create_warc_record(uri, "metadata", payload=BytesIO(body),
                                             length=len(body), warc_headers_dict=headers))
    return records


def ledger_entry(archive, version_id: int) -> str:
    """The exact ledger entry text of a version, as its inclusion proof carries it."""
    query = version_rows().where(t.versions.c.id == version_id)
    with archive.store.read() as conn:
        row = conn.execute(query).one()
    return version_entry_of(tuple(row)).decode()


def _media_type(archive, raw_sha256: str) -> str:
    query = sa.select(t.blobs.c.media_type).where(t.blobs.c.sha256 == bytes.fromhex(raw_sha256))
    with archive.store.read() as conn:
        found = conn.execute(query).scalar()
    return found or OCTET_STREAM


def _digest(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()
