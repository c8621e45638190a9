"""The generic JSONL reader on bad input: each problem is one line naming the file and
the line, and nothing is read from a file with one."""

from __future__ import annotations

import json

import pytest

from civicarchive.connectors import jsonl
from civicarchive.connectors.jsonl import check_jsonl, read_jsonl
from civicarchive.errors import MalformedLine


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
