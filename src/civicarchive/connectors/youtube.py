"""A YouTube channel's data from Google Takeout ("YouTube and YouTube Music").

Takeout writes CSV files under `Takeout/YouTube and YouTube Music/`; these are read:

    channels/channel.csv         the account's channel(s)                  -> profile
    video metadata/videos.csv    every video the channel uploaded          -> post
    comments/comments.csv        every comment the channel wrote, on its   -> comment, or
                                 own videos or anyone else's                  reply when it
                                                                              answers one
    videos/<title>.mp4           the uploaded video files                  -> media

Files are found by name and folder, case-insensitively, and a split file such as
`comments(1).csv` counts too. Google renames columns from one era to the next
("Comment text", "Comment Text", columns in a new order), so headers are normalised and
known variants accepted. Newer exports hold comment text as JSON segments
(`{"text":"Hi "},{"text":"@x","mention":{...}}`, earlier `{"takeoutSegments":[...]}`),
older ones plain text. An observation's raw bytes are the exact bytes of its CSV record.

Video files carry no video id: Takeout names them after the title, with some characters
dropped or replaced, long names cut short and a counter added to repeats. A file is
attached only when its name fits exactly one video's title; otherwise it is reported as
a problem and left out, because attaching it to the wrong public record is worse than
leaving it out.

Content is built from a row alone (not from other files in the export), so that the same
entry reads the same in every export, whichever files were selected, and by the functions
below that live capture (capture/youtube.py) builds it with too, so that a captured video
and its Takeout row are one content.

Columns not read, and every file not read (playlists, history, other Google products in
the same Takeout), are reported as problems. Takeout names its archive
`takeout-<UTC time, YYYYMMDDTHHMMSSZ>-<part>.zip` (or .tgz) when the export is made; while
the archive (or the folder it was unpacked to) keeps that name, the observations are
dated by it.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from civicarchive.clock import format_time, parse_time
from civicarchive.connectors.base import ImportContext, media_type_of
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.reading import date_by_name, report_unread_files
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind, Observation

WATCH_URL = "https://www.youtube.com/watch?v="
CHANNEL_URL = "https://www.youtube.com/channel/"
CSV_TYPE = "text/csv"
COMMENT_KINDS = frozenset({Kind.COMMENT, Kind.REPLY})
HASHTAG = re.compile(r"(?<![\w&#])#(\w+)")
URL = re.compile(r"https?://[^\s<>\"']+")
COUNTER = re.compile(r"\s*\(\d+\)$")        # "Title(1).mp4": the second video so titled
TRUNCATED_NAME = 40                          # Takeout cuts file names near 43 UTF-16 units
TAKEOUT_NAME = re.compile(r"takeout-(\d{8}T\d{6}Z)-\d+\b")


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of `found`
class Table:
    """One Takeout CSV: where it lives and the header variants of the columns read."""

    folder: str
    stem: str
    required: dict[str, tuple[str, ...]]
    optional: dict[str, tuple[str, ...]]
    one_of: tuple[str, ...] = ()     # optional fields of which at least one must be there
    verbatim: tuple[str, ...] = ()   # free text, kept with its surrounding whitespace

    def matches(self, name: str) -> bool:
        path = PurePosixPath(name)
        return (path.parent.name.lower() == self.folder and
                re.fullmatch(rf"{re.escape(self.stem)}(?: ?\(\d+\))?\.csv", path.name,
                             re.IGNORECASE) is not None)


CHANNELS = Table(
    "channels", "channel",
    required={"id": ("channel id",), "title": ("channel title (original)", "channel title")},
    optional={"visibility": ("channel visibility", "visibility"), "country": ("channel country",),
              "description": ("channel description (original)", "channel description")})
VIDEOS = Table(
    "video metadata", "videos",
    required={"id": ("video id",), "title": ("video title (original)", "video title", "title")},
    optional={"description": ("video description (original)", "video description",
                              "description"),
              "created": ("video create timestamp", "video creation timestamp"),
              "published": ("video publish timestamp", "video published timestamp"),
              "category": ("video category", "category"),
              "privacy": ("privacy", "video privacy", "video visibility"),
              "state": ("video state",), "language": ("video audio language",),
              "duration_ms": ("approx duration (ms)",), "channel": ("channel id",)},
    one_of=("created", "published"), verbatim=("description",))
COMMENTS = Table(
    "comments", "comments",
    required={"id": ("comment id",), "text": ("comment text", "comment"),
              "created": ("comment create timestamp", "comment creation timestamp")},
    optional={"channel": ("channel id",), "parent": ("parent comment id",),
              "video": ("video id",), "post": ("post id",), "price": ("price",)},
    verbatim=("text",))


class YouTubeTakeoutImporter:
    format = "youtube"
    platform = "youtube"

    def detect(self, files: ExportFiles) -> bool:
        return any(table.matches(name) for name in files.names()
                   for table in (CHANNELS, VIDEOS, COMMENTS))

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        found = {table: sorted(n for n in files.names() if table.matches(n))
                 for table in (CHANNELS, VIDEOS, COMMENTS)}
        if not any(found.values()):
            raise InvalidInput(f"{files.path}: no channels/channel.csv, video metadata/"
                               "videos.csv or comments/comments.csv: is this a YouTube "
                               "Takeout export?")
        if match := TAKEOUT_NAME.match(files.path.name):
            date_by_name(context, match[1], "%Y%m%dT%H%M%SZ",
                         f"the Takeout name {files.path.name}", str(files.path))
        accounted = {n for names in found.values() for n in names}  # read, or reported
        if found[VIDEOS]:
            context.complete_kinds.add(Kind.POST)
        if found[COMMENTS]:
            context.complete_kinds.update(COMMENT_KINDS)
        channel_ids: list[str] = []
        for name in found[CHANNELS]:
            for profile in read_channels(files, name, context):
                channel_ids.append(profile.native_id)
                yield profile
        owner = channel_ids[0] if len(set(channel_ids)) == 1 else None
        roots = {str(PurePosixPath(n).parent.parent) for names in found.values() for n in names}
        yield from read_videos(files, found[VIDEOS], roots, owner, context, accounted)
        for name in found[COMMENTS]:
            yield from read_comments(files, name, owner, context)
        report_unread_files(files, accounted, context)


# -- the three tables -----------------------------------------------------------------------

def read_channels(files: ExportFiles, name: str,
                  context: ImportContext) -> Iterator[Observation]:
    for where, row, raw in table_rows(files, name, CHANNELS, context):
        if not row["id"]:
            context.problem(where, "a channel without a channel id; skipped")
            continue
        content = channel_content(row["id"], row["title"], row.get("description"),
                                  row.get("visibility"), row.get("country"))
        yield Observation(account_id=context.account_id, native_id=row["id"],
                          kind=Kind.PROFILE, observed_at=context.observed_at,
                          content=content, raw=raw, raw_media_type=CSV_TYPE, author=row["id"],
                          url=f"{CHANNEL_URL}{row['id']}")


def read_videos(files: ExportFiles, names: list[str], roots: set[str], owner: str | None,
                context: ImportContext, accounted: set[str]) -> Iterator[Observation]:
    """Posts, each followed by its video files; titles are gathered first, since a file
    may only be attached once it is known that no other video shares its title."""
    posts: list[Observation] = []
    for name in names:
        posts.extend(video_posts(files, name, owner, context))
    video_files = [n for n in files.names() if is_video_file(n, roots)]
    accounted.update(video_files)   # each is attached below, or reported as not attached
    if not names:
        for file in video_files:
            context.problem(files.where(file), "no video metadata/videos.csv to match this "
                            "file to a video; the file was not imported")
        return
    attached, unmatched = assign_video_files(
        {post.native_id: post.content["title"] for post in posts}, video_files)
    for file, why in unmatched:
        context.problem(files.where(file), why)
    for post in posts:
        yield post
        for file in attached.get(post.native_id, []):
            yield media(files, file, post, context)


def video_posts(files: ExportFiles, name: str, owner: str | None,
                context: ImportContext) -> Iterator[Observation]:
    for where, row, raw in table_rows(files, name, VIDEOS, context, {Kind.POST}):
        video_id = row["id"]
        if not video_id:
            skipped(context, where, "a video without a video id; skipped", {Kind.POST})
            continue
        try:
            created, published = (parse_time(row[f]) if row.get(f) else None
                                  for f in ("created", "published"))
        except (ValueError, OverflowError) as error:
            skipped(context, where, f"video {video_id}: unreadable time ({error}); skipped",
                    {Kind.POST})
            continue
        if created is None and published is None:
            skipped(context, where, f"video {video_id}: no create or publish time; skipped",
                    {Kind.POST})
            continue
        author = row.get("channel") or owner
        duration = row.get("duration_ms", "")
        content = video_content(row["title"], row.get("description", ""), author,
                                row.get("privacy"), row.get("category"), row.get("language"),
                                int(duration) if duration.isdigit() else None,
                                row.get("state"), published)
        state = content["state"]
        yield Observation(account_id=context.account_id, native_id=video_id, kind=Kind.POST,
                          observed_at=context.observed_at, content=content, raw=raw,
                          raw_media_type=CSV_TYPE, created_at=created or published,
                          author=author, url=f"{WATCH_URL}{video_id}",
                          # the export's own word; the archive infers other deletions
                          event=Event.DELETED if state == "deleted" else None)


def read_comments(files: ExportFiles, name: str, owner: str | None,
                  context: ImportContext) -> Iterator[Observation]:
    for where, row, raw in table_rows(files, name, COMMENTS, context, COMMENT_KINDS):
        comment_id = row["id"]
        if not comment_id:
            skipped(context, where, "a comment without a comment id; skipped",
                    COMMENT_KINDS)
            continue
        try:
            created = parse_time(row["created"])
        except (ValueError, OverflowError) as error:
            skipped(context, where, f"comment {comment_id}: unreadable time ({error}); "
                    "skipped", COMMENT_KINDS)
            continue
        try:
            text, links, mentions = comment_text(row["text"])
        except RecursionError:
            context.problem(where, f"comment {comment_id}: its text is JSON nested too "
                            "deeply to read; kept the cell as written")
            text, links, mentions = row["text"], [], []
        video, post = row.get("video") or None, row.get("post") or None
        reply_to = row.get("parent") or None
        author = row.get("channel") or owner
        content = comment_content(text, author, video, post, reply_to, mentions, links,
                                  row.get("price"))
        yield Observation(account_id=context.account_id, native_id=comment_id,
                          kind=Kind.REPLY if reply_to else Kind.COMMENT,
                          observed_at=context.observed_at, content=content, raw=raw,
                          raw_media_type=CSV_TYPE, created_at=created, author=author,
                          parent_native_id=reply_to or video or post,
                          url=comment_url(comment_id, video, post))


# -- content, the same for an exported record and a captured one ----------------------------

def channel_content(channel_id: str, title: str, description: str | None,
                    visibility: str | None, country: str | None) -> dict:
    """A channel's profile fields."""
    return {"text": title, "author": channel_id, "title": title,
            "description": description or None, "visibility": lowered(visibility),
            "country": country or None}


