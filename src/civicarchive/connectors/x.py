"""The X (Twitter) "Download an archive of your data" zip.

Data files are scripts, `window.YTD.<name>.partN = [ ... ]` (the manifest is
`window.__THAR_CONFIG = {...}`); an entry's raw bytes are its exact text in that array.

- `tweets.js` (2022 on; `tweet.js` in 2021; `-partN` splits; `community-tweet.js`):
  POST, or REPLY with the replied-to id as parent. Counts and `edit_info` stay out of the
  content: they change between exports and would make every import an edit.
- Edits are separate entries linked by `edit_info`: the chain is ONE item under the
  initial id, one version per entry in creation order, each observed at its `created_at`.
- `deleted-tweets.js`: created at `created_at`, then deleted at `deleted_at`.
- `note-tweet.js` (long posts) has no tweet id: a note is joined to the tweet created in
  the same second, whose text becomes the note's (the truncated text is kept).
- `direct-messages(-group).js`: each `messageCreate` is a MESSAGE whose parent is the
  conversation. Group membership events (`joinConversation`, `participantsLeave`, ...)
  are kept as MESSAGE items with a `type` and an id of conversation/type/time, since
  who was in a conversation is part of the record.
- Media files, `<tweet or message id>-<url basename>` in the media folders, follow their
  post; listed-but-missing ones are problems (except retweets', which X never includes).

A kind is claimed complete only if every file and entry of it was read: an entry
skipped here must not be marked deleted later. Pre-2019 "Grailbird" archives are
recognised and refused with advice.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from civicarchive.clock import parse_time
from civicarchive.connectors.base import ImportContext, json_array_items, media_type_of
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind, Observation

TWEET_FILES = ("tweets", "tweet", "community-tweet")
DELETED_FILES = ("deleted-tweets", "deleted-tweet")
DM_FILES = ("direct-messages", "direct-messages-group")
MEDIA_FOLDERS = frozenset({"tweets_media", "tweet_media", "deleted_tweets_media",
                           "community_tweet_media", "direct_messages_media",
                           "direct_messages_group_media"})
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"
GRAILBIRD = re.compile(r"(^|/)data/js/(tweets/\d{4}_\d{2}|tweet_index)\.js$"
                       r"|^([^/]+/)?tweets\.csv$")
PART = re.compile(r"-part(\d+)\.js$")
UNREADABLE = (TypeError, KeyError, ValueError, AttributeError)
Listed = tuple[str, list[str], str | None]  # media url, possible file names, alt text


class XArchiveImporter:
    format = "x"
    platform = "x"

    def detect(self, files: ExportFiles) -> bool:
        for name in files.find("manifest.js") + _data_files(files, TWEET_FILES):
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

    source: str       # the entry's exact text in the export
    file: str
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
        self.username: str | None = None
        self.user_id: str | None = None
        self.media = _media_index(files)
        self.notes: dict[datetime, list[dict]] = defaultdict(list)
        self.joined: set[str] = set()
        self.incomplete: set[Kind] = set()

    @property
    def author(self) -> str | None:
        return self.username or self.user_id

    def observations(self) -> Iterator[Observation]:
        tweet_files = _data_files(self.files, TWEET_FILES)
        dm_files = _data_files(self.files, DM_FILES)
        manifest = self.files.find("manifest.js")
        if not (tweet_files or dm_files or manifest):
            _refuse(self.files)
        if manifest:
            self._check_manifest(manifest[0])
        self._read_account()
        self._read_notes()
        chains: dict[str, list[_Entry]] = defaultdict(list)
        for name in tweet_files + _data_files(self.files, DELETED_FILES):
            for entry in self._tweet_entries(name, _stem(name) in DELETED_FILES):
                if entry.edited:
                    chains[entry.initial_id].append(entry)  # held back: edits are rare
                else:
                    yield from self._tweet_item([entry])
        for chain in chains.values():
            yield from self._tweet_item(sorted(chain, key=lambda e: (e.created_at, int(e.id))))
        for name in dm_files:
            yield from self._conversations(name)
        for note in (n for notes in self.notes.values() for n in notes):
            if note["id"] not in self.joined:
                self.context.problem(self.files.where(note["file"]), f"note tweet {note['id']} "
                                     "matches no tweet created in the same second; its text "
                                     "was not imported")
        claimed = ({Kind.POST, Kind.REPLY} if tweet_files else set()) | \
            ({Kind.MESSAGE} if dm_files else set())
        self.context.complete_kinds |= claimed - self.incomplete

    # -- account, manifest, notes --------------------------------------------------------

    def _check_manifest(self, name: str) -> None:
        """Tweets or messages the manifest lists but the export lacks are not complete."""
        text, equals = _script(self.files, name)
        try:
            config = json.loads(text[equals + 1:].strip().rstrip(";"))
            info = config.get("userInfo") or {}
            self.user_id, self.username = info.get("accountId"), info.get("userName")
            listed = [str(f.get("fileName")) for t in (config.get("dataTypes") or {}).values()
                      for f in t.get("files") or [] if f.get("fileName")]
        except UNREADABLE as error:
            raise InvalidInput(f"{self.files.where(name)}: not valid JSON after `=` or not "
                               f"a manifest ({error}); the file is damaged: download the "
                               "archive again") from None
        present = self.files.names()
        for path in listed:
            stem = _stem(path)
            kinds = {Kind.POST, Kind.REPLY} if stem in TWEET_FILES else \
                {Kind.MESSAGE} if stem in DM_FILES else set()
            if kinds and not any(n == path or n.endswith("/" + path) for n in present):
                self.incomplete |= kinds
                self.context.problem(self.files.where(name), f"lists {path} but the export "
                                     "lacks it; its kinds are not treated as complete, so "
                                     "nothing is marked deleted for their absence")

    def _read_account(self) -> None:
        for name in _data_files(self.files, ("account",)):
            for _, value, _ in _ytd_entries(self.files, name):
                account = value.get("account", value) if isinstance(value, dict) else None
                if isinstance(account, dict):
                    self.username = account.get("username") or self.username
                    self.user_id = account.get("accountId") or self.user_id

    def _read_notes(self) -> None:
        for name in _data_files(self.files, ("note-tweet",)):
            for index, value, _ in _ytd_entries(self.files, name):
                try:
                    note = value.get("noteTweet", value)
                    second = parse_time(note["createdAt"]).replace(microsecond=0)
                    self.notes[second].append({"id": str(note["noteTweetId"]), "file": name,
                                               "text": str(note["core"]["text"])})
                except UNREADABLE as error:
                    self.context.problem(self.files.where(name), f"entry {index}: not a "
                                         f"readable note tweet ({error!r}); skipped")

    def _note_for(self, tweet_text: str, created_at: datetime) -> dict | None:
        """The long post written in the same second; by its opening words if several."""
        candidates = [n for n in self.notes.get(created_at, []) if n["id"] not in self.joined]
        if len(candidates) > 1:
            opening = tweet_text.split("…")[0].split("https://t.co/")[0].strip()[:40]
            candidates = [n for n in candidates if n["text"].startswith(opening)][:1]
        if len(candidates) != 1:
            return None
        self.joined.add(candidates[0]["id"])
        return candidates[0]

    # -- tweets ---------------------------------------------------------------------------

    def _tweet_entries(self, name: str, deleted: bool) -> Iterator[_Entry]:
        for index, value, source in _ytd_entries(self.files, name):
            try:
                yield _tweet_entry(value, source, name, deleted, self.author)
            except UNREADABLE as error:
                self.incomplete |= {Kind.POST, Kind.REPLY}
                self.context.problem(self.files.where(name), f"entry {index}: not a readable "
                                     f"tweet ({error}); skipped, the others were imported")

    def _tweet_item(self, chain: list[_Entry]) -> Iterator[Observation]:
        """One item's versions: a lone tweet, or every entry of an edit chain in order."""
        created = chain[0].created_at
        for entry in chain:
            observed = entry.created_at if entry.edited or entry.deleted_at \
                else self.context.observed_at
            content = dict(entry.content)
            note = self._note_for(content["text"], entry.created_at)
            if note is not None:
                content.update(text=note["text"], truncated_text=content["text"],
                               note_tweet_id=note["id"])
            yield self._post(entry, created, observed, content, None)
            yield from self._media(entry.id, entry.initial_id, entry.media, entry.file,
                                   observed, created, check=not content["retweet"])
        if chain[-1].deleted_at is not None:
            yield self._post(chain[-1], created, chain[-1].deleted_at, None, Event.DELETED)

    def _post(self, entry: _Entry, created: datetime, observed: datetime,
              content: dict | None, event: Event | None) -> Observation:
        return Observation(
            account_id=self.context.account_id, native_id=entry.initial_id,
            kind=Kind.REPLY if entry.parent else Kind.POST, observed_at=observed,
            content=content, raw=entry.source.encode("utf-8"),
            raw_media_type="application/json", created_at=created, author=self.author,
            parent_native_id=entry.parent, event=event,
            url=f"https://x.com/{self.username or 'i/web'}/status/{entry.initial_id}")

    # -- media ----------------------------------------------------------------------------

    def _media(self, owner: str, parent: str, listed: list[Listed], where: str,
               observed: datetime, created: datetime, check: bool = True
               ) -> Iterator[Observation]:
        """The files named after `owner`, each read only as it is yielded."""
        present = self.media.get(owner, {})
        alts = {file: alt for _, names, alt in listed for file in names}
        for url, names, _ in listed:
            if check and names and not any(n in present for n in names):
                self.context.problem(self.files.where(where), f"{owner} lists media {url} "
                                     f"but the export has no file {names[0]}; imported "
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
        where = self.files.where(name)
        for index, value, source in _ytd_entries(self.files, name):
            try:
                conversation_id = str(value.get("dmConversation", value)["conversationId"])
                start = _member_start(source, "dmConversation") \
                    if "dmConversation" in value else 0
                messages = list(json_array_items(source,
                                                 _member_start(source, "messages", start)))
            except UNREADABLE as error:
                self.incomplete.add(Kind.MESSAGE)
                self.context.problem(where, f"entry {index}: not a readable conversation "
                                     f"({error!r}); skipped")
                continue
            for position, (message, text) in enumerate(messages):
                try:
                    observation, listed = self._message(conversation_id, message, text)
                except UNREADABLE as error:
                    self.incomplete.add(Kind.MESSAGE)
                    self.context.problem(where, f"conversation {conversation_id}, message "
                                         f"{position}: not readable ({error!r}); skipped")
                    continue
                yield observation
                yield from self._media(observation.native_id, observation.native_id, listed,
                                       name, observation.observed_at, observation.created_at)

    def _message(self, conversation_id: str, message: dict, source: str
                 ) -> tuple[Observation, list[Listed]]:
        (kind, body), = message.items()
        created = parse_time(body["createdAt"])
        listed: list[Listed] = []
        if kind == "messageCreate":
            native_id = str(body["id"])
            sender = str(body.get("senderId") or "")
            author = self.username if self.username and sender == self.user_id else sender
            media_urls = [str(url) for url in body.get("mediaUrls") or []]
            content = {
                "text": body.get("text") or "", "author": author, "sender_id": sender,
                "recipient_id": body.get("recipientId"), "conversation_id": conversation_id,
                "urls": [u.get("expanded") or u.get("url") for u in body.get("urls") or []],
                "media_urls": media_urls, "reactions": body.get("reactions") or []}
            listed = [(url, [f"{native_id}-{_basename(url)}"], None) for url in media_urls]
        else:  # a membership event: it has no id of its own
            native_id = f"{conversation_id}/{kind}/{body['createdAt']}"
            author = str(body.get("initiatingUserId") or "") or None
            content = {"type": kind, "text": body.get("name") or "", "author": author,
                       "conversation_id": conversation_id,
                       "details": {k: v for k, v in body.items() if k != "createdAt"}}
        return Observation(
            account_id=self.context.account_id, native_id=native_id, kind=Kind.MESSAGE,
            observed_at=self.context.observed_at, content=content,
            raw=source.encode("utf-8"), raw_media_type="application/json",
            created_at=created, author=author, parent_native_id=conversation_id), listed


# -- one tweet --------------------------------------------------------------------------------

def _tweet_entry(value: object, source: str, name: str, deleted: bool,
                 author: str | None) -> _Entry:
    """Raises TypeError, KeyError, ValueError or AttributeError for an unreadable entry."""
    tweet = value.get("tweet", value) if isinstance(value, dict) else None
    if not isinstance(tweet, dict):
        raise ValueError("not a JSON object")
    tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
    if not tweet_id.isdigit():
        raise ValueError(f"no tweet id (id_str={tweet.get('id_str')!r})")
    edit = tweet.get("edit_info") or {}
    later = edit.get("edit") or {}
    chain = (edit.get("initial") or later.get("editControlInitial") or {}).get(
        "editTweetIds") or []
    initial_id = str(later.get("initialTweetId") or (chain[0] if chain else tweet_id))
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
        source=source, file=name, id=tweet_id,
        created_at=_twitter_time(tweet.get("created_at"), "created_at"),
        deleted_at=_twitter_time(tweet.get("deleted_at"), "deleted_at") if deleted else None,
        initial_id=initial_id, edited=bool(later) or len(chain) > 1,
        parent=str(parent) if parent else None, content=content,
        # media reused from another tweet is that tweet's file, not this one's
        media=[(m.get("media_url_https") or m.get("media_url"), _media_names(tweet_id, m),
                m.get("ext_alt_text")) for m in media
               if str(m.get("source_status_id_str") or tweet_id) == tweet_id])


