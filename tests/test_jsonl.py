"""The generic JSONL reader on bad input: each problem is one line naming the file and
the line, and nothing is read from a file with one."""

from __future__ import annotations

import json

import pytest

from civicarchive.connectors import jsonl
from civicarchive.connectors.jsonl import check_jsonl, read_jsonl
from civicarchive.errors import InvalidInput, MalformedLine


def line(**fields) -> str:
    record = {"native_id": "1", "kind": "post", "created_at": "2025-01-01T00:00:00Z",
              "observed_at": "2025-01-02T00:00:00Z", "author": "city", "text": "hi"}
    return json.dumps(record | fields)


@pytest.mark.parametrize("field,moment", [
    ("created_at", "9999-12-31T23:59:59-14:00"), ("observed_at", "0001-01-01T00:00:00+01:00")])
def test_jsonl_time_out_of_range_in_utc_is_a_malformed_line(tmp_path, field, moment):
    path = tmp_path / "in.jsonl"
    path.write_text(line() + "\n" + line(**{field: moment}) + "\n")
    [problem] = check_jsonl(path, 1)
    assert (problem.path, problem.line) == (str(path), 2)
    assert field in problem.reason and "UTC" in problem.reason
    with pytest.raises(MalformedLine, match=r"in\.jsonl:2: bad time"):
        list(read_jsonl(path, 1))


def _nested(levels: int) -> object:
    value: object = "deep"
    for n in range(levels - 1):
        value = [value] if n % 2 else {"k": value}
    return value


def test_jsonl_nesting_deeper_than_the_archive_keeps_is_a_malformed_line(tmp_path):
    # orjson reads 1,024 levels but writes 254: such a line passed the check, then the
    # ingest died in its worker with "Recursion limit reached" and a traceback.
    from civicarchive.store.canonical import MAX_NESTING, canonical_json
    path = tmp_path / "in.jsonl"
    kept, deep = _nested(MAX_NESTING - 1), _nested(MAX_NESTING + 50)
    wide = [[n] for n in range(MAX_NESTING * 2)]  # many brackets, shallow: kept
    path.write_text("\n".join([line(extra=kept), line(native_id="2", extra=deep),
                               line(native_id="3", extra=wide)]) + "\n")
    [problem] = check_jsonl(path, 1)
    assert problem.line == 2 and f"more than {MAX_NESTING} levels" in problem.reason
    canonical_json({"extra": kept, "text": "hi"})  # what is kept can be written


def test_jsonl_line_over_the_cap_is_refused_and_the_next_lines_still_count(tmp_path):
    path = tmp_path / "big.jsonl"
    long = line(text="x" * 500)
    path.write_text(line() + "\n" + long + "\n\n" + line(native_id=2, kind="nope") + "\n")
    first, second = check_jsonl(path, 1, max_line_bytes=200)
    assert first.line == 2 and "longer than 200 bytes" in first.reason
    assert second.line == 4 and "kind" in second.reason  # numbering survives the skip
    with pytest.raises(MalformedLine, match=r"big\.jsonl:2: the line is longer"):
        list(read_jsonl(path, 1, max_line_bytes=200))


def test_jsonl_line_of_exactly_the_cap_is_read(tmp_path):
    path = tmp_path / "edge.jsonl"
    text = line()
    path.write_text(text + "\n")
    assert check_jsonl(path, 1, max_line_bytes=len(text) + 1) == []
    [observation] = read_jsonl(path, 1, max_line_bytes=len(text) + 1)
    assert observation.raw == text.encode()
    assert "longer" in check_jsonl(path, 1, max_line_bytes=len(text))[0].reason


def test_jsonl_last_line_over_the_cap_without_a_line_break(tmp_path):
    path = tmp_path / "tail.jsonl"
    path.write_text(line() + "\n" + line(text="y" * 300))
    [problem] = check_jsonl(path, 1, max_line_bytes=200)
    assert problem.line == 2


@pytest.mark.parametrize("split_bytes", [1, 10**9])   # two processes, one
def test_jsonl_check_in_two_halves_finds_every_line_where_it_is(tmp_path, monkeypatch,
                                                                split_bytes):
    monkeypatch.setattr(jsonl, "SPLIT_BYTES", split_bytes)
    rows = [line(native_id=n) for n in range(400)]
    bad = {3: line(kind="nope"), 150: "{not json", 201: "", 202: line(text="z" * 500),
           399: line(author=None)}
    for number, text in bad.items():
        rows[number - 1] = text
    path = tmp_path / "halves.jsonl"
    path.write_text("\r\n".join(rows))   # no line break at the end
    problems = check_jsonl(path, 1, max_line_bytes=400)
    assert [p.line for p in problems] == [3, 150, 202, 399]
    assert "longer" in problems[2].reason and "author" in problems[3].reason
    assert [p.line for p in check_jsonl(path, 1, limit=3, max_line_bytes=400)] == [3, 150, 202]


