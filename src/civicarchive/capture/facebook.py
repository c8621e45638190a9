"""Facebook Pages over the Graph API (capture/graph.py), with a Page access token.

Verified only against Meta's documented response shapes (tests/capture/graph_stub.py):
no real Graph API was reachable when it was written. A pass:

- checks the token with `/debug_token` on the first pass and every full pass, so that
  its real expiry (`expires_at`, `data_access_expires_at`) is recorded; a check that
  cannot be made is a problem, not a failure;
- reads the Page by its stable id, the account's platform id (`/{page-id}`), never by
  its handle: a changed name or username is a new version of the PROFILE item (native
  id: the page id). An answer for another id stops the pass;
- lists `/{page-id}/feed` (`paging.next`); an incremental pass asks `since` the newest
  post it saw, and re-reads the recent posts it watches (`/{post-id}`); a full pass
  (every `full_every`) reads everything and claims posts, comments and replies
  complete, so that one missing from it is re-checked alone (`/{id}`: only HTTP 404 or
  Graph error 100/33 is a deletion, anything else leaves the item as it was);
- lists each post's comments with `filter=stream` (comments and replies in one list,
  a reply naming its `parent`), counted against the post's `comments.summary` total;
  other people's comments are COMMENT items, the Page's own are REPLY items, and
  `is_hidden` makes a HIDDEN version (UNHIDDEN when it is shown again);
- downloads each attachment's image or video once, up to the size cap.

Content uses the importer's fields (connectors/facebook.py: text, author, title, urls,
hashtags, tags, attachments by file name, place, links), so a captured post reads like
an imported one. The native ids differ: Graph's post id is `{page-id}_{post-id}`, while
an export carries no id and the importer derives one from the time and media, so a
captured post and the same post imported are two items. `edited_at` stays None: Graph's
`updated_time` moves with every new comment, so an edit shows as an edited version,
dated by the pass that saw it. Attachment URLs are signed and change with every answer:
content names a file by the last part of its path, as the importer does.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import httpx

from civicarchive.capture.base import (Absent, CaptureJob, Checked, Known, Pass, Thread,
                                       answers_checked)
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.graph import JSON, GraphPass, file_of, graph_time
from civicarchive.connectors import meta
from civicarchive.connectors.facebook import linked_urls
from civicarchive.connectors.facebook_attachments import attachment, new_details, place
from civicarchive.model.record import Event, Kind, Observation

PAGE_FIELDS = "id,name,username,about,description,link,website,category"
POST_FIELDS = ("id,message,story,created_time,updated_time,permalink_url,is_hidden,from,"
               "message_tags,place,attachments,comments.limit(0).summary(true)")
COMMENT_FIELDS = ("id,message,created_time,from,parent{id},is_hidden,comment_count,"
                  "permalink_url,attachment,message_tags")
PAGE = 100
LINK_TYPES = ("share", "link")


class FacebookCapturer:
    platform = "facebook"

    @answers_checked
    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """One pass over the Page (see the module docstring)."""
        return _PageRun(job, client, token, known).run()

    @answers_checked
    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """`/{id}` for one absent post or comment: GONE only on 404 or error 100/33."""
        run = _PageRun(job, client, token, lambda ids: set())
        if absent.kind is Kind.POST:
            return run.recheck(absent, POST_FIELDS, lambda found, raw: post_observation(
                found, raw, job.account_id, run.page_id, job.observed_at))
        return run.recheck(absent, COMMENT_FIELDS, lambda found, raw: comment_observation(
            found, raw, job.account_id, run.page_id, post_of(found["id"], run.page_id),
            job.observed_at))


def page_id_of(job: CaptureJob) -> str:
    """The Page's id: the account's platform id (a Page is never found by its handle)."""
    if not job.platform_id:
        raise CaptureFailed(f"account {job.account_id} ({job.handle}) has no platform id: "
                            "register the Page's numeric id as the account's platform id "
                            "(accounts add); a Page is never matched by its handle")
    return job.platform_id


def post_of(comment_id: str, page_id: str) -> str:
    """The post a top-level comment is on: Graph's comment ids are `{post}_{comment}`."""
    return f"{page_id}_{comment_id.split('_', 1)[0]}"


