"""A YouTube Data API v3 made of documented shapes: a stateful stub served on loopback.

No YouTube server can run here, so this one is built from the API reference
(developers.google.com/youtube/v3/docs): the `channel`, `playlistItem`, `video`,
`videoCategory`, `commentThread` and `comment` resources and their list responses
(`kind`, `etag`, `nextPageToken`, `pageInfo`, `items`), paging by `pageToken`, the error
body (`error.code`, `error.message`, `error.errors[].domain/reason`), and what each
credential may see:

- an API key (the `key=` parameter or the `X-Goog-Api-Key` header) sees public videos in the uploads playlist, public and unlisted ones
  by id, and published comments only; `moderationStatus` is refused to it (the reference:
  "can only be used in a properly authorized request"), and comments carry no
  `moderationStatus`;
- the owner's OAuth token (`Authorization: Bearer`) sees private videos too, may list
  threads held for review or likely spam, and sees each comment's `moderationStatus`.

Tests change the state (a title edited, a video deleted or made private, a comment held,
edited or deleted, comments turned off, a failure queued) and capture again. Pages are
short (`page_size`) and threads embed few replies (`embedded`), so that paging and
`comments.list?parentId=` are exercised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

API_KEY = "AIzaSyC4n4ry-key-5e1f0c77-do-not-leak00"
OWNER_TOKEN = "ya29.canary-owner-token-5e1f0c77"
CHANNEL = "UCcityofexample0000000001"
UPLOADS = "UUcityofexample0000000001"
BASE = "/youtube/v3"
CATEGORIES = {"25": "News & Politics", "27": "Education"}
T0 = datetime(2026, 7, 30, 12, 0, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Video:
    id: str
    title: str
    description: str = ""
    published: datetime = T0
    privacy: str = "public"
    category: str = "25"
    duration: str = "PT1M1S"
    upload: str = "processed"
    language: str | None = "en"
    comments_off: bool = False
    extra_count: int = 0           # comments the platform counts but does not list


@dataclass
class Comment:
    id: str
    video: str
    text: str
    author: str = "UCresident00000000000001"
    name: str = "A Resident"
    parent: str | None = None
    status: str = "published"      # published | heldForReview | likelySpam | rejected
    published: datetime = T0
    updated: datetime | None = None


@dataclass
class YouTubeStub:
    title: str = "City of Example"
    handle: str = "@cityofexample"
    description: str = "Official channel of the City of Example."
    videos: dict[str, Video] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    failures: list[tuple[str | None, dict, int, str]] = field(default_factory=list)
    page_size: int = 2
    lists_private: bool = False    # playlists show "Private video" entries to everyone
    embedded: int = 1
    views: int = 0
    log: list[tuple[str, dict, dict]] = field(default_factory=list)

    @classmethod
    def city(cls, **kwargs) -> YouTubeStub:
        """A channel with three videos, comments and a thread with three replies."""
        stub = cls(**kwargs)
        for n, (video_id, title) in enumerate([("vidMeeting01", "Council meeting: March 4"),
                                               ("vidPlow00002", "Snow plow update"),
                                               ("vidParks0003", "Parks survey")]):
            stub.videos[video_id] = Video(video_id, title, published=T0 - timedelta(days=n))
        stub.videos["vidMeeting01"].description = \
            "Full recording.\nAgenda: https://example.gov/agenda #council"
        stub.comment("UgxA1", "vidMeeting01", "When is the next meeting?")
        for r in range(1, 4):
            stub.comment(f"UgxA1.R{r}", "vidMeeting01", f"Reply {r}", parent="UgxA1",
                         author=CHANNEL if r == 1 else f"UCneighbour{r:013d}",
                         name="City of Example" if r == 1 else f"Neighbour {r}")
        stub.comment("UgxB1", "vidMeeting01", "Thanks for posting #council")
        stub.comment("UgxC1", "vidPlow00002", "My street was missed")
        return stub

    # -- changing the platform ----------------------------------------------------------

    def comment(self, comment_id: str, video: str, text: str, **fields) -> Comment:
        self.comments[comment_id] = Comment(comment_id, video, text, **fields)
        return self.comments[comment_id]

    def fail(self, status: int, reason: str, path: str | None = None, **params: str) -> None:
        """Answer the next request (to `path` with these parameters, when given) with
        this error."""
        self.failures.append((path, params, status, reason))

    # -- answering ----------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict, headers: dict
               ) -> tuple[int, dict, bytes]:
        params = {k: v[0] for k, v in query.items()}
        self.log.append((path, params, headers))
        for n, (where, when, status, reason) in enumerate(self.failures):
            if (where is None or path.endswith(where)) and when.items() <= params.items():
                del self.failures[n]
                return error(status, reason)
        owner = headers.get("authorization") == f"Bearer {OWNER_TOKEN}"
        if not owner:
            if headers.get("authorization"):
                return error(401, "authError", "Invalid Credentials")
            key = headers.get("x-goog-api-key") or params.get("key")
            if key != API_KEY:
                return error(400, "keyInvalid", "API key not valid. Please pass a valid "
                             "API key.") if key else \
                    error(403, "forbidden", "The request is missing a valid API key.")
        resource = path.removeprefix(BASE + "/")
        handler = {"channels": self.channels, "playlistItems": self.playlist_items,
                   "videos": self.list_videos, "videoCategories": self.categories,
                   "commentThreads": self.threads, "comments": self.list_comments
                   }.get(resource)
        if handler is None:
            return error(404, "notFound", f"no {resource}")
        return handler(params, owner)

    def channels(self, params: dict, owner: bool) -> tuple[int, dict, bytes]:
        self.views += 7
        wanted = params.get("id") == CHANNEL or params.get("forHandle") == self.handle
        return listing("youtube#channelListResponse", [{
            "kind": "youtube#channel", "etag": f"ch{self.views}", "id": CHANNEL,
            "snippet": {"title": self.title, "description": self.description,
                        "customUrl": self.handle, "publishedAt": "2015-02-01T10:00:00Z",
                        "thumbnails": {"default": {"url": "https://yt3.example/a.jpg",
                                                   "width": 88, "height": 88}},
                        "localized": {"title": self.title, "description": self.description},
                        "country": "US"},
            "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": UPLOADS}},
            "statistics": {"viewCount": str(1000 + self.views), "subscriberCount": "120",
                           "hiddenSubscriberCount": False,
                           "videoCount": str(len(self.videos))},
            "status": {"privacyStatus": "public", "isLinked": True,
                       "longUploadsStatus": "allowed", "madeForKids": False}}]
            if wanted else [])

    def visible(self, video: Video, owner: bool, listed: bool) -> bool:
        if video.upload == "deleted" and not owner:
            return False
        return owner or video.privacy == "public" or video.privacy == "unlisted" and not listed \
            or video.privacy == "private" and listed and self.lists_private

    def playlist_items(self, params: dict, owner: bool) -> tuple[int, dict, bytes]:
        if params.get("playlistId") != UPLOADS:
            return error(404, "playlistNotFound", "The playlist identified with the "
                         "request's playlistId parameter cannot be found.")
        videos = sorted((v for v in self.videos.values() if self.visible(v, owner, True)),
                        key=lambda v: v.published, reverse=True)
        items = [{"kind": "youtube#playlistItem", "etag": f"pi{v.id}", "id": f"PL{v.id}",
                  "contentDetails": {"videoId": v.id, "videoPublishedAt": stamp(v.published)}}
                 for v in videos]
        return self.page("youtube#playlistItemListResponse", items, params,
                         int(params.get("maxResults", 5)))

    def list_videos(self, params: dict, owner: bool) -> tuple[int, dict, bytes]:
        self.views += 1
        ids = params.get("id", "").split(",")
        return listing("youtube#videoListResponse", [
            self.video(self.videos[i]) for i in ids
            if i in self.videos and self.visible(self.videos[i], owner, False)])

    def video(self, v: Video) -> dict:
        stats = {"viewCount": str(40 + self.views), "likeCount": "3", "favoriteCount": "0"}
        if not v.comments_off:
            stats["commentCount"] = str(v.extra_count + sum(
                1 for c in self.comments.values() if c.video == v.id and c.status == "published"))
        return {"kind": "youtube#video", "etag": f"v{v.id}{self.views}", "id": v.id,
                "snippet": {"publishedAt": stamp(v.published), "channelId": CHANNEL,
                            "title": v.title, "description": v.description,
                            "thumbnails": {}, "channelTitle": self.title, "tags": [],
                            "categoryId": v.category, "liveBroadcastContent": "none",
                            **({"defaultAudioLanguage": v.language} if v.language else {}),
                            "localized": {"title": v.title, "description": v.description}},
                "contentDetails": {"duration": v.duration, "dimension": "2d",
                                   "definition": "hd", "caption": "false",
                                   "licensedContent": False, "contentRating": {},
                                   "projection": "rectangular"},
                "status": {"uploadStatus": v.upload, "privacyStatus": v.privacy,
                           "license": "youtube", "embeddable": True,
                           "publicStatsViewable": True, "madeForKids": False},
                "statistics": stats}

    def categories(self, params: dict, owner: bool) -> tuple[int, dict, bytes]:
        return listing("youtube#videoCategoryListResponse", [
            {"kind": "youtube#videoCategory", "etag": f"c{i}", "id": i,
             "snippet": {"title": CATEGORIES[i], "assignable": True, "channelId": "UCBR8-"}}
            for i in params.get("id", "").split(",") if i in CATEGORIES])

    def comment_resource(self, c: Comment, owner: bool) -> dict:
        snippet = {"channelId": CHANNEL, "videoId": c.video, "textDisplay": c.text,
                   "textOriginal": c.text, "authorDisplayName": c.name,
                   "authorProfileImageUrl": "https://yt3.example/p.jpg",
                   "authorChannelUrl": f"http://www.youtube.com/channel/{c.author}",
                   "authorChannelId": {"value": c.author}, "canRate": True,
                   "viewerRating": "none", "likeCount": 0,
                   "publishedAt": stamp(c.published),
                   "updatedAt": stamp(c.updated or c.published)}
        if c.parent:
            snippet["parentId"] = c.parent
        if owner:
            snippet["moderationStatus"] = c.status
        return {"kind": "youtube#comment", "etag": f"e{c.id}", "id": c.id, "snippet": snippet}

    def threads(self, params: dict, owner: bool) -> tuple[int, dict, bytes]:
        status = params.get("moderationStatus", "published")
        if status != "published" and not owner:
            return error(403, "forbidden", "The request is not properly authorized to "
                         "retrieve the specified comment threads.")
        if "videoId" in params:
            video = self.videos.get(params["videoId"])
            if video is None or not self.visible(video, owner, False):
                return error(404, "videoNotFound", "The video identified by the videoId "
                             "parameter could not be found.")
            if video.comments_off:
                return error(403, "commentsDisabled", "The video identified by the videoId "
                             "parameter has disabled comments.")
            on = {video.id}
        elif params.get("allThreadsRelatedToChannelId") == CHANNEL:
            on = set(self.videos)
        else:
            return error(400, "missingRequiredParameter", "No filter selected.")
        tops = [c for c in self.comments.values() if c.parent is None and c.video in on]
        items = []
        for top in sorted(tops, key=lambda c: c.published, reverse=True):
            replies = [c for c in self.comments.values() if c.parent == top.id]
            shown = [r for r in replies if r.status == "published"] if status == "published" \
                else replies
            if status == "published" and top.status != "published" or \
                    status != "published" and status not in \
                    {top.status, *(r.status for r in replies)}:
                continue
            items.append({
                "kind": "youtube#commentThread", "etag": f"t{top.id}", "id": top.id,
                "snippet": {"channelId": CHANNEL, "videoId": top.video,
                            "topLevelComment": self.comment_resource(top, owner),
                            "canReply": True, "totalReplyCount": len(shown), "isPublic": True},
                **({"replies": {"comments": [self.comment_resource(r, owner)
                                             for r in shown[:self.embedded]]}}
                   if shown else {})})
        return self.page("youtube#commentThreadListResponse", items, params,
                         int(params.get("maxResults", 20)))

    def list_comments(self, params: dict, owner: bool) -> tuple[int, dict, bytes]:
        if "id" in params:
            found = [self.comment_resource(self.comments[i], owner)
                     for i in params["id"].split(",") if i in self.comments
                     and (owner or self.comments[i].status == "published")]
            for resource in found:   # "will not be set if requested through the id filter"
                resource["snippet"].pop("moderationStatus", None)
            return listing("youtube#commentListResponse", found)
        replies = [c for c in self.comments.values() if c.parent == params.get("parentId")
                   and (owner or c.status == "published")]
        return self.page("youtube#commentListResponse",
                         [self.comment_resource(c, owner) for c in replies], params,
                         int(params.get("maxResults", 20)))

    def page(self, kind: str, items: list, params: dict, limit: int
             ) -> tuple[int, dict, bytes]:
        size = min(limit, self.page_size)
        start = int(params.get("pageToken") or 0)
        chunk = items[start:start + size]
        following = str(start + size) if start + size < len(items) else None
        return listing(kind, chunk, following, total=len(items))


def listing(kind: str, items: list, next_token: str | None = None, total: int | None = None
            ) -> tuple[int, dict, bytes]:
    body = {"kind": kind, "etag": f"etag-{len(items)}",
            **({"nextPageToken": next_token} if next_token else {}),
            "pageInfo": {"totalResults": len(items) if total is None else total,
                         "resultsPerPage": len(items)},
            "items": items}
    return 200, {"Content-Type": "application/json; charset=UTF-8"}, \
        json.dumps(body, indent=2).encode()


def error(status: int, reason: str, message: str | None = None) -> tuple[int, dict, bytes]:
    message = message or {"quotaExceeded": "The request cannot be completed because you "
                                           "have exceeded your quota.",
                          "backendError": "Backend Error"}.get(reason, reason)
    domain = {"quotaExceeded": "youtube.quota", "authError": "global",
              "keyInvalid": "global"}.get(reason, "youtube.api")
    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}]}}
    return status, {"Content-Type": "application/json; charset=UTF-8"}, \
        json.dumps(body, indent=2).encode()
