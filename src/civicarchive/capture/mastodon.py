"""Mastodon over its REST API (v1), with the account owner's token.

A pass:

- finds the account by its stable id (`accounts/:id`); only the first pass, when the
  registry holds no id, looks it up by handle (`accounts/lookup`) and keeps the id in the
  cursor. A changed handle or display name is a new version of the PROFILE item, whose
  native id is the account's URI, as in an imported archive.
- lists `accounts/:id/statuses`, newest first, following the Link header's `next` (a
  next page of statuses already listed, or more than MAX_PAGES pages, fails the pass: the
  server's pagination would never end); an incremental pass stops at the cursor's
  `since_id`, a full pass (every `full_every` passes) reads every page and claims posts,
  replies and comments complete, so that an item missing from it is re-checked on its
  own (`statuses/:id`: only Mastodon's own answer that the record is not found says it
  was deleted).
- reads the replies of every listed status that has some (`statuses/:id/context`) as
  COMMENT items (other people's statuses; the agency's own replies are REPLY items, as
  in the importer), and counts them against the status's `replies_count`.
- reads `statuses/:id/history` for a status whose `edited_at` is new to the cursor: each
  earlier revision becomes an observation dated by the platform's own time, so an edit
  made and changed again between two passes is still on record.
- re-reads the recent posts it watches (`statuses/:id`) in an incremental pass, for new
  replies, edits and deletions (Mastodon's not-found answer there is a deletion event).
- downloads new media attachments, each up to the size cap.

Statuses are identified by their URI and normalised to the importer's content fields
(connectors/mastodon.py, whose `plain_text` this reuses), so that a captured status and
the same status imported from an archive are one item; visibility keeps the API's words.
The exact bytes of each status, as the API sent them, are the raw bytes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse

import httpx

from civicarchive.capture.base import (Absent, CaptureJob, Checked, Known, Pass, Recheck, Thread,
                                       answers_checked)
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.http import Fetcher
from civicarchive.clock import parse_time
from civicarchive.connectors.base import json_array_items
from civicarchive.connectors.mastodon import plain_text
from civicarchive.model.record import Event, Kind, Observation

JSON = "application/json"
PAGE = 40                 # the API's maximum for accounts/:id/statuses
MAX_PAGES = 2500          # 100,000 statuses: a longer listing is a server bug, not an agency
WATCH = 20                # recent posts re-read by an incremental pass
WATCH_DAYS = 3
COMPLETE_KINDS = frozenset({Kind.POST, Kind.REPLY, Kind.COMMENT})
NOT_FOUND = frozenset({"record not found", "not found"})   # Mastodon's JSON error texts


class MastodonCapturer:
    platform = "mastodon"

    @answers_checked
    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """One pass over the account (see the module docstring)."""
        return _Run(job, client, token, known).run()

    @answers_checked
    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """`statuses/:id` for one absent status: GONE only on Mastodon's own not-found
        answer; any other 404 (a proxy's, an HTML page) is UNKNOWN."""
        fetch = Fetcher(client, token, job.observed_at, _server(job), same_server=True)
        local_id = local_status_id(absent.native_id, _server(job)) or \
            (absent.content or {}).get("local_id")
        if not local_id:
            return Checked(Recheck.UNKNOWN, {"reason": "the platform's id of this status "
                                                       "is not known"})
        response = fetch.get(f"/api/v1/statuses/{local_id}", allow=(404, 410))
        if is_not_found(response):
            return Checked(Recheck.GONE, fetch.evidence(response))
        if response.status_code != 200:
            return Checked(Recheck.UNKNOWN, {"reason": f"HTTP {response.status_code} that is "
                                                       "not Mastodon's not-found answer",
                                             **fetch.evidence(response)})
        status = response.json()
        run = _Run(job, client, token, lambda ids: set())
        run.account_id = (job.cursor or {}).get("account_id") or job.platform_id
        observation = run.observe_status(status, response.content)
        return Checked(Recheck.PRESENT, {"status": response.status_code}, observation)


def is_not_found(response: httpx.Response) -> bool:
    """Whether a 404 or 410 is Mastodon's own JSON answer that the record does not exist,
    not a bare or HTML 404 from a proxy or a wrong route, which proves nothing."""
    if response.status_code not in (404, 410) or \
            response.headers.get("content-type", "").split(";")[0].strip() != JSON:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("error", "")).lower() in NOT_FOUND