def _twitter_time(text: object, field: str) -> datetime:
    """`Tue Jan 21 00:21:51 +0000 2025`, or ISO 8601 as newer files use."""
    for parse in (lambda t: datetime.strptime(t, TWITTER_TIME), parse_time):
        try:
            return parse(text).astimezone(timezone.utc)
        except (TypeError, ValueError):
            continue
    raise ValueError(f"{field} {text!r} is not a time")


def _media_names(owner: str, media: dict) -> list[str]:
    """The names one media entry's file may have: photos by their url, videos and GIFs
    by one of their variants."""
    urls = [media.get("media_url_https") or media.get("media_url")]
    urls += [v.get("url") for v in (media.get("video_info") or {}).get("variants") or []]
    return [f"{owner}-{_basename(u)}" for u in urls if isinstance(u, str) and u]


def _basename(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).name


# -- the files --------------------------------------------------------------------------------

def _ytd_entries(files: ExportFiles, name: str) -> Iterator[tuple[int, object, str]]:
    """(index, value, exact source text) of each element of a `window.YTD...` file."""
    text, equals = _script(files, name)
    if not text[equals + 1:equals + 200].lstrip().startswith("[") or \
            not text[-200:].rstrip().rstrip(";").rstrip().endswith("]"):
        raise InvalidInput(f"{files.where(name)}: expected `window.YTD.<name>.partN = [ ... ]`"
                           "; the file is damaged or cut short: download the archive again")
    try:
        yield from ((i, v, s) for i, (v, s) in enumerate(json_array_items(text, equals + 1)))
    except ValueError as error:
        raise InvalidInput(f"{files.where(name)}: not valid JSON ({error}); the file is "
                           "damaged: download the archive again") from None


