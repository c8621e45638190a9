"""Mastodon account archives ("Request your archive"): a zip, or a tar.gz from older
servers, holding `outbox.json`, `actor.json`, the avatar and header, and the files under
`media_attachments/`.

How the archive maps to observations:

- `outbox.json` is an ActivityStreams OrderedCollection of the account's own activities.
  A `Create` wraps a status (a `Note`, or a `Question` for a poll), identified by its URI:
  a POST, a REPLY when it answers another status (the parent is that status's URI), or a
  MESSAGE when it was addressed to the people it mentions only ("direct").
- An `Announce` (a boost) becomes a POST of its own, identified by the activity's URI,
  with empty text and `boost_of` naming the boosted status: republishing someone's words
  to the agency's followers is an act of the agency worth its own record, but the
  boosted words are not in the archive, so the record does not pretend to hold them.
- `actor.json` is the profile (one PROFILE observation); its avatar and header, and every
  status's attachments found under `media_attachments/`, become MEDIA observations.
- Visibility uses the Mastodon API's own words (public, unlisted, private = followers
  only, direct) so that imported and captured versions of a status agree.

The outbox holds every status the account still has, so posts, replies and messages are
complete: a status missing from a later archive was deleted. When an entry has to be
skipped, completeness is not claimed, since the skipped status would look deleted.

Not read: likes.json and bookmarks.json (other people's statuses), the CSV lists of
follows, mutes and blocks, and edit history (the archive holds only the current text;
`edited_at` says when it last changed). Those files, and any other file not read, are
reported as problems, as are an attachment or tag that is not an object, a tag type other
than Hashtag or Mention (custom Emoji), an object type other than Note or Question, a
`contentMap` text in another language than the content (a status without `content` is read
from its `contentMap`), and a profile text that is not text.

Mastodon names the archive `archive-<UTC time, YYYYMMDDHHMMSS>-<32 hex digits>` when it
finishes writing it; while the file keeps that name, the observations are dated by it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlparse

from civicarchive.clock import parse_time
from civicarchive.connectors.base import ImportContext, json_array_items, media_type_of
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.json_stream import value_offset
from civicarchive.connectors.reading import (Unread, date_by_name, report_unread_files,
                                             too_deep)
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind, Observation

PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
ACTIVITY_JSON = "application/activity+json"
MEDIA_FOLDER = "media_attachments/"
COMPLETE_KINDS = frozenset({Kind.POST, Kind.REPLY, Kind.MESSAGE})
STATUS_TYPES = frozenset({"Note", "Question"})
TAG_TYPES = frozenset({"Hashtag", "Mention"})
ARCHIVE_NAME = re.compile(r"archive-(\d{14})-[0-9a-f]{32}\b")


class MastodonImporter:
    format = "mastodon"
    platform = "mastodon"

    def detect(self, files: ExportFiles) -> bool:
        outbox = _shallowest(files, "outbox.json")
        if outbox is None:
            return False
        with files.open_file(outbox) as stream:
            head = stream.read(4096)
        return b"OrderedCollection" in head or b"activitystreams" in head

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        _date_by_name(files, context)
        account = _Account()
        taken: set[str] = set()   # the files read
        # Both files are parsed before anything is yielded: one that cannot be read stops
        # the import before a single observation is written.
        outbox = _shallowest(files, "outbox.json")
        entries = _outbox_entries(files, outbox) if outbox is not None else []
        actor_name = _shallowest(files, "actor.json")
        if actor_name is not None:
            actor, _ = _load(files, actor_name)
            if isinstance(actor, dict) and isinstance(actor.get("id"), str):
                account = _account_of(actor)
                for observation in _profile(files, actor_name, actor, account, context):
                    taken.add(observation.content["file"] if observation.kind is Kind.MEDIA
                              else actor_name)
                    yield observation
            else:
                context.problem(files.where(actor_name), "not an actor with an id; the "
                                "profile was skipped")
        if outbox is None:
            context.problem(str(files.path), "no outbox.json: no statuses were imported")
            report_unread_files(files, taken, context)
            return
        taken.add(outbox)
        context.complete_kinds.update(COMPLETE_KINDS)
        media = _media_index(files)
        unread = Unread(context)
        for position, (activity, text) in enumerate(entries, start=1):
            where = f"{files.where(outbox)} item {position}"
            try:
                _note_unread(activity, unread, files.where(outbox), f"item {position}")
                observation, attachments = _observe(activity, text.encode("utf-8"),
                                                    account, media, context)
            except _Unsupported as reason:
                context.problem(where, f"{reason}; skipped")
                continue
            except (ValueError, TypeError, KeyError, AttributeError,
                    OverflowError) as error:
                context.complete_kinds.difference_update(COMPLETE_KINDS)
                context.problem(where, f"malformed entry ({error}); skipped, and statuses are "
                                "not claimed complete so that it is not recorded as deleted")
                continue
            yield observation
            for attachment, name in attachments:
                if name is None:
                    context.problem(f"{where} ({observation.native_id})",
                                    f"attachment {attachment['url']} is not in the archive; "
                                    "the status lists it with file null")
                    continue
                taken.add(name)
                yield _media(files, name, observation, attachment, context)
        unread.report()
        report_unread_files(files, taken, context)


def _date_by_name(files: ExportFiles, context: ImportContext) -> None:
    """Date the observations by the time in the archive's name, which Mastodon gives it
    (in UTC) when the archive is written."""
    match = ARCHIVE_NAME.match(files.path.name)
    if match:
        date_by_name(context, match[1], "%Y%m%d%H%M%S", f"the archive's name "
                     f"{files.path.name}", str(files.path))


def _note_unread(activity: object, unread: Unread, where: str, label: str) -> None:
    """The parts of a status the content cannot hold, for the report."""
    note = activity.get("object") if isinstance(activity, dict) else None
    if not isinstance(note, dict) or activity.get("type") != "Create":
        return
    if note.get("type", "Note") not in STATUS_TYPES:
        unread.note(where, f"status type {note.get('type')!r} (read as a Note)", label)
    html = _html_of(note)
    for language, text in _content_map(note).items():
        if text != html:
            unread.note(where, f"contentMap text in {language!r} beside the content", label)
    for field in ("attachment", "tag"):
        for value in _as_list(note.get(field)):
            if not isinstance(value, dict):
                unread.note(where, f"an {field} that is not an object", label)
            elif field == "tag" and value.get("type") not in TAG_TYPES:
                unread.note(where, f"tag type {value.get('type')!r}", label)


@dataclass(frozen=True)
class _Account:
    """Who the archive belongs to; from actor.json, else from each activity's actor."""

    actor_id: str | None = None
    author: str | None = None
    followers: str | None = None

    def author_of(self, actor: object) -> str:
        if self.author:
            return self.author
        return str(actor).rstrip("/").rsplit("/", 1)[-1].lstrip("@") if actor else "unknown"

    def followers_of(self, actor: object) -> str:
        return self.followers or f"{actor}/followers"


