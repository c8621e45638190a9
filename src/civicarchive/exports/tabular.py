"""CSV and JSONL of a production: the same items as the PDF, as data, keyed to the PDF's
production numbers.

CSV (`write_csv`): one row per version, so every edit is visible, for the item and for
every comment and reply under it (depth first, each with `parent_item_id`). RFC 4180 via
the csv module: minimal quoting, "\\r\\n" line ends, so open the stream with `newline=""`.
A redaction is the text "[REDACTED: reason]", in the text and in the account, url and
author cells alike. Withheld records have no rows: a row is a
produced version and a withheld record has none; the PDF and the JSONL carry the log.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return, which
some of them strip first) as a formula. Following the OWASP guidance on CSV injection,
every text cell that starts with one of those six characters gets a leading apostrophe,
whatever its source: record text, names, URLs, even the production prefix. So a post
reading "-5 degrees" appears as "'-5 degrees". Integers the archive assigns (item,
version and ledger numbers) are written as numbers and never altered; they are never
negative. Booleans are "true" / "false"; a missing value is an empty cell.

JSONL (`write_jsonl`): one line per produced item (keys sorted, UTF-8), with its versions,
media, thread and production numbers, then always a last line {"withheld": [...]} with the
withholding log, so a truncated file is recognisable. A version's `text` is a list of
segments: strings, and {"redacted": reason} where words were redacted. `account`, `url`
and `author` are strings with "[REDACTED: reason]" where something was redacted, and
`redacted_fields` names those of them that were (e.g. ["author", "url"]). A thread holds
nested items (the same shape) and, where a comment was withheld, {"withheld": entry}. Media
are described (name, media_type, size and sha256 of the bytes, or only withheld_reason),
never included. An item missing from `ranges` has empty (CSV) or null (JSONL) numbers.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Mapping
from typing import BinaryIO, TextIO

import orjson

from civicarchive.model.production import (ProducedItem, ProducedMedia, ProducedVersion,
                                           Production, RedactedText, Redaction,
                                           WithheldRecord, plain)

__all__ = ["CSV_COLUMNS", "neutralise", "write_csv", "write_jsonl"]

CSV_COLUMNS = (
    "begin_number", "end_number", "item_id", "parent_item_id", "platform", "account", "kind",
    "native_id", "url", "author", "created_at", "first_seen_at", "version_id", "event",
    "observed_at", "recorded_at", "text", "deleted", "hidden", "media", "content_sha256",
    "raw_sha256", "ledger_index", "source",
)
FORMULA_TRIGGERS = frozenset("=+-@\t\r")

Ranges = Mapping[int, tuple[str, str]]
Cell = str | int | bool | None


def neutralise(value: str) -> str:
    """`value` with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + value if value[:1] in FORMULA_TRIGGERS else value


def write_csv(production: Production, ranges: Ranges, stream: TextIO) -> int:
    """Write the production's versions as CSV rows to `stream`; returns the data rows."""
    writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for item in production.items:
        for row in _rows(item, None, ranges):
            writer.writerow([_cell(value) for value in row])
            count += 1
    return count


def write_jsonl(production: Production, ranges: Ranges, stream: BinaryIO) -> int:
    """Write one JSON line per produced item, then the withheld log line; returns lines."""
    for item in production.items:
        stream.write(orjson.dumps(_item_json(item, ranges), option=orjson.OPT_SORT_KEYS)
                     + b"\n")
    log = {"withheld": [_withheld_json(record) for record in production.withheld]}
    stream.write(orjson.dumps(log, option=orjson.OPT_SORT_KEYS) + b"\n")
    return len(production.items) + 1


def _cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    return neutralise(value)


def _rows(item: ProducedItem, parent: int | None, ranges: Ranges) -> Iterator[list[Cell]]:
    begin, end = ranges.get(item.item_id, (None, None))
    media = "; ".join(m.name if m.withheld_reason is None else
                      f"{m.name} [WITHHELD: {m.withheld_reason}]" for m in item.media)
    for version in item.versions:
        yield [begin, end, item.item_id, parent, item.platform, _shown(item.handle),
               item.kind, item.native_id, _shown(item.url), _shown(item.author),
               item.created_at, item.first_seen_at,
               version.version_id, version.event, version.observed_at, version.recorded_at,
               plain(version.text), item.deleted, item.hidden, media,
               version.content_sha256, version.raw_sha256, version.ledger_index,
               version.source]
    for entry in item.thread:
        if isinstance(entry, ProducedItem):
            yield from _rows(entry, item.item_id, ranges)


def _shown(field: RedactedText | None) -> str | None:
    return None if field is None else plain(field)


def _item_json(item: ProducedItem, ranges: Ranges) -> dict:
    begin, end = ranges.get(item.item_id, (None, None))
    return {
        "item_id": item.item_id, "platform": item.platform, "account": _shown(item.handle),
        "kind": item.kind, "native_id": item.native_id, "url": _shown(item.url),
        "author": _shown(item.author), "created_at": item.created_at,
        "redacted_fields": [name for name, value in (("account", item.handle),
                                                      ("author", item.author),
                                                      ("url", item.url))
                            if value and any(isinstance(s, Redaction) for s in value)],
        "first_seen_at": item.first_seen_at, "deleted": item.deleted, "hidden": item.hidden,
        "begin_number": begin, "end_number": end,
        "versions": [_version_json(v) for v in item.versions],
        "media": [_media_json(m) for m in item.media],
        "thread": [{"withheld": _withheld_json(e)} if isinstance(e, WithheldRecord)
                   else _item_json(e, ranges) for e in item.thread],
    }


def _version_json(version: ProducedVersion) -> dict:
    return {
        "version_id": version.version_id, "event": version.event,
        "observed_at": version.observed_at, "recorded_at": version.recorded_at,
        "text": [s if isinstance(s, str) else {"redacted": s.reason} for s in version.text],
        "content_sha256": version.content_sha256, "raw_sha256": version.raw_sha256,
        "ledger_index": version.ledger_index, "source": version.source,
    }


def _media_json(media: ProducedMedia) -> dict:
    # A withheld file is not described by its bytes: even a hash can confirm a guess.
    data = media.data if media.withheld_reason is None else None
    return {"name": media.name, "media_type": media.media_type,
            "size": None if data is None else len(data),
            "sha256": None if data is None else hashlib.sha256(data).hexdigest(),
            "withheld_reason": media.withheld_reason}


def _withheld_json(record: WithheldRecord) -> dict:
    return {"item_id": record.item_id, "kind": record.kind, "created_at": record.created_at,
            "exemption": record.exemption, "citation": record.citation}