def _script(files: ExportFiles, name: str) -> tuple[str, int]:
    """A data file's text and the position of the `=` before its JSON."""
    try:
        text = files.read(name).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{files.where(name)}: not UTF-8 ({error.reason} at byte "
                           f"{error.start}); the file is damaged: download the archive "
                           "again") from None
    equals = text.find("=")
    if equals < 0 or not text.lstrip().startswith("window."):
        raise InvalidInput(f"{files.where(name)}: expected `window.<name> = <JSON>` as X "
                           "writes its archive files; is this file from an X archive?")
    return text, equals


def _member_start(text: str, key: str, start: int = 0) -> int:
    """Where the value of `key` begins in the (valid) JSON object at or after `start`:
    exact offsets, so nested entries (messages in a conversation) keep their own bytes."""
    decoder = json.JSONDecoder()
    i = text.index("{", start) + 1
    while True:
        while text[i] in " \t\r\n,":
            i += 1
        if text[i] == "}":
            raise KeyError(key)
        name, i = decoder.raw_decode(text, i)
        while text[i] in " \t\r\n:":
            i += 1
        if name == key:
            return i
        _, i = decoder.raw_decode(text, i)


def _stem(name: str) -> str:
    """`data/tweets-part2.js` -> `tweets`."""
    return PART.sub(".js", PurePosixPath(name).name).removesuffix(".js")


def _data_files(files: ExportFiles, stems: tuple[str, ...]) -> list[str]:
    """The `data/` files of these names, `-partN` splits in part order."""
    found = {name for stem in stems for name in files.find(f"{stem}.js") +
             files.find(f"{stem}-part*.js") if PurePosixPath(name).parent.name in ("data", "")}
    return sorted(found, key=lambda n: (stems.index(_stem(n)),
                                        int(m.group(1)) if (m := PART.search(n)) else 0))


def _media_index(files: ExportFiles) -> dict[str, dict[str, str]]:
    """owner id -> {file name: path}: media files start with their tweet or message id."""
    index: dict[str, dict[str, str]] = defaultdict(dict)
    for name in files.names():
        path = PurePosixPath(name)
        owner, dash, _ = path.name.partition("-")
        if path.parent.name in MEDIA_FOLDERS and dash and owner.isdigit():
            index[owner][path.name] = name
    return index


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
