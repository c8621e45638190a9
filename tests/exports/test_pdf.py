"""PDF production: a number on every page, item ranges that match the pages, every marker,
reason and unredacted word shown, nothing else in the metadata."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib

import pytest
from pypdf import PdfReader

from civicarchive.exports.pdf import render_production
from civicarchive.model.production import (ProducedItem, ProducedMedia, ProducedVersion,
                                           Production, Redaction, WithheldRecord,
                                           production_number)

WORDS = ("council budget parks library water main avenue permit summer reading crews "
         "closure meeting tuesday residents comment online").split()
REASON = "personal information (RCW 42.56.230)"


def png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def version(item_id: int, n: int, text: tuple, event: str = "created") -> ProducedVersion:
    return ProducedVersion(
        version_id=item_id * 10 + n, event=event, observed_at=f"2025-03-0{n + 1}T12:00:00Z",
        recorded_at=f"2025-03-0{n + 1}T12:00:05Z", text=text,
        content_sha256=hashlib.sha256(f"{item_id}/{n}".encode()).hexdigest(),
        raw_sha256=hashlib.sha256(f"raw {item_id}/{n}".encode()).hexdigest(),
        ledger_index=50_000 + item_id * 10 + n, source="test")


def item(item_id: int, text: tuple | str, kind: str = "post", **fields) -> ProducedItem:
    versions = fields.pop("versions", None) or (
        version(item_id, 0, (text,) if isinstance(text, str) else text),)
    return ProducedItem(
        item_id=item_id, platform="facebook", account="cityhall", kind=kind,
        native_id=f"native{item_id}", url=f"https://facebook.com/cityhall/posts/{item_id}",
        author=f"author{item_id}", created_at="2025-03-01T09:00:00Z",
        first_seen_at="2025-03-01T09:00:30Z", versions=versions,
        deleted=fields.pop("deleted", False), hidden=fields.pop("hidden", False), **fields)


def words(seed: int, count: int) -> str:
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(count))


def production(items, withheld=(), first_number: int = 1, prefix: str = "CITY-") -> Production:
    return Production(agency="City of Example", title="Request R-2026-0007, production 1",
                      prefix=prefix, first_number=first_number,
                      produced_at="2026-01-15T09:00:00Z", items=tuple(items),
                      withheld=tuple(withheld))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def flow():
    """Many short items, one item longer than two pages, threads, a withheld log; with
    each page's text, extracted once for the tests that read it (pypdf takes seconds)."""
    withheld = WithheldRecord(990, "comment", "2025-03-02T10:00:00Z", "personal information",
                              "RCW 42.56.230")
    items = []
    for n in range(1, 61):
        thread = ()
        if n % 4 == 0:
            thread = (item(1000 + n, words(n, 12), "comment"),
                      item(2000 + n, words(n + 1, 40), "comment"))
        if n == 20:
            thread = (*thread, withheld)
        text = words(n, 2500 if n == 9 else 10 + (n * 13) % 50)
        items.append(item(n, text, thread=thread))
    prod = production(items, withheld=(withheld,), first_number=999_998)
    rendered = render_production(prod)
    return prod, rendered, page_texts(rendered.pdf)


def subtree(produced: ProducedItem) -> list[ProducedItem]:
    return [produced] + [d for e in produced.thread if isinstance(e, ProducedItem)
                         for d in subtree(e)]


def test_render_production_numbers_every_page_from_first_number(flow):
    prod, rendered, texts = flow
    assert rendered.pages == len(texts) >= 4
    for index, text in enumerate(texts):
        number = production_number(prod.prefix, prod.first_number + index)
        assert re.search(rf"(^|\s){re.escape(number)}(\s|$)", text), (index, text[-200:])
    assert "CITY-999998" in texts[0] and "CITY-1000000" in texts[2]  # pads to 6, then grows


def test_render_production_ranges_match_the_pages_each_item_is_on(flow):
    prod, rendered, texts = flow

    def pages_with(pattern: str) -> list[int]:
        return [i for i, text in enumerate(texts) if re.search(pattern, text)]

    everything = [d for top in prod.items for d in subtree(top)]
    assert set(rendered.ranges) == {d.item_id for d in everything}
    for produced in everything:
        first = min(pages_with(rf"\bauthor{produced.item_id}\b"))
        # A card ends with its ledger index; a thread follows its parent's card.
        last = max(p for d in subtree(produced)
                   for p in pages_with(rf"#{d.versions[-1].ledger_index}\b"))
        assert rendered.ranges[produced.item_id] == (
            production_number(prod.prefix, prod.first_number + first),
            production_number(prod.prefix, prod.first_number + last)), produced.item_id
    long_first, long_last = rendered.ranges[9]
    assert int(long_last[5:]) - int(long_first[5:]) >= 2  # spans at least three pages
    # Some card starts on a fresh page: the case where the card before it (and its thread)
    # ends a page earlier. Cards in document order; a card's own thread is not "after" it.
    after = [(a, b) for a, b in zip(everything, everything[1:]) if b not in subtree(a)]
    assert any(int(rendered.ranges[a.item_id][1][5:]) < int(rendered.ranges[b.item_id][0][5:])
               for a, b in after)


