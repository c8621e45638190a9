"""Talking to a platform over HTTP: one place that maps answers to failures, keeps the
evidence of a refusal without secrets, honours rate limits and caps what it reads: every
answer is streamed, and one larger than its cap is refused, never held; one that takes
longer than the request's deadline is given up (httpx's timeouts are per read, so a
server sending a byte every few seconds would otherwise hold a pass forever).

Every capturer is handed its `httpx.Client`; none builds one. `open_client` below is the
one place where the archive's client is made, and where the SSRF-guarded transport
(capture/guard.py) plugs in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from civicarchive.capture.encoding import ACCEPT_ENCODING, decoded
from civicarchive.capture.guard import deadline
from civicarchive.errors import FetchRefused
from civicarchive.capture.failures import (CaptureFailed, CredentialsRejected,
                                           PlatformUnavailable, RateLimited)

USER_AGENT = "civicarchive (public records capture)"
EVIDENCE_BODY_CHARS = 2000
RATE_HEADERS = ("retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
                "x-ratelimit-reset", "ratelimit-reset")
REDACTED = "[redacted]"
API_MAX_BYTES = 32 * 1024 * 1024   # one API answer (a page of JSON); media have their own cap
REQUEST_DEADLINE = 300.0           # seconds for one whole request, its body included


def open_client(timeout: float = 30.0, allow_loopback: bool = False) -> httpx.Client:
    """The HTTP client live capture uses: SSRF-guarded (capture/guard.py: only http(s),
    every resolved address checked and pinned, every redirect hop checked). Capturers and
    the capture service take whatever this returns."""
    from civicarchive.capture.guard import FetchGuard
    return FetchGuard(allow_loopback=allow_loopback).client(
        timeout=timeout, headers={"User-Agent": USER_AGENT,
                                  "Accept-Encoding": ACCEPT_ENCODING})


class Scrubber:
    """Removes the secrets a pass was given from anything that could be stored or shown."""

    def __init__(self, secrets: list[str | None]) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


# What httpx raises when no usable answer came: the connection failed, the body could not
# be decoded (a broken gzip stream), or the redirects never ended.
UNANSWERED = (httpx.TransportError, httpx.DecodingError, httpx.TooManyRedirects)


class Fetcher:
    """GET requests for one pass: the token as a bearer header, failures as CaptureFailed
    with evidence, a request count; an answer over `max_bytes` is a failure, one not
    whole within `deadline` seconds is PlatformUnavailable. With `same_server`, an answer
    that came by redirect from another origin than `base_url` is a failure: a Mastodon
    server's API redirecting elsewhere would file another server's statuses as its own."""

    def __init__(self, client: httpx.Client, token: str | None, now: datetime,
                 base_url: str | None = None, max_bytes: int = API_MAX_BYTES,
                 deadline: float = REQUEST_DEADLINE, same_server: bool = False) -> None:
        self.client = client
        self.same_server = same_server
        self.token = token
        self.now = now
        self.base_url = base_url.rstrip("/") if base_url else None
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.scrub = Scrubber([token])
        self.requests = 0

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")) or self.base_url is None:
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, params: dict | None = None, headers: dict | None = None,
            allow: tuple[int, ...] = ()) -> httpx.Response:
        """The response, or CaptureFailed; statuses in `allow` (404, 304...) are returned."""
        return self.send("GET", path, params, headers, allow)

    def send(self, method: str, path: str, params: dict | None = None,
             headers: dict | None = None, allow: tuple[int, ...] = (),
             data: dict | None = None) -> httpx.Response:
        """A request of any method (`data`: a form body), answered as `get` is."""
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        url = self.url(path)
        self.requests += 1
        until = time.monotonic() + self.deadline
        try:
            with deadline(until):  # the headers too, on a guarded client
                response = self.follow(self.client.build_request(
                    method, url, params=params, headers=sent, data=data), sent)
                try:
                    # what response.read() would keep, read under the cap and the deadline
                    response._content = self.read(response, self.max_bytes, until)
                finally:
                    response.close()
        except FetchRefused as refused:  # the address is not one capture may reach
            raise CaptureFailed(str(refused), {"url": self.scrub(url),
                                               "refused": refused.reason}) from None
        except UNANSWERED as error:
            if time.monotonic() >= until:
                raise PlatformUnavailable(f"{self.scrub(url)}: no whole answer within "
                                          f"{self.deadline:g} s; given up",
                                          {"url": self.scrub(url), "deadline": self.deadline}
                                          ) from None
            said = error if isinstance(error, httpx.DecodingError) else type(error).__name__
            raise PlatformUnavailable(
                self.scrub(f"{url}: {said}"),
                {"url": self.scrub(url), "error": self.scrub(f"{type(error).__name__}: {error}")}
            ) from None
        status = response.status_code
        if self.same_server and self.base_url and _origin(response.url) != _origin(
                httpx.URL(self.base_url)):
            moved = self.scrub(str(response.url.copy_with(query=None)))
            raise CaptureFailed(f"{self.scrub(url)}: redirected to {moved}, another server; "
                                "nothing of it is filed. If the account's server moved, "
                                "configure the account's capture with its new address",
                                {"url": self.scrub(url), "redirected_to": moved})
        if status < 400 and status not in (304,) or status in allow:
            return response
        evidence = self.evidence(response)
        retry = retry_after(response, self.now)
        where = f"{self.scrub(str(response.request.url.copy_with(query=None)))}: HTTP {status}"
        if status in (401, 403):
            raise CredentialsRejected(f"{where}: the platform refused the credentials",
                                      evidence)
        if status == 429:
            raise RateLimited(f"{where}: rate limited", evidence, retry)
        if status >= 500:
            raise PlatformUnavailable(f"{where}: server error", evidence, retry)
        raise CaptureFailed(f"{where}: unexpected answer", evidence, retry)

    def follow(self, request: httpx.Request, own: Iterable[str] = ()) -> httpx.Response:
        """The streamed answer to `request`, redirects followed as the client would (its
        limit, each hop through its transport), except that a hop to another origin
        carries none of the headers `own` names (the token, a key, validators): httpx
        drops only Authorization, and a key may travel in another (YouTube's
        X-Goog-Api-Key)."""
        for _ in range(self.client.max_redirects + 1):
            response = self.client.send(request, stream=True, follow_redirects=False)
            following = response.next_request
            if following is None or not self.client.follow_redirects:
                return response
            response.close()
            if _origin(following.url) != _origin(request.url):
                for name in own:
                    following.headers.pop(name, None)
                own = ()
            request = following
        raise httpx.TooManyRedirects(f"more than {self.client.max_redirects} redirects",
                                     request=request)

    def evidence(self, response: httpx.Response) -> dict:
        """The status, the URL without its query, a bounded excerpt of the body and the
        rate-limit headers, with the token scrubbed out."""
        try:
            body = response.text
        except (httpx.ResponseNotRead, UnicodeDecodeError):
            body = ""
        return {"status": response.status_code,
                "url": self.scrub(str(response.request.url.copy_with(query=None))),
                "body": self.scrub(body[:EVIDENCE_BODY_CHARS]),
                "headers": {name: self.scrub(response.headers[name]) for name in RATE_HEADERS
                            if name in response.headers}}

    def download(self, url: str, max_bytes: int) -> tuple[bytes | None, str, str | None]:
        """(bytes, media type, problem): the file, or None and why when it is larger than
        `max_bytes` or could not be fetched. The token is not sent to media hosts."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            return None, "application/octet-stream", (
                f"a {scheme or 'relative'} URL: only http(s) media URLs are fetched; "
                "not downloaded")
        self.requests += 1
        until = time.monotonic() + self.deadline
        try:
            with deadline(until), self.client.stream("GET", url) as response:
                media_type = response.headers.get("content-type", "application/octet-stream")
                media_type = media_type.split(";")[0].strip() or "application/octet-stream"
                if response.status_code != 200:
                    return None, media_type, f"HTTP {response.status_code}; not downloaded"
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    return None, media_type, (f"{declared} bytes is over the {max_bytes}-byte "
                                              "cap; not downloaded")
                return self.read(response, max_bytes, until), media_type, None
        except FetchRefused as refused:
            return None, "application/octet-stream", self.scrub(str(refused))
        except CaptureFailed as failure:
            return None, "application/octet-stream", f"{failure}; not downloaded"
        except UNANSWERED as error:
            late = f"no whole answer within {self.deadline:g} s" \
                if time.monotonic() >= until else error \
                if isinstance(error, httpx.DecodingError) else type(error).__name__
            return None, "application/octet-stream", self.scrub(f"{late}; not downloaded")

    def read(self, response: httpx.Response, max_bytes: int, until: float) -> bytes:
        """The decoded body of a streamed answer; CaptureFailed as soon as it passes
        `max_bytes` (decoded a piece at a time, so a small gzip bomb is stopped too, and
        an encoding capture cannot bound is httpx.DecodingError), PlatformUnavailable
        when it is not whole by `until` (a time.monotonic())."""
        url = self.scrub(str(response.request.url.copy_with(query=None)))
        body = bytearray()
        if hasattr(response, "_content"):   # read whole by its transport (httpx.MockTransport)
            pieces: Iterable[bytes] = [response.content]
        else:
            pieces = decoded(response.iter_raw(), response.headers.get("content-encoding"))
        for chunk in pieces:
            if time.monotonic() > until:
                raise PlatformUnavailable(f"{url}: the answer was not whole within "
                                          f"{self.deadline:g} s; given up",
                                          {"url": url, "deadline": self.deadline})
            body += chunk
            if len(body) > max_bytes:
                raise CaptureFailed(f"{url}: the answer is over the {max_bytes}-byte cap; "
                                    "not read further", {"status": response.status_code,
                                                         "url": url, "max_bytes": max_bytes})
        return bytes(body)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def retry_after(response: httpx.Response, now: datetime) -> float | None:
    """Seconds to wait before asking again: Retry-After (seconds or an HTTP date), else a
    rate-limit reset header (an ISO time as Mastodon sends it, epoch seconds, or seconds
    from now), when the answer is a refusal to go on."""
    value = response.headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
        except (TypeError, ValueError):
            pass
    if response.status_code != 429 and response.headers.get("x-ratelimit-remaining") != "0":
        return None
    reset = response.headers.get("x-ratelimit-reset") or response.headers.get("ratelimit-reset")
    return seconds_until(reset, now) if reset else None


def seconds_until(reset: str, now: datetime) -> float | None:
    """A reset header as seconds from `now`."""
    reset = reset.strip()
    try:
        number = float(reset)
    except ValueError:
        try:
            moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return max(0.0, (moment - now).total_seconds())
    if number > 1e9:  # an epoch time
        return max(0.0, number - now.timestamp())
    return max(0.0, number)
