"""What the attachments of a Facebook post or comment hold: media, links (with the name
and source Facebook shows), a place, an event, a note (a title, a text and media of its
own). Keys not read are handed to `unknown`, which reports them."""

from __future__ import annotations

from collections.abc import Callable

from civicarchive.clock import format_time
from civicarchive.connectors import meta
from civicarchive.connectors.base import media_type_of

Unknown = Callable[[dict, frozenset[str], str], None]   # (holder, keys read, label)

ATTACHMENT_KEYS = frozenset({"media", "external_context", "place", "event", "note"})
MEDIA_KEYS = frozenset({"uri", "creation_timestamp", "title", "description"})
LINK_KEYS = frozenset({"url", "name", "source"})
PLACE_KEYS = frozenset({"name", "address", "url", "coordinate"})
EVENT_KEYS = frozenset({"name", "description", "start_timestamp", "end_timestamp", "place"})
NOTE_KEYS = frozenset({"title", "text", "media", "created_timestamp", "updated_timestamp",
                       "tags"})


def attached(entry: dict, unknown: Unknown) -> dict:
    """What an entry's attachments hold: media, links, a place, an event, a note."""
    found: dict = {"media": [], "more_media": [], "attachments": [], "urls": [],
                   "links": [], "place": None, "event": None, "note": None}
    for holder in list_at(entry, "attachments"):
        for data in list_at(holder, "data") if isinstance(holder, dict) else []:
            if isinstance(data, dict):
                unknown(data, ATTACHMENT_KEYS, "attachment")
                _read(data, found, unknown)
    return found


def _read(data: dict, found: dict, unknown: Unknown) -> None:
    """One attachment's data, into what `attached` gathers."""
    media = data.get("media")
    if isinstance(media, dict) and isinstance(media.get("uri"), str):
        unknown(media, MEDIA_KEYS, "media")
        found["media"].append(media)
        found["attachments"].append(attachment(media))
    elif isinstance(media, dict):  # the file gone from Meta's servers: what it said goes too
        unknown(media, frozenset(), "attachment media without a uri,")
    link = data.get("external_context")
    if isinstance(link, dict):
        unknown(link, LINK_KEYS, "link")
        if as_text(link.get("url")):
            found["urls"].append(link["url"])
        if as_text(link.get("name")) or as_text(link.get("source")):
            found["links"].append({k: as_text(link.get(k)) for k in sorted(LINK_KEYS)})
    if isinstance(data.get("place"), dict):
        unknown(data["place"], PLACE_KEYS, "place")
        found["place"] = place(data["place"])
    event = data.get("event")
    if isinstance(event, dict):
        unknown(event, EVENT_KEYS, "event")
        where = event.get("place")
        found["event"] = {"name": as_text(event.get("name")),
                          "description": as_text(event.get("description")),
                          "start": time_text(event.get("start_timestamp")),
                          "end": time_text(event.get("end_timestamp")),
                          "place": place(where) if isinstance(where, dict) else None}
    note = data.get("note")
    if isinstance(note, dict):
        unknown(note, NOTE_KEYS, "note")
        media = [m for m in list_at(note, "media")
                 if isinstance(m, dict) and isinstance(m.get("uri"), str)]
        for gone in (m for m in list_at(note, "media")
                     if isinstance(m, dict) and not isinstance(m.get("uri"), str)):
            unknown(gone, frozenset(), "note media without a uri,")
        found["more_media"] += media
        found["attachments"] += [attachment(m) for m in media]
        found["note"] = {"title": as_text(note.get("title")),
                         "text": as_text(note.get("text")),
                         "created_at": time_text(note.get("created_timestamp")),
                         "updated_at": time_text(note.get("updated_timestamp")),
                         "tags": [tag_name(t) for t in list_at(note, "tags")]}


def new_details(details: dict) -> dict:
    """Content read since notes and named links were: present only when the entry has
    them, so that entries without them read as they always did."""
    return {key: details[key] for key in ("note", "links") if details[key]}


def attachment(media: dict) -> dict:
    """A media item as its entry's content shows it: by file name, not by folder, which
    moved between eras and would otherwise read as an edit."""
    uri = media["uri"]
    shown = {"file": meta.file_name(uri)} if "://" not in uri else {"url": uri}
    return shown | {"media_type": media_type_of(uri), "alt": None,
                    "title": as_text(media.get("title")),
                    "description": as_text(media.get("description")),
                    "created_at": time_text(media.get("creation_timestamp"))}


def place(place: dict) -> dict:
    # Coordinates as text: the archive's content avoids floats (canonical JSON).
    where = place.get("coordinate") if isinstance(place.get("coordinate"), dict) else {}
    return {"name": as_text(place.get("name")),
            "address": as_text(place.get("address")), "url": as_text(place.get("url")),
            "latitude": None if where.get("latitude") is None else str(where["latitude"]),
            "longitude": None if where.get("longitude") is None else str(where["longitude"])}


def tag_name(value: object) -> str | None:
    return as_text(value.get("name")) if isinstance(value, dict) else as_text(value)


def as_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def list_at(holder: dict, key: str) -> list:
    value = holder.get(key)
    return value if isinstance(value, list) else []


def time_text(value: object) -> str | None:
    """A time for the content, or None where the export has none (or a broken one)."""
    return format_time(meta.time_of(value)) if type(value) is int and value > 0 else None
