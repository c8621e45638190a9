"""RSS and Atom feeds polled over HTTP from a loopback server, with conditional GET."""

from __future__ import annotations

import httpx
import pytest

from civicarchive.capture.feed import MAX_FEED_BYTES
from civicarchive.model.record import Kind
from tests.capture.loopback import Loopback

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>City of Example News</title><link>https://city.example</link>
<item><title>Road closure</title><link>https://city.example/news/1</link>
<guid>https://city.example/news/1</guid><pubDate>Tue, 21 Jan 2025 00:21:51 +0000</pubDate>
<description>Main St closed until 6pm.</description></item>
<item><title>Council agenda</title><link>https://city.example/news/2</link>
<guid>https://city.example/news/2</guid><pubDate>Wed, 22 Jan 2025 10:00:00 +0000</pubDate>
<description>Agenda posted.</description></item>
</channel></rss>"""

ATOM_WITH_TOMBSTONE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:at="http://purl.org/atompub/tombstones/1.0">
<title>Mayor's blog</title>
<at:deleted-entry ref="tag:city.example,2025:1" when="2025-02-03T09:00:00Z"/>
<entry><id>tag:city.example,2025:2</id><title>Parks</title><updated>2025-02-02T12:00:00Z</updated>
<content type="text">New park hours.</content><link href="https://city.example/blog/2"/></entry>
</feed>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Mayor's blog</title>
<entry><id>tag:city.example,2025:1</id><title>Budget</title><updated>2025-02-01T12:00:00Z</updated>
<content type="text">The budget workshop is Monday.</content>
<link href="https://city.example/blog/1"/></entry></feed>"""


class Feed:
    """A feed server honouring If-None-Match and If-Modified-Since."""

    def __init__(self, body: bytes, etag: str = '"v1"',
                 modified: str = "Wed, 22 Jan 2025 10:00:00 GMT") -> None:
        self.body, self.etag, self.modified = body, etag, modified

    def answer(self, method, path, query, headers):
        if headers.get("if-none-match") == self.etag or \
                headers.get("if-modified-since") == self.modified:
            return 304, {"ETag": self.etag}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": self.etag,
                     "Last-Modified": self.modified}, self.body


@pytest.fixture
def feed_account(archive):
    return archive.registry.add_account("feed", "city-news", "agency")


def test_feed_capture_reads_entries_as_the_importer_does(archive, feed_account):
    feed = Feed(RSS)
    with Loopback(feed.answer) as server, httpx.Client() as client:
        archive.capturing.configure(feed_account.id, url=f"{server.url}/news.xml")
        (report,) = archive.capturing.run(feed_account.id, client=client)
    assert report.ok and report.counts["created"] == 2
    from civicarchive.store import records
    with archive.context.read() as conn:
        keys = records.item_keys(conn, feed_account.id, [Kind.POST])
    assert [native for _, native, _ in keys] == ["https://city.example/news/1",
                                                 "https://city.example/news/2"]
    version = archive.reading.history(keys[0][0])[-1]
    assert archive.reading.content(version)["text"] == "Main St closed until 6pm."
    assert archive.reading.raw(version).startswith(b"<item>")   # the entry's own bytes


def test_feed_capture_sends_the_validators_and_a_304_adds_nothing(archive, feed_account):
    feed = Feed(RSS)
    with Loopback(feed.answer) as server, httpx.Client() as client:
        archive.capturing.configure(feed_account.id, url=f"{server.url}/news.xml")
        archive.capturing.run(feed_account.id, client=client)
        versions = archive.reading.stats()["versions"]
        (again,) = archive.capturing.run(feed_account.id, client=client)
        _, _, headers = server.requests[-1]
    assert headers["if-none-match"] == '"v1"'
    assert headers["if-modified-since"] == "Wed, 22 Jan 2025 10:00:00 GMT"
    assert again.ok and archive.reading.stats()["versions"] == versions


def test_feed_changed_entry_is_an_edit_and_a_dropped_one_is_not_deleted(archive, feed_account):
    feed = Feed(RSS)
    with Loopback(feed.answer) as server, httpx.Client() as client:
        archive.capturing.configure(feed_account.id, url=f"{server.url}/news.xml")
        archive.capturing.run(feed_account.id, client=client)
        feed.body = RSS.replace(b"Main St closed until 6pm.", b"Main St reopened.") \
            .split(b"<item><title>Council")[0] + b"</channel></rss>"
        feed.etag = '"v2"'
        feed.modified = "Thu, 23 Jan 2025 10:00:00 GMT"
        (report,) = archive.capturing.run(feed_account.id, client=client)
    assert report.counts["edited"] == 1 and report.counts["deleted"] == 0


def test_feed_tombstone_of_a_held_entry_is_a_deletion(archive, feed_account):
    feed = Feed(ATOM)
    with Loopback(feed.answer) as server, httpx.Client() as client:
        archive.capturing.configure(feed_account.id, url=f"{server.url}/atom.xml")
        archive.capturing.run(feed_account.id, client=client)
        feed.body, feed.etag = ATOM_WITH_TOMBSTONE, '"v2"'
        feed.modified = "Mon, 03 Feb 2025 09:00:00 GMT"
        (report,) = archive.capturing.run(feed_account.id, client=client)
    assert report.counts["deleted"] == 1 and report.counts["created"] == 1


def test_feed_that_is_not_a_feed_fails_the_run_naming_the_address(archive, feed_account):
    feed = Feed(b"<html><body>not a feed</body></html>")
    with Loopback(feed.answer) as server, httpx.Client() as client:
        archive.capturing.configure(feed_account.id, url=f"{server.url}/page.html")
        (report,) = archive.capturing.run(feed_account.id, client=client)
    assert not report.ok and "page.html" in report.failure["message"]


def test_feed_over_the_cap_fails_the_run_before_it_is_all_read(archive, feed_account):
    chunk, sent = b" " * (1024 * 1024), []

    def endless():   # a feed server that never stops sending
        while len(sent) < 4 * MAX_FEED_BYTES // len(chunk):
            sent.append(len(chunk))
            yield chunk
    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, headers={"content-type": "application/rss+xml"}, content=endless()))
    archive.capturing.configure(feed_account.id, url="https://city.example/news.xml")
    with httpx.Client(transport=transport) as client:
        (report,) = archive.capturing.run(feed_account.id, client=client)
    assert not report.ok and sum(sent) <= MAX_FEED_BYTES + len(chunk)   # stopped at the cap
    assert "https://city.example/news.xml" in report.failure["message"]
    assert f"{MAX_FEED_BYTES}-byte cap" in report.failure["message"]


def test_feed_moved_to_a_new_address_is_asked_without_the_old_validators(archive, feed_account):
    old, new = Feed(RSS), Feed(ATOM)   # the same ETag and date: a 304 if they were sent
    with Loopback(old.answer) as first, Loopback(new.answer) as second, \
            httpx.Client() as client:
        archive.capturing.configure(feed_account.id, url=f"{first.url}/news.xml")
        archive.capturing.run(feed_account.id, client=client)
        archive.capturing.configure(feed_account.id, url=f"{second.url}/atom.xml")
        (moved,) = archive.capturing.run(feed_account.id, client=client)
        (again,) = archive.capturing.run(feed_account.id, client=client)
        (_, _, asked), (_, _, revalidated) = second.requests
    assert "if-none-match" not in asked and "if-modified-since" not in asked
    assert moved.ok and moved.counts["created"] == 1
    assert revalidated["if-none-match"] == '"v1"' and again.counts["created"] == 0
