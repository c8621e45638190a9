"""A loopback stand-in for Meta's Graph API, built from the documented response shapes
only (no real Graph API was reachable): one Facebook Page and one Instagram professional
account whose posts can be edited and deleted and whose comments can be hidden, served
on 127.0.0.1 by tests/capture/loopback.py.

What it does as Graph does (per Meta's reference pages): `fields` selects the top-level
fields answered; lists are `{"data": [...], "paging": {"cursors": {...}, "next": ...}}`
with an `access_token` in the next link; `comments.limit(0).summary(true)` and
`summary=true` give `total_count`; `filter=stream` lists comments and replies together,
a reply naming its `parent`; a missing object is HTTP 400 with error 100, subcode 33;
a bad or expired token is error 190 (subcode 463); media URLs are signed with a query
that changes on every answer. Failures can be queued per path.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from tests.capture.loopback import Loopback

VERSION = "/v21.0"
PAGE_ID = "104857600012345"
IG_ID = "17841400000000001"
VISITOR = {"id": "100000000000777", "name": "Rita Resident"}
T0 = datetime(2026, 7, 30, 9, 0, tzinfo=timezone.utc)
NOT_FOUND = {"message": "Unsupported get request. Object with ID '{id}' does not exist, cannot "
             "be loaded due to missing permissions, or does not support this operation. "
             "Please read the Graph API documentation at "
             "https://developers.facebook.com/docs/graph-api",
             "type": "GraphMethodException", "code": 100, "error_subcode": 33,
             "fbtrace_id": "AbCdEfGhIjK"}
EXPIRED = {"message": "Error validating access token: Session has expired on Saturday, "
           "01-Aug-26 09:00:00 PDT. The current time is Sunday, 02-Aug-26 01:00:00 PDT.",
           "type": "OAuthException", "code": 190, "error_subcode": 463,
           "fbtrace_id": "AxYzExpired"}


def graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def top_fields(fields: str) -> list[str]:
    """`id,comments.limit(0).summary(true),replies{id,text}` -> id, comments, replies."""
    names, depth, current = [], 0, ""
    for char in fields + ",":
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current.split(".", 1)[0].split("{", 1)[0].strip())
            current = ""
        else:
            current += char
    return [n for n in names if n]


@dataclass
class Failure:
    path: str
    status: int
    error: dict | None
    headers: dict
    times: int


@dataclass
class GraphStub:
    token: str
    page: dict = field(default_factory=lambda: {
        "id": PAGE_ID, "name": "City of Example", "username": "cityofexample",
        "about": "Official page of the City of Example.", "description": "City hall news.",
        "link": "https://www.facebook.com/cityofexample", "website": "https://example.gov",
        "category": "Government organization"})
    ig: dict = field(default_factory=lambda: {
        "id": IG_ID, "username": "cityofexample", "name": "City of Example",
        "biography": "City hall", "website": "https://example.gov"})
    posts: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)
    media: dict = field(default_factory=dict)
    ig_comments: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    log: list = field(default_factory=list)          # (path, query, headers)
    moderated: list = field(default_factory=list)    # (comment id, field, value) POSTed
    expired: bool = False
    expires_at: int = 0
    data_access_expires_at: int = 0
    answers_for: str | None = None                   # another page id, to test matching
    endless: bool = False   # a broken server: every page links to itself under a new URL

    def __post_init__(self) -> None:
        self.ids = itertools.count(1)
        self.signatures = itertools.count(1)
        self.server = Loopback(self.answer)

    # -- the server ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url + VERSION

    def __enter__(self) -> GraphStub:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def requests_to(self, path: str) -> list[dict]:
        return [query for p, query, _ in self.log if p == VERSION + path]

    # -- changing the Page --------------------------------------------------------------

    def file(self, name: str, data: bytes) -> str:
        self.files[name] = data
        return name

    def add_post(self, message: str, at: datetime = T0, photo: str | None = None,
                 link: str | None = None, by: dict | None = None) -> str:
        post_id = f"{PAGE_ID}_{next(self.ids)}"
        attachments = []
        if photo:
            attachments.append({"type": "photo", "media": {"image": {
                "src": photo, "height": 720, "width": 960}},
                "target": {"id": "1", "url": f"https://www.facebook.com/photo/?fbid={post_id}"},
                "url": f"https://www.facebook.com/photo/?fbid={post_id}",
                "title": None, "description": "The new library"})
        if link:
            attachments.append({"type": "share", "url": f"https://l.facebook.com/l.php?u={link}",
                                "unshimmed_url": link, "title": "Council agenda",
                                "description": "Agenda for Monday",
                                "media": {"image": {"src": "https://external.example/safe_image.php?"
                                                           "d=1", "height": 300, "width": 300}}})
        self.posts[post_id] = {"id": post_id, "message": message, "created_time": graph_time(at),
                               "updated_time": graph_time(at), "from": by or {
                                   "id": PAGE_ID, "name": self.page["name"]},
                               "permalink_url": f"https://www.facebook.com/{post_id}",
                               "is_hidden": False, "attachments": attachments}
        return post_id

    def edit_post(self, post_id: str, message: str, at: datetime) -> None:
        self.posts[post_id] |= {"message": message, "updated_time": graph_time(at)}

    def delete_post(self, post_id: str) -> None:
        del self.posts[post_id]
        for comment_id in [c for c, v in self.comments.items() if v["post_id"] == post_id]:
            del self.comments[comment_id]

    def add_comment(self, post_id: str, message: str, by: dict = VISITOR,
                    parent: str | None = None, hidden: bool = False,
                    at: datetime = T0 + timedelta(hours=1), photo: str | None = None) -> str:
        comment_id = f"{post_id.split('_')[1]}_{next(self.ids)}"
        self.comments[comment_id] = {
            "id": comment_id, "post_id": post_id, "message": message,
            "created_time": graph_time(at), "from": by, "is_hidden": hidden,
            "parent": parent, "permalink_url": f"https://www.facebook.com/{comment_id}",
            "photo": photo}
        self.posts[post_id]["updated_time"] = graph_time(at)  # as Graph does
        return comment_id

    def hide(self, comment_id: str, hidden: bool = True) -> None:
        self.comments[comment_id]["is_hidden"] = hidden

    def add_media(self, caption: str, files: list[str], at: datetime = T0) -> str:
        media_id = f"1790000000000{next(self.ids):04d}"
        self.media[media_id] = {"id": media_id, "caption": caption, "timestamp": graph_time(at),
                                "files": files}
        return media_id

    def add_ig_comment(self, media_id: str, text: str, username: str = "rita.resident",
                       parent: str | None = None, hidden: bool = False,
                       at: datetime = T0 + timedelta(hours=1)) -> str:
        comment_id = f"1780000000000{next(self.ids):04d}"
        self.ig_comments[comment_id] = {"id": comment_id, "media_id": media_id, "text": text,
                                        "timestamp": graph_time(at), "username": username,
                                        "hidden": hidden, "parent_id": parent}
        return comment_id

    def fail(self, path: str, status: int = 500, error: dict | None = None,
             headers: dict | None = None, times: int = 1) -> None:
        """The next `times` requests to `path` (under the version) answer this."""
        self.failures.append(Failure(VERSION + path, status, error, headers or {}, times))

    # -- answering ----------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict, headers: dict
               ) -> tuple[int, dict, bytes]:
        query = {k: v[0] for k, v in query.items()}
        self.log.append((path, query, headers))
        if path.startswith("/files/"):
            name = path.removeprefix("/files/")
            if name not in self.files:
                return 404, {}, b""
            return 200, {"Content-Type": "image/jpeg" if name.endswith(".jpg") else
                         "video/mp4"}, self.files[name]
        for failure in self.failures:
            if failure.path == path and failure.times > 0:
                failure.times -= 1
                body = {"error": failure.error} if failure.error else \
                    {"error": {"message": "An unexpected error has occurred. Please retry your "
                               "request later.", "type": "OAuthException", "code": 2,
                               "is_transient": True, "fbtrace_id": "AtRaNsIeNt"}}
                return failure.status, {"Content-Type": "application/json", **failure.headers}, \
                    json.dumps(body).encode()
        if self.expired or headers.get("authorization") != f"Bearer {self.token}":
            return self.error(400, EXPIRED if self.expired else {
                "message": "Invalid OAuth access token - Cannot parse access token",
                "type": "OAuthException", "code": 190, "fbtrace_id": "AnOtOkEn"})
        parts = path.removeprefix(VERSION).strip("/").split("/")
        if method == "POST":
            return self.moderate(parts, query)
        fields = top_fields(query.get("fields", "id"))
        if parts == ["debug_token"]:
            return self.json({"data": {
                "app_id": "1234567890", "type": "PAGE", "application": "civicarchive",
                "data_access_expires_at": self.data_access_expires_at,
                "expires_at": self.expires_at, "is_valid": True, "profile_id": PAGE_ID,
                "scopes": ["pages_show_list", "pages_read_engagement",
                           "pages_read_user_content", "instagram_basic",
                           "instagram_manage_comments"], "user_id": "10000000000001"}})
        if len(parts) == 1:
            found = self.node(parts[0])
            if found is None:
                return self.error(400, {**NOT_FOUND,
                                        "message": NOT_FOUND["message"].format(id=parts[0])})
            return self.json(select(found, fields))
        node, edge = parts
        if node == PAGE_ID and edge == "feed":
            since = int(query.get("since", 0))
            posts = sorted((p for p in self.posts.values()
                            if _epoch(p["created_time"]) >= since),
                           key=lambda p: p["created_time"], reverse=True)
            return self.listing(path, query, [select(self.post(p), fields) for p in posts])
        if node in self.posts and edge == "comments":
            listed = [c for c in self.comments.values() if c["post_id"] == node
                      and (query.get("filter") == "stream" or not c["parent"])]
            listed.sort(key=lambda c: c["created_time"])
            summary = {"order": "chronological", "total_count": len(listed),
                       "can_comment": True} if query.get("summary") == "true" else None
            return self.listing(path, query, [select(self.comment(c), fields) for c in listed],
                                summary)
        if node == IG_ID and edge == "media":
            media = sorted(self.media.values(), key=lambda m: m["timestamp"], reverse=True)
            return self.listing(path, query, [select(self.ig_media(m), fields) for m in media])
        if node in self.media and edge == "comments":
            listed = sorted((c for c in self.ig_comments.values()
                             if c["media_id"] == node and not c["parent_id"]),
                            key=lambda c: c["timestamp"])
            return self.listing(path, query, [select(self.ig_comment(c), fields)
                                              for c in listed])
        if node in self.ig_comments and edge == "replies":
            return self.listing(path, query, [select(self.ig_comment(c), fields)
                                              for c in self.replies_of(node)])
        return self.error(400, {**NOT_FOUND, "message": NOT_FOUND["message"].format(id=node)})

    def moderate(self, parts: list[str], form: dict) -> tuple[int, dict, bytes]:
        """POST /{comment-id}: `is_hidden` on a Page comment, `hide` on an Instagram
        comment, as Graph accepts them; kept in `moderated` as (id, field, value)."""
        node = parts[0] if len(parts) == 1 else ""
        for comments, name, kept in ((self.comments, "is_hidden", "is_hidden"),
                                     (self.ig_comments, "hide", "hidden")):
            if node in comments and name in form:
                comments[node][kept] = form[name] == "true"
                self.moderated.append((node, name, form[name]))
                return self.json({"success": True})
        return self.error(400, {**NOT_FOUND, "message": NOT_FOUND["message"].format(id=node)})

    def node(self, node_id: str) -> dict | None:
        if node_id == PAGE_ID:
            return {**self.page, "id": self.answers_for or PAGE_ID}
        if node_id == IG_ID:
            return self.ig
        if node_id in self.posts:
            return self.post(self.posts[node_id])
        if node_id in self.comments:
            return self.comment(self.comments[node_id])
        if node_id in self.media:
            return self.ig_media(self.media[node_id])
        if node_id in self.ig_comments:
            found = self.ig_comment(self.ig_comments[node_id])
            return found | {"media": {"id": self.ig_comments[node_id]["media_id"]}}
        return None

    def signed(self, name: str) -> str:
        return f"{self.server.url}/files/{name}?_nc_cat=1&oh=00_sig{next(self.signatures)}" \
               "&oe=68A0B1C2"

    def post(self, post: dict) -> dict:
        count = sum(1 for c in self.comments.values() if c["post_id"] == post["id"])
        attachments = []
        for found in post["attachments"]:
            found = json.loads(json.dumps(found))
            src = found["media"]["image"]["src"]
            if found["type"] == "photo":
                found["media"]["image"]["src"] = self.signed(src)
            attachments.append(found)
        shown = {k: v for k, v in post.items() if k != "attachments"}
        if attachments:
            shown["attachments"] = {"data": attachments}
        shown["comments"] = {"data": [], "summary": {"order": "ranked", "total_count": count,
                                                     "can_comment": True}}
        return shown

    def comment(self, comment: dict) -> dict:
        shown = {k: comment[k] for k in ("id", "message", "created_time", "from", "is_hidden",
                                          "permalink_url")}
        shown["comment_count"] = sum(1 for c in self.comments.values()
                                     if c["parent"] == comment["id"])
        if comment["parent"]:
            shown["parent"] = {"id": comment["parent"]}
        if comment["photo"]:
            shown["attachment"] = {"type": "photo", "media": {"image": {
                "src": self.signed(comment["photo"]), "height": 100, "width": 100}},
                "url": f"https://www.facebook.com/photo/?fbid={comment['id']}"}
        return shown

    def ig_media(self, media: dict) -> dict:
        files = media["files"]
        shown = {"id": media["id"], "caption": media["caption"], "timestamp": media["timestamp"],
                 "permalink": f"https://www.instagram.com/p/{media['id'][-6:]}/",
                 "username": self.ig["username"],
                 "comments_count": sum(1 for c in self.ig_comments.values()
                                       if c["media_id"] == media["id"])}
        if len(files) > 1:
            shown |= {"media_type": "CAROUSEL_ALBUM", "media_url": self.signed(files[0]),
                      "children": {"data": [
                          {"id": f"{media['id']}{i}", "media_type": _ig_type(name),
                           "media_url": self.signed(name)} for i, name in enumerate(files)]}}
        else:
            shown |= {"media_type": _ig_type(files[0]), "media_url": self.signed(files[0])}
        return shown

    def replies_of(self, comment_id: str) -> list[dict]:
        return sorted((c for c in self.ig_comments.values() if c["parent_id"] == comment_id),
                      key=lambda c: c["timestamp"])

    def ig_comment(self, comment: dict) -> dict:
        shown = {k: comment[k] for k in ("id", "text", "timestamp", "username", "hidden")}
        if comment["parent_id"]:
            shown["parent_id"] = comment["parent_id"]
        else:
            replies = [self.ig_comment(r) for r in self.replies_of(comment["id"])]
            if replies:
                shown["replies"] = {"data": replies}
        return shown

    def listing(self, path: str, query: dict, items: list[dict], summary: dict | None = None
                ) -> tuple[int, dict, bytes]:
        limit = int(query.get("limit", 25))
        start = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
        page = items[start:start + limit]
        body: dict = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": _cursor(start),
                                          "after": _cursor(start + len(page))}}
            if self.endless:
                body["paging"]["next"] = f"{self.server.url}{path}?" + urlencode(
                    {**query, "access_token": self.token, "n": next(self.ids)})
            elif start + limit < len(items):
                rest = {k: v for k, v in query.items() if k != "after"}
                body["paging"]["next"] = f"{self.server.url}{path}?" + urlencode(
                    {**rest, "access_token": self.token, "after": _cursor(start + limit)})
        if summary:
            body["summary"] = summary
        return self.json(body)

    def json(self, body: dict) -> tuple[int, dict, bytes]:
        return 200, {"Content-Type": "application/json; charset=UTF-8",
                     "X-App-Usage": '{"call_count":3,"total_cputime":1,"total_time":2}'}, \
            json.dumps(body).encode()

    def error(self, status: int, error: dict) -> tuple[int, dict, bytes]:
        return status, {"Content-Type": "application/json",
                        "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'}, \
            json.dumps({"error": error}).encode()


def select(found: dict, fields: list[str]) -> dict:
    return {k: v for k, v in found.items() if k in fields or k == "id"}


def _cursor(at: int) -> str:
    return base64.b64encode(str(at).encode()).decode()


def _epoch(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def _ig_type(name: str) -> str:
    return "VIDEO" if name.endswith(".mp4") else "IMAGE"


# -- fixtures (imported by the tests that use them) ---------------------------------------

TOKEN = "EAAG-canary-9d2b7c41-graph-token-do-not-leak"


def register(archive, graph, tmp_path, platform: str, platform_id: str | None,
             handle: str = "cityofexample", token: str = TOKEN):
    """An account on the stub, configured for capture, its token stored."""
    account = archive.registry.add_account(platform, handle, "agency",
                                           platform_id=platform_id, actor="clerk")
    archive.capturing.configure(account.id, url=graph.url, actor="clerk")
    path = tmp_path / f"{platform}-token.txt"
    path.write_text(token + "\n")
    archive.credentials.store(account.id, path, actor="clerk")
    return account


def held(archive, account_id) -> dict:
    """native id -> (item, versions), for every item of the account."""
    from civicarchive.model.record import Kind
    from civicarchive.store import records
    with archive.context.read() as conn:
        keys = records.item_keys(conn, account_id, list(Kind), 0, limit=100000)
    return {native_id: (archive.reading.item(item_id), archive.reading.history(item_id))
            for item_id, native_id, _ in keys}


def events(archive, account_id, native_id) -> list[str]:
    return [v.event.value for v in held(archive, account_id)[native_id][1]]
