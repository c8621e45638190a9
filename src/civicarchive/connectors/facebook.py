"""Facebook's "Download Your Information" export (JSON): posts, comments, Messenger.

The layout moved between eras (posts/your_posts_1.json, your_activity_across_facebook/
posts/..., your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json,
a Page's profile_posts_1.json), so files are found by name, never by path. Posts files are
a list of entries, or (2018) an object holding the list; comments are objects holding
`comments_v2` (or `comments`) and `group_comments_v2`, or a bare list of entries;
Messenger threads are messages/<folder>/<thread>/message_N.json objects holding
`messages`. A post's attachments hold media, links, places, events and notes (a title,
a text and media of their own); a message may carry a sticker, whose image is a file of
the export.

Whatever is not read (a key, an attachment kind, a file) is reported once as a problem
naming the file and the entries (reading.Unread); the entry stays whole in its raw bytes.
Facebook's exports do not say when they were made (the file name carries a date only),
so observations are dated by the import.

Every string is written as UTF-8 bytes, each escaped as its own \\u00XX; decoded entries
are repaired with repair_mojibake, while raw bytes stay the export's own.

Facebook exports no ids, so native ids are derived from what stays fixed across exports:
- a post is `<timestamp>-<digest>`: the second it was created (an edit adds an
  `update_timestamp` and leaves `timestamp` alone) and a short sha256 of the file names
  of its media and the urls it links. The text is left out of the digest so that an
  edited post stays the same item instead of reading as one deleted and one created; media
  folders are left out because they moved between eras. The digest tells apart entries
  of one second, such as the photos of one upload; entries still alike (two text posts
  in one second) are all told apart by a digest of their text, found in a first pass
  over the export, so that their ids depend on neither their order nor on whether the
  others are still there (told apart only from the second on, the first would take
  another's id once it was gone: a false edit and a false deletion). The media of a
  note do not count: they were not read before, and counting them would give old posts
  new ids.
- a comment is `comment/<timestamp>-<digest>`, the same way: a post and a comment may
  share a second, and items are keyed by native id alone.
- a message is `<thread folder>/<timestamp_ms>/<sender>`: the thread folder (e.g.
  `cityhall_1234567890`) keeps its name from one export to the next, and one sender does
  not send two messages in one millisecond.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from fnmatch import fnmatch
from pathlib import PurePosixPath

from civicarchive.connectors.base import (ImportContext, json_array_items, media_type_of,
                                          repair_mojibake)
from civicarchive.connectors import meta
from civicarchive.connectors.facebook_attachments import (as_text, attached, attachment,
                                                         list_at, new_details, tag_name,
                                                         time_text)
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.reading import Unread, report_unread_files, too_deep
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind, Observation

# your_posts_*.json also matches your_posts__check_ins__photos_and_videos_1.json.
POST_FILES = ("your_posts_*.json", "your_posts.json", "profile_posts_*.json")
COMMENT_FILES = ("comments.json", "your_comments_in_groups.json")
COMMENT_KEYS = ("comments_v2", "group_comments_v2", "comments")
MESSAGE_FOLDERS = frozenset({"inbox", "archived_threads", "filtered_threads",
                             "message_requests", "e2ee_cutover"})
MESSAGE_MEDIA = ("photos", "videos", "gifs", "audio_files", "files")
# The keys read, by the object that holds them; any other key is reported as not read.
POST_KEYS = frozenset({"timestamp", "data", "title", "attachments", "tags"})
POST_DATA_KEYS = frozenset({"post", "update_timestamp"})
COMMENT_ENTRY_KEYS = frozenset({"timestamp", "data", "title", "attachments"})
COMMENT_KEYS_READ = frozenset({"timestamp", "comment", "author", "group"})
MESSAGE_KEYS = frozenset({"sender_name", "timestamp_ms", "content", "type", "share",
                          "sticker", "reactions", "is_unsent", *MESSAGE_MEDIA})
THREAD_KEYS = frozenset({"participants", "messages", "title", "thread_path"})
COMMENT_LIST_HEAD = re.compile(rb'^\s*\[\s*\{.*"data"\s*:\s*\[\s*\{\s*"comment"\s*:\s*\{', re.S)
EXPORT_NAME = re.compile(r"^facebook-(.+?)[-_]\d{4}-?\d{2}-?\d{2}")
URL = re.compile(r"https?://[^\s<>\"']+")


class FacebookImporter:
    format = "facebook"
    platform = "facebook"

    def detect(self, files: ExportFiles) -> bool:
        """By file names (and the first bytes of comments files); an Instagram export,
        which holds Messenger-shaped threads too, says no."""
        if _is_instagram(files):
            return False
        if _post_files(files) or _message_files(files):
            return True
        for name in _comment_files(files):
            with files.open_file(name) as stream:
                head = stream.read(4096)
            if any(f'"{key}"'.encode() in head for key in COMMENT_KEYS) or \
                    COMMENT_LIST_HEAD.match(head):
                return True
        return False

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        meta.refuse_html(files.names(), files.path)
        reader = _Reader(files, context)
        reader.colliding = reader.collisions(lambda: _lists(reader, files))
        found: set[Kind] = set()
        for name, key, kind, build in _lists(reader, files):
            found.add(kind)
            yield from reader.entries(name, key, kind, build)
        # A kind with an entry that could not be read is not complete: the archive would
        # otherwise mark that entry's item deleted.
        context.complete_kinds |= found - reader.lost
        reader.unread.report()
        report_unread_files(files, reader.read_names, context)


Built = tuple[Observation, list[dict]]  # an entry's observation, and the media it lists


def _lists(reader: _Reader, files: ExportFiles) -> Iterator[tuple]:
    """(file, key, kind, how to build an entry) of each list of entries the export holds,
    in the order they are read."""
    for name in _post_files(files):
        yield name, None, Kind.POST, reader.post
    for name in _comment_files(files):
        document = reader.load(name)[1]
        if isinstance(document, list):  # the entries themselves, without a key
            yield name, None, Kind.COMMENT, reader.comment
            continue
        for key in reader.comment_keys(name, document):
            yield name, key, Kind.COMMENT, reader.comment
    for name in _message_files(files):
        yield name, "messages", Kind.MESSAGE, reader.message


class _Reader:
    """Reading state for one export: the file being read, the ids given out, and the
    kinds with an entry that could not be read."""

    def __init__(self, files: ExportFiles, context: ImportContext) -> None:
        self.files = files
        self.context = context
        self.names = set(files.names())
        self.owner = _owner(files)
        self.given: set[str] = set()
        self.colliding: set[str] = set()  # ids more than one entry of this export would get
        self._counting: Counter | None = None  # while `collisions` counts them
        self.lost: set[Kind] = set()
        self.unread = Unread(context)
        self.read_names: set[str] = set()
        self.at = ("", "")   # the file and the entry being read, for what is not read
        self._parsed: tuple[str, str, object] | None = None   # one file at a time
        self._thread: tuple[str, dict] | None = None

    def load(self, name: str) -> tuple[str, object]:
        """A file's text and its parsed JSON; a file that is not JSON stops the import."""
        if self._parsed is None or self._parsed[0] != name:
            self.read_names.add(name)
            try:
                text = self.files.read(name).decode("utf-8")
                self._parsed = (name, text, json.loads(text))
            except RecursionError:
                raise too_deep(self.files.where(name)) from None
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise InvalidInput(f"{self.files.where(name)}: not valid JSON ({error}); the "
                                   "export may be truncated or edited: download it again"
                                   ) from None
        return self._parsed[1], self._parsed[2]

    def collisions(self, lists: Callable[[], Iterable[tuple]]) -> set[str]:
        """The ids (time and attachments: Facebook gives none) that more than one entry of
        these lists would get: a first, quiet pass over the export, so that every entry
        sharing an id is told apart by its text (`unique`), whatever their order. Told
        apart only from the second on, the first post of a second would take the id of
        another once it is gone from a later export: a false edit and a false deletion."""
        saved = (self.context, self.unread, set(self.lost))
        self.context = ImportContext(self.context.account_id, self.context.observed_at)
        self.unread, self._counting = Unread(self.context), Counter()
        try:
            for name, key, kind, build in lists():
                for _ in self.entries(name, key, kind, build, media=False):
                    pass
            return {native_id for native_id, n in self._counting.items() if n > 1}
        finally:
            self.context, self.unread, self.lost = saved
            # Read again from the start: what a file's first reading reports (a thread's
            # unknown keys) is reported then.
            self._counting, self._parsed, self._thread = None, None, None

    def entries(self, name: str, key: str | None, kind: Kind,
                build: Callable[[object, bytes, str], Built], media: bool = True
                ) -> Iterator[Observation]:
        """Each entry of the list a file holds (itself, under `key`, or its first list)
        with the media it lists; an entry that cannot be read becomes a problem."""
        text, document = self.load(name)
        where = self.files.where(name)
        if key is None and isinstance(document, dict):  # 2018's {"status_updates": [...]}
            key = next((k for k, v in document.items() if isinstance(v, list)), None)
            for other in (k for k in document if k != key):
                self.unread.note(where, f"{kind.value}s file key {other!r}", "top level")
        start = _list_start(text, document, key)
        if start is None:
            self.context.problem(where, f"holds no list of {kind.value}s where one was "
                                 "expected; skipped the file")
            self.lost.add(kind)
            return
        for number, (entry, source) in enumerate(json_array_items(text, start), start=1):
            self.at = (where, f"{kind.value} {number}")
            try:
                observation, listed = build(repair_mojibake(entry), source.encode("utf-8"),
                                            name)
            except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
                self.context.problem(where, f"{kind.value} {number}: {error}; skipped it")
                self.lost.add(kind)
                continue
            yield observation
            if media:
                yield from self.media(observation, listed, name)

    def comment_keys(self, name: str, document: object) -> list[str]:
        """The keys of a comments file that hold comments; any other key is reported."""
        where = self.files.where(name)
        if not isinstance(document, dict):
            self.context.problem(where, "is neither a list of comments nor an object "
                                 "holding them; skipped the file")
            self.lost.add(Kind.COMMENT)
            return []
        keys = [k for k in COMMENT_KEYS if k in document]
        if "comments_v2" in keys and "comments" in keys:  # the old name, kept beside
            keys.remove("comments")
            self.unread.note(where, "the old key 'comments' beside 'comments_v2'", "top level")
        if not keys:
            self.context.problem(where, f"holds none of {', '.join(COMMENT_KEYS)}; no "
                                 "comments were read from it")
            self.lost.add(Kind.COMMENT)
        self.unread.keys(where, document, frozenset(COMMENT_KEYS), "comments file", "top level")
        return keys

    def unknown(self, holder: dict, known: frozenset[str], label: str) -> None:
        """Report the keys of `holder` (in the entry being read) that are not read."""
        self.unread.keys(self.at[0], holder, known, label, self.at[1])

    def lists(self, holder: dict, keys: Iterable[str]) -> None:
        """Report each of `keys` that `holder` holds as something other than a list,
        which `list_at` reads as empty."""
        for key in keys:
            if holder.get(key) is not None and not isinstance(holder[key], list):
                self.unread.note(self.at[0], f"{key!r} that is not a list", self.at[1])

    def unique(self, native_id: str, tiebreak: str) -> str:
        """The id, told apart by a digest of `tiebreak` (the text) when other entries of
        this export share it (`collisions`) or one already took it."""
        if self._counting is not None:
            self._counting[native_id] += 1
            return native_id
        if native_id in self.colliding or native_id in self.given:
            native_id = f"{native_id}-{_digest(tiebreak, 8)}"
            while native_id in self.given:
                native_id += "+"
        self.given.add(native_id)
        return native_id

    def post(self, entry: object, raw: bytes, _name: str) -> Built:
        if not isinstance(entry, dict):
            raise ValueError("is not a JSON object")
        seconds = meta.seconds(entry.get("timestamp"))
        self.unknown(entry, POST_KEYS, "post")
        self.lists(entry, ("data", "attachments", "tags"))
        data = [d for d in list_at(entry, "data") if isinstance(d, dict)]
        for part in data:
            self.unknown(part, POST_DATA_KEYS, "post data")
        said = [d for d in data if d.get("post") is not None]
        text = self.text_of(said[0], "post") if said else ""
        if len(said) > 1:
            self.unread.note(self.at[0], "a 'post' after the first in data", self.at[1])
        updated = next((d["update_timestamp"] for d in data if "update_timestamp" in d), None)
        details = attached(entry, self.unknown)
        native_id = self.unique(f"{seconds}-{_identity(details)}", text)
        note = details["note"]
        if not text and note:  # a note's words are the post's when it has none of its own
            text = "\n\n".join(filter(None, (note["title"], note["text"])))
        content = {"text": text, "author": self.owner, "title": as_text(entry.get("title")),
                   "edited_at": time_text(updated), "urls": linked_urls(text, details["urls"]),
                   "hashtags": meta.HASHTAG.findall(text),
                   "tags": [tag_name(t) for t in list_at(entry, "tags")],
                   "attachments": details["attachments"], "place": details["place"],
                   "event": details["event"]}
        content |= new_details(details)
        return Observation(
            account_id=self.context.account_id, native_id=native_id, kind=Kind.POST,
            observed_at=self.context.observed_at, created_at=meta.time_of(seconds), content=content,
            raw=raw, raw_media_type="application/json",
            author=self.owner), details["media"] + details["more_media"]

    def comment(self, entry: object, raw: bytes, _name: str) -> Built:
        if not isinstance(entry, dict):
            raise ValueError("is not a JSON object")
        said = next((d["comment"] for d in list_at(entry, "data")
                     if isinstance(d, dict) and isinstance(d.get("comment"), dict)), None)
        if said is None:
            raise ValueError("has no data[].comment")
        self.unknown(entry, COMMENT_ENTRY_KEYS, "comment")
        self.lists(entry, ("data", "attachments"))
        self.unknown(said, COMMENT_KEYS_READ, "comment data")
        seconds = meta.seconds(said.get("timestamp", entry.get("timestamp")))
        text = self.text_of(said, "comment")
        author = as_text(said.get("author")) or self.owner
        details = attached(entry, self.unknown)
        native_id = self.unique(f"comment/{seconds}-{_identity(details)}", text)
        content = {"text": text, "author": author, "title": as_text(entry.get("title")),
                   "group": as_text(said.get("group")), "urls": linked_urls(text, details["urls"]),
                   "hashtags": meta.HASHTAG.findall(text), "attachments": details["attachments"]}
        content |= new_details(details)
        return Observation(
            account_id=self.context.account_id, native_id=native_id, kind=Kind.COMMENT,
            observed_at=self.context.observed_at, created_at=meta.time_of(seconds), content=content,
            raw=raw, raw_media_type="application/json",
            author=author), details["media"] + details["more_media"]

    def message(self, entry: object, raw: bytes, name: str) -> Built:
        if not isinstance(entry, dict):
            raise ValueError("is not a JSON object")
        sent_ms = entry.get("timestamp_ms")
        if type(sent_ms) is not int or sent_ms <= 0:
            raise ValueError(f"timestamp_ms {sent_ms!r} is not a positive number")
        self.unknown(entry, MESSAGE_KEYS, "message")
        self.lists(entry, (*MESSAGE_MEDIA, "reactions"))
        sender = as_text(entry.get("sender_name")) or ""
        thread = PurePosixPath(name).parent.name
        text = self.text_of(entry, "content")
        native_id = self.unique(f"{thread}/{sent_ms}/{sender}", text)
        media = [m for key in MESSAGE_MEDIA for m in list_at(entry, key)
                 if isinstance(m, dict) and isinstance(m.get("uri"), str)]
        share = entry["share"] if isinstance(entry.get("share"), dict) else {}
        sticker = entry["sticker"] if isinstance(entry.get("sticker"), dict) else {}
        if isinstance(sticker.get("uri"), str):  # its image is a file of the export
            media.append(sticker)
        content = {
            "text": text, "author": sender, "type": as_text(entry.get("type")),
            **self.thread(name),
            "urls": linked_urls(text, [share["link"]] if as_text(share.get("link")) else []),
            "share_text": as_text(share.get("share_text")), "sticker": as_text(sticker.get("uri")),
            "attachments": [attachment(m) for m in media],
            "reactions": [{"reaction": as_text(r.get("reaction")), "actor": as_text(r.get("actor"))}
                          for r in list_at(entry, "reactions") if isinstance(r, dict)]}
        # An unsent message stays in the export without its content: a deletion, which
        # keeps the content archived before.
        unsent = entry.get("is_unsent") is True
        return Observation(
            account_id=self.context.account_id, native_id=native_id, kind=Kind.MESSAGE,
            observed_at=self.context.observed_at,
            created_at=meta.time_of(sent_ms // 1000) + timedelta(milliseconds=sent_ms % 1000),
            content=None if unsent else content, raw=raw, raw_media_type="application/json",
            author=sender or None, parent_native_id=thread,
            event=Event.DELETED if unsent else None), [] if unsent else media

    def text_of(self, holder: dict, key: str) -> str:
        """The text under `key`; one that is there but not text is reported, not lost."""
        value = holder.get(key)
        if value is not None and not isinstance(value, str):
            self.unread.note(self.at[0], f"a {key!r} that is not text", self.at[1])
        return value if isinstance(value, str) else ""

    def thread(self, name: str) -> dict:
        """The thread's title, path and participants, repaired once per file."""
        if self._thread is None or self._thread[0] != name:
            document = self.load(name)[1]
            self.unread.keys(self.files.where(name), document, THREAD_KEYS, "thread",
                             "top level")
            info = repair_mojibake({key: document.get(key)
                                    for key in ("title", "thread_path", "participants")})
            self._thread = (name, {
                "thread": as_text(info["title"]), "thread_path": as_text(info["thread_path"]),
                "participants": [tag_name(p) for p in list_at(info, "participants")]})
        return self._thread[1]

    def media(self, entry: Observation, media: list[dict], beside: str
              ) -> Iterator[Observation]:
        """The files an entry lists that are in the export, each read as it is yielded."""
        for item in media:
            uri = item["uri"]
            if "://" in uri:  # a link to Facebook's servers, not a file in the export
                continue
            found = meta.locate(self.names, beside, uri)
            if found is None:
                self.context.problem(self.files.where(beside), f"{entry.native_id}: media "
                                     f"{uri!r} is listed but not in the export; kept the "
                                     f"{entry.kind.value} without it")
                continue
            data = self.files.read(found)
            self.read_names.add(found)
            file = meta.file_name(found)
            taken = item.get("creation_timestamp")
            yield Observation(
                account_id=self.context.account_id,
                native_id=self.unique(f"{entry.native_id}/{file}", found), kind=Kind.MEDIA,
                observed_at=self.context.observed_at,
                created_at=meta.time_of(taken) if time_text(taken) else entry.created_at,
                content={"file": file, "media_type": media_type_of(file),
                         "alt": None,  # Facebook exports carry no alt text
                         "size": len(data), "title": as_text(item.get("title")),
                         "description": as_text(item.get("description"))},
                raw=data, raw_media_type=media_type_of(file), author=entry.author,
                parent_native_id=entry.native_id)


def _identity(details: dict) -> str:
    return _digest("\n".join(sorted(meta.file_name(m["uri"]) for m in details["media"])
                             + sorted(details["urls"])), 12)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def linked_urls(text: str, linked: list[str]) -> list[str]:
    """The links an entry carries, then those in its text, once each (live capture too)."""
    return list(dict.fromkeys(linked + URL.findall(text)))


def _list_start(text: str, document: object, key: str | None) -> int | None:
    """Where the entries' list begins: the document itself, the value of `key`, or the
    first list-valued key (2018's {"status_updates": [...]}) when no key is named."""
    if isinstance(document, list):
        return 0
    if not isinstance(document, dict):
        return None
    if key is None:
        key = next((k for k, v in document.items() if isinstance(v, list)), None)
    if key is None or not isinstance(document.get(key), list):
        return None
    return next((at for name, at in meta.members(text) if name == key), None)


def _post_files(files: ExportFiles) -> list[str]:
    return sorted({n for pattern in POST_FILES for n in files.find(pattern)}, key=meta.numbered)


def _comment_files(files: ExportFiles) -> list[str]:
    return sorted(n for pattern in COMMENT_FILES for n in files.find(pattern))


def _message_files(files: ExportFiles) -> list[str]:
    found = [n for n in files.find("message_*.json")
             if len(parts := PurePosixPath(n).parts) > 2 and parts[-3] in MESSAGE_FOLDERS]
    return sorted(found, key=meta.numbered)


def _is_instagram(files: ExportFiles) -> bool:
    for name in files.names():
        parts = PurePosixPath(name).parts
        if "your_instagram_activity" in parts[:-1] or \
                (len(parts) > 1 and parts[-2] == "content" and fnmatch(parts[-1], "posts_*.json")):
            return True
    for name in files.find("personal_information.json"):
        with files.open_file(name) as stream:
            if b'"profile_user"' in stream.read(4096):
                return True
    return False


def _owner(files: ExportFiles) -> str | None:
    """The account's name from the profile file, else from the export's file name."""
    for name in files.find("profile_information.json"):
        try:
            document = repair_mojibake(json.loads(files.read(name).decode("utf-8")))
            profile = document.get("profile_v2") or document.get("profile")
            full_name = profile["name"]["full_name"]
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue
        if isinstance(full_name, str) and full_name:
            return full_name
    if match := EXPORT_NAME.match(files.path.name):
        return match[1]
    return None
