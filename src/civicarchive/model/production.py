"""What a production shows: records already reviewed and redacted. No I/O here.

Renderers (PDF, CSV, JSONL) only ever see these objects. Redacted text reaches them as
`Redaction` markers in place of the words, so a renderer cannot leak what it never holds.
That goes for a record's author, the handle it is shown under and its URL as much as its
text: those fields are `RedactedText` too (render them with `plain`), and the plain-text
`account` and `native_id` already carry the markers in place of what was redacted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Redaction:
    """A span that is not shown: only why (exemption code and citation)."""

    reason: str


Segment = str | Redaction
RedactedText = tuple[Segment, ...]


def plain(text: RedactedText, marker: str = "[REDACTED: {reason}]") -> str:
    """The text as one string, each redaction replaced by `marker`."""
    return "".join(s if isinstance(s, str) else marker.format(reason=s.reason) for s in text)


@dataclass(frozen=True, slots=True)
class ProducedMedia:
    name: str
    media_type: str
    data: bytes | None                  # None: withheld or not captured
    withheld_reason: str | None = None  # set when a person redacted the whole file


@dataclass(frozen=True, slots=True)
class ProducedVersion:
    version_id: int
    event: str                          # created, edited, deleted, hidden, unhidden, restored
    observed_at: str
    recorded_at: str
    text: RedactedText
    content_sha256: str
    raw_sha256: str
    ledger_index: int
    source: str


@dataclass(frozen=True, slots=True)
class WithheldRecord:
    """A record kept out of the production, for the withholding log."""

    item_id: int
    kind: str
    created_at: str | None
    exemption: str                      # code, e.g. "personal information"
    citation: str                       # e.g. "RCW 42.56.230"


@dataclass(frozen=True, slots=True)
class ProducedItem:
    """A produced record. `author`, `handle` and `url` may be given as plain strings, which
    are taken as unredacted text; `handle` defaults to `account`."""

    item_id: int
    platform: str
    account: str                        # the account's handle as plain text, with markers
    kind: str
    native_id: str                      # as plain text, with markers where redacted
    url: RedactedText | None
    author: RedactedText | None         # the author as the platform names them
    created_at: str | None
    first_seen_at: str
    versions: tuple[ProducedVersion, ...]  # in observed order; the last is the current one
    deleted: bool
    hidden: bool
    media: tuple[ProducedMedia, ...] = ()
    # The comments and replies under it, as they are produced (or withheld), in order.
    thread: tuple[ProducedItem | WithheldRecord, ...] = ()
    handle: RedactedText | None = None  # the handle shown for the record (the account's)

    def __post_init__(self) -> None:
        for name in ("url", "author", "handle"):
            if isinstance(value := getattr(self, name), str):
                object.__setattr__(self, name, (value,))
        if self.handle is None:
            object.__setattr__(self, "handle", (self.account,))

    @property
    def fields_redacted(self) -> bool:
        """Whether the author, the handle or the URL lost anything to a redaction."""
        return any(isinstance(s, Redaction) for field in (self.author, self.handle, self.url)
                   if field for s in field)

    @property
    def redacted(self) -> bool:
        return any(isinstance(s, Redaction) for v in self.versions for s in v.text) or \
            any(m.withheld_reason for m in self.media) or self.fields_redacted


@dataclass(frozen=True, slots=True)
class CaptureGap:
    """A stretch when live capture of an account failed: records of it may be missing."""

    gap_id: int
    account: str                        # the account's handle
    gap_from: str
    gap_to: str | None                  # None: not closed when produced
    cause: str


@dataclass(frozen=True, slots=True)
class Production:
    agency: str
    title: str                          # e.g. "Request R-2026-0007, production 1"
    prefix: str                         # production number prefix, e.g. "CITY-"
    first_number: int                   # the first page's production number
    produced_at: str
    items: tuple[ProducedItem, ...]
    withheld: tuple[WithheldRecord, ...] = ()
    gaps: tuple[CaptureGap, ...] = ()   # gaps in capture of the produced records' accounts


def production_number(prefix: str, number: int, width: int = 6) -> str:
    """A Bates-style number: prefix and a zero-padded counter (CITY-000001)."""
    return f"{prefix}{number:0{width}d}"
