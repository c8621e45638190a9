"""The fast canonical JSON path writes exactly what the RFC 8785 reference writes."""

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.store.canonical import canonical_json
from civicarchive.store.entries import version_entry_of

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20)


@given(json_values)
def test_canonical_json_equals_rfc8785_reference(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_canonical_json_sorts_keys_by_utf16_code_units():
    # U+1F600 is a surrogate pair (D83D...) in UTF-16 and sorts before U+E000 there,
    # though after it by code point.
    value = {"\ue000": 1, "\U0001f600": 2}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index("😀".encode()) < canonical_json(value).index(
        "\ue000".encode())


@given(st.text(), st.text(), st.none() | st.text(), st.integers(0, 2**53 - 1),
       st.binary(min_size=32, max_size=32))
def test_version_entry_is_rfc8785_canonical(native_id, source, author, number, digest):
    row = (None, number, number, "created", "2025-01-01T00:00:00.000000Z",
           "2025-01-01T00:00:00.000000Z", digest, digest[::-1], source, 1, native_id, "post",
           None, author, None, "2025-01-01T00:00:00.000000Z", "x")
    expected = {"type": "version", "version": number, "item": number, "account": 1,
                "platform": "x", "native_id": native_id, "kind": "post",
                "parent_native_id": None, "author": author, "url": None,
                "created_at": "2025-01-01T00:00:00.000000Z", "event": "created",
                "observed_at": "2025-01-01T00:00:00.000000Z",
                "recorded_at": "2025-01-01T00:00:00.000000Z", "content_sha256": digest.hex(),
                "raw_sha256": digest[::-1].hex(), "source": source}
    assert version_entry_of(row) == rfc8785.dumps(expected)