def test_jsonl_check_halfway_point_is_a_line_start(tmp_path, monkeypatch):
    path = tmp_path / "split.jsonl"
    path.write_bytes(b"a" * 10 + b"\n" + b"b" * 20 + b"\n" + b"c" * 5 + b"\n")
    assert jsonl._halfway(path) is None   # too small
    monkeypatch.setattr(jsonl, "SPLIT_BYTES", 1)
    assert jsonl._halfway(path) == (32, 2)   # past the middle, after the second line


def test_jsonl_starting_with_a_utf8_byte_order_mark_is_read_without_it(tmp_path):
    # Windows editors and spreadsheets save UTF-8 with a byte order mark; it marks the
    # file's encoding and is no part of the first line's record.
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line().encode() + b"\n" + line(native_id="2").encode())
    assert check_jsonl(path, 1) == []
    first, second = read_jsonl(path, 1)
    assert first.raw == line().encode() and first.native_id == "1"
    assert second.native_id == "2"


@pytest.mark.parametrize("name,head,said", [
    ("in.jsonl.gz", b"\x1f\x8b\x08\x00", "compressed with gzip"),
    ("in.jsonl.bz2", b"BZh91AY&SY", "compressed with bzip2"),
    ("in.jsonl.xz", b"\xfd7zXZ\x00\x00", "compressed with xz"),
    ("in.jsonl.zst", b"\x28\xb5\x2f\xfd\x00", "compressed with zstd"),
    ("in.zip", b"PK\x03\x04\x14\x00", "a zip archive"),
    ("utf16.jsonl", "\ufeff{}\n".encode("utf-16-le"), "UTF-16"),
    ("utf16be.jsonl", "\ufeff{}\n".encode("utf-16-be"), "UTF-16"),
    ("utf16-no-mark.jsonl", "{}\n".encode("utf-16-le"), "UTF-16"),
    ("utf32.jsonl", "\ufeff{}\n".encode("utf-32-le"), "UTF-32"),
])
def test_jsonl_that_is_compressed_or_not_utf8_is_refused_once_saying_what_it_is(
        tmp_path, name, head, said):
    # Before, each line was "not valid JSON (str is not valid UTF-8: surrogates not
    # allowed)", twenty times over, which says nothing of the file.
    path = tmp_path / name
    path.write_bytes(head + b"\n" * 3)
    with pytest.raises(InvalidInput, match=said) as refused:
        check_jsonl(path, 1)
    assert not isinstance(refused.value, MalformedLine) and name in str(refused.value)
    with pytest.raises(InvalidInput, match=said):
        list(read_jsonl(path, 1))


def test_jsonl_a_key_twice_in_one_object_is_a_malformed_line(tmp_path):
    # The parser kept the last value: the record lost the words of the first, and with
    # native_id twice which record a line is of could not be told.
    path = tmp_path / "in.jsonl"
    twice = line()[:-1] + ', "text": "bye"}'
    nested = line(media={"alt": "a park", "url": "u"}).replace('"url"', '"alt": "a pool", "url"')
    quoted = line(text='he said "stop": twice', note={"a": 'x": y'})  # `":` inside strings
    path.write_text("\n".join([twice, nested, quoted, line(native_id="4")]) + "\n")
    first, second = check_jsonl(path, 1)
    assert (first.line, first.reason) == (1, "the key 'text' appears twice in one object; "
                                              "which value is meant cannot be told")
    assert second.line == 2 and "'alt' appears twice" in second.reason


@pytest.mark.parametrize("number", ["9007199254740993", "-9007199254740993",
                                    "18446744073709551617", "123456789012345678901234567890"])
def test_jsonl_an_integer_canonical_json_cannot_keep_is_a_malformed_line(tmp_path, number):
    # One beyond 2**53 passed the check and stopped the ingest halfway ("exceeds safe
    # integer domain"); one beyond 64 bits became a float, its last digits lost.
    path = tmp_path / "in.jsonl"
    kept = line(native_id=1881000000000000001, tweet_id="12345678901234567890123",
                likes=9007199254740991, mass=1e20)
    lost = line(native_id=1881000000000000002)[:-1] + f', "count": {{"n": [{number}]}}}}'
    path.write_text(kept + "\n" + lost + "\n")
    [problem] = check_jsonl(path, 1)
    assert problem.line == 2 and problem.reason.startswith(
        "the integer ") and "write it as a string" in problem.reason
    assert number[:12] in problem.reason