class _Unsupported(Exception):
    """An activity that is not a status or a boost (nothing to lose by skipping it)."""


def _shallowest(files: ExportFiles, name: str) -> str | None:
    found = files.find(name)
    return min(found, key=lambda n: (n.count("/"), n)) if found else None


def _load(files: ExportFiles, name: str) -> tuple[object, str]:
    data = files.read(name)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
        # dict keeps the last of duplicate keys: Mastodon writes "orderedItems" twice
        # and only the second holds the activities.
        return json.loads(text, object_pairs_hook=dict), text
    except RecursionError:
        raise too_deep(files.where(name)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{files.where(name)}: not valid UTF-8 JSON ({error}); the "
                           "archive may be truncated: download it again") from None


def _outbox_entries(files: ExportFiles, name: str) -> list[tuple[object, str]]:
    """Each activity with its exact source text, from the last "orderedItems" array."""
    document, text = _load(files, name)
    items = document.get("orderedItems") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(f"{files.where(name)}: no orderedItems list, so not a Mastodon "
                           "outbox; name the right format", parameter="format")
    # The top-level key's (the last of the two): an activity holding its own orderedItems
    # (a status's collection of replies) is not the outbox's list.
    data = text.encode("utf-8")
    start = len(data[:value_offset(data, ("orderedItems",), last=True)].decode("utf-8"))
    texts = [source for _, source in json_array_items(text, start)]
    if len(texts) != len(items):
        raise InvalidInput(f"{files.where(name)}: could not locate the bytes of each "
                           "activity; report this archive's layout as a bug")
    return list(zip(items, texts))


def _media_index(files: ExportFiles) -> dict[str, str]:
    """File path after `media_attachments/` -> name in the export."""
    return {name[name.index(MEDIA_FOLDER) + len(MEDIA_FOLDER):]: name
            for name in files.names() if MEDIA_FOLDER in name}


def _media_file(url: str, index: dict[str, str]) -> str | None:
    path = urlparse(url).path
    if MEDIA_FOLDER in path:
        found = index.get(path[path.index(MEDIA_FOLDER) + len(MEDIA_FOLDER):])
        if found:
            return found
    return next((name for tail, name in index.items()
                 if path == tail or path.endswith("/" + tail)), None)