class _PageRun(GraphPass):
    """The state of one pass."""

    post_fields = POST_FIELDS

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None,
                 known: Known) -> None:
        self.page_id = page_id_of(job)
        super().__init__(job, client, token, known)

    def run(self) -> Pass:
        job = self.job
        self.check_token()
        self.profile()
        since = None if job.full else self.cursor.get("since")
        params = {"fields": POST_FIELDS, "limit": PAGE, **({"since": since} if since else {})}
        posts = list(self.graph.items(f"/{self.page_id}/feed", params))
        watched = self.watched({post["id"] for post, _ in posts})
        for post, raw in [*posts, *watched]:
            observation = post_observation(post, raw, job.account_id, self.page_id,
                                           job.observed_at)
            self.add(observation)
            self.want_media(observation, post.get("attachments"))
            expected = ((post.get("comments") or {}).get("summary") or {}).get("total_count", 0)
            if expected:
                self.comments(post["id"], expected)
        self.download_media(lambda name, media_type, size: {
            "file": name, "media_type": media_type, "alt": None, "size": size,
            "title": None, "description": None})
        return self.finish(posts, watched)

    def profile(self) -> None:
        response = self.graph.get(f"/{self.page_id}", {"fields": PAGE_FIELDS})
        page = response.json()
        if str(page.get("id")) != self.page_id:
            raise CaptureFailed(f"Graph answers for page {page.get('id')}, not {self.page_id}: "
                                "capture stopped rather than archive another account",
                                {"status": response.status_code})
        self.add(profile_observation(page, self.graph.raw(response), self.job.account_id,
                                     self.job.observed_at))

    def comments(self, post_id: str, expected: int) -> None:
        """Every comment and reply of a post, in one stream, counted against its total."""
        captured = 0
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "summary": "true",
                  "order": "chronological", "limit": PAGE}
        for comment, raw in self.graph.items(f"/{post_id}/comments", params):
            captured += 1
            observation = comment_observation(comment, raw, self.job.account_id, self.page_id,
                                              post_id, self.job.observed_at)
            self.add(observation)
            found = comment.get("attachment")
            self.want_media(observation, {"data": [found]} if isinstance(found, dict) else None)
        self.result.threads.append(Thread(post_id, expected, captured))

    def want_media(self, owner: Observation, attachments: object) -> None:
        for name, url in details_of(attachments)["media"]:
            self.media_wanted.append((owner, name, url))


def details_of(attachments: object) -> dict:
    """Graph attachments as the importer's details: `attachments` (by file name), `urls`,
    `links` (name, source, url) and the `media` to download as (file, url)."""
    details: dict = {"attachments": [], "urls": [], "links": [], "media": []}
    data = attachments.get("data") if isinstance(attachments, dict) else None
    for found in _flattened(data if isinstance(data, list) else []):
        media = found.get("media") if isinstance(found.get("media"), dict) else {}
        source = media.get("source") or (media.get("image") or {}).get("src")
        url = found.get("unshimmed_url") or found.get("url")
        kind = str(found.get("type") or "")
        if kind.startswith(LINK_TYPES) or not file_of(source):
            if url and "facebook.com/" not in url:
                details["urls"].append(url)
                details["links"].append({"name": found.get("title"), "url": url,
                                         "source": urlsplit(url).netloc or None})
            continue
        name = file_of(source)
        details["attachments"].append(attachment({"uri": name, "title": found.get("title"),
                                                  "description": found.get("description")}))
        details["media"].append((name, source))
    return details


def _flattened(found: list) -> list[dict]:
    """An album's photos in its place (subattachments), the others as they are."""
    flat = []
    for item in found:
        if not isinstance(item, dict):
            continue
        inner = (item.get("subattachments") or {}).get("data")
        flat += _flattened(inner) if isinstance(inner, list) and inner else [item]
    return flat


