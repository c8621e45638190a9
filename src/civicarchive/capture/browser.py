"""Browser capture: a public web page, or an official's personal profile page that no API
reaches, rendered in headless Chromium and kept as a WACZ.

Chromium never touches the network. Every request it makes is intercepted (Playwright
route interception) and fetched by civicarchive itself through the SSRF guard, which
checks and pins every hop; the answer is recorded into the WARC and handed back to the
browser. Redirects are followed by the fetcher, not the browser, since an intercepted
request's redirect would escape interception. Behind that, the launch flags leave the
browser nothing to reach on its own: background networking, component updates and sync
are off, QUIC is off, every host name resolves to nothing (`--host-resolver-rules`), a
proxy that does not exist stands in the way of anything interception missed (WebSockets,
service workers), and WebRTC may not send UDP. WebSockets are refused outright.

    capturer = BrowserCapturer(FetchGuard())
    capture = capturer.capture("https://www.example.gov/news")
    observation = page_observation(capture, account_id)   # None for a wall or a failure

A capture has an outcome: `captured` (content), `gone` (HTTP 404 or 410: the page was
removed), `walled` (a login wall or consent page, see walls.py: a problem, never content)
or `failed` (refused, unreachable, a server error: try again later).
"""

from __future__ import annotations

import enum
import hashlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import httpx

from civicarchive.capture.encoding import ACCEPT_ENCODING, decoded
from civicarchive.capture.guard import FetchGuard, deadline, shown
from civicarchive.capture.walls import CONSENT_SELECTORS, DOM_PROBE, Wall, wall_in_dom, \
    wall_in_response
from civicarchive.capture.webarchive import WACZ_MEDIA_TYPE, Exchange, WarcRecorder, \
    package_wacz, peer_address
from civicarchive.clock import Clock, SystemClock
from civicarchive.errors import BrowserUnavailable, FetchRefused
from civicarchive.model.record import Event, Kind, Observation

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "BrowserCapturer", "BrowserSettings", "Outcome",
           "PageCapture", "PageProblem", "ProblemKind", "page_observation"]

CHROMIUM = "/usr/bin/chromium"
# Not even a DNS lookup leaves the machine.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-default-browser-check", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    # What interception does not see goes to a proxy that cannot resolve, loopback too.
    "--proxy-server=http://no-network.invalid:1", "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
MAX_REDIRECTS = 10
GONE_STATUSES = (404, 410)
# Not forwarded from the browser: the fetcher sets them, or they describe one hop.
UNFORWARDED = {"host", "connection", "keep-alive", "proxy-authorization", "proxy-connection",
               "te", "trailer", "transfer-encoding", "upgrade", "content-length",
               "accept-encoding"}
# Not handed back to the browser: the body it gets is decoded and whole.
UNRETURNED = {"content-encoding", "content-length", "transfer-encoding", "connection",
              "keep-alive"}


class Outcome(enum.StrEnum):
    CAPTURED = "captured"
    GONE = "gone"
    WALLED = "walled"
    FAILED = "failed"


class ProblemKind(enum.StrEnum):
    REFUSED = "refused"            # the SSRF guard refused a request
    LOGIN_WALL = "login_wall"
    CONSENT_WALL = "consent_wall"
    UNREACHABLE = "unreachable"    # a network error, a timeout, a server error
    TOO_LARGE = "too_large"        # a response or the capture went over its limit
    BROWSER = "browser"            # the page could not be rendered


@dataclass(frozen=True)
class PageProblem:
    kind: ProblemKind
    where: str   # the URL, without secrets
    what: str    # what went wrong, and what was done about it

    def as_dict(self) -> dict:
        return {"kind": self.kind.value, "where": self.where, "what": self.what}


@dataclass(frozen=True)
class BrowserSettings:
    executable: str = CHROMIUM
    navigation_timeout: float = 30.0    # seconds for the page to load
    request_timeout: float = 30.0       # seconds for one request
    settle: float = 1.0                 # seconds of network quiet awaited after loading
    max_resource_bytes: int = 25 * 1024 * 1024
    max_capture_bytes: int = 200 * 1024 * 1024
    max_requests: int = 500
    viewport: tuple[int, int] = (1280, 800)
    user_agent: str | None = None       # None: the browser's own


