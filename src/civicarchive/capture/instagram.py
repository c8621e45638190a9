"""Instagram professional accounts (business or creator) over the Graph API
(capture/graph.py), with a token that has `instagram_basic` and
`instagram_manage_comments`.

Verified only against Meta's documented response shapes (tests/capture/graph_stub.py):
no real Graph API was reachable when it was written. A pass:

- checks the token with `/debug_token` on the first and every full pass (as for
  Facebook Pages), and reads the account by its stable id, the account's platform id
  (`/{ig-user-id}`), never by its username: a changed username or name is a new version
  of the PROFILE item (native id: the IG user id);
- lists `/{ig-user-id}/media`, newest first (`paging.next`); an incremental pass stops
  at the newest media it saw before and re-reads the recent ones it watches; a full pass
  reads everything and claims posts, comments and replies complete, so that one missing
  is re-checked alone (`/{id}`: only HTTP 404 or Graph error 100/33 is a deletion);
- lists each media's comments (`/{media-id}/comments`, replies nested under
  `replies{...}`, or `/{comment-id}/replies` when they run to more pages), counted
  against the media's `comments_count`; other people's comments are COMMENT items, the
  account's own REPLY items; `hidden` makes a HIDDEN version, UNHIDDEN when shown again;
- downloads `media_url` (each child of a carousel) once, up to the size cap.

Content uses the importer's fields (connectors/instagram.py: text, author, attachments
by file name, hashtags, mentions; a comment's media_owner). Native ids differ from an
import's: Graph gives media and comments ids, an export none (the importer derives
them from times and file names), so a captured post and the same post imported are
two items. A caption edit is an edited version. An archived post is no longer listed
and Graph does not say why: its re-check decides.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from civicarchive.capture.base import (Absent, CaptureJob, Checked, Known, Pass, Thread,
                                       answers_checked)
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.graph import JSON, GraphPass, file_of, graph_time, nested_items
from civicarchive.connectors import meta
from civicarchive.connectors.instagram import attachment, mentions
from civicarchive.model.record import Event, Kind, Observation

PROFILE_FIELDS = "id,username,name,biography,website"
MEDIA_FIELDS = ("id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,"
                "comments_count,username,children{id,media_type,media_url,thumbnail_url}")
REPLY_FIELDS = "id,text,timestamp,username,hidden,parent_id"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
PAGE = 50


class InstagramCapturer:
    platform = "instagram"

    @answers_checked
    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """One pass over the account (see the module docstring)."""
        return _AccountRun(job, client, token, known).run()

    @answers_checked
    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """`/{id}` for one absent media or comment: GONE only on 404 or error 100/33."""
        run = _AccountRun(job, client, token, lambda ids: set())
        if absent.kind is Kind.POST:
            return run.recheck(absent, MEDIA_FIELDS, lambda found, raw: media_post_observation(
                found, raw, job.account_id, job.observed_at))
        owner = (absent.content or {}).get("media_owner") or job.handle
        return run.recheck(absent, f"{REPLY_FIELDS},media{{id}}",
                           lambda found, raw: comment_observation(
                               found, raw, job.account_id, owner,
                               found.get("parent_id") or (found.get("media") or {}).get("id"),
                               job.observed_at))


class _AccountRun(GraphPass):
    """The state of one pass."""

    time_key = "timestamp"
    post_fields = MEDIA_FIELDS

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None,
                 known: Known) -> None:
        if not job.platform_id:
            raise CaptureFailed(f"account {job.account_id} ({job.handle}) has no platform id: "
                                "register the Instagram account's numeric IG user id as its "
                                "platform id (accounts add); it is never matched by username")
        self.user_id = job.platform_id
        self.username = job.handle
        super().__init__(job, client, token, known)

    def run(self) -> Pass:
        job, result = self.job, self.result
        self.check_token()
        self.profile()
        since = None if job.full else self.cursor.get("since")

        def older(media: dict) -> bool:   # newest first: the rest were seen before
            return since is not None and bool(media.get("timestamp")) and \
                graph_time(media["timestamp"]).timestamp() <= since
        posts = list(self.graph.items(f"/{self.user_id}/media",
                                      {"fields": MEDIA_FIELDS, "limit": PAGE}, stop=older))
        watched = self.watched({media["id"] for media, _ in posts})
        for media, raw in [*posts, *watched]:
            observation = media_post_observation(media, raw, job.account_id, job.observed_at)
            self.add(observation)
            files = media_files(media)
            self.media_wanted += [(observation, name, url) for name, url in files]
            if not files:
                result.problem(f"/{media['id']}", "Graph gave no media_url (a video with "
                               "copyrighted music, or an expired story); kept without its file")
            if media.get("comments_count"):
                self.comments(media["id"], media["comments_count"])
        self.download_media(lambda name, media_type, size: {
            "file": name, "media_type": media_type, "alt": None, "size": size})
        return self.finish(posts, watched)

    def profile(self) -> None:
        response = self.graph.get(f"/{self.user_id}", {"fields": PROFILE_FIELDS})
        account = response.json()
        if str(account.get("id")) != self.user_id:
            raise CaptureFailed(f"Graph answers for IG user {account.get('id')}, not "
                                f"{self.user_id}: capture stopped rather than archive another "
                                "account", {"status": response.status_code})
        self.username = account.get("username") or self.username
        self.add(Observation(
            account_id=self.job.account_id, native_id=self.user_id, kind=Kind.PROFILE,
            observed_at=self.job.observed_at,
            content={"type": "profile", "text": account.get("biography") or "",
                     "author": account.get("username"),
                     "display_name": account.get("name") or "",
                     "username": account.get("username"), "website": account.get("website"),
                     "platform_id": self.user_id},
            raw=self.graph.raw(response), raw_media_type=JSON,
            author=account.get("username")))

    def comments(self, media_id: str, expected: int) -> None:
        """Every comment of a media and every reply under them, against the count."""
        captured = 0
        for comment, raw in self.graph.items(f"/{media_id}/comments",
                                             {"fields": COMMENT_FIELDS, "limit": PAGE}):
            captured += 1
            self.add(comment_observation(comment, raw, self.job.account_id, self.username,
                                         media_id, self.job.observed_at))
            for reply, reply_raw in self.replies(comment, raw):
                captured += 1
                self.add(comment_observation(reply, reply_raw, self.job.account_id,
                                             self.username, comment["id"],
                                             self.job.observed_at))
        self.result.threads.append(Thread(media_id, expected, captured))

    def replies(self, comment: dict, raw: bytes) -> list[tuple[dict, bytes]]:
        """The replies nested in a comment, or all of them when they run to more pages."""
        nested = comment.get("replies") if isinstance(comment.get("replies"), dict) else {}
        if (nested.get("paging") or {}).get("next"):
            return list(self.graph.items(f"/{comment['id']}/replies",
                                         {"fields": REPLY_FIELDS, "limit": PAGE}))
        return [(reply, source.encode("utf-8"))
                for reply, source in nested_items(raw.decode("utf-8"), "replies")]


def media_files(media: dict) -> list[tuple[str, str]]:
    """(file name, URL) of a media's files: each child of a carousel, or itself."""
    children = (media.get("children") or {}).get("data") \
        if isinstance(media.get("children"), dict) else None
    parts = children if media.get("media_type") == "CAROUSEL_ALBUM" and children else [media]
    found = []
    for part in parts:
        url = part.get("media_url") if isinstance(part, dict) else None
        if file_of(url):
            found.append((file_of(url), url))
    return found


