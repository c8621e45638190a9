"""Meta's Graph API, as the Facebook Page and Instagram capturers share it: one GET that
turns Graph's error answers into capture failures, pages that follow `paging.next`,
the exact bytes of each item of a `data` list, and what `/debug_token` says of the
token's lifetime.

Graph answers an error with a JSON body, usually under HTTP 400 whatever went wrong:

    {"error": {"message": "...", "type": "OAuthException", "code": 190,
               "error_subcode": 463, "fbtrace_id": "..."}}

so the failure is read from `code`, not the status:

| Graph error | failure |
|---|---|
| 190 (subcode 463 expired, 460 password changed, 458 app removed...) | CredentialsRejected, saying the token expired or was invalidated |
| 10, 200-299 (a permission the token lacks) | CredentialsRejected naming the permission (evidence `permission`) |
| 4, 17, 32, 613, 80001-80009 (rate limits) | RateLimited, waiting what `X-Business-Use-Case-Usage` estimates (`estimated_time_to_regain_access`, minutes), else an hour (Meta's rolling window) |
| 1, 2, `is_transient`, HTTP 5xx | PlatformUnavailable |
| 100 with subcode 33, HTTP 404 | "does not exist": an item re-checked alone is gone |

The token travels in the `Authorization` header, never in a URL: the `paging.next`
links Graph hands back carry an `access_token` parameter, which is dropped before they
are followed. The one exception is `/debug_token`, whose `input_token` must be the token:
while a request is in flight, httpx's and httpcore's logs are scrubbed. Every raw item, error body and
header kept as evidence has the token scrubbed out.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from civicarchive.capture.base import (Absent, CaptureJob, Checked, Known, Pass, Recheck,
                                       TokenExpiry)
from civicarchive.capture.failures import (CaptureFailed, CredentialsRejected,
                                           PlatformUnavailable, RateLimited)
from civicarchive.capture.http import Fetcher, Scrubber
from civicarchive.connectors import meta
from civicarchive.connectors.base import json_array_items, media_type_of
from civicarchive.model.record import Event, Kind, Observation

GRAPH_URL = "https://graph.facebook.com/v21.0"
JSON = "application/json"
ERRORS = tuple(range(400, 600))     # every error answer is read here, not by the Fetcher
EXPIRED = 190
PERMISSION_CODES = frozenset({10, *range(200, 300)})
RATE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80010)})
TRANSIENT_CODES = frozenset({1, 2})
DOES_NOT_EXIST = (100, 33)
RATE_WINDOW = 3600.0   # Meta's limits are over a rolling hour when no estimate is given
USAGE_HEADERS = ("x-app-usage", "x-business-use-case-usage", "x-page-usage", "x-fb-trace-id")
TOKEN_SUBCODES = {458: "the app was removed from the account", 459: "the user is checkpointed",
                  460: "the password was changed", 463: "the token has expired",
                  464: "the user is not confirmed", 467: "the token is invalid",
                  492: "the session is invalid"}
PERMISSION = re.compile(r"\b((?:pages|instagram|business|read|ads)_[a-z_]+|public_profile)\b")
MAX_PAGES = 10_000
HTTP_LOGGERS = ("httpx", "httpcore.http11", "httpcore.http2", "httpcore.connection",
                "httpcore.proxy")
WATCH = 20               # recent posts re-read by an incremental pass
WATCH_DAYS = 3
COMPLETE_KINDS = frozenset({Kind.POST, Kind.COMMENT, Kind.REPLY})


class Graph:
    """GET requests to the Graph API for one pass (token in a header, errors mapped)."""

    def __init__(self, client: httpx.Client, token: str | None, now: datetime,
                 base_url: str | None) -> None:
        self.fetch = Fetcher(client, token, now, base_url or GRAPH_URL)
        self.token = token
        self.scrub = Scrubber([token])

    @property
    def requests(self) -> int:
        return self.fetch.requests

    def get(self, path: str, params: dict | None = None) -> httpx.Response:
        """A 2xx answer, or the CaptureFailed its Graph error means."""
        response = self._get(path, params)
        if response.status_code >= 400:
            raise self.failure(response)
        return response

    def post(self, path: str, data: dict) -> httpx.Response:
        """A 2xx answer to a POST of a form body (a moderation action), or the
        CaptureFailed its Graph error means."""
        with _scrubbed_logs(self.scrub):
            response = self.fetch.send("POST", self.fetch.url(path), allow=ERRORS, data=data)
        if response.status_code >= 400:
            raise self.failure(response)
        return response

    def _get(self, path: str, params: dict | None) -> httpx.Response:
        with _scrubbed_logs(self.scrub):
            return self.fetch.get(without_token(self.fetch.url(path)), params, allow=ERRORS)

    def lookup(self, path: str, params: dict | None = None) -> httpx.Response:
        """One object on its own: the answer, when 2xx or when Graph says the object does
        not exist (`does_not_exist`: HTTP 404, or error 100 with subcode 33). Any other
        error raises."""
        response = self._get(path, params)
        if response.status_code < 400 or does_not_exist(response):
            return response
        raise self.failure(response)

    def items(self, path: str, params: dict | None = None, stop=None  # noqa: ANN001
              ) -> Iterator[tuple[dict, bytes]]:
        """Each element of the `data` list of every page, with its exact bytes (token
        scrubbed), following `paging.next` on the same host; `stop(item)` ends early. A
        next page holding only objects already listed, or more than MAX_PAGES pages, fails
        the pass: the server's pagination would never end."""
        url: str | None = path
        listed: set[object] = set()
        for _ in range(MAX_PAGES):
            response = self.get(url, params)
            params = None   # the next link carries them
            text = response.text
            where = str(response.request.url.copy_with(query=None))
            page = list(data_items(text, where))
            ids = {item.get("id") for item, _ in page}
            if page and None not in ids and ids <= listed:
                raise CaptureFailed(f"{where}: the next page holds only objects already "
                                    "listed, so the server's pagination never ends; listing "
                                    "stopped")
            listed |= ids
            for item, raw in page:
                if stop is not None and stop(item):
                    return
                yield item, self.scrub(raw).encode("utf-8")
            url = self.next_page(json.loads(text))
            if not url:
                return
        raise CaptureFailed(f"{path}: more than {MAX_PAGES} pages; listing stopped, as a "
                            "listing that long is a server's fault, not an account's")

    def next_page(self, document: dict) -> str | None:
        """The next page's link without its token, if it is on Graph's own host."""
        link = (document.get("paging") or {}).get("next")
        if not link:
            return None
        if _origin(link) != _origin(self.fetch.base_url):
            raise CaptureFailed(f"Graph's next page is on another host ({_origin(link)}); not "
                                "followed", {"next": self.scrub(without_token(link))})
        return without_token(link)

    def raw(self, response: httpx.Response) -> bytes:
        """An answer's bytes as kept: the token scrubbed out."""
        return self.scrub(response.text).encode("utf-8")

    def token_expiry(self) -> TokenExpiry:
        """When the token stops working, from `/debug_token`: the earlier of `expires_at`
        and `data_access_expires_at` (0 means never). A token Graph calls invalid is
        CredentialsRejected."""
        response = self.get("/debug_token", {"input_token": self.token or ""})
        data = response.json().get("data") or {}
        if data.get("is_valid") is False:
            said = (data.get("error") or {}).get("message") or "no reason given"
            raise CredentialsRejected(f"Graph says the token is no longer valid ({self.scrub(said)}"
                                      "): store a new one (accounts credentials)",
                                      {**self.evidence(response), "expired": True})
        moments = [datetime.fromtimestamp(value, timezone.utc)
                   for value in (data.get("expires_at"), data.get("data_access_expires_at"))
                   if type(value) is int and value > 0]
        return TokenExpiry(min(moments) if moments else None)

    def evidence(self, response: httpx.Response) -> dict:
        """The Fetcher's evidence, with Graph's usage headers and error fields."""
        found = self.fetch.evidence(response)
        found["headers"] |= {name: self.scrub(response.headers[name]) for name in USAGE_HEADERS
                             if name in response.headers}
        error = graph_error(response)
        if error:
            found["graph_error"] = {key: error.get(key) for key in
                                    ("code", "error_subcode", "type", "fbtrace_id")
                                    if key in error}
        return found

    def failure(self, response: httpx.Response) -> CaptureFailed:
        """The capture failure an error answer means (see the module docstring)."""
        error = graph_error(response) or {}
        code, subcode = error.get("code"), error.get("error_subcode")
        said = self.scrub(str(error.get("message") or f"HTTP {response.status_code}"))
        where = f"{self.scrub(str(response.request.url.copy_with(query=None)))}"
        evidence = self.evidence(response)
        if code == EXPIRED:
            meaning = TOKEN_SUBCODES.get(subcode, "the token was invalidated")
            evidence["expired"] = True
            return CredentialsRejected(
                f"{where}: the access token was refused: {meaning} (Graph error 190"
                f"{f', subcode {subcode}' if subcode else ''}: {said}); store a new long-lived "
                "token (accounts credentials)", evidence)
        if code in PERMISSION_CODES:
            named = PERMISSION.findall(said)
            evidence["permission"] = named[0] if named else f"Graph error {code}"
            return CredentialsRejected(
                f"{where}: the token lacks the permission {evidence['permission']} (Graph "
                f"error {code}: {said}); grant it to the app and store a new token", evidence)
        if code in RATE_CODES or response.status_code == 429:
            wait = regain_access(response)
            return RateLimited(f"{where}: rate limited by Graph (error {code}: {said}); "
                               f"waiting {wait:.0f} s", evidence, wait)
        if code in TRANSIENT_CODES or error.get("is_transient") or response.status_code >= 500:
            return PlatformUnavailable(f"{where}: Graph is unavailable (HTTP "
                                       f"{response.status_code}, error {code}: {said})",
                                       evidence)
        return CaptureFailed(f"{where}: Graph refused the request (HTTP {response.status_code}"
                             f", error {code}: {said})", evidence)


