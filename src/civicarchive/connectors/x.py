"""The X (Twitter) "Download an archive of your data" zip.

Data files are scripts, `window.YTD.<name>.partN = [ ... ]` (the manifest is
`window.__THAR_CONFIG = {...}`); an entry's raw bytes are its exact bytes in that array.
Entries are streamed (x_files, json_stream): an archive of any size is read in bounded
memory, and only ids and offsets are kept across entries.

- Observation time is the manifest's `generationDate`, when X made the export, so that
  an older export imported after a newer one is placed before it; it is also given as
  `evidence["export_generated_at"]`.
- `tweets.js` (2022 on; `tweet.js` in 2021; `-partN` splits; `community-tweet.js`):
  POST, or REPLY with the replied-to id as parent. Counts and `edit_info` stay out of the
  content: they change between exports and would make every import an edit.
- Edits are separate entries linked by `edit_info`: the chain is ONE item under the
  initial id, one version per entry in creation order, each observed at its `created_at`.
- `deleted-tweets.js`: created at `created_at`, then deleted at `deleted_at`.
- `note-tweet.js` (long posts) has no tweet id: see x_notes for the join.
- `direct-messages(-group).js`: each `messageCreate` (and automated
  `welcomeMessageCreate`) is a MESSAGE whose parent is the conversation. Group events
  (`joinConversation`, `participantsLeave`, ...) are MESSAGE items with a `type` and an
  id of conversation/type/time, since who was in a conversation is part of the record.
- Media files, `<tweet or message id>-<url basename>` in the media folders, follow their
  post; listed-but-missing ones are problems (retweets' too: X leaves most of them out).

Nothing is dropped silently: an entry not read, a file not read, a missing media file,
a text the export has but this importer did not find are problems. A kind is claimed
complete only if every file and entry of it was read: an entry skipped here must not be
marked deleted later. Pre-2019 "Grailbird" archives are recognised and refused.
"""

from __future__ import annotations

import hashlib
import html
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import orjson

from civicarchive.clock import parse_time
from civicarchive.connectors.base import ImportContext, media_type_of
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.json_stream import ArrayReader, DamagedArray, value_offset
from civicarchive.connectors.reading import date_by_export
from civicarchive.connectors.x_files import (DELETED_FILES, DM_FILES, TWEET_FILES,
                                             data_files, media_index, stem, unread_files,
                                             ytd_entries)
from civicarchive.connectors.x_notes import Held, Note, NoteJoin, head_of
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind, Observation

TWITTER_TIME = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\w{3}) (\d\d) (\d\d):(\d\d):(\d\d) "
                          r"([+-])(\d\d)(\d\d) (\d{4})")