@dataclass(frozen=True)
class PageCapture:
    """One capture of a page. `wacz` holds every exchange, the screenshot and the text
    (empty when nothing was fetched); `content()` is what a version of the page holds."""

    url: str                  # as asked
    final_url: str            # after redirects
    outcome: Outcome
    status: int | None
    captured_at: datetime
    title: str = ""
    text: str = ""
    media_type: str = ""
    screenshot: bytes = b""   # PNG, full page
    wacz: bytes = b""
    problems: tuple[PageProblem, ...] = ()

    @property
    def screenshot_sha256(self) -> str | None:
        return hashlib.sha256(self.screenshot).hexdigest() if self.screenshot else None

    def content(self) -> dict:
        """The page as a reader sees it; equal for two captures of an unchanged page, so
        that only a change becomes an edit."""
        return {"url": self.url, "final_url": self.final_url, "status": self.status,
                "title": self.title, "text": self.text, "media_type": self.media_type,
                "screenshot_sha256": self.screenshot_sha256}


def page_observation(capture: PageCapture, account_id: int, *, kind: Kind = Kind.POST,
                     native_id: str | None = None) -> Observation | None:
    """The observation a capture makes of the page's item (native id: the URL asked for,
    unless given): its content and the WACZ as raw bytes; a deletion for a page that is
    gone; None for a wall or a failure, which are problems, never content."""
    common = {"account_id": account_id, "native_id": native_id or capture.url, "kind": kind,
              "observed_at": capture.captured_at, "raw_media_type": WACZ_MEDIA_TYPE}
    if capture.outcome is Outcome.CAPTURED:
        return Observation(content=capture.content(), raw=capture.wacz,
                           url=capture.final_url, **common)
    if capture.outcome is Outcome.GONE:
        return Observation(content=None, raw=capture.wacz or None, url=capture.url,
                           event=Event.DELETED, **common)
    return None


class _Limit(Exception):
    """A request over the capture's limits."""


@dataclass
class _Fetched:
    urls: list[str]            # every hop, the last answered
    exchange: Exchange
    decoded: bytes

    @property
    def response(self) -> httpx.Response:
        return self.exchange.response


@dataclass
class _Session:
    """One capture's fetching: the guarded client, the WARC, the limits, the problems."""

    client: httpx.Client
    recorder: WarcRecorder
    settings: BrowserSettings
    clock: Clock
    problems: list[PageProblem] = field(default_factory=list)
    requests: int = 0
    received: int = 0

    def fetch(self, method: str, url: str, headers: dict, body: bytes | None) -> _Fetched:
        """The answer to a request, redirects followed here (each hop guarded and
        recorded). Raises FetchRefused, _Limit or httpx.HTTPError."""
        request = self.client.build_request(method, url, headers=headers, content=body)
        urls = []
        for _ in range(MAX_REDIRECTS + 1):
            exchange = self._exchange(request)
            urls.append(str(request.url))
            following = exchange.response.next_request
            if not (exchange.response.is_redirect and following is not None):
                return _Fetched(urls, exchange,
                                _decoded(exchange, self.settings.max_resource_bytes))
            request = following
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)

    def _exchange(self, request: httpx.Request) -> Exchange:
        if self.requests >= self.settings.max_requests:
            raise _Limit(f"the capture reached its limit of {self.settings.max_requests} "
                         f"requests")
        self.requests += 1
        at = self.clock.now()
        # httpx's timeout is per read: a server sending a byte at a time is cut off here
        with deadline(time.monotonic() + self.settings.request_timeout):
            response = self.client.send(request, stream=True)
            address = peer_address(response)
            body, truncated = bytearray(), False
            cap = min(self.settings.max_resource_bytes,
                      self.settings.max_capture_bytes - self.received)
            try:
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) > cap:
                        del body[cap:]
                        truncated = True
                        break
            finally:
                response.close()
        self.received += len(body)
        exchange = Exchange(request, response, bytes(body), at, address, truncated)
        self.recorder.exchange(exchange)
        if truncated:
            raise _Limit(f"the response is larger than {cap} bytes: kept truncated in the "
                         f"WARC, not shown to the page")
        return exchange

    def problem(self, kind: ProblemKind, url: str, what: str) -> None:
        self.add(PageProblem(kind, shown(url), what))

    def add(self, problem: PageProblem) -> None:
        if problem not in self.problems:   # a page may ask for the same thing many times
            self.problems.append(problem)


