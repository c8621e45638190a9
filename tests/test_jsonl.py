"""The generic JSONL reader on bad input: each problem is one line naming the file and
the line, and nothing is read from a file with one."""

from __future__ import annotations

import json

import pytest

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