def video_content(title: str, description: str, author: str | None, visibility: str | None,
                  category: str | None, language: str | None, duration_ms: int | None,
                  state: str | None, published: datetime | None) -> dict:
    """A video's post fields."""
    return {"text": f"{title}\n\n{description}" if description else title,
            "author": author, "title": title, "description": description,
            "visibility": lowered(visibility), "category": category or None,
            "language": language or None, "duration_ms": duration_ms,
            "state": lowered(state),
            "published_at": format_time(published) if published else None,
            "urls": unique(URL.findall(description)),
            "hashtags": unique(HASHTAG.findall(f"{title} {description}"))}


def comment_content(text: str, author: str | None, video: str | None, post: str | None,
                    reply_to: str | None, mentions: list[str], links: list[str],
                    price: str | None) -> dict:
    """A comment's fields (`links`: those its text carries besides the ones written out)."""
    return {"text": text, "author": author, "video_id": video, "post_id": post,
            "reply_to": reply_to, "mentions": mentions,
            "urls": unique(links + URL.findall(text)), "hashtags": unique(HASHTAG.findall(text)),
            "price": price or None}


def comment_url(comment_id: str, video: str | None, post: str | None) -> str | None:
    """Where a comment is shown: under its video, or under its community post."""
    if video:
        return f"{WATCH_URL}{video}&lc={comment_id}"
    if post:
        return f"https://www.youtube.com/post/{post}?lc={comment_id}"
    return None


