"""What an importer is, and the small tools every export format needs.

An importer reads one platform's "download your data" export and yields Observations.
It keeps the exact bytes of each exported entry as the observation's raw bytes, records
problems it can step over instead of failing on the first, and says which kinds its
export holds completely, so that an item absent from a later full export can be marked
deleted.

    class MastodonImporter:
        format = "mastodon"
        platform = "mastodon"
        def detect(self, files: ExportFiles) -> bool: ...
        def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]: ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from civicarchive.connectors.files import ExportFiles
from civicarchive.model.record import Kind, Observation


@dataclass(frozen=True)
class ImportProblem:
    where: str   # file (and position) in the export
    what: str    # what is wrong, and what was done about it

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class ImportContext:
    """What an importer is given besides the files, and where it reports."""

    account_id: int
    observed_at: datetime             # when the export was made, or when it was imported
    problems: list[ImportProblem] = field(default_factory=list)
    complete_kinds: set[Kind] = field(default_factory=set)   # filled by the importer
    evidence: dict = field(default_factory=dict)             # e.g. signature checks
    # The account as registered, for an export that says whose it is to be checked by.
    handle: str | None = None
    platform_id: str | None = None

    def problem(self, where: str, what: str) -> None:
        self.problems.append(ImportProblem(where, what))


class Importer(Protocol):
    format: str
    platform: str

    def detect(self, files: ExportFiles) -> bool:
        """Whether these files are this importer's export format (cheap: names, headers)."""

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        """Every observation in the export. Media files are items of kind `media` whose
        parent is the post they belong to and whose raw bytes are the file."""


def json_array_items(text: str, start: int = 0) -> Iterator[tuple[object, str]]:
    """Each element of the JSON array that begins at or after `start`, with its exact
    source text, so that an entry's raw bytes are the export's own bytes.

    Raises ValueError, naming the character, for bad JSON and for nesting too deep to
    follow. (A file too large to hold: read it with json_stream.ArrayReader instead.)
    """
    decoder = json.JSONDecoder()
    i = text.index("[", start) + 1
    length = len(text)
    while True:
        while i < length and text[i] in " \t\r\n,":
            i += 1
        if i >= length:
            raise ValueError("the array is not closed")
        if text[i] == "]":
            return
        try:
            value, end = decoder.raw_decode(text, i)
        except RecursionError:
            raise ValueError(f"nested too deeply to read, in the entry at character {i}"
                             ) from None
        yield value, text[i:end]
        i = end


def repair_mojibake(value: object) -> object:
    """Undo the encoding Facebook and Instagram exports apply to every string: each UTF-8
    byte written as its own \\u00XX escape. Strings that do not round-trip stay as they
    are."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [repair_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {repair_mojibake(k): repair_mojibake(v) for k, v in value.items()}
    return value


MEDIA_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".heic": "image/heic", ".mp4": "video/mp4", ".mov": "video/quicktime",
    ".webm": "video/webm", ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
    ".pdf": "application/pdf",
}


def media_type_of(name: str) -> str:
    dot = name.rfind(".")
    return MEDIA_TYPES.get(name[dot:].lower(), "application/octet-stream") if dot >= 0 \
        else "application/octet-stream"