def _server(job: CaptureJob) -> str:
    if not job.settings.url:
        raise CaptureFailed(f"account {job.account_id} has no Mastodon server configured: "
                            "set its URL (capture configure)")
    return job.settings.url


def local_status_id(uri: str, server: str) -> str | None:
    """The server's id of one of its own statuses: the last segment of its URI."""
    parsed, home = urlparse(uri), urlparse(server)
    if parsed.netloc != home.netloc:
        return None
    last = parsed.path.rstrip("/").rsplit("/", 1)[-1]
    return last if last.isdigit() else None


class _Run:
    """The state of one pass."""

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None,
                 known: Known) -> None:
        self.job = job
        self.fetch = Fetcher(client, token, job.observed_at, _server(job), same_server=True)
        self.known = known
        self.cursor = dict(job.cursor)
        self.result = Pass()
        self.account_id: str | None = None
        self.uris: dict[str, str] = {}          # status id -> URI, for reply parents
        self.listed: set[str] = set()           # status ids listed in this pass
        self.observed: set[str] = set()         # native ids observed in this pass

    def add(self, observation: Observation) -> None:
        if observation.native_id not in self.observed:
            self.observed.add(observation.native_id)
            self.result.observations.append(observation)

    # -- the pass ------------------------------------------------------------------------

    def run(self) -> Pass:
        job, result = self.job, self.result
        self.profile()
        full = job.full
        statuses = self.statuses(None if full else self.cursor.get("since_id"))
        for status, raw in statuses:
            self.uris[status["id"]] = status["uri"]
            self.listed.add(status["id"])
        watched = [] if full else self.watched(statuses)
        media_wanted: list[tuple[Observation, dict]] = []
        for status, raw in [*statuses, *watched]:
            observation = self.observe_status(status, raw)
            self.add(observation)
            self.history(status, observation)
            media_wanted += [(observation, a) for a in status.get("media_attachments") or []]
            if (status.get("replies_count") or 0) > 0 and not status.get("reblog"):
                self.thread(status)
        self.media(media_wanted)
        if statuses:
            self.cursor["since_id"] = max((s["id"] for s, _ in statuses), key=int)
        self.cursor["passes_since_full"] = 0 if full else \
            self.cursor.get("passes_since_full", 0) + 1
        self.cursor["watch"] = self.watch_list(statuses, watched)
        if full:
            result.complete_kinds = set(COMPLETE_KINDS)
        result.cursor = self.cursor
        result.requests = self.fetch.requests
        return result

    def profile(self) -> None:
        """The account by its stable id; by handle only when no id is known yet."""
        known_id = self.job.platform_id or self.cursor.get("account_id")
        if known_id:
            response = self.fetch.get(f"/api/v1/accounts/{known_id}", allow=(404, 410))
        else:
            response = self.fetch.get("/api/v1/accounts/lookup",
                                      {"acct": self.job.handle.lstrip("@")}, allow=(404,))
        if response.status_code in (404, 410):
            raise CaptureFailed(f"account {self.job.account_id} ({self.job.handle}) is not on "
                                f"{self.job.settings.url}: check the handle or the server",
                                self.fetch.evidence(response))
        account = response.json()
        if self.cursor.get("account_id") and account["id"] != self.cursor["account_id"]:
            raise CaptureFailed(f"the server answers for account {account['id']}, not "
                                f"{self.cursor['account_id']} as before: capture stopped "
                                "rather than archive another account",
                                {"status": response.status_code})
        self.account_id = self.cursor["account_id"] = account["id"]
        if account.get("moved"):
            self.result.problem(self.fetch.url(f"/api/v1/accounts/{account['id']}"),
                                f"the account has moved to {account['moved'].get('acct')}")
        self.add(profile_observation(
            account, response.content, self.job.account_id, self.job.observed_at))

    def statuses(self, since_id: str | None) -> list[tuple[dict, bytes]]:
        """Every status newer than `since_id` (all of them when None), newest first."""
        found: list[tuple[dict, bytes]] = []
        url = f"/api/v1/accounts/{self.account_id}/statuses"
        params: dict | None = {"limit": PAGE, **({"since_id": since_id} if since_id else {})}
        listed: set[str] = set()
        for _ in range(MAX_PAGES):
            response = self.fetch.get(url, params)
            page = items_of(response)
            if page and listed.issuperset(s["id"] for s, _ in page):
                raise CaptureFailed(f"{self.fetch.url(url)}: the next page holds only statuses "
                                    "already listed, so the server's pagination never ends; "
                                    "listing stopped", {"link": response.headers.get("link")})
            listed.update(s["id"] for s, _ in page)
            fresh = [(s, r) for s, r in page
                     if since_id is None or int(s["id"]) > int(since_id)]
            found += fresh
            if not page or len(fresh) < len(page):
                return found
            url, params = response.links.get("next", {}).get("url"), None
            if not url:
                return found
            if _origin(url) != _origin(self.fetch.base_url):
                raise CaptureFailed(f"the server's next page is on another host ({_origin(url)}"
                                    "); not followed", {"link": response.headers.get("link")})
        raise CaptureFailed(f"{self.fetch.url(url)}: more than {MAX_PAGES} pages of statuses; "
                            "listing stopped rather than follow the server's next link forever",
                            {"pages": MAX_PAGES})

    def watched(self, statuses: list[tuple[dict, bytes]]) -> list[tuple[dict, bytes]]:
        """Recent posts re-read for replies, edits and deletions (not listed again)."""
        listed = {s["id"] for s, _ in statuses}
        found = []
        for status_id in self.cursor.get("watch", []):
            if status_id in listed:
                continue
            response = self.fetch.get(f"/api/v1/statuses/{status_id}", allow=(404, 410))
            if is_not_found(response):
                uri = self.cursor.get("watch_uris", {}).get(status_id)
                if uri:
                    self.add(Observation(
                        account_id=self.job.account_id, native_id=uri, kind=Kind.POST,
                        observed_at=self.job.observed_at, content=None,
                        raw=response.content, raw_media_type=JSON, event=Event.DELETED))
                continue
            if response.status_code != 200:
                self.result.problem(self.fetch.url(f"/api/v1/statuses/{status_id}"),
                                    f"HTTP {response.status_code} that is not Mastodon's "
                                    "not-found answer; not taken as a deletion")
                continue
            found.append((response.json(), response.content))
            self.uris[status_id] = found[-1][0]["uri"]
        return found

    def watch_list(self, statuses: list, watched: list) -> list[str]:
        horizon = self.job.observed_at - timedelta(days=WATCH_DAYS)
        recent = [s for s, _ in [*statuses, *watched]
                  if not s.get("reblog") and s.get("in_reply_to_id") is None
                  and s.get("visibility") != "direct" and parse_time(s["created_at"]) > horizon]
        recent.sort(key=lambda s: int(s["id"]), reverse=True)
        kept = recent[:WATCH]
        self.cursor["watch_uris"] = {s["id"]: s["uri"] for s in kept}
        return [s["id"] for s in kept]

    # -- one status ----------------------------------------------------------------------

    def observe_status(self, status: dict, raw: bytes) -> Observation:
        own = status.get("account", {}).get("id") == self.account_id
        parent = self.parent_uri(status)
        if status.get("reblog"):
            content = {"type": "boost", "text": "", "author": _author(status, own),
                       "uri": status["uri"], "boost_of": status["reblog"].get("uri"),
                       "visibility": status.get("visibility")}
            kind = Kind.POST
        else:
            content = status_content(status, parent, own)
            if not own:
                kind = Kind.COMMENT
                content["local_id"] = status["id"]
            elif status.get("visibility") == "direct":
                kind = Kind.MESSAGE
            else:
                kind = Kind.REPLY if status.get("in_reply_to_id") else Kind.POST
        return Observation(
            account_id=self.job.account_id, native_id=status["uri"], kind=kind,
            observed_at=self.job.observed_at, created_at=parse_time(status["created_at"]),
            content=content, raw=raw, raw_media_type=JSON, author=content["author"],
            parent_native_id=parent, url=status.get("url"))

    def parent_uri(self, status: dict) -> str | None:
        parent_id = status.get("in_reply_to_id")
        if not parent_id:
            return None
        if parent_id not in self.uris:
            response = self.fetch.get(f"/api/v1/statuses/{parent_id}", allow=(404, 410))
            if response.status_code != 200:
                self.result.problem(self.fetch.url(f"/api/v1/statuses/{parent_id}"),
                                    f"the status {status['uri']} answers is gone (HTTP "
                                    f"{response.status_code}); kept without its parent")
                return None
            self.uris[parent_id] = response.json()["uri"]
        return self.uris[parent_id]

    def history(self, status: dict, current: Observation) -> None:
        """Earlier revisions of an edited status, once per edit."""
        edited_at = status.get("edited_at")
        edits = self.cursor.setdefault("edited", {})
        if not edited_at or edits.get(status["id"]) == edited_at:
            return
        response = self.fetch.get(f"/api/v1/statuses/{status['id']}/history")
        revisions = items_of(response)
        for position, (revision, raw) in enumerate(revisions[:-1]):
            content = {**current.content,
                       "html": revision.get("content") or "",
                       "text": plain_text(revision.get("content") or ""),
                       "content_warning": revision.get("spoiler_text") or "",
                       "sensitive": bool(revision.get("sensitive", False)),
                       "attachments": [attachment(a) for a in
                                       revision.get("media_attachments") or []],
                       "edited_at": revision["created_at"] if position else None}
            # dated by the platform, but never after this pass (a clock off on either side)
            when = min(parse_time(revision["created_at"]),
                       self.job.observed_at - timedelta(microseconds=len(revisions) - position))
            self.result.history.append(Observation(
                account_id=current.account_id, native_id=current.native_id, kind=current.kind,
                observed_at=when, created_at=current.created_at,
                content=content, raw=raw, raw_media_type=JSON, author=current.author,
                parent_native_id=current.parent_native_id, url=current.url))
        edits[status["id"]] = edited_at

    def thread(self, status: dict) -> None:
        """The replies under a status, counted against what the platform says."""
        response = self.fetch.get(f"/api/v1/statuses/{status['id']}/context")
        text = response.text
        at = text.find('"descendants"')
        pairs = [(value, source.encode("utf-8")) for value, source in
                 (json_array_items(text, at) if at >= 0 else []) if isinstance(value, dict)]
        descendants = [reply for reply, _ in pairs]
        for reply in descendants:
            self.uris[reply["id"]] = reply["uri"]
        direct: dict[str, int] = {}
        for reply, raw in pairs:
            direct[reply.get("in_reply_to_id")] = direct.get(reply.get("in_reply_to_id"), 0) + 1
            if reply["id"] not in self.listed:
                self.add(self.observe_status(reply, raw))
        for node in [status, *descendants]:
            expected = node.get("replies_count") or 0
            if expected:
                self.result.threads.append(Thread(node["uri"], expected,
                                                  direct.get(node["id"], 0)))

    def media(self, wanted: list[tuple[Observation, dict]]) -> None:
        """Attachments not already in the archive, each up to the size cap."""
        native = {f"{post.native_id}/{_file_name(a)}": (post, a) for post, a in wanted
                  if a.get("url")}
        have = self.known(native) if native else set()
        cap = self.job.settings.media_max_bytes
        for native_id, (post, found) in native.items():
            if native_id in have:
                continue
            data, media_type, problem = self.fetch.download(found["url"], cap)
            if problem:
                self.result.problem(found["url"], problem)
                continue
            self.add(Observation(
                account_id=post.account_id, native_id=native_id, kind=Kind.MEDIA,
                observed_at=post.observed_at, created_at=post.created_at,
                content={"file": _file_name(found), "media_type": media_type,
                         "alt": found.get("description") or "", "size": len(data),
                         "url": found["url"], "blurhash": found.get("blurhash")},
                raw=data, raw_media_type=media_type, author=post.author,
                parent_native_id=post.native_id))


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def items_of(response: httpx.Response) -> list[tuple[dict, bytes]]:
    """Each element of a JSON array answer with its exact bytes."""
    text = response.text
    if not text.lstrip().startswith("["):
        raise CaptureFailed(f"{response.request.url.copy_with(query=None)}: expected a "
                            "JSON list", {"status": response.status_code})
    return [(value, source.encode("utf-8")) for value, source in json_array_items(text)
            if isinstance(value, dict)]