class GraphPass:
    """What a Facebook and an Instagram pass share: the observations once each, the
    token check, the recent posts re-read, the cursor, the media downloaded once."""

    time_key = "created_time"   # the field that dates a post
    post_fields = ""

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None,
                 known: Known) -> None:
        self.job = job
        self.graph = Graph(client, token, job.observed_at, job.settings.url)
        self.known = known
        self.cursor = dict(job.cursor)
        self.result = Pass()
        self.observed: set[str] = set()
        self.media_wanted: list[tuple[Observation, str, str]] = []   # owner, file, url

    def add(self, observation: Observation) -> None:
        if observation.native_id not in self.observed:
            self.observed.add(observation.native_id)
            self.result.observations.append(observation)

    def check_token(self) -> None:
        """The token's real lifetime, on the first pass and every full one; only a token
        Graph calls invalid stops the pass."""
        if not (self.job.full or "token_checked" not in self.cursor):
            return
        try:
            self.result.token_expiry = self.graph.token_expiry()
        except CaptureFailed as failure:
            if failure.evidence.get("expired"):
                raise
            self.result.problem("/debug_token", f"the token's expiry could not be read "
                                f"({failure}); the stored expiry stands")
        self.cursor["token_checked"] = True

    def watched(self, listed: set[str]) -> list[tuple[dict, bytes]]:
        """Recent posts re-read for comments, edits and deletions (a deletion event when
        Graph says the post does not exist)."""
        found = []
        for post_id in [] if self.job.full else self.cursor.get("watch", []):
            if post_id in listed:
                continue
            try:
                response = self.graph.lookup(f"/{post_id}", {"fields": self.post_fields})
            except PlatformUnavailable as failure:
                self.result.problem(f"/{post_id}", f"could not be re-read ({failure}); kept "
                                    "as it was")
                continue
            if does_not_exist(response):
                self.add(Observation(
                    account_id=self.job.account_id, native_id=post_id, kind=Kind.POST,
                    observed_at=self.job.observed_at, content=None,
                    raw=self.graph.raw(response), raw_media_type=JSON, event=Event.DELETED))
                continue
            found.append((response.json(), self.graph.raw(response)))
        return found

    def finish(self, listed: list[tuple[dict, bytes]], watched: list[tuple[dict, bytes]]
               ) -> Pass:
        """The cursor after the pass (newest time seen, passes since a full one, the posts
        to watch) and what a full pass claims complete."""
        key = self.time_key
        times = [int(graph_time(p[key]).timestamp()) for p, _ in listed if p.get(key)]
        if times:
            self.cursor["since"] = max([*times, self.cursor.get("since") or 0])
        self.cursor["passes_since_full"] = 0 if self.job.full else \
            self.cursor.get("passes_since_full", 0) + 1
        horizon = self.job.observed_at - timedelta(days=WATCH_DAYS)
        recent = sorted((p for p, _ in [*listed, *watched]
                         if p.get(key) and graph_time(p[key]) > horizon),
                        key=lambda p: graph_time(p[key]), reverse=True)
        self.cursor["watch"] = [p["id"] for p in recent[:WATCH]]
        if self.job.full:
            self.result.complete_kinds = set(COMPLETE_KINDS)
        self.result.cursor = self.cursor
        self.result.requests = self.graph.requests
        return self.result

    def recheck(self, absent: Absent, fields: str,
                observe: Callable[[dict, bytes], Observation]) -> Checked:
        """`/{id}` for one absent post or comment: GONE only on HTTP 404 or error 100/33;
        another error is UNKNOWN (refused credentials and rate limits raise)."""
        if absent.kind not in COMPLETE_KINDS:
            return Checked(Recheck.UNKNOWN, {"reason": f"a {absent.kind.value} is not "
                                                       "looked up alone"})
        try:
            response = self.graph.lookup(f"/{absent.native_id}", {"fields": fields})
        except (CredentialsRejected, RateLimited):
            raise
        except CaptureFailed as failure:
            return Checked(Recheck.UNKNOWN, {"reason": str(failure), **failure.evidence})
        if does_not_exist(response):
            return Checked(Recheck.GONE, self.graph.evidence(response))
        return Checked(Recheck.PRESENT, {"status": response.status_code},
                       observe(response.json(), self.graph.raw(response)))

    def download_media(self, content: Callable[[str, str, int], dict]) -> None:
        """The files not already in the archive, each up to the size cap, as MEDIA items
        `{owner}/{file}` (the importers' ids) with `content(file, media type, size)`."""
        wanted = {f"{owner.native_id}/{name}": (owner, name, url)
                  for owner, name, url in self.media_wanted}
        have = self.known(wanted) if wanted else set()
        cap = self.job.settings.media_max_bytes
        for native_id, (owner, name, url) in wanted.items():
            if native_id in have:
                continue
            data, media_type, problem = self.graph.fetch.download(url, cap)
            if problem:
                self.result.problem(native_id, problem)
                continue
            known_type = media_type_of(name)
            shown = known_type if known_type != "application/octet-stream" else media_type
            self.add(Observation(
                account_id=owner.account_id, native_id=native_id, kind=Kind.MEDIA,
                observed_at=owner.observed_at, created_at=owner.created_at,
                content=content(name, shown, len(data)), raw=data, raw_media_type=media_type,
                author=owner.author, parent_native_id=owner.native_id))


