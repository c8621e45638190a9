"""RSS and Atom feed files (feedparser): an agency's blog or news feed, or a platform's
feed of an account. A feed shows recent entries only, so it is never complete: an entry
missing from a later feed has aged out, not been deleted. A feed's `updated` or
`lastBuildDate` says when its content last changed, not when this copy was made, so
observations are dated by the import.

What feedparser finds in an entry but the content does not hold (Media RSS elements,
comment links, a second author or content value, a summary beside the content, a time it
cannot read, links other than the entry's own and its enclosures) is reported as not read;
the entry's own XML keeps it. So is an id two entries share: both become versions of one
item."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

import feedparser

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.reading import Unread
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind, Observation

# What may come before the root element: the XML declaration, processing instructions
# (an <?xml-stylesheet?> for browsers), comments, and a DOCTYPE with its internal subset.
_FEED_START = re.compile(r"\s*(?:(?:<\?.*?\?>|<!--.*?-->|(?i:<!DOCTYPE)[^\[>]*(?:\[.*?\])?\s*>)"
                         r"\s*)*<(?:rss|feed|rdf:RDF)\b", re.S)
# Byte-order marks and, without one, the first bytes of "<?" (XML 1.0, appendix F).
_ENCODINGS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
              (b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
              (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
              (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"))
_HEAD = 4096
# feedparser's keys for what the content holds, and the forms it derives from them.
_READ_KEYS = frozenset({"id", "guidislink", "link", "links", "title", "title_detail",
                        "summary", "summary_detail", "content", "published",
                        "published_parsed", "updated", "updated_parsed", "tags", "author",
                        "author_detail", "authors"})
_READ_LINKS = frozenset({"alternate", "enclosure"})
_ENTRY = re.compile(rb"<(item|entry)\b.*?</\1\s*>", re.S)
# Text where markup is not markup: an entry's CDATA or a comment may hold "</item>".
_LITERAL = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.S)


class FeedImporter:
    format = "feed"
    platform = "feed"

    def detect(self, files: ExportFiles) -> bool:
        """A single file whose root element is rss, feed or rdf:RDF, in any encoding XML
        allows, whatever declarations, stylesheets, comments or DOCTYPE come first."""
        if files.kind != "file":
            return False
        with files.open_file(files.names()[0]) as stream:
            return bool(_FEED_START.match(_head_text(stream.read(_HEAD))))

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        name = files.names()[0]
        data = files.read(name)
        parsed = feedparser.parse(data)
        if parsed.bozo and not parsed.entries:
            raise InvalidInput(f"{files.where(name)}: not a readable RSS or Atom feed "
                               f"({parsed.bozo_exception})")
        if parsed.bozo:
            context.problem(files.where(name), f"not well-formed ({parsed.bozo_exception}); "
                            "imported the entries a lenient reading recovers")
        raw_entries = _entry_bytes(data)
        if len(raw_entries) != len(parsed.entries):  # cannot pair entries with their bytes
            raw_entries = [None] * len(parsed.entries)
            context.problem(files.where(name), "could not locate each entry's bytes; the raw "
                            "bytes of each version are the whole feed")
        author = parsed.feed.get("title") or parsed.feed.get("link") or "feed"
        unread = Unread(context)
        first_with: dict[str, int] = {}   # id -> the entry that has it first
        for position, (entry, raw) in enumerate(zip(parsed.entries, raw_entries, strict=True)):
            _note_unread(entry, unread, files.where(name), f"entry {position + 1}")
            native_id = entry.get("id") or entry.get("link")
            if not native_id:
                context.problem(f"{files.where(name)} entry {position + 1}",
                                "has neither id nor link; skipped")
                continue
            if native_id in first_with:
                context.problem(f"{files.where(name)} entry {position + 1}",
                                f"has the id of entry {first_with[native_id]} ({native_id}): "
                                "both are read as versions of one item, this one the later")
            first_with.setdefault(native_id, position + 1)
            # dict.get: feedparser's own get() maps a missing `updated` to `published`
            updated = dict.get(entry, "updated_parsed")
            created = _time(dict.get(entry, "published_parsed") or updated)
            content = {
                "title": entry.get("title", ""),
                "text": _text(entry),
                "author": entry.get("author", author),
                "link": entry.get("link"),
                "updated": _iso(updated),
                "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")],
                "enclosures": [{"url": e.get("href"), "type": e.get("type")}
                               for e in entry.get("enclosures", [])],
            }
            yield Observation(
                account_id=context.account_id, native_id=native_id, kind=Kind.POST,
                observed_at=context.observed_at, created_at=created, content=content,
                raw=raw if raw is not None else data, raw_media_type="application/xml",
                author=content["author"], url=entry.get("link"))
        unread.report()


def _note_unread(entry: dict, unread: Unread, where: str, label: str) -> None:
    unread.keys(where, entry, _READ_KEYS, "entry", label)
    for link in entry.get("links", []):
        if link.get("rel", "alternate") not in _READ_LINKS:
            unread.note(where, f"a link with rel {link.get('rel')!r}", label)
    content = entry.get("content", [])
    if len(content) > 1:
        unread.note(where, "a content value after the first", label)
    # feedparser copies the content into a missing summary: one that differs is the feed's.
    if content and entry.get("summary") and entry["summary"] != content[0].get("value"):
        unread.note(where, "a summary beside the content", label)
    for key in ("published", "updated"):   # dict.get: feedparser's get() maps one to the other
        if dict.get(entry, key) and not dict.get(entry, f"{key}_parsed"):
            unread.note(where, f"a {key} time in a form feedparser does not know",
                        f"{label}: {dict.get(entry, key)!r}")
    if len(entry.get("authors", [])) > 1:
        unread.note(where, "an author after the first", label)


def _head_text(head: bytes) -> str:
    """The first bytes of a file as text, by its byte-order mark or the way "<?" is
    encoded; a character cut at the end of the head is dropped."""
    encoding = next((name for mark, name in _ENCODINGS if head.startswith(mark)), "utf-8")
    return head.decode(encoding, errors="ignore").removeprefix("\ufeff")


def _text(entry: dict) -> str:
    if entry.get("content"):
        return entry["content"][0].get("value", "")
    return entry.get("summary", "")


def _time(parts) -> datetime | None:  # noqa: ANN001
    return datetime(*parts[:6], tzinfo=timezone.utc) if parts else None


def _iso(parts) -> str | None:  # noqa: ANN001
    moment = _time(parts)
    return moment.isoformat() if moment else None


def _entry_bytes(data: bytes) -> list[bytes]:
    """Each entry's own bytes, as written: found with CDATA sections and comments blanked
    out (to the same length), so that an entry whose text shows "<item>...</item>" is
    not cut short there."""
    blanked = _LITERAL.sub(lambda m: b"\0" * len(m.group(0)), data)
    return [data[m.start():m.end()] for m in _ENTRY.finditer(blanked)]
