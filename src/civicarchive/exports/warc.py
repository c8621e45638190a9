"""WARC export: each version's raw captured bytes as a `resource` record, with a
`metadata` record holding its normalised content and ledger facts.

Record ids are uuid5 of the archive id and version id, and record dates are the
versions' observed times, so exporting the same versions twice gives the same bytes
except for the WARC-Date of the leading warcinfo record.

A redacted version's raw bytes and content are never written: its `resource` record
holds the caller's redacted rendering (JSON, marked `WARC-Civicarchive-Redacted: true`)
and its `metadata` record keeps the hashes and the ledger entry, not the content. A
purged version gets only the `metadata` record.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import BinaryIO

import orjson
from warcio.warcwriter import WARCWriter

from civicarchive.clock import format_time
from civicarchive.exports.versions import (ExportedVersion, ExportSource, Payload, read_versions,
                                           renderings)

__all__ = ["REDACTED_HEADER", "record_id", "write_warc"]

REDACTED_HEADER = "WARC-Civicarchive-Redacted"
PURGED_NOTE = ("content and raw bytes are no longer held (purged by an approved "
               "disposition); the ledger entry and its hashes remain")
REDACTED_NOTE = ("content and raw bytes are withheld (redacted in this export); the resource "
                 "record holds the redacted rendering, and the ledger entry and the hashes of "
                 "the captured content and raw bytes remain")
_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2


def record_id(archive_id: str, name: str) -> str:
    """A deterministic WARC-Record-ID for one record of this archive's exports."""
    return f"<urn:uuid:{uuid.uuid5(uuid.UUID(archive_id), name)}>"


def write_warc(source: ExportSource, version_ids: Iterable[int], stream: BinaryIO, *,
               redacted: Mapping[int, bytes] | None = None) -> int:
    """Write a gzipped WARC of the versions to `stream`; returns the records written.

    `redacted` maps version ids to their redacted renderings (JSON bytes already free of
    the redacted words): those versions' raw bytes and content are not written.
    Versions are read a chunk at a time, and payloads are written as they are read.
    """
    ids = list(version_ids)
    stand_ins = renderings(redacted, set(ids))
    writer = WARCWriter(stream, gzip=True, warc_version="1.1")
    info = {"software": "civicarchive", "format": "WARC File Format 1.1",
            "archive-id": source.archive_id,
            "public-key-sha256": source.public_key_fingerprint,
            "description": "Archived government social media records, one resource "
                           "record of raw captured bytes and one metadata record per version"}
    warcinfo = writer.create_warcinfo_record(None, info)
    warcinfo.rec_headers.replace_header("WARC-Record-ID",
                                        record_id(source.archive_id, "warcinfo"))
    warcinfo.rec_headers.replace_header("WARC-Date", format_time(source.now()))
    writer.write_record(warcinfo)
    written = 1
    namespace = uuid.UUID(source.archive_id)
    for version in read_versions(source, ids, stand_ins):
        written += _write_version(writer, source.archive_id, namespace, version)
    return written


def _write_version(writer: WARCWriter, archive_id: str, namespace: uuid.UUID,
                   version: ExportedVersion) -> int:
    """The version's records (resource, if any, then metadata); returns how many."""
    uri = version.url or f"urn:civicarchive:{archive_id}:item:{version.item_id}"
    common = {"WARC-Target-URI": uri, "WARC-Date": version.observed_at,
              "WARC-Civicarchive-Version": str(version.id),
              "WARC-Civicarchive-Item": str(version.item_id),
              "WARC-Civicarchive-Event": version.event,
              "WARC-Civicarchive-Ledger-Index": str(version.ledger_index)}
    facts = {"version": version.id, "item": version.item_id, "event": version.event,
             "observed_at": version.observed_at, "recorded_at": version.recorded_at,
             "source": version.source, "ledger_index": version.ledger_index,
             "content_sha256": version.content_sha256, "raw_sha256": version.raw_sha256,
             "ledger_entry": version.entry().decode()}
    resource_id = None
    if version.payload is Payload.INCLUDED:
        resource_id = _record_id(namespace, f"version:{version.id}:resource")
        _write_raw(writer, uri, version, {**common, "WARC-Record-ID": resource_id})
        facts["purged"] = False
        facts["content"] = orjson.loads(version.content)
    elif version.payload is Payload.REDACTED:
        resource_id = _record_id(namespace, f"version:{version.id}:redacted")
        rendering = version.rendering.data
        digest = _digest(rendering)
        headers = {**common, "WARC-Record-ID": resource_id, "Content-Type": "application/json",
                   REDACTED_HEADER: "true", "WARC-Payload-Digest": digest,
                   "WARC-Block-Digest": digest}
        writer.write_record(writer.create_warc_record(
            uri, "resource", payload=BytesIO(rendering), length=len(rendering),
            warc_headers_dict=headers))
        facts.update(purged=version.purged, redacted=True,
                     rendering_sha256=version.rendering.sha256, note=REDACTED_NOTE)
    else:
        facts.update(purged=True, note=PURGED_NOTE)
    body = orjson.dumps(facts, option=_JSON_OPTIONS)
    digest = _digest(body)
    headers = {**common, "Content-Type": "application/json",
               "WARC-Record-ID": _record_id(namespace, f"version:{version.id}:metadata"),
               "WARC-Block-Digest": digest, "WARC-Payload-Digest": digest}
    if resource_id is not None:
        headers["WARC-Concurrent-To"] = resource_id
    writer.write_record(writer.create_warc_record(uri, "metadata", payload=BytesIO(body),
                                                  length=len(body), warc_headers_dict=headers))
    return 1 if resource_id is None else 2


def _write_raw(writer: WARCWriter, uri: str, version: ExportedVersion, headers: dict) -> None:
    """The raw bytes as a resource record, streamed from the blob store when not inline."""
    blob = version.raw
    with blob.open() as payload:
        if blob.data is not None:
            digest, length = _digest(blob.data), len(blob.data)
        else:  # a large blob: hash it in one pass, then let warcio stream it
            hasher, length = hashlib.sha256(), 0
            for chunk in iter(lambda: payload.read(1 << 20), b""):
                hasher.update(chunk)
                length += len(chunk)
            payload.seek(0)
            digest = "sha256:" + base64.b32encode(hasher.digest()).decode()
        headers.update({"Content-Type": blob.media_type, "WARC-Payload-Digest": digest,
                        "WARC-Block-Digest": digest})
        writer.write_record(writer.create_warc_record(uri, "resource", payload=payload,
                                                      length=length, warc_headers_dict=headers))


def _record_id(namespace: uuid.UUID, name: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(namespace, name)}>"


def _digest(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()
