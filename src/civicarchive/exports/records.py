"""records.jsonl of an evidence package: one line per version, written and checked here.

A line restates every member of the version's ledger entry (all but `type`) and its
ledger index, then its payload: `content` (null unless included), `payload` and, for a
redacted version, `rendering` and `rendering_sha256`. Lines are in ascending version id,
which is ledger order, one per version, in the order of the certificate's table.

Checking compares every restated member with the signed entry of the version's proof,
by value and JSON type (`1`, `1.0` and `true` differ), and reports a missing, unknown,
duplicated or out-of-order line by its number and the member at fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson

from civicarchive.exports.certificate import (CERTIFICATE, PROOFS, RECORDS, Certified,
                                              CertifiedVersion)
from civicarchive.exports.versions import (ExportedVersion, ExportSource, Payload, Rendering,
                                           read_versions)
from civicarchive.store.canonical import canonical_json, sha256_hex

__all__ = ["LINE_FIELDS", "RecordFacts", "check_records", "json_equal", "json_sha256",
           "write_records"]

# Every member of a version entry but `type`, then where the entry is in the ledger.
LINE_FIELDS = ("version", "item", "account", "platform", "native_id", "kind",
               "parent_native_id", "author", "url", "created_at", "event", "observed_at",
               "recorded_at", "source", "content_sha256", "raw_sha256", "ledger_index")
PAYLOAD_FIELDS = ("content", "payload")
RENDERING_FIELDS = ("rendering", "rendering_sha256")


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What a checked line says of its version's payload, for checking the WARC."""

    payload: Payload | None
    content_sha256: str | None
    raw_sha256: str | None
    rendering_sha256: str | None


def record_line(version: ExportedVersion) -> dict:
    """The line of one version (before its payload members are filled in)."""
    entry = orjson.loads(version.entry())
    line = {name: entry[name] for name in LINE_FIELDS if name != "ledger_index"}
    return {**line, "ledger_index": version.ledger_index, "content": None,
            "payload": version.payload.value}