def graph_error(response: httpx.Response) -> dict | None:
    """The `error` object of an answer, if it has one."""
    try:
        document = json.loads(response.text)
    except (ValueError, UnicodeDecodeError):
        return None
    error = document.get("error") if isinstance(document, dict) else None
    return error if isinstance(error, dict) else None


def does_not_exist(response: httpx.Response) -> bool:
    """HTTP 404, or Graph error 100 with subcode 33 (the object does not exist)."""
    if response.status_code == 404:
        return True
    error = graph_error(response) or {}
    return (error.get("code"), error.get("error_subcode")) == DOES_NOT_EXIST


def regain_access(response: httpx.Response) -> float:
    """Seconds to wait: the longest `estimated_time_to_regain_access` (minutes) in
    `X-Business-Use-Case-Usage`, else Retry-After, else Meta's rolling hour."""
    minutes = []
    try:
        usage = json.loads(response.headers.get("x-business-use-case-usage") or "{}")
    except ValueError:
        usage = {}
    for entries in usage.values() if isinstance(usage, dict) else []:
        for entry in entries if isinstance(entries, list) else []:
            value = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) \
                else None
            if isinstance(value, int | float) and value > 0:
                minutes.append(value)
    if minutes:
        return max(minutes) * 60.0
    retry = response.headers.get("retry-after", "")
    return float(retry) if retry.strip().isdigit() else RATE_WINDOW