def _decoded(exchange: Exchange, cap: int) -> bytes:
    """The body with its Content-Encoding undone, as the browser needs it; _Limit when
    that is over `cap` bytes (a gzip bomb is stopped a piece at a time, never inflated)."""
    body = bytearray()
    try:
        for piece in decoded([exchange.body], exchange.response.headers.get("content-encoding")):
            body += piece
            if len(body) > cap:
                raise _Limit(f"the response is larger than {cap} bytes once decoded: kept "
                             "in the WARC as received, not shown to the page")
    except httpx.DecodingError:
        return exchange.body
    return bytes(body)


@dataclass
class _Rendered:
    url: str      # where the browser ended up (a script may navigate on)
    title: str
    text: str
    facts: dict
    screenshot: bytes


class BrowserCapturer:
    """Captures pages in headless Chromium; one fresh browser profile per capture."""

    def __init__(self, guard: FetchGuard | None = None,
                 settings: BrowserSettings = BrowserSettings(),
                 clock: Clock | None = None) -> None:
        self.guard = guard or FetchGuard()
        self.settings = settings
        self.clock = clock or SystemClock()

    def capture(self, url: str) -> PageCapture:
        """Capture one page. Problems (refusals, walls, failures) are in the result;
        raises BrowserUnavailable only when no browser can run here."""
        started = self.clock.now()
        try:
            self.guard.check_url(url)
        except FetchRefused as refused:
            return PageCapture(url, url, Outcome.FAILED, None, started, problems=(
                PageProblem(ProblemKind.REFUSED, refused.url, refused.reason),))
        with tempfile.TemporaryDirectory(prefix="civicarchive-browser-") as folder, \
                open(Path(folder) / "capture.warc.gz", "wb") as warc, \
                self.guard.client(timeout=self.settings.request_timeout,
                                  headers={"Accept-Encoding": ACCEPT_ENCODING},
                                  follow_redirects=False) as client:
            recorder = WarcRecorder(warc, software="civicarchive browser capture", at=started)
            session = _Session(client, recorder, self.settings, self.clock)
            result = _in_own_thread(self._capture, url, session, Path(folder) / "profile",
                                    started)
            warc.close()
            if result.status is not None:   # the page's answer is in the WARC
                try:
                    result = replace(result, wacz=package_wacz(
                        Path(warc.name), url=result.final_url, title=result.title,
                        description=f"a capture of {shown(url)}"))
                except ValueError as error:
                    session.problem(ProblemKind.BROWSER, url, str(error))
                    result = replace(result, outcome=Outcome.FAILED)
        return replace(result, problems=tuple(session.problems))

    def _capture(self, url: str, session: _Session, profile: Path,
                 started: datetime) -> PageCapture:
        with _Browser(self.settings, profile) as browser:
            agent = browser.user_agent
            headers = {"User-Agent": agent, "Accept": HTML_ACCEPT}
            try:
                document = session.fetch("GET", url, headers, None)
            except FetchRefused as refused:
                session.add(PageProblem(ProblemKind.REFUSED, refused.url, refused.reason))
                return PageCapture(url, url, Outcome.FAILED, None, started)
            except (_Limit, httpx.HTTPError) as error:
                session.problem(_kind(error), url, _said(error))
                return PageCapture(url, url, Outcome.FAILED, None, started)
            status = document.response.status_code
            final = document.urls[-1]
            media_type = document.response.headers.get("content-type", "").split(";")[0]
            done = PageCapture(url, final, Outcome.FAILED, status, started,
                               media_type=media_type.strip().lower())
            if wall := wall_in_response(status, document.urls):
                return self._walled(done, session, wall)
            if status in GONE_STATUSES:
                return replace(done, outcome=Outcome.GONE)
            if not 200 <= status < 300:
                session.problem(ProblemKind.UNREACHABLE, final, f"the page answered HTTP "
                                f"{status}: nothing was kept as content; try again later")
                return done
            browser.start()   # outside the try: a browser that cannot start is no page's fault
            try:
                rendered = browser.render(document, session)
            except Exception as error:   # Playwright's errors and timeouts
                session.problem(ProblemKind.BROWSER, final, f"the page could not be "
                                f"rendered ({type(error).__name__}: {str(error)[:200]})")
                return done
        done = replace(done, title=rendered.title, text=rendered.text,
                       screenshot=rendered.screenshot)
        wall = wall_in_dom(rendered.facts) or wall_in_response(None, [rendered.url])
        if wall:
            return self._walled(done, session, wall)
        at = self.clock.now()
        session.recorder.resource(f"urn:screenshot:{done.final_url}", "image/png",
                                  done.screenshot, at)
        session.recorder.resource(f"urn:text:{done.final_url}", "text/plain; charset=utf-8",
                                  done.text.encode(), at)
        return replace(done, outcome=Outcome.CAPTURED)

    @staticmethod
    def _walled(done: PageCapture, session: _Session, wall: Wall) -> PageCapture:
        session.problem(ProblemKind(wall.kind.value), done.url, f"{wall.why}: recorded as a problem, not as the "
                                        f"page's content")
        return replace(done, outcome=Outcome.WALLED, title="", text="", screenshot=b"")