def media_post_observation(media: dict, raw: bytes, account_id: int,
                           observed_at: datetime) -> Observation:
    """A media object as the importer's post fields."""
    text = media.get("caption") or ""
    posted = graph_time(media.get("timestamp")) or observed_at
    content = {"text": text, "author": media.get("username"),
               "attachments": [attachment({"uri": name}, posted, text)
                               for name, _ in media_files(media)],
               "hashtags": meta.HASHTAG.findall(text), "mentions": mentions(text),
               "cross_post_source": None}
    return Observation(
        account_id=account_id, native_id=media["id"], kind=Kind.POST, observed_at=observed_at,
        created_at=graph_time(media.get("timestamp")), content=content, raw=raw,
        raw_media_type=JSON, author=media.get("username"), url=media.get("permalink"))


def comment_observation(comment: dict, raw: bytes, account_id: int, owner: str,
                        parent_id: str | None, observed_at: datetime) -> Observation:
    """A comment or reply; the account's own are REPLY items."""
    text = comment.get("text") or ""
    author = comment.get("username")
    return Observation(
        account_id=account_id, native_id=comment["id"],
        kind=Kind.REPLY if author and author == owner else Kind.COMMENT,
        observed_at=observed_at, created_at=graph_time(comment.get("timestamp")),
        content={"text": text, "author": author, "media_owner": owner,
                 "hashtags": meta.HASHTAG.findall(text), "mentions": mentions(text)},
        raw=raw, raw_media_type=JSON, author=author, parent_native_id=parent_id,
        event=Event.HIDDEN if comment.get("hidden") else Event.UNHIDDEN)