MONTHS = {name: number for number, name in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
GRAILBIRD = re.compile(r"(^|/)data/js/(tweets/\d{4}_\d{2}|tweet_index)\.js$"
                       r"|^([^/]+/)?tweets\.csv$")
UNREADABLE = (TypeError, KeyError, ValueError, AttributeError)
MESSAGES = ("messageCreate", "welcomeMessageCreate")
EVENTS = frozenset({"joinConversation", "participantsJoin", "participantsLeave",
                    "conversationNameUpdate", "reactionCreate"})
Listed = tuple[str, list[str], str | None]  # media url, possible file names, alt text


class XArchiveImporter:
    format = "x"
    platform = "x"

    def detect(self, files: ExportFiles) -> bool:
        for name in files.find("manifest.js") + data_files(files, TWEET_FILES):
            with files.open_file(name) as stream:
                head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
            if head.startswith((b"window.__THAR_CONFIG", b"window.YTD.")):
                return True
        return any(GRAILBIRD.search(name) for name in files.names())

    def read(self, files: ExportFiles, context: ImportContext) -> Iterator[Observation]:
        return _ArchiveReader(files, context).observations()


@dataclass
class _Entry:
    """One tweet entry, parsed and normalised, waiting for its place in an item."""

    source: bytes     # the entry's exact bytes in the export
    file: str
    index: int
    id: str
    created_at: datetime
    deleted_at: datetime | None
    initial_id: str   # the item: the first tweet of its edit chain
    edited: bool
    parent: str | None
    content: dict
    media: list[Listed]


class _ArchiveReader:
    def __init__(self, files: ExportFiles, context: ImportContext) -> None:
        self.files = files
        self.context = context
        self.observed_at = context.observed_at
        self.username: str | None = None
        self.user_id: str | None = None
        self.media = media_index(files)
        self.attached: set[str] = set()   # owners whose media were looked at
        self.notes = NoteJoin()
        self.held = Held()
        self.incomplete: set[Kind] = set()
        self.tweet_ids = array("q")  # every tweet entry's id, 8 bytes each: see _duplicates

    @property
    def author(self) -> str | None:
        return self.username or self.user_id

    def problem(self, name: str, what: str) -> None:
        self.context.problem(self.files.where(name), what)

    def observations(self) -> Iterator[Observation]:
        tweet_files = data_files(self.files, TWEET_FILES)
        dm_files = data_files(self.files, DM_FILES)
        manifest = self.files.find("manifest.js")
        if not (tweet_files or dm_files or manifest):
            _refuse(self.files)
        if manifest:
            self._check_manifest(manifest[0])
        self._report_unread()
        self._read_account()
        self._check_owner()
        self._read_notes()
        try:
            yield from self._tweets(tweet_files + data_files(self.files, DELETED_FILES))
        finally:
            self.held.close()
        self._duplicates()
        for name in dm_files:
            yield from self._conversations(name)
        for owner in sorted(self.media.keys() - self.attached):
            for name in self.media[owner]:
                self.problem(name, f"a media file of {owner}, which is no tweet or message "
                             "in this export; not imported")
        claimed = ({Kind.POST, Kind.REPLY} if tweet_files else set()) | \
            ({Kind.MESSAGE} if dm_files else set())
        self.context.complete_kinds |= claimed - self.incomplete

    # -- manifest, unread files, account, notes ------------------------------------------

    def _check_manifest(self, name: str) -> None:
        """The export's time; tweets or messages it lists but the export lacks are not
        complete."""
        data = self.files.read(name)
        try:
            config = orjson.loads(data[data.index(b"=") + 1:].strip().rstrip(b";"))
            info = config.get("userInfo") or {}
            self.user_id, self.username = info.get("accountId"), info.get("userName")
            generated = (config.get("archiveInfo") or {}).get("generationDate")
            listed = [str(f.get("fileName")) for t in (config.get("dataTypes") or {}).values()
                      for f in t.get("files") or [] if f.get("fileName")]
        except (*UNREADABLE, orjson.JSONDecodeError) as error:
            raise InvalidInput(f"{self.files.where(name)}: not valid JSON after `=` or not "
                               f"a manifest ({error}); the file is damaged: download the "
                               "archive again") from None
        try:
            moment = parse_time(generated)
        except UNREADABLE:
            self.problem(name, f"archiveInfo.generationDate is {generated!r}, not a time; "
                         "the import's own time stands for when the export was made")
        else:  # (a time after this import is reported, and the import's time stands)
            date_by_export(self.context, moment, "archiveInfo.generationDate",
                           self.files.where(name))
            self.observed_at = self.context.observed_at
        present = self.files.names()
        for path in listed:
            kinds = {Kind.POST, Kind.REPLY} if stem(path) in TWEET_FILES else \
                {Kind.MESSAGE} if stem(path) in DM_FILES else set()
            if kinds and not any(n == path or n.endswith("/" + path) for n in present):
                self.incomplete |= kinds
                self.problem(name, f"lists {path} but the export lacks it; its kinds are not "
                             "treated as complete, so nothing is marked deleted for their "
                             "absence")

    def _report_unread(self) -> None:
        unknown, account = unread_files(self.files, self.media)
        for name in unknown:
            self.problem(name, "not a file this importer knows; not imported (report it if "
                         "it holds posts or messages)")
        if account:
            self.context.problem(str(self.files.path), f"{len(account)} files of account "
                                 "and platform data, not posts or messages, are not "
                                 f"imported: {', '.join(account)}")

    def _read_account(self) -> None:
        for name in data_files(self.files, ("account",)):
            for element in self._entries(name, None):
                value = element.value
                account = value.get("account", value) if isinstance(value, dict) else None
                if isinstance(account, dict):
                    self.username = account.get("username") or self.username
                    self.user_id = account.get("accountId") or self.user_id

    def _check_owner(self) -> None:
        """An archive of another account than the one imported into is refused: its
        tweets would join this account's records, and every record of this account it
        lacks would be recorded deleted. By the account id where both are known (a
        handle can change); else by the handle, or one the account had before
        (`screen-name-change.js`)."""
        registered = (self.context.handle or "").removeprefix("@").lower()
        if self.user_id and self.context.platform_id:
            if str(self.user_id) == self.context.platform_id:
                return
        elif not (self.username and registered) or self.username.lower() == registered \
                or registered in self._former_names():
            return
        raise InvalidInput(
            f"{self.files.path} is the X archive of @{self.username or '?'} (account id "
            f"{self.user_id or 'not given'}), but account {self.context.account_id} is "
            f"@{registered or '?'}"
            + (f" (account id {self.context.platform_id})" if self.context.platform_id
               else "") + ": pick the account it belongs to, or register that account; "
            "nothing was imported", parameter="account_id")

    def _former_names(self) -> set[str]:
        names: set[str] = set()
        for name in data_files(self.files, ("screen-name-change",)):
            for element in self._entries(name, None):
                value = element.value
                change = value.get("screenNameChange", value) if isinstance(value, dict) \
                    else None
                change = change.get("screenNameChange", change) if isinstance(change, dict) \
                    else None
                if isinstance(change, dict):
                    names |= {str(change[key]).lower() for key in ("changedFrom", "changedTo")
                              if change.get(key)}
        return names

    def _read_notes(self) -> None:
        for name in data_files(self.files, ("note-tweet",)):
            for element in self._entries(name, {Kind.POST, Kind.REPLY}):
                try:
                    note = element.value.get("noteTweet", element.value)
                    text = str(note["core"]["text"])
                    self.notes.add(Note(
                        str(note["noteTweetId"]), name, element.index,
                        parse_time(note["createdAt"]).replace(microsecond=0), head_of(text),
                        self.held.put(element.raw)))
                except UNREADABLE as error:
                    self.problem(name, f"entry {element.index} (byte {element.offset}): not "
                                 f"a readable note tweet ({error!r}); skipped")

    def _entries(self, name: str, kinds: set[Kind] | None) -> Iterator:
        """The readable entries of a data file; the others are problems, and make `kinds`
        incomplete."""
        for element in ytd_entries(self.files, name):
            if element.error is None:
                yield element
                continue
            self.incomplete |= kinds or set()
            self.problem(name, f"entry {element.index} (byte {element.offset}): not valid "
                         f"JSON ({element.error}); skipped, the others were imported")

    def _duplicates(self) -> None:
        """Tweet ids the export holds more than once: each copy is imported as a sighting
        (a copy that differs shows as an edit at the same time), which the report must
        say, since X writes each tweet once. Found without a Python object per id: a
        bit per hash marks ids seen, the few seen "again" are counted exactly."""
        seen, again = bytearray(1 << (_HASH_BITS - 3)), set()
        for number in self.tweet_ids:
            bit = hash(number) & ((1 << _HASH_BITS) - 1)
            if seen[bit >> 3] & (1 << (bit & 7)):
                again.add(number)
            seen[bit >> 3] |= 1 << (bit & 7)
        counts = dict.fromkeys(again, 0)
        for number in self.tweet_ids:
            if number in counts:
                counts[number] += 1
        twice = sorted(n for n, c in counts.items() if c > 1)
        if twice:
            shown = ", ".join(map(str, twice[:5])) + (f" and {len(twice) - 5} more"
                                                      if len(twice) > 5 else "")
            self.context.problem(str(self.files.path), f"{len(twice)} tweet id(s) appear more "
                                 f"than once in the export ({shown}); each copy was imported "
                                 "as a sighting of the same tweet, a copy that differs as an "
                                 "edit: check the export")

    # -- tweets ---------------------------------------------------------------------------

    def _tweets(self, names: list[str]) -> Iterator[Observation]:
        """Lone tweets as they come; edit chains and tweets of a second that has a long
        post once everything is read."""
        waiting: dict[str, list[tuple[datetime, int, tuple[int, int], str, int]]] = {}
        for name in names:
            deleted = stem(name) in DELETED_FILES
            for entry in self._tweet_entries(name, deleted):
                if not (entry.edited or self.notes.wants(entry.created_at)):
                    yield from self._tweet_item([entry], {})
                    continue
                if self.notes.wants(entry.created_at):
                    self.notes.offer(entry.id, entry.created_at, entry.content["text"])
                waiting.setdefault(entry.initial_id, []).append(
                    (entry.created_at, int(entry.id), self.held.put(entry.source), name,
                     entry.index))
        joined = self.notes.join(lambda note, what: self.problem(
            note.file, f"entry {note.index}: {what}"))
        for initial, chain in waiting.items():
            entries = [_tweet_entry(orjson.loads(raw := self.held.get(at)), raw, name, index,
                                    stem(name) in DELETED_FILES, self.author)
                       for _, _, at, name, index in sorted(chain)]
            if not any(e.id == initial for e in entries):  # keyed by it all the same
                first = entries[0]
                self.problem(first.file, f"entry {first.index}: an edit of tweet {initial}, "
                             "which the export does not hold; its versions are imported "
                             f"under that id from the earliest edit ({first.id})")
            yield from self._tweet_item(entries, joined)

    def _tweet_entries(self, name: str, deleted: bool) -> Iterator[_Entry]:
        for element in self._entries(name, {Kind.POST, Kind.REPLY}):
            try:
                entry = _tweet_entry(element.value, element.raw, name, element.index,
                                     deleted, self.author)
            except UNREADABLE as error:
                self.incomplete |= {Kind.POST, Kind.REPLY}
                self.problem(name, f"entry {element.index} (byte {element.offset}): not a "
                             f"readable tweet ({error}); skipped, the others were imported")
                continue
            if not entry.content["text"]:
                self._check_text(name, element.index, element.value)
            self.tweet_ids.append(_id_number(entry.id))
            yield entry

    def _check_text(self, name: str, index: int, value: object, what: str = "entry") -> None:
        """A text the export holds where this importer did not look is reported."""
        if (path := _stray_text(value)) is not None:
            self.problem(name, f"{what} {index}: its text at {path} was not read; imported "
                         "with an empty text")

    def _tweet_item(self, chain: list[_Entry], joined: dict[str, Note]
                    ) -> Iterator[Observation]:
        """One item's versions: a lone tweet, or every entry of an edit chain in order."""
        created = chain[0].created_at
        for entry in chain:
            observed = entry.created_at if entry.edited or entry.deleted_at \
                else self.observed_at
            content = entry.content
            note = joined.get(entry.id)
            if note is not None:
                body = orjson.loads(self.held.get(note.at))
                text = html.unescape(str(body.get("noteTweet", body)["core"]["text"]))
                content = {**content, "text": text,  # (escaped as a tweet's text is)
                           "truncated_text": content["text"], "note_tweet_id": note.id}
            yield self._post(entry, created, observed, content, None)
            yield from self._media(entry.id, entry.initial_id, entry.media, entry.file,
                                   observed, created, retweet=content["retweet"])
        if chain[-1].deleted_at is not None:
            yield self._post(chain[-1], created, chain[-1].deleted_at, None, Event.DELETED)

    def _post(self, entry: _Entry, created: datetime, observed: datetime,
              content: dict | None, event: Event | None) -> Observation:
        return Observation(
            account_id=self.context.account_id, native_id=entry.initial_id,
            kind=Kind.REPLY if entry.parent else Kind.POST, observed_at=observed,
            content=content, raw=entry.source, raw_media_type="application/json",
            created_at=created, author=self.author, parent_native_id=entry.parent,
            event=event,
            url=f"https://x.com/{self.username or 'i/web'}/status/{entry.initial_id}")

    # -- media ----------------------------------------------------------------------------

    def _media(self, owner: str, parent: str, listed: list[Listed], where: str,
               observed: datetime, created: datetime, retweet: bool = False
               ) -> Iterator[Observation]:
        """The files named after `owner`, each read only as it is yielded."""
        if owner in self.media:  # only owners with files: this set must stay small
            self.attached.add(owner)
        present = {PurePosixPath(name).name: name for name in self.media.get(owner, [])}
        alts = {file: alt for _, names, alt in listed for file in names}
        for url, names, _ in listed:
            if names and not any(n in present for n in names):
                why = " (X leaves most retweeted media out of its archives)" if retweet else ""
                self.problem(where, f"{'retweet ' if retweet else ''}{owner} lists media "
                             f"{url} but the export has no file {names[0]}{why}; imported "
                             "without it")
        for file, name in sorted(present.items()):
            data = self.files.read(name)
            media_type = media_type_of(file)
            yield Observation(
                account_id=self.context.account_id, native_id=f"{owner}/{file}",
                kind=Kind.MEDIA, observed_at=observed,
                content={"file": file, "media_type": media_type, "alt": alts.get(file),
                         "size": len(data)},
                raw=data, raw_media_type=media_type, created_at=created,
                author=self.author, parent_native_id=parent)

    # -- direct messages ------------------------------------------------------------------

    def _conversations(self, name: str) -> Iterator[Observation]:
        for element in self._entries(name, {Kind.MESSAGE}):
            value, raw = element.value, element.raw
            try:
                wrapped = "dmConversation" in value
                conversation_id = str((value["dmConversation"] if wrapped else value)
                                      ["conversationId"])
                start = value_offset(raw, ("dmConversation", "messages") if wrapped
                                     else ("messages",))
                messages = list(ArrayReader.of_bytes(raw, start).elements())
            except (*UNREADABLE, DamagedArray) as error:
                self.incomplete.add(Kind.MESSAGE)
                self.problem(name, f"entry {element.index} (byte {element.offset}): not a "
                             f"readable conversation ({error!r}); skipped")
                continue
            for message in messages:
                try:
                    observation, listed = self._message(conversation_id, message.value,
                                                        message.raw)
                except UNREADABLE as error:
                    self.incomplete.add(Kind.MESSAGE)
                    self.problem(name, f"conversation {conversation_id}, message "
                                 f"{message.index}: not readable ({error!r}); skipped")
                    continue
                shape = observation.content.get("type")
                if shape is not None and shape not in EVENTS and shape not in MESSAGES:
                    self.problem(name, f"conversation {conversation_id}, message "
                                 f"{message.index}: an entry of unknown shape `{shape}`; "
                                 "kept with its exact bytes as an event, its text not read")
                elif shape not in EVENTS and not observation.content["text"]:
                    self._check_text(name, message.index, message.value,
                                     f"conversation {conversation_id}, message")
                yield observation
                yield from self._media(observation.native_id, observation.native_id, listed,
                                       name, observation.observed_at, observation.created_at)

    def _message(self, conversation_id: str, message: dict, source: bytes
                 ) -> tuple[Observation, list[Listed]]:
        (kind, body), = message.items()
        created = parse_time(body["createdAt"])
        listed: list[Listed] = []
        if kind in MESSAGES:
            native_id = str(body["id"])
            sender = str(body.get("senderId") or "")
            author = self.username if self.username and sender == self.user_id else sender
            media_urls = [str(url) for url in body.get("mediaUrls") or []]
            content = {
                "text": html.unescape(body.get("text") or ""), "author": author,
                "sender_id": sender, "recipient_id": body.get("recipientId"),
                "conversation_id": conversation_id,
                "urls": [u.get("expanded") or u.get("url") for u in body.get("urls") or []],
                "media_urls": media_urls, "reactions": body.get("reactions") or []}
            if kind != "messageCreate":
                content["type"] = kind  # sent by X on the account's behalf
            listed = [(url, [f"{native_id}-{_basename(url)}"], None) for url in media_urls]
        else:  # a membership event: it has no id of its own
            native_id = f"{conversation_id}/{kind}/{body['createdAt']}"
            author = str(body.get("initiatingUserId") or "") or None
            content = {"type": kind, "text": body.get("name") or "", "author": author,
                       "conversation_id": conversation_id,
                       "details": {k: v for k, v in body.items() if k != "createdAt"}}
        return Observation(
            account_id=self.context.account_id, native_id=native_id, kind=Kind.MESSAGE,
            observed_at=self.observed_at, content=content, raw=source,
            raw_media_type="application/json", created_at=created, author=author,
            parent_native_id=conversation_id), listed


# -- one tweet --------------------------------------------------------------------------------

def _tweet_entry(value: object, source: bytes, name: str, index: int, deleted: bool,
                 author: str | None) -> _Entry:
    """Raises TypeError, KeyError, ValueError or AttributeError for an unreadable entry."""
    tweet = value.get("tweet", value) if isinstance(value, dict) else None
    if not isinstance(tweet, dict):
        raise ValueError("not a JSON object")
    tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
    if not tweet_id.isdigit():
        raise ValueError(f"an entry of unknown shape: no tweet id (keys "
                         f"{', '.join(sorted(map(str, tweet))[:6])})")
    edit = tweet.get("edit_info") or {}
    later = edit.get("edit") or {}
    chain = (edit.get("initial") or later.get("editControlInitial") or {}).get(
        "editTweetIds") or []
    initial_id = str(later.get("initialTweetId") or (chain[0] if chain else tweet_id))
    if not initial_id.isdigit():
        raise ValueError(f"its edit_info names {initial_id[:40]!r} as the first version, "
                         f"which is not a tweet id")
    parent = tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")
    text = html.unescape(tweet.get("full_text") or tweet.get("text") or "")
    entities = tweet.get("entities") or {}
    media = (tweet.get("extended_entities") or {}).get("media") or entities.get("media") or []
    content = {
        "text": text, "author": author, "tweet_id": tweet_id,
        "lang": tweet.get("lang"), "source": tweet.get("source"),
        "hashtags": [h.get("text") for h in entities.get("hashtags") or []],
        "mentions": [m.get("screen_name") for m in entities.get("user_mentions") or []],
        "urls": [u.get("expanded_url") or u.get("url") for u in entities.get("urls") or []],
        "attachments": [{"url": m.get("media_url_https") or m.get("media_url"),
                         "type": m.get("type"), "alt": m.get("ext_alt_text")} for m in media],
        "in_reply_to": None if not parent else {
            "status_id": str(parent), "user_id": tweet.get("in_reply_to_user_id_str"),
            "screen_name": tweet.get("in_reply_to_screen_name")},
        "retweet": text.startswith("RT @"),
        "possibly_sensitive": tweet.get("possibly_sensitive"),
    }
    if initial_id != tweet_id:
        content["edit_of"] = initial_id
    return _Entry(
        source=source, file=name, index=index, id=tweet_id,
        created_at=_twitter_time(tweet.get("created_at"), "created_at"),
        deleted_at=_twitter_time(tweet.get("deleted_at"), "deleted_at") if deleted else None,
        initial_id=initial_id, edited=bool(later) or len(chain) > 1,
        parent=str(parent) if parent else None, content=content,
        # media reused from another tweet is that tweet's file, not this one's
        media=[(*_media_files(tweet_id, m), m.get("ext_alt_text")) for m in media
               if str(m.get("source_status_id_str") or tweet_id) == tweet_id])


def _twitter_time(text: object, field: str) -> datetime:
    """`Tue Jan 21 00:21:51 +0000 2025`, or ISO 8601 as newer files use."""
    if isinstance(text, str) and (found := TWITTER_TIME.fullmatch(text)):
        month, day, hour, minute, second, sign, hours, minutes, year = found.groups()
        offset = (int(hours) * 60 + int(minutes)) * (-1 if sign == "-" else 1)
        try:
            return datetime(int(year), MONTHS[month], int(day), int(hour), int(minute),
                            int(second), tzinfo=timezone.utc) - timedelta(minutes=offset)
        except ValueError:
            pass
    try:
        return parse_time(text)
    except (TypeError, ValueError):
        raise ValueError(f"{field} {text!r} is not a time") from None


def _media_files(owner: str, media: dict) -> tuple[str, list[str]]:
    """(url, names its file may have, likeliest first) of one media entry: a photo by its
    url; a video or GIF by its variants, best first (its url is only the thumbnail)."""
    variants = sorted((v for v in (media.get("video_info") or {}).get("variants") or []
                       if isinstance(v.get("url"), str)),
                      key=lambda v: (v.get("content_type") != "video/mp4",
                                     -int(v.get("bitrate") or 0)))
    urls = [v["url"] for v in variants] or [media.get("media_url_https") or
                                            media.get("media_url")]
    urls = [u for u in urls if isinstance(u, str) and u]
    return (urls[0] if urls else None), [f"{owner}-{_basename(u)}" for u in urls]


def _basename(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).name


def _stray_text(value: object, path: str = "") -> str | None:
    """Where a non-empty `text` or `full_text` sits in an entry (outside entities)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("text", "full_text") and isinstance(item, str) and item.strip():
                return f"{path}.{key}".lstrip(".")
            if key not in ("entities", "extended_entities") and \
                    (found := _stray_text(item, f"{path}.{key}")) is not None:
                return found
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if (found := _stray_text(item, f"{path}[{position}]")) is not None:
                return found
    return None


def _refuse(files: ExportFiles) -> None:
    """No modern archive files: explain, Grailbird above all."""
    marker = next((n for n in files.names() if GRAILBIRD.search(n)), None)
    if marker is not None:
        raise InvalidInput(
            f"{files.where(marker)}: this is a Twitter archive in the older pre-2019 format "
            "(\"Grailbird\": data/js/tweets/YYYY_MM.js, tweets.csv), which civicarchive "
            "does not import yet. Request a new archive from X (Settings > Your account > "
            "Download an archive of your data) and import that zip instead.")
    raise InvalidInput(f"{files.path}: no X archive data here (data/manifest.js, "
                       "data/tweets.js, data/direct-messages.js); is this the zip X sent?")


_HASH_BITS = 25  # 4 MB of bits: a million ids mark 3% of them, so few are counted twice


def _id_number(tweet_id: str) -> int:
    """A tweet id as the signed 64-bit number it is (a stable 63-bit hash of anything
    else), to keep a million of them in 8 MB."""
    if tweet_id.isdigit() and int(tweet_id) < 2**63:
        return int(tweet_id)
    digest = hashlib.blake2b(tweet_id.encode(), digest_size=8).digest()
    return -(int.from_bytes(digest) >> 1) - 1  # negative: never a real id