def comment_text(cell: str) -> tuple[str, list[str], list[str]]:
    """The text of a comment cell, with the links and mentioned channel ids its JSON
    segments carry. A cell that is not segment JSON is the plain text of an older export."""
    stripped = cell.strip()
    if not stripped.startswith("{"):
        return cell, [], []
    try:
        # strict=False: some exports leave raw newlines inside the JSON strings
        segments = json.JSONDecoder(strict=False).decode(f"[{stripped}]")
    except ValueError:
        return cell, [], []
    if len(segments) == 1 and isinstance(segments[0], dict) and \
            isinstance(segments[0].get("takeoutSegments"), list):
        segments = segments[0]["takeoutSegments"]
    if not segments or not all(isinstance(s, dict) and s.keys() & {"text", "link", "mention"}
                               for s in segments):
        return cell, [], []
    parts, links, mentions = [], [], []
    for segment in segments:
        link = segment.get("link") if isinstance(segment.get("link"), dict) else {}
        mention = segment.get("mention") if isinstance(segment.get("mention"), dict) else {}
        target = link.get("linkUrl") or link.get("url")
        text = segment.get("text")
        parts.append(text if isinstance(text, str) else str(target or ""))
        if isinstance(target, str):
            links.append(target)
        if isinstance(mention.get("externalChannelId"), str):
            mentions.append(mention["externalChannelId"])
    return "".join(parts), links, mentions


