"""What Meta's "Download Your Information" exports share, Facebook's and Instagram's:
timestamps in seconds, media uris relative to the export's root, numbered files, and
entry lists inside a top-level object."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import PurePosixPath

_SPACE = re.compile(r"[ \t\n\r]*")
HASHTAG = re.compile(r"(?<!\w)#(\w+)")


def seconds(value: object) -> int:
    if type(value) is not int or value <= 0:
        raise ValueError(f"timestamp {value!r} is not a positive number of seconds")
    return value


def time_of(value: object) -> datetime:
    return datetime.fromtimestamp(seconds(value), timezone.utc)


def file_name(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def numbered(name: str) -> tuple[str, int]:
    """posts_2.json before posts_10.json."""
    match = re.search(r"^(.*?)(\d+)\.json$", name)
    return (match[1], int(match[2])) if match else (name[:-5], 0)


def locate(names: set[str], beside: str, uri: str) -> str | None:
    """The export's file for a uri, which is relative to the export's root: that root
    may be any folder above the JSON file (zips often wrap everything in one folder)."""
    for folder in reversed(PurePosixPath(beside).parents):
        candidate = uri if str(folder) == "." else f"{folder}/{uri}"
        if candidate in names:
            return candidate
    return None


def members(text: str) -> Iterator[tuple[str, int]]:
    """(key, where its value starts) for each key of the top-level object, walking the
    object itself so that a key's name inside some string is never mistaken for the key."""
    decoder = json.JSONDecoder()
    i = _SPACE.match(text, text.index("{") + 1).end()
    while text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = _SPACE.match(text, _SPACE.match(text, i).end() + 1).end()  # past the colon
        yield key, i
        _value, i = decoder.raw_decode(text, i)
        i = _SPACE.match(text, i).end()
        if text[i] == ",":
            i = _SPACE.match(text, i + 1).end()