def test_render_production_last_item_ends_on_the_last_page_without_withheld_log():
    prod = production([item(1, words(1, 20)), item(2, words(2, 900))])
    rendered = render_production(prod)
    assert rendered.pages >= 2
    assert rendered.ranges == {1: ("CITY-000001", "CITY-000001"),
                               2: ("CITY-000001", production_number("CITY-", rendered.pages))}


def test_render_production_shows_markers_reasons_and_withheld_entries():
    withheld = WithheldRecord(7, "comment", "2025-03-02T10:00:00Z", "investigative records",
                              "RCW 42.56.240")
    thread = (item(4, "thanks for the update", "comment", hidden=True), withheld)
    prod = production([
        item(1, ("call me at ", Redaction(REASON), " tomorrow"), deleted=True, thread=thread),
        item(2, "photo attached", media=(
            ProducedMedia("plan.png", "image/png", png()),
            ProducedMedia("minor.jpg", "image/jpeg", None, withheld_reason=REASON),
            ProducedMedia("clip.mp4", "video/mp4", b"\x00video"),
            ProducedMedia("lost.gif", "image/gif", None))),
    ], withheld=(withheld,))
    rendered = render_production(prod)
    text = " ".join(" ".join(page_texts(rendered.pdf)).split())
    assert "Deleted" in text and "Hidden" in text  # words, not colour alone
    assert f"call me at REDACTED: {REASON} tomorrow" in text
    assert "Comment withheld: investigative records (RCW 42.56.240)" in text
    assert f"Withheld: {REASON} (minor.jpg)" in text
    clip = hashlib.sha256(b"\x00video").hexdigest()
    assert f"clip.mp4 (video/mp4, 6 bytes, sha256 {clip})" in text
    assert "lost.gif (image/gif, not captured)" in text
    assert "Withheld records" in text and "7 comment 2025-03-02T10:00:00Z investigative " \
        "records RCW 42.56.240" in text
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert sum(len(page.images) for page in reader.pages) == 1  # the PNG, embedded
    assert rendered.ranges == {1: ("CITY-000001", "CITY-000001"),
                               4: ("CITY-000001", "CITY-000001"),
                               2: ("CITY-000001", "CITY-000001")}


def test_render_production_shows_every_unredacted_word_and_only_the_title_as_metadata():
    segments = (words(3, 30), Redaction(REASON), words(5, 25))
    edited = (version(1, 0, ("first draft with a typo",)),
              version(1, 1, ("second draft, corrected",), "edited"),
              version(1, 2, segments, "edited"))
    prod = production([item(1, "", versions=edited),
                       item(2, "<b>not bold</b> & <script>alert(1)</script>\nnext line",
                            thread=(item(3, words(8, 40), "comment"),))])
    rendered = render_production(prod)
    text = " ".join(" ".join(page_texts(rendered.pdf)).split())
    shown = set(text.split())
    for produced in (prod.items[0], prod.items[1], prod.items[1].thread[0]):
        for v in produced.versions:
            for segment in v.text:
                if isinstance(segment, str):
                    assert set(segment.split()) <= shown, segment
            # Every version's facts are on the card: sha256, ledger index, capture time.
            assert v.content_sha256 in text and f"#{v.ledger_index}" in text
            assert v.observed_at in text
    assert "<b>not bold</b> & <script>alert(1)</script>" in text  # escaped, shown as text
    for fact in ("facebook", "@cityhall", "native2", "https://facebook.com/cityhall/posts/2",
                 "author3", "1 March 2025 at 09:00 UTC",  # created_at, as Facebook shows it
                 "first seen 2025-03-01T09:00:30Z"):
        assert fact in text
    metadata = PdfReader(io.BytesIO(rendered.pdf)).metadata
    assert metadata.title == prod.title
    assert set(metadata) <= {"/Title", "/Producer", "/Creator", "/CreationDate", "/ModDate"}


def test_render_production_prefix_is_text_not_css():
    prefix = 'FIRST $first A"B\\ }</style>-'
    rendered = render_production(production([item(1, "hello")], prefix=prefix,
                                            first_number=42))
    assert f"{prefix}000042" in page_texts(rendered.pdf)[0]
    assert rendered.ranges == {1: (f"{prefix}000042",) * 2}


def test_render_production_of_nothing_is_one_numbered_page():
    rendered = render_production(production([], first_number=7))
    assert rendered.pages == 1 and rendered.ranges == {}
    assert "CITY-000007" in page_texts(rendered.pdf)[0]