def _author(found: dict) -> str | None:
    sender = found.get("from")
    return sender.get("name") if isinstance(sender, dict) else None


def _place(found: object) -> dict | None:
    if not isinstance(found, dict):
        return None
    where = found.get("location") if isinstance(found.get("location"), dict) else {}
    address = ", ".join(str(where[k]) for k in ("street", "city", "zip", "country")
                        if where.get(k))
    coordinate = {k: where[k] for k in ("latitude", "longitude") if k in where}
    return place({"name": found.get("name"), "address": address or None,
                  "coordinate": coordinate})


def post_content(post: dict) -> dict:
    """A Graph post as the importer's post fields."""
    text = post.get("message") or ""
    details = details_of(post.get("attachments"))
    tags = post.get("message_tags") if isinstance(post.get("message_tags"), list) else []
    content = {"text": text, "author": _author(post), "title": post.get("story"),
               "edited_at": None, "urls": linked_urls(text, details["urls"]),
               "hashtags": meta.HASHTAG.findall(text),
               "tags": [t.get("name") for t in tags if isinstance(t, dict)],
               "attachments": details["attachments"], "place": _place(post.get("place")),
               "event": None}
    return content | new_details({"note": None, "links": details["links"]})


def comment_content(comment: dict) -> dict:
    """A Graph comment as the importer's comment fields."""
    text = comment.get("message") or ""
    found = comment.get("attachment")
    details = details_of({"data": [found]} if isinstance(found, dict) else None)
    content = {"text": text, "author": _author(comment), "title": None, "group": None,
               "urls": linked_urls(text, details["urls"]), "hashtags": meta.HASHTAG.findall(text),
               "attachments": details["attachments"]}
    return content | new_details({"note": None, "links": details["links"]})


def _shown(found: dict) -> Event:
    return Event.HIDDEN if found.get("is_hidden") else Event.UNHIDDEN


def post_observation(post: dict, raw: bytes, account_id: int, page_id: str,
                     observed_at: datetime) -> Observation:
    """A post of the Page's feed (by the Page or a visitor)."""
    content = post_content(post)
    return Observation(
        account_id=account_id, native_id=post["id"], kind=Kind.POST, observed_at=observed_at,
        created_at=graph_time(post.get("created_time")), content=content, raw=raw,
        raw_media_type=JSON, author=content["author"], url=post.get("permalink_url"),
        event=_shown(post))


def comment_observation(comment: dict, raw: bytes, account_id: int, page_id: str,
                        post_id: str, observed_at: datetime) -> Observation:
    """A comment (someone else's: COMMENT) or the Page's own reply (REPLY), under its
    parent comment or its post."""
    content = comment_content(comment)
    sender = comment.get("from") if isinstance(comment.get("from"), dict) else {}
    parent = comment.get("parent") if isinstance(comment.get("parent"), dict) else {}
    return Observation(
        account_id=account_id, native_id=comment["id"],
        kind=Kind.REPLY if str(sender.get("id")) == page_id else Kind.COMMENT,
        observed_at=observed_at, created_at=graph_time(comment.get("created_time")),
        content=content, raw=raw, raw_media_type=JSON, author=content["author"],
        parent_native_id=parent.get("id") or post_id, url=comment.get("permalink_url"),
        event=_shown(comment))


def profile_observation(page: dict, raw: bytes, account_id: int,
                        observed_at: datetime) -> Observation:
    """The Page itself; its id is the native id, so a rename is a new version."""
    return Observation(
        account_id=account_id, native_id=str(page["id"]), kind=Kind.PROFILE,
        observed_at=observed_at,
        content={"type": "profile", "text": page.get("about") or "",
                 "author": page.get("username") or page.get("name"),
                 "display_name": page.get("name") or "", "username": page.get("username"),
                 "description": page.get("description"), "url": page.get("link"),
                 "website": page.get("website"), "category": page.get("category"),
                 "platform_id": str(page["id"])},
        raw=raw, raw_media_type=JSON, author=page.get("username") or page.get("name"),
        url=page.get("link"))
