"""CSV and JSONL of a production: a row per version, RFC 4180 quoting, no formula a
spreadsheet would run, and JSONL that rebuilds the produced items exactly."""

from __future__ import annotations

import csv
import hashlib
import io

import orjson
import pytest

from civicarchive.exports.tabular import CSV_COLUMNS, neutralise, write_csv, write_jsonl
from civicarchive.model.production import (ProducedItem, ProducedMedia, ProducedVersion,
                                           Production, Redaction, WithheldRecord)

REASON = "personal information (RCW 42.56.230)"
WITHHELD = WithheldRecord(9, "comment", "2025-03-02T10:00:00Z", "investigative records",
                          "RCW 42.56.240")


def version(item_id: int, n: int, text: tuple, event: str = "created",
            ledger_index: int | None = None) -> ProducedVersion:
    return ProducedVersion(
        version_id=item_id * 10 + n, event=event, observed_at=f"2025-03-0{n + 1}T12:00:00Z",
        recorded_at=f"2025-03-0{n + 1}T12:00:05Z", text=text,
        content_sha256=hashlib.sha256(f"{item_id}/{n}".encode()).hexdigest(),
        raw_sha256=hashlib.sha256(f"raw {item_id}/{n}".encode()).hexdigest(),
        ledger_index=100 + item_id * 10 + n if ledger_index is None else ledger_index,
        source="test")


def item(item_id: int, text: str | tuple, kind: str = "post", **fields) -> ProducedItem:
    versions = fields.pop("versions", None) or (
        version(item_id, 0, (text,) if isinstance(text, str) else text),)
    return ProducedItem(
        item_id=item_id, platform="facebook", account="cityhall", kind=kind,
        native_id=f"native{item_id}", url=f"https://facebook.com/cityhall/posts/{item_id}",
        author=fields.pop("author", f"author{item_id}"), created_at="2025-03-01T09:00:00Z",
        first_seen_at="2025-03-01T09:00:30Z", versions=versions,
        deleted=fields.pop("deleted", False), hidden=fields.pop("hidden", False), **fields)


def production(items, withheld=()) -> Production:
    return Production(agency="City of Example", title="Request R-2026-0007, production 1",
                      prefix="CITY-", first_number=1, produced_at="2026-01-15T09:00:00Z",
                      items=tuple(items), withheld=tuple(withheld))


@pytest.fixture
def sample() -> tuple[Production, dict[int, tuple[str, str]]]:
    edits = (version(1, 0, ("first draft",)),
             version(1, 1, ("call ", Redaction(REASON), " today"), "edited"))
    reply = item(3, "a reply", "reply")
    thread = (item(2, "a comment", "comment", hidden=True, thread=(reply,)), WITHHELD)
    media = (ProducedMedia("plan.png", "image/png", b"\x89PNG fake"),
             ProducedMedia("minor.jpg", "image/jpeg", None, withheld_reason=REASON),
             ProducedMedia("lost.gif", "image/gif", None))
    prod = production([item(1, "", versions=edits, thread=thread, media=media, deleted=True),
                       item(4, "second post")], withheld=(WITHHELD,))
    ranges = {1: ("CITY-000001", "CITY-000002"), 2: ("CITY-000002", "CITY-000002"),
              3: ("CITY-000002", "CITY-000002"), 4: ("CITY-000003", "CITY-000003")}
    return prod, ranges


def csv_text(prod: Production, ranges) -> str:
    out = io.StringIO(newline="")
    write_csv(prod, ranges, out)
    return out.getvalue()


def csv_rows(prod: Production, ranges) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(csv_text(prod, ranges), newline=""))
    header, *rows = list(reader)
    assert tuple(header) == CSV_COLUMNS
    return [dict(zip(header, row)) for row in rows]


def test_write_csv_writes_a_row_per_version_with_thread_rows(sample):
    prod, ranges = sample
    rows = csv_rows(prod, ranges)
    assert [(r["item_id"], r["version_id"], r["parent_item_id"]) for r in rows] == [
        ("1", "10", ""), ("1", "11", ""), ("2", "20", "1"), ("3", "30", "2"), ("4", "40", "")]
    first, edited, comment, reply, second = rows
    assert first["text"] == "first draft" and first["event"] == "created"
    assert edited["text"] == f"call [REDACTED: {REASON}] today"
    assert edited["event"] == "edited" and edited["ledger_index"] == "111"
    assert edited["content_sha256"] == prod.items[0].versions[1].content_sha256
    assert (first["begin_number"], first["end_number"]) == ("CITY-000001", "CITY-000002")
    assert (reply["begin_number"], reply["kind"]) == ("CITY-000002", "reply")
    assert (first["deleted"], first["hidden"]) == ("true", "false")
    assert (comment["deleted"], comment["hidden"]) == ("false", "true")
    assert first["media"] == f"plan.png; minor.jpg [WITHHELD: {REASON}]; lost.gif"
    assert second["media"] == "" and second["url"] == "https://facebook.com/cityhall/posts/4"
    assert all(str(WITHHELD.item_id) != r["item_id"] for r in rows)  # the log is elsewhere