def _observe(activity: object, raw: bytes, account: _Account, media: dict[str, str],
             context: ImportContext) -> tuple[Observation, list[tuple[dict, str | None]]]:
    if not isinstance(activity, dict):
        raise ValueError("an activity must be a JSON object")
    kind = activity.get("type")
    if kind == "Create":
        return _status(activity, raw, account, media, context)
    if kind == "Announce":
        return _boost(activity, raw, account, context), []
    raise _Unsupported(f"activity type {kind!r} is neither a status nor a boost")


def _status(activity: dict, raw: bytes, account: _Account, media: dict[str, str],
            context: ImportContext) -> tuple[Observation, list[tuple[dict, str | None]]]:
    note = activity["object"]
    if not isinstance(note, dict):
        raise ValueError("Create without the status inside it")
    uri = _required_text(note, "id")
    created_at = parse_time(note.get("published") or activity["published"])
    actor = note.get("attributedTo") or activity.get("actor")
    visibility = _visibility(note, account.followers_of(actor))
    reply_to = _id_of(note.get("inReplyTo"))
    kind = Kind.MESSAGE if visibility == "direct" else Kind.REPLY if reply_to else Kind.POST
    html = _html_of(note)
    tags = [t for t in _as_list(note.get("tag")) if isinstance(t, dict)]
    attachments = [a for a in _as_list(note.get("attachment")) if isinstance(a, dict)]
    attached = [(_attachment(a), _media_file(_url_of(a.get("url")) or "", media))
                for a in attachments]
    author = account.author_of(actor)
    content = {
        "type": str(note.get("type", "Note")).lower(),
        "text": plain_text(html),
        "html": html,
        "author": author,
        "uri": uri,
        "url": _url_of(note.get("url")),
        "visibility": visibility,
        "content_warning": note.get("summary") or "",
        "sensitive": bool(note.get("sensitive", False)),
        "in_reply_to": reply_to,
        "language": next(iter(_content_map(note)), None),
        "hashtags": [str(t.get("name", "")).lstrip("#") for t in tags
                     if t.get("type") == "Hashtag"],
        "mentions": [{"name": t.get("name"), "href": t.get("href")} for t in tags
                     if t.get("type") == "Mention"],
        "attachments": [{**described, "file": name} for described, name in attached],
        "edited_at": note.get("updated"),
    }
    if note.get("oneOf") or note.get("anyOf"):
        content["poll"] = _poll(note)
    observation = Observation(
        account_id=context.account_id, native_id=uri, kind=kind,
        observed_at=context.observed_at, created_at=created_at, content=content, raw=raw,
        raw_media_type=ACTIVITY_JSON, author=author, parent_native_id=reply_to,
        url=content["url"])
    return observation, attached


def _boost(activity: dict, raw: bytes, account: _Account,
           context: ImportContext) -> Observation:
    uri = _required_text(activity, "id")
    target = _id_of(activity.get("object"))
    if not target:
        raise ValueError("Announce without the URI of the boosted status")
    author = account.author_of(activity.get("actor"))
    content = {
        "type": "boost", "text": "", "author": author, "uri": uri, "boost_of": target,
        "visibility": _visibility(activity, account.followers_of(activity.get("actor"))),
    }
    return Observation(
        account_id=context.account_id, native_id=uri, kind=Kind.POST,
        observed_at=context.observed_at, created_at=parse_time(activity["published"]),
        content=content, raw=raw, raw_media_type=ACTIVITY_JSON, author=author)


def _content_map(note: dict) -> dict[str, str]:
    """The status's text by language (ActivityStreams `contentMap`)."""
    found = note.get("contentMap")
    return {k: v for k, v in found.items() if isinstance(v, str)} \
        if isinstance(found, dict) else {}


def _html_of(note: dict) -> str:
    """The status's HTML: `content`, else its first language in `contentMap`, which
    ActivityPub allows to stand alone (Mastodon writes both)."""
    content = note.get("content")
    if isinstance(content, str) and content:
        return content
    return next(iter(_content_map(note).values()), content or "")


def _visibility(addressed: dict, followers: str) -> str:
    to = {str(a) for a in _as_list(addressed.get("to"))}
    cc = {str(a) for a in _as_list(addressed.get("cc"))}
    if to & PUBLIC:
        return "public"
    if cc & PUBLIC:
        return "unlisted"
    if followers in to:
        return "private"
    return "direct"


def _attachment(attachment: dict) -> dict:
    described = {"url": _url_of(attachment.get("url")),
                 "media_type": attachment.get("mediaType"),
                 "alt": attachment.get("name") or "",
                 "blurhash": attachment.get("blurhash")}
    for size in ("width", "height"):
        if isinstance(attachment.get(size), int):
            described[size] = attachment[size]
    return described