def data_items(text: str, where: str) -> Iterator[tuple[dict, str]]:
    """The objects of a Graph answer's top-level `data` list, with their exact text."""
    if not text.lstrip().startswith("{"):
        raise CaptureFailed(f"{where}: expected a JSON object with a data list")
    start = next((at for key, at in meta.members(text) if key == "data"), None)
    if start is None or text[start] != "[":
        raise CaptureFailed(f"{where}: the answer holds no data list")
    for value, source in json_array_items(text, start):
        if isinstance(value, dict):
            yield value, source


def nested_items(source: str, key: str) -> list[tuple[dict, str]]:
    """The objects of `key.data` inside one item's text (replies{...}, children{...}),
    with their exact text; [] when the item has none."""
    start = next((at for name, at in meta.members(source) if name == key), None)
    if start is None or source[start] != "{":
        return []
    value, end = json.JSONDecoder().raw_decode(source, start)
    return list(data_items(source[start:end], key)) if "data" in value else []


def graph_time(value: object) -> datetime | None:
    """Graph's `2019-05-17T16:24:04+0000` (or a webhook's epoch seconds) as a time."""
    if type(value) is int and value > 0:
        return datetime.fromtimestamp(value, timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def file_of(url: str | None) -> str | None:
    """A media URL's file name (the path's last part: its query is signed and changes)."""
    if not url:
        return None
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name or None


def without_token(url: str) -> str:
    """The URL without an `access_token` parameter (Graph's next links carry one)."""
    parts = urlsplit(url)
    if "access_token" not in parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _origin(url: str) -> str:
    parsed = urlsplit(url)
    return f"{parsed.scheme}://{parsed.netloc}"


class _Scrubbing(logging.Filter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(str(record.msg))
        if record.args:
            record.args = tuple(self.scrub(a) if isinstance(a, str) else
                                self.scrub(str(a)) if self.scrub(str(a)) != str(a) else a
                                for a in record.args) \
                if isinstance(record.args, tuple) else record.args
        return True


@contextmanager
def _scrubbed_logs(scrub: Scrubber) -> Iterator[None]:
    """httpx logs each request's URL (/debug_token's holds the token) and httpcore, at
    DEBUG, each answer's headers (a server may echo the token): while a request is in
    flight, both logs are scrubbed."""
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    keeper = _Scrubbing(scrub)
    for logger in loggers:
        logger.addFilter(keeper)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(keeper)
