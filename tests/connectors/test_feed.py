"""RSS and Atom feed files."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.feed import FeedImporter
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>City of Example News</title><link>https://city.example</link>
<item><title>Road closure</title><link>https://city.example/news/1</link>
<guid>https://city.example/news/1</guid><pubDate>Tue, 21 Jan 2025 00:21:51 +0000</pubDate>
<description>Main St closed until 6pm. Caf\u00e9 open.</description><category>roads</category></item>
<item><title>Council agenda</title><link>https://city.example/news/2</link>
<pubDate>Wed, 22 Jan 2025 10:00:00 +0000</pubDate><description>Agenda posted.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Mayor's blog</title>
<entry><id>tag:city.example,2025:1</id><title>Budget</title><updated>2025-02-01T12:00:00Z</updated>
<published>2025-02-01T11:00:00Z</published><author><name>Mayor Jane</name></author>
<content type="html">&lt;p&gt;The budget workshop is Monday.&lt;/p&gt;</content>
<link href="https://city.example/blog/1"/></entry></feed>"""


def read(tmp_path, text, name="feed.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    context = ImportContext(1, datetime(2025, 3, 1, tzinfo=timezone.utc))
    with ExportFiles.open(path) as files:
        importer = FeedImporter()
        assert importer.detect(files)
        return list(importer.read(files, context)), context


def test_feed_rss_items_become_posts_with_their_own_bytes(tmp_path):
    observations, context = read(tmp_path, RSS)
    first, second = observations
    assert (first.native_id, first.kind) == ("https://city.example/news/1", Kind.POST)
    assert second.native_id == "https://city.example/news/2"  # link when there is no guid
    assert first.content["text"] == "Main St closed until 6pm. Café open."
    assert first.content["tags"] == ["roads"] and first.author == "City of Example News"
    assert first.created_at == datetime(2025, 1, 21, 0, 21, 51, tzinfo=timezone.utc)
    assert first.raw.startswith(b"<item>") and b"Road closure" in first.raw
    assert b"Council agenda" not in first.raw
    assert context.complete_kinds == set() and context.problems == []


def test_feed_atom_entries(tmp_path):
    [entry], _ = read(tmp_path, ATOM)
    assert entry.native_id == "tag:city.example,2025:1" and entry.author == "Mayor Jane"
    assert "budget workshop" in entry.content["text"] and entry.url == "https://city.example/blog/1"
    assert entry.raw.startswith(b"<entry>")


def test_feed_detect_says_no_to_other_files(tmp_path):
    path = tmp_path / "outbox.json"
    path.write_text('{"orderedItems": []}')
    with ExportFiles.open(path) as files:
        assert not FeedImporter().detect(files)


def test_feed_unreadable_feed_names_the_file(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<rss version='2.0'><chan")
    context = ImportContext(1, datetime(2025, 3, 1, tzinfo=timezone.utc))
    with ExportFiles.open(path) as files, pytest.raises(InvalidInput, match="broken.xml"):
        list(FeedImporter().read(files, context))


def test_feed_damaged_feed_imports_what_it_can_and_says_so(tmp_path):
    observations, context = read(tmp_path, RSS.replace("</channel></rss>", "<item><title>x"))
    assert len(observations) == 2
    assert "not well-formed" in context.problems[0].what
