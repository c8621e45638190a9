"""The versions an export writes, read from the store a chunk of ids at a time.

One query per chunk joins the versions to their items, accounts and blobs, instead of
several queries per version. Inline blobs arrive with the rows; blobs kept in the blob
store are opened only when written, so memory holds one chunk's small payloads at most.

A version's payload (its raw captured bytes and normalised content) is exported as
captured, or withheld: redacted by the caller, who supplies a rendering free of the
redacted words, or purged by an approved disposition. Both writers take the decision
from here, so the WARC and the package records cannot disagree about it.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import BinaryIO, Protocol

import orjson

from civicarchive.errors import InvalidInput, NotFound
from civicarchive.store.blobs import BlobStore
from civicarchive.store.canonical import canonical_json
from civicarchive.store.entries import version_entry_of

__all__ = ["CHUNK", "Blob", "ExportSource", "ExportedVersion", "Payload", "Rendering",
           "read_versions", "renderings"]

CHUNK = 500
OCTET_STREAM = "application/octet-stream"


class ExportSource(Protocol):
    """What the export writers read of an archive: its identity and key, the versions with
    their blobs, their inclusion proofs and the checkpoint linking them, and a signature
    by the archive's key. The application layer provides it."""

    archive_id: str
    public_key_fingerprint: str
    blob_store: BlobStore

    def agency_names(self) -> list[str]:
        """The agencies the archive keeps records for."""

    def now(self) -> datetime:
        """The time to stamp on what is written."""

    def export_rows(self, version_ids: Collection[int]) -> dict[int, tuple]:
        """Version id -> its `store.entries.version_rows()` columns followed by content
        sha256, content data, raw sha256, raw data and raw media type (None where a blob
        is absent, or kept in the blob store rather than inline)."""

    def proofs(self, version_ids: Iterable[int]) -> Iterator[dict]:
        """Inclusion proofs of the versions, in order."""

    def public_key_pem(self) -> bytes:
        """The archive's Ed25519 public key."""

    def checkpoint_link(self, tree_sizes: Collection[int]) -> dict:
        """The newest signed checkpoint and the consistency paths to it from each tree
        size (see `store.consistency.newest_checkpoint_link`)."""

    def capture_gaps(self, version_ids: Collection[int]) -> dict:
        """The gaps in capture of the versions' accounts since the earliest of them, with the
        proofs of the ledger entries that opened and closed each: the `checkpoint` and
        `gaps` members of exports/gaps.py's document."""

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `data` by the archive's key (the key itself
        never leaves the archive)."""


class Payload(enum.StrEnum):
    """What an export holds of a version's captured bytes and content."""

    INCLUDED = "included"  # the raw bytes and normalised content, as captured
    REDACTED = "redacted"  # withheld from this export; a redacted rendering stands in
    PURGED = "purged"      # gone by an approved disposition; the hashes remain


@dataclass(frozen=True, slots=True)
class Rendering:
    """A redacted version's stand-in: RFC 8785 canonical JSON of the caller's rendering."""

    data: bytes
    sha256: str
    given_sha256: str  # of the bytes as the caller gave them


@dataclass(frozen=True, slots=True)
class Blob:
    """Raw captured bytes: held inline, or opened from the blob store when written."""

    sha256: str
    media_type: str
    data: bytes | None
    store: BlobStore

    def open(self) -> BinaryIO:
        return BytesIO(self.data) if self.data is not None else self.store.open(self.sha256)