# -- video files ----------------------------------------------------------------------------

def is_video_file(name: str, roots: set[str]) -> bool:
    """A file in the `videos` folder beside the CSV folders, so that another Takeout
    product's `videos` folder in the same archive is not mistaken for uploads."""
    path = PurePosixPath(name)
    return (path.parent.name.lower() == "videos" and str(path.parent.parent) in roots
            and media_type_of(name).startswith("video/"))


def title_key(text: str) -> str:
    """Letters and digits only: what survives Takeout's renaming of a title to a file."""
    return "".join(c for c in unicodedata.normalize("NFC", text).casefold() if c.isalnum())


def assign_video_files(titles: dict[str, str], names: list[str]
                       ) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Video files by the id of the one video whose title fits each, and the files that fit
    none or several, with why."""
    keys = {video_id: title_key(title) for video_id, title in titles.items()}
    attached: dict[str, list[str]] = defaultdict(list)
    unmatched: list[tuple[str, str]] = []
    for name in names:
        stem = PurePosixPath(name).stem
        bare = COUNTER.sub("", stem)
        file_keys = {title_key(stem), title_key(bare)} - {""}
        fits = [v for v, key in keys.items() if key and key in file_keys]
        if not fits and len(bare) >= TRUNCATED_NAME:
            fits = [v for v, key in keys.items() if any(key.startswith(k) for k in file_keys)]
        if len(fits) == 1:
            attached[fits[0]].append(name)
        elif not fits:
            unmatched.append((name, "no video in videos.csv has a title that fits this file "
                              "name; the file was not imported"))
        else:
            unmatched.append((name, f"the file name fits the titles of {len(fits)} videos "
                              f"({', '.join(sorted(fits))}) and cannot be told apart; the "
                              "file was not imported"))
    return attached, unmatched


def media(files: ExportFiles, name: str, post: Observation,
          context: ImportContext) -> Observation:
    data = files.read(name)
    file = PurePosixPath(name).name
    media_type = media_type_of(name)
    return Observation(account_id=context.account_id, native_id=f"{post.native_id}/{file}",
                       kind=Kind.MEDIA, observed_at=context.observed_at,
                       content={"file": file, "media_type": media_type, "alt": None,
                                "size": len(data)},
                       raw=data, raw_media_type=media_type, created_at=post.created_at,
                       author=post.author, parent_native_id=post.native_id)


# -- CSV records with their exact bytes -----------------------------------------------------

def table_text(files: ExportFiles, name: str) -> str:
    try:
        return files.read(name).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{files.where(name)}: not UTF-8 text ({error}); Takeout writes "
                           "UTF-8, so the file may be damaged: download it again") from None


def records(text: str) -> Iterator[tuple[int, list[str] | csv.Error, str]]:
    """Each CSV record with the line it starts on and its exact source text. csv reads
    from an iterator that notes the lines it takes, so a quoted cell that spans lines
    stays in its record. Lines are split at '\\n' only, as csv itself would."""
    taken: list[str] = []

    def lines() -> Iterator[str]:
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end + 1
            taken.append(text[start:end])
            yield text[start:end]
            start = end

    reader = csv.reader(lines(), strict=True)
    line = 1
    while True:
        try:
            cells: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            cells = error
        source = "".join(taken)
        taken.clear()
        yield line, cells, source
        line += source.count("\n")


def header_columns(files: ExportFiles, name: str, table: Table,
                   header: list[str]) -> dict[str, int]:
    """Column positions by field name; a missing required column stops the import."""
    normal = [" ".join(cell.split()).lower() for cell in header]
    positions = {field: normal.index(variant)
                 for field, variants in (table.required | table.optional).items()
                 for variant in reversed(variants) if variant in normal}  # first variant wins
    missing = [variants[0] for field, variants in table.required.items()
               if field not in positions]
    if table.one_of and not positions.keys() & set(table.one_of):
        missing.append(" or ".join(table.optional[field][0] for field in table.one_of))
    if missing:
        raise InvalidInput(f"{files.where(name)}: no {', '.join(map(repr, missing))} column "
                           f"(the header is {', '.join(header)}); is this a YouTube Takeout "
                           "file?")
    return positions


def unread_columns(header: list[str], columns: dict[str, int]) -> list[str]:
    """The header's columns that no field is read from."""
    used = set(columns.values())
    return [cell for i, cell in enumerate(header) if i not in used and cell.strip()]


