"""YouTube over the Data API v3, with the channel's API key or its owner's OAuth token.

The account's stored credential is either an API key (every Google API key begins
`AIza`) or an OAuth 2.0 access token (anything else). A key goes in the `X-Goog-Api-Key`
header, which Google's APIs take as they take the `key=` query parameter, so that it is
never part of a URL (URLs are logged: httpx logs each request's at INFO); a token goes as
`Authorization: Bearer`. Neither is ever kept in evidence, a log or an error: every body
and message is scrubbed of it.

A pass:

- reads the channel by its stable id (`channels.list?id=`, the account's platform id);
  only when the registry holds no id is it found once by handle (`forHandle=`) and the id
  kept in the cursor. The title, description, handle (`customUrl`), country and
  visibility are the PROFILE item (native id: the channel id), so a changed handle or
  title is a new version; subscriber and view counts change all the time and stay in the
  raw bytes only.
- lists the uploads playlist (`playlistItems.list`, paged by `pageToken`): a full pass
  (every `full_every` passes) reads every page and claims posts complete; an incremental
  one stops at the first page holding a video the archive already has, and re-reads the
  videos of the last week it watches.
- reads those videos in batches of 50 (`videos.list`, `part=snippet,statistics,status,
  contentDetails`): title and description edits are edits. A video listed but not
  answered is looked up alone (`videos.list?id=`): an empty answer is the only evidence of
  deletion the API gives, and it cannot tell a deleted video from one made private.
- reads the comment threads of each video that has comments (`commentThreads.list`,
  `part=snippet,replies`, `textFormat=plainText`) and the replies a thread does not embed
  (`comments.list?parentId=`). Comments are COMMENT items, replies REPLY items, as in the
  Takeout importer. Per video, `statistics.commentCount` is counted against the comments
  captured.
- with the owner's OAuth token only, reads the channel's threads held for review and
  likely spam (`moderationStatus=heldForReview|likelySpam`, which an API key may not
  ask): a comment in either state is a `hidden` version; one seen again among published
  comments is `unhidden`.

Content fields are the Takeout importer's (connectors/youtube.py), so a captured video or
comment and the same one imported are one item; what differs is in docs/coverage.md.
Raw bytes are the exact bytes of each API item (a thread's for its top-level comment and
the replies it embeds).

Errors: 403 `quotaExceeded` is RateLimited until the quota resets at midnight Pacific
time; 401, 400 `keyInvalid` and any other 403 are CredentialsRejected; 5xx is
PlatformUnavailable (capture/http.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import orjson

from civicarchive.capture.base import (Absent, CaptureJob, Checked, Known, Pass, Recheck, Thread,
                                       answers_checked)
from civicarchive.capture.failures import CaptureFailed, CredentialsRejected, RateLimited
from civicarchive.capture.http import Fetcher, Scrubber
from civicarchive.clock import parse_time
from civicarchive.connectors.base import json_array_items
from civicarchive.connectors.youtube import (CHANNEL_URL, WATCH_URL, channel_content,
                                             comment_content, comment_url, video_content)
from civicarchive.model.record import Event, Kind, Observation

API = "https://www.googleapis.com/youtube/v3"
JSON = "application/json"
BATCH = 50                  # the most ids videos.list takes, and playlistItems' page size
THREAD_PAGE = 100           # the most commentThreads and comments.list give at once
MAX_PAGES = 2000            # a listing longer than this is a server bug, not a channel
WATCH = 20                  # recent videos re-read by an incremental pass
WATCH_DAYS = 7
HIDDEN_STATUSES = ("heldForReview", "likelySpam")
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
KEY_REASONS = {"keyInvalid", "keyExpired"}
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


class YouTubeCapturer:
    platform = "youtube"

    @answers_checked
    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """One pass over the channel (see the module docstring)."""
        return _Run(job, client, token, known).run()

    @answers_checked
    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """`videos.list?id=` or `comments.list?id=` for one absent item: GONE when the
        answer holds no item (deleted, made private, or removed from public view: the
        API does not say which)."""
        api = _Api(job, client, token)
        if absent.kind is Kind.POST:
            data, response = api.get("videos", {"part": VIDEO_PARTS, "id": absent.native_id})
            found = items_of(data, response)
            if not found:
                return Checked(Recheck.GONE, _empty_evidence(api, response))
            run = _Run(job, client, token, lambda ids: set(), api)
            run.categories_of([video for video, _ in found])
            return Checked(Recheck.PRESENT, {"status": response.status_code},
                           run.video_observation(*found[0]))
        if absent.kind in (Kind.COMMENT, Kind.REPLY):
            if not api.oauth and absent.native_id in (job.cursor or {}).get("hidden", []):
                return Checked(Recheck.UNKNOWN, {"reason": "held for review when last seen; "
                                                           "an API key cannot see it"})
            data, response = api.get("comments", {"part": "snippet", "id": absent.native_id,
                                                  "textFormat": "plainText"})
            found = items_of(data, response)
            if not found:
                return Checked(Recheck.GONE, _empty_evidence(api, response))
            video = (absent.content or {}).get("video_id")
            return Checked(Recheck.PRESENT, {"status": response.status_code},
                           comment_observation(*found[0], video, job.account_id,
                                               job.observed_at))
        return Checked(Recheck.UNKNOWN, {"reason": f"a {absent.kind} is not looked up alone"})


VIDEO_PARTS = "snippet,statistics,status,contentDetails"


def is_api_key(token: str) -> bool:
    """Whether a credential is a Google API key rather than an OAuth access token."""
    return token.startswith("AIza")


class _Api:
    """The Data API for one pass: the credential where it belongs, refusals as failures."""

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None) -> None:
        if not token:
            raise CredentialsRejected(f"account {job.account_id} has no YouTube API key or "
                                      "OAuth token stored: store one (accounts credentials)")
        self.base = (job.settings.url or API).rstrip("/")
        self.key = token if is_api_key(token) else None
        self.oauth = self.key is None
        self.fetch = Fetcher(client, None if self.key else token, job.observed_at)
        self.fetch.scrub = Scrubber([token])
        self.headers = {"X-Goog-Api-Key": self.key} if self.key else {}
        self.now = job.observed_at

    def get(self, resource: str, params: dict, tolerate: tuple[str, ...] = ()
            ) -> tuple[dict | None, httpx.Response]:
        """(the answer, the response); (None, response) for an error whose reason is in
        `tolerate`; any other refusal raises."""
        response = self.fetch.get(f"{self.base}/{resource}", params, self.headers,
                                  allow=(400, 401, 403, 404))
        if response.status_code < 400:
            try:
                data = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                data = None
            if not isinstance(data, dict):
                raise CaptureFailed(f"{self.base}/{resource}: the answer is not a JSON object",
                                    {"status": response.status_code})
            return data, response
        reason = error_reason(response)
        if reason in tolerate:
            return None, response
        raise self.refusal(resource, response, reason)

    def refusal(self, resource: str, response: httpx.Response, reason: str | None
                ) -> CaptureFailed:
        evidence = self.fetch.evidence(response)
        status = response.status_code
        where = f"{self.base}/{resource}: HTTP {status}{f' ({reason})' if reason else ''}"
        if status == 403 and reason in QUOTA_REASONS:
            return RateLimited(f"{where}: the project's daily quota is spent; it resets at "
                               "midnight Pacific time", evidence, seconds_to_quota_reset(self.now))
        if status == 403 and reason in RATE_REASONS:
            return RateLimited(f"{where}: too many requests", evidence, 60.0)
        if status in (401, 403) or reason in KEY_REASONS:
            return CredentialsRejected(f"{where}: the platform refused the credentials (an "
                                       "expired token, a revoked key or a missing permission)",
                                       evidence)
        return CaptureFailed(f"{where}: unexpected answer", evidence)

    def pages(self, resource: str, params: dict, tolerate: tuple[str, ...] = ()
              ) -> Iterator[tuple[list[tuple[dict, bytes]] | None, httpx.Response, bool]]:
        """Each page as (items with their bytes, response, whether it is the last), by
        `pageToken`; a tolerated error ends the listing with None for the items."""
        token, tokens = None, set()
        for _ in range(MAX_PAGES):
            data, response = self.get(resource, {**params, **(
                {"pageToken": token} if token else {})}, tolerate)
            if data is None:
                yield None, response, True
                return
            token = data.get("nextPageToken")
            last = not token or token in tokens
            yield items_of(data, response), response, last
            if last:
                return
            tokens.add(token)
        raise CaptureFailed(f"{self.base}/{resource}: more than {MAX_PAGES} pages; stopped",
                            {"pages": MAX_PAGES})


def error_reason(response: httpx.Response) -> str | None:
    """The first `error.errors[].reason` of a Google API error body."""
    try:
        error = orjson.loads(response.content).get("error") or {}
        return (error.get("errors") or [{}])[0].get("reason") or error.get("status")
    except (orjson.JSONDecodeError, AttributeError, IndexError, TypeError):
        return None


def seconds_to_quota_reset(now: datetime) -> float:
    """Seconds until the next midnight in Pacific time, when the daily quota resets."""
    local = now.astimezone(QUOTA_ZONE)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - local).total_seconds())


def items_of(data: dict | None, response: httpx.Response) -> list[tuple[dict, bytes]]:
    """Each element of a list answer's `items` with its exact bytes."""
    if not data or not data.get("items"):
        return []
    text = response.text
    at = text.find('"items"')
    found = [(value, source.encode("utf-8")) for value, source in json_array_items(text, at)
             if isinstance(value, dict)]
    if [value for value, _ in found] != [v for v in data["items"] if isinstance(v, dict)]:
        raise CaptureFailed(f"{response.request.url.copy_with(query=None)}: the items could "
                            "not be read with their bytes", {"status": response.status_code})
    return found