def _poll(note: dict) -> dict:
    options = _as_list(note.get("oneOf") or note.get("anyOf"))
    return {"multiple": bool(note.get("anyOf")),
            "options": [{"title": o.get("name"),
                         "votes": (o.get("replies") or {}).get("totalItems")}
                        for o in options if isinstance(o, dict)],
            "ends_at": note.get("endTime") or note.get("closed"),
            "voters": note.get("votersCount")}


def _media(files: ExportFiles, name: str, post: Observation, attachment: dict,
           context: ImportContext) -> Observation:
    data = files.read(name)
    media_type = media_type_of(name)
    if media_type == "application/octet-stream" and attachment.get("media_type"):
        media_type = attachment["media_type"]
    file_name = name.rsplit("/", 1)[-1]
    return Observation(
        account_id=context.account_id, native_id=f"{post.native_id}/{file_name}",
        kind=Kind.MEDIA, observed_at=context.observed_at, created_at=post.created_at,
        content={"file": name, "media_type": media_type, "alt": attachment.get("alt", ""),
                 "size": len(data), "url": attachment.get("url"),
                 "blurhash": attachment.get("blurhash")},
        raw=data, raw_media_type=media_type, author=post.author,
        parent_native_id=post.native_id)


def _account_of(actor: dict) -> _Account:
    username = actor.get("preferredUsername")
    if not isinstance(username, str) or not username:
        username = _Account().author_of(actor["id"])
    followers = actor.get("followers")
    return _Account(actor["id"], username, followers if isinstance(followers, str) else None)


def _profile(files: ExportFiles, name: str, actor: dict, account: _Account,
             context: ImportContext) -> Iterator[Observation]:
    """The profile, then its avatar and header as media."""
    where = files.where(name)
    folder = name[:-len("actor.json")]
    images = {role: _image_file(files, folder, actor.get(field), where, context)
              for role, field in (("avatar", "icon"), ("header", "image"))}
    summary = _profile_text(actor, "summary", where, context)
    url = _url_of(actor.get("url"))
    yield Observation(
        account_id=context.account_id, native_id=account.actor_id, kind=Kind.PROFILE,
        observed_at=context.observed_at,
        created_at=_optional_time(actor.get("published")),
        content={"type": "profile", "text": plain_text(summary), "html": summary,
                 "author": account.author,
                 "display_name": _profile_text(actor, "name", where, context),
                 "uri": account.actor_id, "url": url,
                 "fields": [{"name": f.get("name"),
                             "value": plain_text(_profile_text(f, "value", where, context))}
                            for f in _as_list(actor.get("attachment"))
                            if isinstance(f, dict) and f.get("type") == "PropertyValue"],
                 "locked": bool(actor.get("manuallyApprovesFollowers", False)),
                 "discoverable": actor.get("discoverable"),
                 "moved_to": actor.get("movedTo"), **images},
        raw=files.read(name), raw_media_type=ACTIVITY_JSON, author=account.author, url=url)
    for role, image in images.items():
        if image is None:
            continue
        data = files.read(image)
        yield Observation(
            account_id=context.account_id, native_id=f"{account.actor_id}/{role}",
            kind=Kind.MEDIA, observed_at=context.observed_at, created_at=None,
            content={"file": image, "media_type": media_type_of(image), "alt": "",
                     "size": len(data), "role": role},
            raw=data, raw_media_type=media_type_of(image), author=account.author,
            parent_native_id=account.actor_id)


def _profile_text(holder: dict, key: str, where: str, context: ImportContext) -> str:
    """A text of the profile; one that is there but is not text is a problem."""
    value = holder.get(key)
    if value is None or isinstance(value, str):
        return value or ""
    context.problem(where, f"the profile's {key!r} is not text; it is kept in the raw "
                    "bytes only")
    return ""


def _image_file(files: ExportFiles, folder: str, image: object, where: str,
                context: ImportContext) -> str | None:
    """The bundled avatar or header: the archive rewrites its URL to a file name."""
    url = _url_of(image.get("url")) if isinstance(image, dict) else None
    if not url:
        return None
    name = folder + urlparse(url).path.rsplit("/", 1)[-1]
    if name in files.sizes:
        return name
    context.problem(where, f"profile image {url} is not in the archive; skipped")
    return None


def _optional_time(text: object) -> datetime | None:
    try:
        return parse_time(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _required_text(entry: dict, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"no {key}")
    return value


def _id_of(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _url_of(value: object) -> str | None:
    """An ActivityStreams url: a string, a Link object, or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("href")
    return value if isinstance(value, str) else None


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "blockquote", "pre", "li", "h1", "h2", "h3", "h4", "h5", "h6"})

    HIDDEN = frozenset({"script", "style"})   # code, never words a reader sees

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The words of a status as a reader sees them: tags dropped, paragraphs kept as blank
    lines, and the hidden parts of shortened links kept so that URLs stay whole."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