def skipped(context: ImportContext, where: str, what: str, kinds: Iterable[Kind]) -> None:
    """A row not read: a problem, and its kinds no longer complete in this export (an
    item missing for that reason must not be recorded as deleted)."""
    context.problem(where, what)
    context.complete_kinds.difference_update(kinds)


def table_rows(files: ExportFiles, name: str, table: Table, context: ImportContext,
               kinds: Iterable[Kind] = ()) -> Iterator[tuple[str, dict[str, str], bytes]]:
    """(where, cells by field name, raw bytes) for each data row; rows that cannot be
    read are reported and skipped (see `skipped`: their `kinds` are then not complete)."""
    columns: dict[str, int] | None = None
    width = 0
    for line, cells, source in records(table_text(files, name)):
        where = f"{files.where(name)}, line {line}"
        if isinstance(cells, csv.Error):
            if columns is None:
                raise InvalidInput(f"{where}: the header row is not valid CSV ({cells})")
            skipped(context, where, f"not valid CSV ({cells}); the record was skipped", kinds)
            continue
        if not cells:   # blank lines, as at the end of many exports
            continue
        if columns is None:
            columns, width = header_columns(files, name, table, cells), len(cells)
            if unread := unread_columns(cells, columns):
                context.problem(where, f"column(s) {', '.join(map(repr, unread))} are not "
                                "read; they are kept in each row's raw bytes only")
            continue
        if len(cells) != width:
            skipped(context, where, f"{len(cells)} cells where the header has {width}; the "
                    "row was skipped", kinds)
            continue
        row = {field: cells[i] if field in table.verbatim else cells[i].strip()
               for field, i in columns.items()}
        yield where, row, record_bytes(source)
    if columns is None:
        raise InvalidInput(f"{files.where(name)}: empty, with no header row; download the "
                           "export again")


def record_bytes(source: str) -> bytes:
    """The record as it stands in the file, without the line break that ends it."""
    for ending in ("\r\n", "\n"):
        if source.endswith(ending):
            return source[: -len(ending)].encode("utf-8")
    return source.encode("utf-8")


# -- small conversions ----------------------------------------------------------------------

def lowered(text: str | None) -> str | None:
    return (text.strip().lower() or None) if text else None


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
