"""RFC 8785 (JSON Canonicalization Scheme) bytes of JSON values.

The `rfc8785` package is the reference. For the common case, objects whose keys sort the
same by UTF-16 and by code point, with no floats and only I-JSON-safe integers, orjson with
sorted keys writes the very same bytes twenty times faster; a property test holds the two
paths equal.
"""

from __future__ import annotations

import hashlib

import orjson
import rfc8785

_SAFE_INT = 2**53 - 1
# The deepest nesting of arrays and objects the archive keeps: orjson writes up to 254
# levels, rfc8785 recurses, and no platform's record comes near (a few tens at most).
MAX_NESTING = 200


def canonical_json(value: object) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    if _fast_path_safe(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(value)


def nested_too_deep(value: object, limit: int = MAX_NESTING) -> bool:
    """Whether arrays and objects nest more than `limit` levels deep in `value`."""
    containers = (dict, list, tuple)
    level = [(value, 1)] if isinstance(value, containers) else []
    while level:
        node, depth = level.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        level.extend((child, depth + 1) for child in children if isinstance(child, containers))
    return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fast_path_safe(value: object) -> bool:
    # Floats need ES6 number formatting, large ints are outside I-JSON, and keys with
    # surrogate pairs or private-use characters may sort differently in UTF-16. Scalars
    # inside containers are judged in the loop, without a call each: this runs on every
    # record an ingest writes.
    kind = type(value)
    if kind is dict:
        values = value.values()
        for key in value:
            if type(key) is not str or (not key.isascii() and max(key) >= "\ue000"):
                return False
    elif kind is list or kind is tuple:
        values = value
    elif kind is str or kind is bool or value is None:
        return True
    elif kind is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    else:
        return False
    for item in values:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -_SAFE_INT <= item <= _SAFE_INT:
                return False
        elif not _fast_path_safe(item):
            return False
    return True
