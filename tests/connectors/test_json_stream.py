"""Reading a JSON array from a stream, one element at a time, with exact bytes."""

from __future__ import annotations

import io
import json

import pytest

from civicarchive.connectors import json_stream
from civicarchive.connectors.base import json_array_items
from civicarchive.connectors.json_stream import ArrayReader, DamagedArray, value_offset

DOCUMENTS = [[], [1], [{"a": "x}\"\n  }", "b": [1, {"c": None}]}, 2, "s\\\"", True, None, [[]]],
             [{"y": "é🎉", "z": "\\u00e9 \\/"}, {"w": [[], {}]}]]
LAYOUTS = [lambda d: json.dumps(d), lambda d: json.dumps(d, indent=2, ensure_ascii=False),
           lambda d: json.dumps(d, indent=2, separators=(",", " : ")).replace("\n", "\r\n")]


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_array_reader_yields_each_element_with_its_exact_bytes(document, layout, chunk,
                                                               monkeypatch):
    monkeypatch.setattr(json_stream, "CHUNK", chunk)
    data = layout(document).encode("utf-8")
    elements = list(ArrayReader(io.BytesIO(data)).elements())
    assert [e.value for e in elements] == document
    for element in elements:
        assert data[element.offset:element.offset + len(element.raw)] == element.raw
        assert json.loads(element.raw) == document[element.index] and element.error is None


def test_array_reader_steps_over_a_bad_element_and_counts_deep_nesting_without_recursion():
    data = b'[{"a": ok}, ' + b"[" * 100_000 + b"]" * 100_000 + b', {"b": 1}]'
    bad, deep, good = ArrayReader(io.BytesIO(data)).elements()
    assert bad.value is None and "expected a JSON value" in bad.error
    assert (deep.offset, deep.value, len(deep.raw)) == (12, None, 200_000)
    assert deep.error.startswith("depth limit exceeded")
    assert good.value == {"b": 1}


@pytest.mark.parametrize("data,message", [
    (b'[{"a": 1}, {"b": 2', r"entry 1 \(byte 11\) is not closed .* cut short"),
    (b'[{"a": 1}', r"ends before it is closed, after entry 0 \(byte 9\)"),
    (b"[1 2]", r"expected `,` or `\]` after entry 0 \(byte 3\), found b'2'"),
    (b'{"a": 1}', r"expected a JSON array `\[` at byte 0"),
])
def test_array_reader_names_the_place_where_the_array_is_damaged(data, message):
    with pytest.raises(DamagedArray, match=message):
        list(ArrayReader(io.BytesIO(data)).elements())


def test_value_offset_finds_a_nested_array_for_its_elements_exact_bytes():
    data = json.dumps({"wrap": {"id": "1", "list": [{"m": 1}, {"m": "]"}]}}, indent=2).encode()
    start = value_offset(data, ("wrap", "list"))
    raws = [e.raw for e in ArrayReader.of_bytes(data, start).elements()]
    assert [json.loads(r) for r in raws] == [{"m": 1}, {"m": "]"}]
    assert all(r in data for r in raws)
    with pytest.raises(KeyError):
        value_offset(data, ("wrap", "missing"))


def test_json_array_items_reports_deep_nesting_as_a_value_error():
    text = "[" + "[" * 100_000 + "]" * 100_000 + "]"
    with pytest.raises(ValueError, match="nested too deeply to read, in the entry at "
                                         "character 1"):
        list(json_array_items(text))