@dataclass(frozen=True, slots=True)
class ExportedVersion:
    """One version to export: its ledger entry's columns and what may be written of it."""

    row: tuple  # the version_rows() columns: what the ledger entry is built from
    payload: Payload
    purged: bool
    content: bytes | None  # the stored canonical JSON, only when INCLUDED
    raw: Blob | None  # only when INCLUDED
    rendering: Rendering | None  # only when REDACTED

    @property
    def id(self) -> int:
        return self.row[1]

    @property
    def item_id(self) -> int:
        return self.row[2]

    @property
    def event(self) -> str:
        return self.row[3]

    @property
    def observed_at(self) -> str:
        return self.row[4]

    @property
    def recorded_at(self) -> str:
        return self.row[5]

    @property
    def content_sha256(self) -> str:
        return self.row[6].hex()

    @property
    def raw_sha256(self) -> str:
        return self.row[7].hex()

    @property
    def source(self) -> str:
        return self.row[8]

    @property
    def account_id(self) -> int:
        return self.row[9]

    @property
    def native_id(self) -> str:
        return self.row[10]

    @property
    def kind(self) -> str:
        return self.row[11]

    @property
    def url(self) -> str | None:
        return self.row[14]

    @property
    def ledger_index(self) -> int:
        return self.row[0]

    def entry(self) -> bytes:
        """The exact ledger entry, as the version's inclusion proof carries it."""
        return version_entry_of(self.row)


def renderings(redacted: Mapping[int, bytes] | None, ids: Collection[int]
               ) -> dict[int, Rendering]:
    """The callers' redacted renderings, checked: JSON, and only for exported versions."""
    found: dict[int, Rendering] = {}
    for version_id, data in (redacted or {}).items():
        if version_id not in ids:
            raise InvalidInput(f"a redacted rendering names version {version_id!r}, which is "
                               "not exported: give renderings keyed by exported version ids")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInput(f"the redacted rendering of version {version_id} must be "
                               "bytes of JSON")
        try:
            canonical = canonical_json(orjson.loads(data))
        except (orjson.JSONDecodeError, TypeError, ValueError) as error:
            raise InvalidInput(f"the redacted rendering of version {version_id} is not JSON "
                               f"({error}): give its JSON bytes") from None
        found[version_id] = Rendering(canonical, hashlib.sha256(canonical).hexdigest(),
                                      hashlib.sha256(data).hexdigest())
    return found


def read_versions(source: ExportSource, version_ids: Iterable[int],
                  renderings: Mapping[int, Rendering] | None = None,
                  chunk: int = CHUNK) -> Iterator[ExportedVersion]:
    """The versions in the order given (repeats too); NotFound names the first missing id."""
    renderings = renderings or {}
    ids = iter(version_ids)
    while batch := [v for _, v in zip(range(chunk), ids)]:
        rows = source.export_rows(dict.fromkeys(batch))
        for version_id in batch:
            row = rows.get(version_id)
            if row is None:
                raise NotFound("version", version_id)
            yield _exported(source.blob_store, row, renderings.get(version_id))


def _exported(blobs: BlobStore, row: tuple, rendering: Rendering | None) -> ExportedVersion:
    content_sha, content_data, raw_sha, raw_data, media_type = row[17:22]
    entry_row = row[:17]  # never carry a withheld version's bytes further than here
    content_name = bytes(content_sha).hex() if content_sha is not None else None
    raw_name = bytes(raw_sha).hex() if raw_sha is not None else None
    held = content_name is not None and raw_name is not None and \
        (content_data is not None or blobs.exists(content_name)) and \
        (raw_data is not None or blobs.exists(raw_name))
    if rendering is not None:
        _refuse_unredacted(row, rendering)
        return ExportedVersion(entry_row, Payload.REDACTED, not held, None, None, rendering)
    content = None
    if held:
        content = bytes(content_data) if content_data is not None else \
            _stored(blobs, content_name)
    if content is None:
        return ExportedVersion(entry_row, Payload.PURGED, True, None, None, None)
    raw = Blob(raw_name, media_type or OCTET_STREAM,
               bytes(raw_data) if raw_data is not None else None, blobs)
    return ExportedVersion(entry_row, Payload.INCLUDED, False, content, raw, None)


def _stored(blobs: BlobStore, name: str) -> bytes | None:
    try:
        with blobs.open(name) as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def _refuse_unredacted(row: tuple, rendering: Rendering) -> None:
    # A cheap guard against passing the wrong bytes: the captured content itself.
    if {rendering.sha256, rendering.given_sha256} & {row[6].hex(), row[7].hex()}:
        raise InvalidInput(f"the redacted rendering of version {row[1]} is its unredacted "
                           "content: pass the rendering with the redactions applied")
