"""Instagram's "Download your information" export (JSON): posts, their media, comments.

The layout moved between eras, so files are found by name: posts in content/posts_1.json
(older) or your_instagram_activity/{content,media}/posts_1.json (newer), archived posts
beside them in archived_posts.json, comments in post_comments.json (an object whose
arrays hold `string_list_data` entries) or post_comments_1.json (a list of
`string_map_data` entries). Posts files count only under a folder named content or
media, because a Facebook export holds posts files too.

Every string in the export is written as UTF-8 bytes, each escaped as its own \\u00XX;
content is repaired with repair_mojibake, while raw bytes stay the export's own.

Whatever is not read (a key of a post, its media or a comment, a file) is reported once as
a problem naming the file and the entries (reading.Unread). Instagram's exports do not
say when they were made (the file name carries a date only), so observations are dated by
the import.

Instagram gives neither posts nor comments an id. A post's native id is the creation
time of its first media and that media's file name: the time alone can repeat (two posts
in one second), while the file name carries Instagram's media number and stays the
same from one export to the next; the folders above it do not (they moved between
eras), so only the name is used. A comment's native id is its time, the owner of the
post it is on, and a digest of its text: comments cannot be edited, so the three stay
fixed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from pathlib import PurePosixPath

from civicarchive.connectors.base import (ImportContext, json_array_items, media_type_of,
                                          repair_mojibake)
from civicarchive.connectors import meta
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.reading import Unread, report_unread_files, too_deep
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind, Observation

POST_FOLDERS = frozenset({"content", "media"})
COMMENT_FILES = ("post_comments*.json", "reels_comments*.json")
FACEBOOK_FILES = ("your_posts_*.json", "profile_posts_*.json")
EXPORT_NAME = re.compile(r"^instagram-(.+?)-\d{4}-?\d{2}-?\d{2}")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._]+)")
# The keys read, by the object that holds them; any other key is reported as not read.
POST_KEYS = frozenset({"media", "title", "creation_timestamp"})
MEDIA_KEYS = frozenset({"uri", "creation_timestamp", "title", "cross_post_source"})
COMMENT_KEYS = frozenset({"string_map_data", "string_list_data", "title"})
COMMENT_FIELDS = frozenset({"Comment", "Time", "Media Owner"})
Unknown = Callable[[dict, frozenset[str], str], None]   # (holder, keys read, label)


class InstagramImporter:
    format = "instagram"
    platform = "instagram"

    def detect(self, files: ExportFiles) -> bool:
        """By names, and the first bytes of the profile file: a Facebook export says no."""
        if any(files.find(pattern) for pattern in FACEBOOK_FILES):
            return False
        if any("your_instagram_activity" in PurePosixPath(n).parts[:-1] for n in files.names()):
            return True
        if _posts_files(files, "posts_*.json"):
            return True
        for name in files.find("personal_information.json"):
            with files.open_file(name) as stream:
                if b'"profile_user"' in stream.read(4096):
                    return True
        return False

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        meta.refuse_html(files.names(), files.path)
        author = _author(files)
        names = set(files.names())
        posts = _posts_files(files, "posts_*.json")
        archived = _posts_files(files, "archived_posts*.json")
        comments = sorted({n for pattern in COMMENT_FILES for n in files.find(pattern)},
                          key=meta.numbered)
        lost: set[Kind] = set()
        self.unread = Unread(context)
        self.taken = set(posts + archived + comments)   # the files read
        # An archived post is hidden from the profile, not deleted: reading it keeps a
        # later full import from marking it absent.
        for name, event in [(n, None) for n in posts] + [(n, Event.HIDDEN) for n in archived]:
            if not (yield from self._read_posts(files, name, names, author, event, context)):
                lost.add(Kind.POST)
        for name in comments:
            if not (yield from self._read_comments(files, name, author, context)):
                lost.add(Kind.COMMENT)
        present = {kind for kind, found in ((Kind.POST, posts), (Kind.COMMENT, comments))
                   if found}
        # A kind with an unreadable entry is not complete: the archive would otherwise
        # mark that entry's item deleted.
        context.complete_kinds |= present - lost
        self.unread.report()
        report_unread_files(files, self.taken, context)

    def _read_posts(self, files: ExportFiles, name: str, names: set[str], author: str,
                    event: Event | None, context: ImportContext
                    ) -> Generator[Observation, None, bool]:
        """Each post of one file, its media right after it; returns whether none was lost."""
        whole = True
        for number, (entry, source) in enumerate(_entries(files, name, self.unread),
                                                 start=1):
            try:
                post, media = _post(repair_mojibake(entry), source, author, event, context,
                                    self._unknown(files.where(name), f"post {number}"))
            except (ValueError, RecursionError) as error:
                context.problem(files.where(name), f"post {number}: {error}; skipped it")
                whole = False
                continue
            yield post
            for uri, attachment in media:
                found = meta.locate(names, name, uri)
                if found is None:
                    context.problem(files.where(name), f"post {post.native_id}: media {uri!r} "
                                    "is listed but not in the export; kept the post without it")
                    continue
                self.taken.add(found)
                yield _media(files.read(found), attachment, post, author, context)
        return whole

    def _unknown(self, where: str, entry: str) -> Unknown:
        return lambda holder, known, label: self.unread.keys(where, holder, known, label,
                                                              entry)

    def _read_comments(self, files: ExportFiles, name: str, author: str,
                       context: ImportContext) -> Generator[Observation, None, bool]:
        whole = True
        for number, (entry, source) in enumerate(_entries(files, name, self.unread),
                                                 start=1):
            try:
                found = list(_comments(repair_mojibake(entry), source, author, context,
                                       self._unknown(files.where(name), f"comment {number}")))
            except (ValueError, RecursionError) as error:
                context.problem(files.where(name), f"comment {number}: {error}; skipped it")
                whole = False
                continue
            yield from found
        return whole


def _post(entry: object, source: str, author: str, event: Event | None,
          context: ImportContext, unknown: Unknown
          ) -> tuple[Observation, list[tuple[str, dict]]]:
    """The post, and (uri, attachment) for each of its media that should be a file."""
    if not isinstance(entry, dict):
        raise ValueError("is not a JSON object")
    media = entry.get("media")
    if not isinstance(media, list) or not media or \
            not all(isinstance(m, dict) and isinstance(m.get("uri"), str) for m in media):
        raise ValueError("has no list of media with a uri each")
    unknown(entry, POST_KEYS, "post")
    for item in media:
        unknown(item, MEDIA_KEYS, "media")
    first = media[0]
    native_id = f"{meta.seconds(first.get('creation_timestamp'))}:{meta.file_name(first['uri'])}"
    posted = meta.time_of(entry.get("creation_timestamp", first.get("creation_timestamp")))
    # A single photo carries its caption on the media, a carousel on the post.
    text = entry.get("title") or (first.get("title") if len(media) == 1 else "") or ""
    if not isinstance(text, str):
        raise ValueError("its title is not text")
    attachments = [attachment(m, posted, text) for m in media]
    cross_post = first.get("cross_post_source")
    content = {"text": text, "author": author, "attachments": attachments,
               "hashtags": meta.HASHTAG.findall(text), "mentions": mentions(text),
               "cross_post_source": cross_post.get("source_app")
               if isinstance(cross_post, dict) else None}
    post = Observation(account_id=context.account_id, native_id=native_id, kind=Kind.POST,
                       observed_at=context.observed_at, created_at=posted, content=content,
                       raw=source.encode("utf-8"), raw_media_type="application/json",
                       author=author, event=event)
    return post, [(m["uri"], a) for m, a in zip(media, attachments) if "file" in a]


def attachment(media: dict, posted: datetime, caption: str) -> dict:
    """A media item as the post's content shows it: by file name, not by its folder,
    which moved between export eras and would otherwise read as an edit."""
    uri = media["uri"]
    taken = media.get("creation_timestamp")
    shown: dict = {"file": meta.file_name(uri)} if _is_file(uri) else {"url": uri}
    shown |= {"media_type": media_type_of(uri),
              "alt": None,  # Instagram exports carry no alt text
              "created_at": (meta.time_of(taken) if taken is not None else posted).isoformat()}
    title = media.get("title")
    if isinstance(title, str) and title and title != caption:
        shown["title"] = title
    return shown


def _media(data: bytes, attachment: dict, post: Observation, author: str,
           context: ImportContext) -> Observation:
    name, media_type = attachment["file"], attachment["media_type"]
    # A carousel photo's own caption, where search and productions read it (text_of);
    # only when it has one, so that the others read as they always did.
    own = {"title": attachment["title"]} if "title" in attachment else {}
    return Observation(
        account_id=context.account_id, native_id=f"{post.native_id}/{name}", kind=Kind.MEDIA,
        observed_at=context.observed_at,
        created_at=datetime.fromisoformat(attachment["created_at"]),
        content={"file": name, "media_type": media_type, "alt": None, "size": len(data),
                 **own},
        raw=data, raw_media_type=media_type, author=author,
        parent_native_id=post.native_id, event=post.event)


def _comments(entry: object, source: str, author: str, context: ImportContext,
              unknown: Unknown) -> Iterator[Observation]:
    """One comment per value: the old shape lists them, the new shape maps one."""
    if not isinstance(entry, dict):
        raise ValueError("is not a JSON object")
    unknown(entry, COMMENT_KEYS, "comment")
    if isinstance(entry.get("string_map_data"), dict):
        fields = entry["string_map_data"]
        unknown(fields, COMMENT_FIELDS, "comment field")
        said = [(_field(fields, "Comment", "value"), _field(fields, "Time", "timestamp"))]
        owner = _field(fields, "Media Owner", "value")
    elif isinstance(entry.get("string_list_data"), list) and entry["string_list_data"]:
        said = [(d.get("value"), d.get("timestamp")) if isinstance(d, dict) else (None, None)
                for d in entry["string_list_data"]]
        owner = entry.get("title")
    else:
        raise ValueError("has neither string_map_data nor string_list_data")
    owner = owner if isinstance(owner, str) and owner else None
    for text, timestamp in said:
        if not isinstance(text, str):
            raise ValueError("has no comment text")
        digest = hashlib.sha256(f"{owner}\n{text}".encode()).hexdigest()[:16]
        yield Observation(
            account_id=context.account_id, native_id=f"comment:{meta.seconds(timestamp)}:{digest}",
            kind=Kind.COMMENT, observed_at=context.observed_at, created_at=meta.time_of(timestamp),
            content={"text": text, "author": author, "media_owner": owner,
                     "hashtags": meta.HASHTAG.findall(text), "mentions": mentions(text)},
            raw=source.encode("utf-8"), raw_media_type="application/json", author=author)


def _field(fields: dict, name: str, part: str) -> object:
    value = fields.get(name)
    return value.get(part) if isinstance(value, dict) else None


def mentions(text: str) -> list[str]:
    """The @names a text mentions (live capture reads captions with it too)."""
    return [name.rstrip(".") for name in MENTION.findall(text)]


def _entries(files: ExportFiles, name: str, unread: Unread) -> Iterator[tuple[object, str]]:
    """Each entry of a file with its exact source text: the file is a list, or an object
    whose list-valued keys hold the entries (a key holding anything else is reported)."""
    try:
        text = files.read(name).decode("utf-8-sig")
        document = json.loads(text)
    except RecursionError:
        raise too_deep(files.where(name)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{files.where(name)}: not valid JSON ({error}); the export may "
                           "be truncated or edited: download it again") from None
    if isinstance(document, list):
        yield from json_array_items(text)
    elif isinstance(document, dict):
        for key, at in meta.members(text):
            if text[at] == "[":
                yield from json_array_items(text, start=at)
            else:
                unread.note(files.where(name), f"key {key!r}, which holds no list", "top level")
    else:
        raise InvalidInput(f"{files.where(name)}: holds neither a list of entries nor an "
                           "object of them; is this an Instagram export?")




def _posts_files(files: ExportFiles, pattern: str) -> list[str]:
    found = [n for n in files.find(pattern)
             if len(parts := PurePosixPath(n).parts) > 1 and parts[-2] in POST_FOLDERS]
    return sorted(found, key=meta.numbered)






def _author(files: ExportFiles) -> str:
    """The username from the profile file, else from the export's name."""
    for name in files.find("personal_information.json"):
        try:
            profile = repair_mojibake(json.loads(files.read(name).decode("utf-8-sig")))
            username = profile["profile_user"][0]["string_map_data"]["Username"]["value"]
        except (ValueError, KeyError, IndexError, TypeError, RecursionError):
            continue
        if isinstance(username, str) and username:
            return username
    tops = {PurePosixPath(n).parts[0] for n in files.names() if len(PurePosixPath(n).parts) > 1}
    candidates = [files.path.name if files.kind == "folder" else files.path.stem]
    candidates += sorted(tops) if len(tops) == 1 else []
    for candidate in candidates:
        if match := EXPORT_NAME.match(candidate):
            return match[1]
    return files.path.name if files.kind == "folder" else "unknown"


def _is_file(uri: str) -> bool:
    return bool(uri) and "://" not in uri






