"""What Meta's "Download Your Information" exports share, Facebook's and Instagram's:
timestamps in seconds, media uris relative to the export's root, numbered files, and
entry lists inside a top-level object."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import PurePosixPath

from civicarchive.errors import InvalidInput

_SPACE = re.compile(r"[ \t\n\r]*")
HASHTAG = re.compile(r"(?<!\w)#(\w+)")
# The folders of "Download Your Information" exports, today's and older ones': an export
# with web pages in them and no JSON anywhere was asked for in HTML, which holds the same
# records as pages and nothing a program can read faithfully.
FOLDERS = frozenset({
    "your_facebook_activity", "your_instagram_activity", "personal_information",
    "logged_information", "connections", "ads_information", "security_and_login_information",
    "preferences", "apps_and_websites_off_of_facebook", "posts", "comments",
    "comments_and_reactions", "messages", "photos_and_videos", "profile_information",
    "media", "content", "inbox"})


def html_format(names: Iterable[str]) -> str | None:
    """"instagram" or "facebook" when these are the files of a Meta export downloaded in
    HTML format; None otherwise."""
    pages = False
    instagram = False
    for name in names:
        path = PurePosixPath(name)
        if path.suffix.lower() == ".json":
            return None
        instagram = instagram or "your_instagram_activity" in path.parts[:-1] or \
            path.name.lower() == "instagram.html"
        pages = pages or (path.suffix.lower() in (".html", ".htm") and
                          not FOLDERS.isdisjoint(p.lower() for p in path.parts[:-1]))
    return ("instagram" if instagram else "facebook") if pages else None


def refuse_html(names: Iterable[str], where: object) -> None:
    """InvalidInput, saying what to do, for an export downloaded in HTML format."""
    platform = html_format(names)
    if platform is not None:
        name, site = ("an Instagram", "Accounts Center") if platform == "instagram" else \
            ("a Facebook", "Download Your Information")
        raise InvalidInput(
            f"{where}: this is {name} export in HTML format (web pages and no JSON files), "
            "which civicarchive cannot read faithfully; nothing was imported. Request the "
            f"download again ({site}), choosing Format: JSON, and import that",
            parameter="path")


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