def _kind(error: Exception) -> ProblemKind:
    return ProblemKind.TOO_LARGE if isinstance(error, _Limit) else ProblemKind.UNREACHABLE


def _in_own_thread(function, *args):  # noqa: ANN001, ANN002, ANN202
    """Run `function` in a thread of its own: Playwright's sync API refuses a thread that
    runs an asyncio loop (a web server's, or another Playwright's), so the browser gets a
    thread with none."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            outcome["error"] = error

    worker = threading.Thread(target=run, name="browser-capture", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _said(error: Exception) -> str:
    if isinstance(error, _Limit):
        return str(error)
    return f"could not be fetched ({type(error).__name__}: {str(error)[:200]})"


# The user agent each Chromium executable reports, once one has started: the document is
# then fetched before the browser starts, and an answer with nothing to render (a 404, a
# refusal, a wall seen in the response) needs no browser at all.
_user_agents: dict[tuple[str, int], str] = {}


class _Browser:
    """Headless Chromium with a fresh profile, every request routed to the session;
    started when first needed (`user_agent`, `start`)."""

    def __init__(self, settings: BrowserSettings, profile: Path) -> None:
        self.settings = settings
        self.profile = profile
        self.page = None

    def __enter__(self) -> _Browser:
        """Fail now, before anything is fetched, when no browser could start."""
        if not os.access(self.settings.executable, os.X_OK):
            raise BrowserUnavailable(f"no Chromium at {self.settings.executable}")
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise BrowserUnavailable("the playwright package is not installed") from None
        return self

    @property
    def user_agent(self) -> str:
        """The agent the browser sends (the settings' or Chromium's own)."""
        if self.settings.user_agent:
            return self.settings.user_agent
        executable = self.settings.executable
        key = (executable, os.stat(executable).st_mtime_ns)   # an upgrade changes it
        if key not in _user_agents:
            _user_agents[key] = self.start().page.evaluate("navigator.userAgent")
        return _user_agents[key]

    def start(self) -> _Browser:
        """Start Chromium unless it runs already; BrowserUnavailable when it cannot."""
        if self.page is not None:
            return self
        from playwright.sync_api import sync_playwright
        self.playwright = sync_playwright().start()
        width, height = self.settings.viewport
        try:
            self.context = self.playwright.chromium.launch_persistent_context(
                str(self.profile), executable_path=self.settings.executable, headless=True,
                args=list(CHROMIUM_FLAGS), service_workers="block", accept_downloads=False,
                viewport={"width": width, "height": height},
                user_agent=self.settings.user_agent)
        except Exception as error:
            self.playwright.stop()
            raise BrowserUnavailable(f"Chromium did not start ({str(error)[:300]})") from None
        self.page = self.context.new_page()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.page is None:
            return
        try:
            self.context.close()
        finally:
            self.playwright.stop()

    def render(self, document: _Fetched, session: _Session) -> _Rendered:
        """Load the fetched document at its final URL in the browser (its resources
        fetched through `session`), then read its title, text and screenshot."""
        final = document.urls[-1]
        waiting = {_key(final): document}
        self.context.route_web_socket("**/*", lambda ws: self._refuse_socket(ws, session))
        self.context.route("**/*", lambda route: self._answer(route, session, waiting))
        timeout = self.settings.navigation_timeout * 1000
        self.page.goto(final, wait_until="load", timeout=timeout)
        try:
            self.page.wait_for_load_state("networkidle", timeout=self.settings.settle * 1000)
        except Exception:   # a page that keeps polling: take it as it stands
            pass
        facts = self.page.evaluate(DOM_PROBE, list(CONSENT_SELECTORS))
        text = self.page.evaluate("document.body ? document.body.innerText : ''")
        screenshot = self.page.screenshot(full_page=True, animations="disabled",
                                          caret="hide", type="png", timeout=timeout)
        return _Rendered(self.page.url, self.page.title(), _tidy(text), facts, screenshot)

    @staticmethod
    def _refuse_socket(ws, session: _Session) -> None:  # noqa: ANN001 (Playwright's type)
        session.problem(ProblemKind.REFUSED, ws.url, "WebSockets are not captured: refused")
        ws.close()

    @staticmethod
    def _answer(route, session: _Session, waiting: dict) -> None:  # noqa: ANN001
        try:
            _Browser._fulfil(route, session, waiting)
        except Exception as error:   # never leave the browser waiting on a request
            session.problem(ProblemKind.BROWSER, route.request.url,
                            f"could not be answered ({type(error).__name__}): not loaded")
            try:
                route.abort("failed")
            except Exception:   # the page is gone already
                pass

    @staticmethod
    def _fulfil(route, session: _Session, waiting: dict) -> None:  # noqa: ANN001
        request = route.request
        try:
            fetched = waiting.pop(_key(request.url), None) \
                if request.is_navigation_request() else None
            if fetched is None:
                headers = {name: value for name, value in request.all_headers().items()
                           if name.lower() not in UNFORWARDED and not name.startswith(":")}
                fetched = session.fetch(request.method, request.url, headers,
                                        request.post_data_buffer)
        except FetchRefused as refused:
            session.add(PageProblem(ProblemKind.REFUSED, refused.url,
                                    f"{refused.reason}: not loaded"))
            route.abort("blockedbyclient")
            return
        except (_Limit, httpx.HTTPError) as error:
            session.problem(_kind(error), request.url, f"{_said(error)}: not loaded")
            route.abort("failed")
            return
        response = fetched.response
        headers: dict[str, str] = {}
        for name, value in response.headers.multi_items():
            if name.lower() in UNRETURNED:
                continue
            joiner = "\n" if name.lower() == "set-cookie" else ", "
            headers[name] = f"{headers[name]}{joiner}{value}" if name in headers else value
        route.fulfill(status=response.status_code, headers=headers, body=fetched.decoded)


def _key(url: str) -> tuple:
    """A URL as the browser and httpx both spell it (`http://h` and `http://h/` agree)."""
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port, parsed.raw_path


def _tidy(text: str) -> str:
    """innerText without trailing spaces or runs of blank lines."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    kept = [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
    return "\n".join(kept)