def _author(status: dict, own: bool) -> str:
    account = status.get("account") or {}
    return (account.get("username") if own else account.get("acct")) or "unknown"


def _file_name(found: dict) -> str:
    return urlparse(found.get("url") or "").path.rsplit("/", 1)[-1] or str(found.get("id"))


def attachment(found: dict) -> dict:
    """An attachment as the importer describes one."""
    original = (found.get("meta") or {}).get("original") or {}
    described = {"url": found.get("url"), "media_type": found.get("type"),
                 "alt": found.get("description") or "", "blurhash": found.get("blurhash"),
                 "file": _file_name(found)}
    for size in ("width", "height"):
        if isinstance(original.get(size), int):
            described[size] = original[size]
    return described


def status_content(status: dict, parent_uri: str | None, own: bool) -> dict:
    """A Status entity as the importer's content fields."""
    html = status.get("content") or ""
    content = {
        "type": "question" if status.get("poll") else "note",
        "text": plain_text(html),
        "html": html,
        "author": _author(status, own),
        "uri": status["uri"],
        "url": status.get("url"),
        "visibility": status.get("visibility"),
        "content_warning": status.get("spoiler_text") or "",
        "sensitive": bool(status.get("sensitive", False)),
        "in_reply_to": parent_uri,
        "language": status.get("language"),
        "hashtags": [t.get("name", "") for t in status.get("tags") or []],
        "mentions": [{"name": f"@{m.get('acct')}", "href": m.get("url")}
                     for m in status.get("mentions") or []],
        "attachments": [attachment(a) for a in status.get("media_attachments") or []],
        "edited_at": status.get("edited_at"),
    }
    poll = status.get("poll")
    if poll:
        content["poll"] = {"multiple": bool(poll.get("multiple")),
                           "options": [{"title": o.get("title"), "votes": o.get("votes_count")}
                                       for o in poll.get("options") or []],
                           "ends_at": poll.get("expires_at"), "voters": poll.get("voters_count")}
    return content


def profile_observation(account: dict, raw: bytes, account_id: int,
                        observed_at: datetime) -> Observation:
    """An Account entity as the importer's profile fields; its URI is the native id."""
    note = account.get("note") or ""
    return Observation(
        account_id=account_id, native_id=account["uri"], kind=Kind.PROFILE,
        observed_at=observed_at,
        created_at=parse_time(account["created_at"]) if account.get("created_at") else None,
        content={"type": "profile", "text": plain_text(note), "html": note,
                 "author": account.get("username"),
                 "display_name": account.get("display_name") or "",
                 "uri": account["uri"], "url": account.get("url"),
                 "fields": [{"name": f.get("name"), "value": plain_text(f.get("value") or "")}
                            for f in account.get("fields") or []],
                 "locked": bool(account.get("locked", False)),
                 "discoverable": account.get("discoverable"),
                 "moved_to": (account.get("moved") or {}).get("uri"),
                 "avatar": account.get("avatar"), "header": account.get("header"),
                 "platform_id": account["id"]},
        raw=raw, raw_media_type=JSON, author=account.get("username"), url=account.get("url"))