def write_records(source: ExportSource, ids: Iterable[int], stand_ins: dict[int, Rendering],
                  path: Path) -> tuple[list[CertifiedVersion], set[str]]:
    """records.jsonl, one line per version in the order of `ids`; returns the rows of the
    certificate's table and the sources the versions came from."""
    listed, sources = [], set()
    with open(path, "wb") as out:
        for version in read_versions(source, ids, stand_ins):
            record = record_line(version)
            rendering_sha256 = None
            if version.payload is Payload.INCLUDED:
                record["content"] = orjson.loads(version.content)
            elif version.payload is Payload.REDACTED:
                rendering_sha256 = version.rendering.sha256
                record["rendering"] = orjson.loads(version.rendering.data)
                record["rendering_sha256"] = rendering_sha256
            out.write(orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n")
            listed.append(CertifiedVersion(version.id, version.item_id, version.event,
                                           version.observed_at, version.ledger_index,
                                           version.payload, rendering_sha256))
            sources.add(version.source)
    return listed, sources


def check_records(path: Path, entries: dict[int, dict], certified: Certified | None,
                  problems: list[str]) -> dict[int, RecordFacts]:
    """Check every line against its signed entry (`entries`, by version, with their
    `ledger_index`) and the certificate, appending problems; returns what each line says
    of its version's payload."""
    records: dict[int, RecordFacts] = {}
    lines_of: dict[int, int] = {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        problems.append(f"data/{RECORDS} is missing")
        lines = []
    highest = None
    for number, line in enumerate(lines, 1):
        where = f"data/{RECORDS} line {number}"
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict) or type(record.get("version")) is not int:
            problems.append(f"{where}: not a JSON record with a version")
            continue
        version = record["version"]
        if version in records:
            problems.append(f"{where}: version {version} has a line already (line "
                            f"{lines_of[version]}): one line per version")
            continue
        if highest is not None and version < highest:
            problems.append(f"{where}: version {version} comes after version {highest}: "
                            "lines must be in ascending version order (ledger order)")
        highest = version if highest is None else max(highest, version)
        lines_of[version] = number
        records[version] = facts = _check_payload(where, record, certified, problems)
        allowed = {*LINE_FIELDS, *PAYLOAD_FIELDS,
                   *(RENDERING_FIELDS if facts.payload is Payload.REDACTED else ())}
        for name in sorted(record.keys() - allowed):
            problems.append(f"{where}: {name} is not a member of a record line"
                            + (" of a redacted version" if name in RENDERING_FIELDS else ""))
        entry = entries.get(version)
        if entry is None:
            problems.append(f"{where}: version {version} has no proof that verifies in "
                            f"data/{PROOFS}")
            continue
        for name in LINE_FIELDS:
            if name not in record:
                problems.append(f"{where}: {name} is missing; the signed ledger entry has "
                                f"{entry.get(name)!r}")
            elif not json_equal(record[name], entry.get(name)):
                problems.append(f"{where}: {name} differs from the signed ledger entry")
        _check_row(version, entry, certified, problems)
    for version in sorted(entries.keys() - records.keys()):
        problems.append(f"version {version} has a proof but no line in data/{RECORDS}")
    if certified is not None:
        for version in sorted(certified.versions.keys() - records.keys()):
            problems.append(f"data/{CERTIFICATE} lists version {version}, which has no line "
                            f"in data/{RECORDS}")
        if certified.versions.keys() == records.keys() and \
                list(certified.versions) != list(records):
            problems.append(f"data/{CERTIFICATE} lists the versions in another order than "
                            f"data/{RECORDS}")
    return records


def json_equal(value: object, signed: object) -> bool:
    """Equal in value and JSON type: Python holds 1 == 1.0 == True, JSON does not."""
    return type(value) is type(signed) and value == signed


def _check_row(version: int, entry: dict, certified: Certified | None,
               problems: list[str]) -> None:
    row = certified.versions.get(version) if certified else None
    if row is not None and (row.item, row.event, row.observed_at, row.ledger_index) != (
            entry.get("item"), entry.get("event"), entry.get("observed_at"),
            entry.get("ledger_index")):
        problems.append(f"data/{CERTIFICATE}: the row of version {version} differs from "
                        "its signed ledger entry")


def _check_payload(where: str, record: dict, certified: Certified | None,
                   problems: list[str]) -> RecordFacts:
    version, content = record["version"], record.get("content")
    try:
        payload = Payload(record.get("payload"))
    except ValueError:
        problems.append(f"{where}: payload must be one of included, redacted, purged")
        payload = None
    rendering_sha256 = None
    if payload is Payload.INCLUDED:
        if content is None:
            problems.append(f"{where}: the payload is included but the content is missing")
        elif json_sha256(content) != record.get("content_sha256"):
            problems.append(f"{where}: content does not hash to its content_sha256")
    elif payload is not None:
        if content is not None:
            problems.append(f"{where}: version {version} is {payload.value} but carries "
                            "content")
        if payload is Payload.REDACTED:
            rendering_sha256 = record.get("rendering_sha256")
            digest = json_sha256(record["rendering"]) if "rendering" in record else None
            if digest is None or digest != rendering_sha256:
                problems.append(f"{where}: the redacted rendering does not hash to its "
                                "rendering_sha256")
    row = certified.versions.get(version) if certified else None
    if certified is not None and row is None:
        problems.append(f"{where}: version {version} is not listed in data/{CERTIFICATE}")
    elif row is not None and (row.payload, row.rendering_sha256) != (payload, rendering_sha256):
        problems.append(f"{where}: version {version} is {record.get('payload')}, but "
                        f"data/{CERTIFICATE} lists it as {row.payload.value}"
                        + (" with another rendering" if row.payload is payload else ""))
    return RecordFacts(payload, record.get("content_sha256"), record.get("raw_sha256"),
                       rendering_sha256)


def json_sha256(value: object) -> str | None:
    """SHA-256 of the RFC 8785 form; None for JSON it cannot take (e.g. a huge integer)."""
    try:
        return sha256_hex(canonical_json(value))
    except (ValueError, TypeError):
        return None
