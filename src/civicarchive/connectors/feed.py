"""RSS and Atom feed files (feedparser): an agency's blog or news feed, or a platform's
feed of an account. A feed shows recent entries only, so it is never complete: an entry
missing from a later feed has aged out, not been deleted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

import feedparser

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind, Observation

_FEED_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.S)
_ENTRY = re.compile(rb"<(item|entry)\b.*?</\1\s*>", re.S)


class FeedImporter:
    format = "feed"
    platform = "feed"

    def detect(self, files: ExportFiles) -> bool:
        return files.kind == "file" and bool(_FEED_START.match(files.read(files.names()[0])[:4096]))

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
        raw_entries = [match.group(0) for match in _ENTRY.finditer(data)]
        if len(raw_entries) != len(parsed.entries):  # cannot pair entries with their bytes
            raw_entries = [None] * len(parsed.entries)
            context.problem(files.where(name), "could not locate each entry's bytes; the raw "
                            "bytes of each version are the whole feed")
        author = parsed.feed.get("title") or parsed.feed.get("link") or "feed"
        for position, (entry, raw) in enumerate(zip(parsed.entries, raw_entries, strict=True)):
            native_id = entry.get("id") or entry.get("link")
            if not native_id:
                context.problem(f"{files.where(name)} entry {position + 1}",
                                "has neither id nor link; skipped")
                continue
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


def _text(entry: dict) -> str:
    if entry.get("content"):
        return entry["content"][0].get("value", "")
    return entry.get("summary", "")


def _time(parts) -> datetime | None:  # noqa: ANN001
    return datetime(*parts[:6], tzinfo=timezone.utc) if parts else None


def _iso(parts) -> str | None:  # noqa: ANN001
    moment = _time(parts)
    return moment.isoformat() if moment else None
