"""RSS and Atom feeds, polled with a conditional GET (ETag, Last-Modified).

The feed's bytes are read by the feed importer (connectors/feed.py) exactly as an
imported feed file is, so a polled entry and an imported one are one item with one
content. A 304 answer adds nothing. The validators are kept with the address that gave
them and sent only to it, so a feed moved to a new address is asked for in full. A feed
shows recent entries only, so no kind is ever complete: an entry that drops out has aged
out, not been deleted. An Atom tombstone (RFC 6721 `<at:deleted-entry ref="...">`) for an
entry the archive holds is a deletion event, with the tombstone's own bytes as the
evidence.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import httpx

from civicarchive.capture.base import (Absent, CaptureJob, Checked, Known, Pass, Recheck,
                                       answers_checked)
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.http import Fetcher
from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.feed import FeedImporter
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind, Observation

MAX_FEED_BYTES = 20 * 1024 * 1024
_TOMBSTONE = re.compile(rb"<(?:[\w-]+:)?deleted-entry\b[^>]*?\bref=[\"']([^\"']+)[\"'][^>]*?"
                        rb"(?:/>|>.*?</(?:[\w-]+:)?deleted-entry\s*>)", re.S)


class FeedCapturer:
    platform = "feed"

    @answers_checked
    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """Poll the feed once; a 304 is an empty pass."""
        if not job.settings.url:
            raise CaptureFailed(f"account {job.account_id} has no feed URL configured: set "
                                "it (capture configure)")
        fetch = Fetcher(client, token, job.observed_at, max_bytes=MAX_FEED_BYTES)
        cursor = dict(job.cursor)
        headers = {}
        if cursor.get("validated_url") == job.settings.url:
            if cursor.get("etag"):
                headers["If-None-Match"] = cursor["etag"]
            if cursor.get("last_modified"):
                headers["If-Modified-Since"] = cursor["last_modified"]
        response = fetch.get(job.settings.url, headers=headers, allow=(304,))
        result = Pass(cursor=cursor, requests=fetch.requests)
        cursor["passes_since_full"] = 0
        if response.status_code == 304:
            return result
        data = response.content
        cursor["validated_url"] = job.settings.url
        for header, key in (("etag", "etag"), ("last-modified", "last_modified")):
            if response.headers.get(header):
                cursor[key] = response.headers[header]
            else:
                cursor.pop(key, None)
        result.observations = _entries(data, job, result)
        tombstones = {match.group(1).decode("utf-8", "replace"): match.group(0)
                      for match in _TOMBSTONE.finditer(data)}
        for ref in sorted(known(tombstones) if tombstones else ()):
            result.observations.append(Observation(
                account_id=job.account_id, native_id=ref, kind=Kind.POST,
                observed_at=job.observed_at, content=None, raw=tombstones[ref],
                raw_media_type="application/xml", event=Event.DELETED))
        return result

    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """Feeds claim nothing complete, so nothing is re-checked."""
        return Checked(Recheck.UNKNOWN, {"reason": "a feed entry cannot be looked up alone"})


def _entries(data: bytes, job: CaptureJob, result: Pass) -> list[Observation]:
    """The entries, read by the feed importer from the bytes received."""
    with tempfile.TemporaryDirectory(prefix="civicarchive-feed-") as folder:
        path = Path(folder) / "feed.xml"
        path.write_bytes(data)
        context = ImportContext(job.account_id, job.observed_at)
        importer = FeedImporter()
        try:
            with ExportFiles.open(path) as files:
                if not importer.detect(files):
                    raise InvalidInput(f"{path}: not an RSS or Atom feed (its root element is "
                                       "none of rss, feed, rdf:RDF); check the address")
                observations = list(importer.read(files, context))
        except InvalidInput as error:
            raise CaptureFailed(str(error).replace(str(path), job.settings.url),
                                {"size": len(data)}) from None
        for problem in context.problems:
            result.problem(problem.where.replace(str(path), job.settings.url), problem.what)
    return observations