def _empty_evidence(api: _Api, response: httpx.Response) -> dict:
    return {"status": response.status_code, "items": 0,
            "url": api.fetch.scrub(str(response.request.url.copy_with(query=None))),
            "meaning": "no item: deleted, made private or removed from public view (the "
                       "API does not tell which)"}


def duration_ms(duration: str | None) -> int | None:
    """An ISO 8601 duration (`PT1H30M5S`) in milliseconds."""
    match = _DURATION.fullmatch(duration or "")
    if not duration or not match:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000


def _time(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def comment_observation(comment: dict, raw: bytes, video_id: str | None, account_id: int,
                        observed_at: datetime, event: Event | None = None) -> Observation:
    """A comment resource as the importer's comment fields, with the author's name."""
    snippet = comment.get("snippet") or {}
    text = snippet.get("textOriginal") or snippet.get("textDisplay") or ""
    author = (snippet.get("authorChannelId") or {}).get("value")
    parent = snippet.get("parentId") or None
    video_id = video_id or snippet.get("videoId")
    content = comment_content(text, author, video_id, None, parent, [], [], None)
    content["author_name"] = snippet.get("authorDisplayName")
    return Observation(
        account_id=account_id, native_id=comment["id"],
        kind=Kind.REPLY if parent else Kind.COMMENT, observed_at=observed_at,
        created_at=_time(snippet.get("publishedAt")), content=content, raw=raw,
        raw_media_type=JSON, author=author, parent_native_id=parent or video_id,
        url=comment_url(comment["id"], video_id, None), event=event)


class _Run:
    """The state of one pass."""

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None,
                 known: Known, api: _Api | None = None) -> None:
        self.job = job
        self.api = api or _Api(job, client, token)
        self.known = known
        self.cursor = dict(job.cursor)
        self.result = Pass()
        self.observed: set[str] = set()
        self.captured: dict[str, int] = {}      # video id -> published comments captured

    def add(self, observation: Observation) -> bool:
        if observation.native_id in self.observed:
            return False
        self.observed.add(observation.native_id)
        self.result.observations.append(observation)
        return True

    def run(self) -> Pass:
        job, result = self.job, self.result
        uploads = self.channel()
        full = job.full
        listed, complete = self.uploads(uploads, full)
        watched = [] if full else [v for v in self.cursor.get("watch", []) if v not in listed]
        videos = self.videos([*listed, *watched])
        recent = set(self.cursor.get("watch", [])) | set(watched)
        readable = self.threads(videos, full, recent)
        if self.api.oauth:
            self.held()
        self.cursor["watch"] = self.watch_list(videos)
        self.cursor["passes_since_full"] = 0 if full else \
            self.cursor.get("passes_since_full", 0) + 1
        if full and complete:
            result.complete_kinds.add(Kind.POST)
            if readable:
                result.complete_kinds.update({Kind.COMMENT, Kind.REPLY})
        result.cursor = self.cursor
        result.requests = self.api.fetch.requests
        return result

    # -- the channel and its uploads -----------------------------------------------------

    def channel(self) -> str:
        """The PROFILE observation; returns the uploads playlist's id."""
        channel_id = self.job.platform_id or self.cursor.get("channel_id")
        params = {"part": "snippet,contentDetails,statistics,status"}
        if channel_id:
            params["id"] = channel_id
        else:
            params["forHandle"] = self.job.handle if self.job.handle.startswith("@") \
                else f"@{self.job.handle}"
        data, response = self.api.get("channels", params)
        found = items_of(data, response)
        if not found:
            raise CaptureFailed(f"account {self.job.account_id} ({self.job.handle}): YouTube "
                                f"has no channel {channel_id or params['forHandle']}; check the "
                                "account's platform id", self.api.fetch.evidence(response))
        channel, raw = found[0]
        if channel_id and channel.get("id") != channel_id:
            raise CaptureFailed(f"YouTube answers for channel {channel.get('id')}, not "
                                f"{channel_id}: capture stopped rather than archive another "
                                "channel", {"status": response.status_code})
        self.cursor["channel_id"] = channel["id"]
        snippet, status = channel.get("snippet") or {}, channel.get("status") or {}
        content = channel_content(channel["id"], snippet.get("title") or "",
                                  snippet.get("description"), status.get("privacyStatus"),
                                  snippet.get("country"))
        content["handle"] = snippet.get("customUrl")
        self.add(Observation(
            account_id=self.job.account_id, native_id=channel["id"], kind=Kind.PROFILE,
            observed_at=self.job.observed_at, content=content, raw=raw, raw_media_type=JSON,
            author=channel["id"], url=f"{CHANNEL_URL}{channel['id']}"))
        uploads = ((channel.get("contentDetails") or {}).get("relatedPlaylists") or {}) \
            .get("uploads")
        if not uploads:
            raise CaptureFailed(f"channel {channel['id']} names no uploads playlist",
                                {"status": response.status_code})
        return uploads

    def uploads(self, playlist: str, full: bool) -> tuple[list[str], bool]:
        """The video ids of the uploads playlist, newest first, and whether the listing
        reached its end. An incremental pass stops at a page holding a known video."""
        listed: list[str] = []
        for page, _, last in self.api.pages("playlistItems", {
                "part": "contentDetails", "playlistId": playlist, "maxResults": BATCH},
                tolerate=("playlistNotFound",)):   # a channel that never uploaded
            ids = [(item.get("contentDetails") or {}).get("videoId") for item, _ in page or []]
            here = [i for i in ids if i and i not in listed]
            listed += here
            if last:
                return listed, True
            if not full and here and self.known(here):
                return listed, False
        return listed, True

    # -- videos --------------------------------------------------------------------------

    def videos(self, video_ids: list[str]) -> list[dict]:
        """The videos, read in batches; one not answered is re-checked alone."""
        found: dict[str, tuple[dict, bytes]] = {}
        for start in range(0, len(video_ids), BATCH):
            batch = video_ids[start:start + BATCH]
            data, response = self.api.get("videos", {"part": VIDEO_PARTS,
                                                     "id": ",".join(batch)})
            for video, raw in items_of(data, response):
                found[video["id"]] = (video, raw)
        self.categories_of([video for video, _ in found.values()])
        missing = [v for v in video_ids if v not in found]
        held = self.known(missing) if missing else set()
        for video_id in video_ids:
            if video_id in found:
                self.add(self.video_observation(*found[video_id]))
            elif video_id in held:
                self.gone(video_id)
            else:   # listed, never readable (a private video in a listing): nothing to record
                self.result.problem(f"{WATCH_URL}{video_id}", "listed but not readable with "
                                    "this credential; not captured")
        return [found[v][0] for v in video_ids if v in found]

    def gone(self, video_id: str) -> None:
        """A video the batch did not answer, looked up alone: an empty answer is a
        deletion (or a change to private: the API does not say which)."""
        data, response = self.api.get("videos", {"part": "id", "id": video_id})
        if items_of(data, response):   # answered now: the batch was out of date
            self.result.problem(video_id, "left out of a batch answer but found alone; "
                                "read again next pass")
            return
        self.add(Observation(
            account_id=self.job.account_id, native_id=video_id, kind=Kind.POST,
            observed_at=self.job.observed_at, content=None, raw=response.content,
            raw_media_type=JSON, url=f"{WATCH_URL}{video_id}", event=Event.DELETED))

    def categories_of(self, videos: list[dict]) -> None:
        """Category names by id (`videoCategories.list`), for those not yet known."""
        names = self.cursor.setdefault("categories", {})
        wanted = sorted({(v.get("snippet") or {}).get("categoryId") for v in videos} - {None}
                        - set(names))
        if not wanted:
            return
        data, response = self.api.get("videoCategories", {"part": "snippet",
                                                          "id": ",".join(wanted)})
        for category, _ in items_of(data, response):
            names[category["id"]] = (category.get("snippet") or {}).get("title")

    def video_observation(self, video: dict, raw: bytes) -> Observation:
        """A video resource as the importer's post fields."""
        snippet, status = video.get("snippet") or {}, video.get("status") or {}
        published = _time(snippet.get("publishedAt"))
        content = video_content(
            snippet.get("title") or "", snippet.get("description") or "",
            snippet.get("channelId"), status.get("privacyStatus"),
            self.cursor.get("categories", {}).get(snippet.get("categoryId")),
            snippet.get("defaultAudioLanguage"),
            duration_ms((video.get("contentDetails") or {}).get("duration")),
            status.get("uploadStatus"), published)
        return Observation(
            account_id=self.job.account_id, native_id=video["id"], kind=Kind.POST,
            observed_at=self.job.observed_at, created_at=published, content=content, raw=raw,
            raw_media_type=JSON, author=snippet.get("channelId"),
            url=f"{WATCH_URL}{video['id']}",
            event=Event.DELETED if content["state"] == "deleted" else None)

    def watch_list(self, videos: list[dict]) -> list[str]:
        horizon = self.job.observed_at - timedelta(days=WATCH_DAYS)
        recent = [(published, v["id"]) for v in videos
                  if (published := _time((v.get("snippet") or {}).get("publishedAt")))
                  and published > horizon]
        return [video_id for _, video_id in sorted(recent, reverse=True)[:WATCH]]

    # -- comments ------------------------------------------------------------------------

    def threads(self, videos: list[dict], full: bool, recent: set[str]) -> bool:
        """The comments of every video that has some, counted against the platform's
        count; whether every archived comment could be listed (not when a video that
        had comments has them turned off). Between full passes, only videos new to the
        cursor, recent ones and those whose count moved are read again."""
        counts = self.cursor.setdefault("comments", {})   # video id -> captured, last read
        counted = self.cursor.setdefault("counted", {})   # video id -> the platform's count
        readable = True
        for video in videos:
            video_id = video["id"]
            expected = (video.get("statistics") or {}).get("commentCount")
            before = counts.get(video_id, 0)
            if expected is not None and int(expected) == 0 and not before:
                continue   # nothing to read
            if not full and video_id not in recent and video_id in counted and \
                    counted[video_id] == expected:
                continue   # unchanged since it was read; the next full pass reads it
            counted[video_id] = expected
            if expected is None or not self.video_threads(video_id):
                if before:   # comments turned off (no count), or the listing refused
                    readable = False
                    self.result.problem(f"{WATCH_URL}{video_id}", "comments are turned off:"
                                        f" the {before} captured are kept as they were")
                continue
            counts[video_id] = self.captured[video_id]
            self.result.threads.append(Thread(video_id, int(expected),
                                              self.captured[video_id]))
        return readable

    def video_threads(self, video_id: str) -> bool:
        """Every published thread of a video, with all its replies; False when comments
        are turned off or the video is not found."""
        self.captured.setdefault(video_id, 0)
        for page, _, _ in self.api.pages("commentThreads", {
                "part": "snippet,replies", "videoId": video_id, "maxResults": THREAD_PAGE,
                "textFormat": "plainText"}, tolerate=("commentsDisabled", "videoNotFound")):
            if page is None:
                return False
            for thread, raw in page:
                self.thread(thread, raw, held=False)
        return True

    def held(self) -> None:
        """The channel's threads held for review or likely spam (owner's token only)."""
        hidden: list[str] = []
        for status in HIDDEN_STATUSES:
            for page, _, _ in self.api.pages("commentThreads", {
                    "part": "snippet,replies", "moderationStatus": status,
                    "allThreadsRelatedToChannelId": self.cursor["channel_id"],
                    "maxResults": THREAD_PAGE, "textFormat": "plainText"}):
                for thread, raw in page or []:
                    hidden += self.thread(thread, raw, held=True)
        self.cursor["hidden"] = sorted(set(hidden))

    def thread(self, thread: dict, raw: bytes, held: bool) -> list[str]:
        """A thread's top-level comment and replies; returns the ids of those hidden.

        A comment's own `moderationStatus` decides (a held thread may be listed for one
        held reply); in the published listing, one without a status is published."""
        snippet = thread.get("snippet") or {}
        video_id = snippet.get("videoId")
        top = snippet.get("topLevelComment")
        replies = [(reply, raw) for reply in (thread.get("replies") or {}).get("comments", [])]
        if top and (snippet.get("totalReplyCount") or 0) > len(replies):
            replies += [r for r in self.replies(top["id"])
                        if r[0].get("id") not in {c.get("id") for c, _ in replies}]
        hidden = []
        for comment, source in ([(top, raw)] if top else []) + replies:
            status = (comment.get("snippet") or {}).get("moderationStatus")
            if status in HIDDEN_STATUSES:
                event = Event.HIDDEN
            elif status == "published" or not held and status is None:
                event = Event.UNHIDDEN   # a hidden version before it is undone; else nothing
            else:
                event = None             # a held listing that does not say: no claim
            if self.add(comment_observation(comment, source, video_id, self.job.account_id,
                                            self.job.observed_at, event)):
                if event is Event.HIDDEN:
                    hidden.append(comment["id"])
                elif event is Event.UNHIDDEN and video_id:
                    self.captured[video_id] = self.captured.get(video_id, 0) + 1
        return hidden

    def replies(self, parent_id: str) -> list[tuple[dict, bytes]]:
        found = []
        for page, _, _ in self.api.pages("comments", {
                "part": "snippet", "parentId": parent_id, "maxResults": THREAD_PAGE,
                "textFormat": "plainText"}):
            found += page or []
        return found