def test_write_csv_returns_the_rows_written_and_ends_lines_with_crlf(sample):
    prod, ranges = sample
    out = io.StringIO(newline="")
    assert write_csv(prod, ranges, out) == 5
    text = out.getvalue()
    assert text.endswith("\r\n") and text.count("\r\n") == 6 and "\n" not in text.replace(
        "\r\n", "")


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_write_csv_neutralises_a_cell_starting_with_a_formula_trigger(trigger):
    payload = f"{trigger}HYPERLINK(\"http://evil.example\",\"click\")"
    prod = production([item(1, payload, author=payload)])
    row, = csv_rows(prod, {1: (f"{trigger}CITY-000001", "CITY-000001")})
    assert row["text"] == "'" + payload
    assert row["author"] == "'" + payload
    assert row["begin_number"] == f"'{trigger}CITY-000001"  # whatever the cell's source
    assert row["end_number"] == "CITY-000001"


def test_write_csv_leaves_ordinary_text_and_archive_numbers_alone():
    texts = ["hello = world", "'quoted already", "1+1", "", " =leading space", "5 - 3"]
    items = [item(n, text) for n, text in enumerate(texts, start=1)]
    # An archive-assigned number is an int, written as a number, never apostrophed.
    items.append(item(99, "-5 degrees", versions=(version(99, 0, ("-5 degrees",),
                                                          ledger_index=-5),)))
    rows = csv_rows(production(items), {})
    assert [r["text"] for r in rows] == texts + ["'-5 degrees"]
    assert rows[-1]["ledger_index"] == "-5" and rows[-1]["item_id"] == "99"
    assert rows[0]["begin_number"] == "" and rows[0]["end_number"] == ""  # not in ranges
    assert neutralise("plain") == "plain" and neutralise("") == ""


def test_write_csv_quotes_commas_quotes_and_newlines_per_rfc_4180():
    awkward = 'Budget, "final" version\r\nline two\nline three, "end"'
    prod = production([item(1, awkward, author='Smith, "Jo"')])
    text = csv_text(prod, {1: ("CITY-000001", "CITY-000001")})
    assert '"Budget, ""final"" version\r\nline two\nline three, ""end"""' in text
    assert ',"Smith, ""Jo""",' in text
    row, = csv_rows(prod, {1: ("CITY-000001", "CITY-000001")})
    assert row["text"] == awkward and row["author"] == 'Smith, "Jo"'


def segments_from(text: list) -> tuple:
    return tuple(s if isinstance(s, str) else Redaction(s["redacted"]) for s in text)


def item_from(doc: dict, media: tuple[ProducedMedia, ...]) -> ProducedItem:
    """Rebuild a ProducedItem from its JSONL object (media are passed in: never exported)."""
    thread = tuple(WithheldRecord(**e["withheld"]) if "withheld" in e else item_from(e, ())
                   for e in doc["thread"])
    versions = tuple(ProducedVersion(**{**v, "text": segments_from(v["text"])})
                     for v in doc["versions"])
    fields = {k: v for k, v in doc.items() if k not in (
        "thread", "versions", "media", "begin_number", "end_number", "redacted_fields")}
    return ProducedItem(**fields, versions=versions, media=media, thread=thread)


def test_write_jsonl_round_trips_every_item_and_the_withheld_log(sample):
    prod, ranges = sample
    out = io.BytesIO()
    assert write_jsonl(prod, ranges, out) == 3
    lines = out.getvalue().splitlines()
    docs = [orjson.loads(line) for line in lines]
    for line, doc in zip(lines, docs):
        assert line == orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)  # sorted keys
    *items, log = docs
    assert [item_from(doc, original.media) for doc, original in zip(items, prod.items)] \
        == list(prod.items)
    assert log == {"withheld": [{"item_id": 9, "kind": "comment",
                                 "created_at": "2025-03-02T10:00:00Z",
                                 "exemption": "investigative records",
                                 "citation": "RCW 42.56.240"}]}
    first = items[0]
    assert (first["begin_number"], first["end_number"]) == ("CITY-000001", "CITY-000002")
    assert first["thread"][0]["thread"][0]["begin_number"] == "CITY-000002"
    assert first["thread"][1] == {"withheld": log["withheld"][0]}
    assert first["versions"][1]["text"] == ["call ", {"redacted": REASON}, " today"]


def test_write_jsonl_describes_media_without_their_bytes(sample):
    prod, ranges = sample
    out = io.BytesIO()
    write_jsonl(prod, ranges, out)
    assert b"PNG fake" not in out.getvalue()
    media = orjson.loads(out.getvalue().splitlines()[0])["media"]
    assert media == [
        {"name": "plan.png", "media_type": "image/png", "size": 9,
         "sha256": hashlib.sha256(b"\x89PNG fake").hexdigest(), "withheld_reason": None},
        {"name": "minor.jpg", "media_type": "image/jpeg", "size": None, "sha256": None,
         "withheld_reason": REASON},
        {"name": "lost.gif", "media_type": "image/gif", "size": None, "sha256": None,
         "withheld_reason": None}]


def test_write_jsonl_without_ranges_or_withheld_records_writes_nulls_and_an_empty_log():
    out = io.BytesIO()
    assert write_jsonl(production([item(1, "hello")]), {}, out) == 2
    first, log = (orjson.loads(line) for line in out.getvalue().splitlines())
    assert first["begin_number"] is None and first["end_number"] is None
    assert log == {"withheld": []}
