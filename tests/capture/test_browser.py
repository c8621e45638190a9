"""Browser capture of pages served on loopback: the WACZ validates and holds the page's
response, a change between captures becomes an edit, a removed page a deletion, a login
wall or consent page a problem, and what the guard refuses is never fetched.

The browser tests need Debian's Chromium (`make test` installs it): without it they fail,
saying what to install; they never skip.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator

from civicarchive import Archive
from civicarchive.capture.browser import (CHROMIUM_FLAGS, BrowserCapturer,
                                          BrowserSettings, Outcome, PageCapture, ProblemKind,
                                          page_observation)
from civicarchive.capture.guard import FetchGuard
from civicarchive.capture.walls import WallKind, wall_in_dom, wall_in_response
from civicarchive.clock import FixedClock
from civicarchive.errors import BrowserUnavailable
from civicarchive.model.record import Event, Kind
from tests.capture.loopback import Loopback
from tests.capture.test_guard import Answers, serving

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def server():
    with serving() as served:
        yield served


def capturer(**settings) -> BrowserCapturer:
    """Loopback allowed (the test server is there); names resolve to nothing."""
    return BrowserCapturer(FetchGuard(allow_loopback=True, resolver=Answers({})),
                           BrowserSettings(settle=0.3, **settings),
                           FixedClock(T0, timedelta(seconds=1)))


def page(title: str, body: str, head: str = "") -> bytes:
    return (f"<!doctype html><html><head><title>{title}</title>{head}</head>"
            f"<body>{body}</body></html>").encode()


def records(capture: PageCapture) -> list[tuple[str, str, int | None, bytes]]:
    """(type, target URI, HTTP status, payload) of each record of the WACZ's WARC."""
    with zipfile.ZipFile(io.BytesIO(capture.wacz)) as wacz:
        (name,) = [n for n in wacz.namelist() if n.startswith("archive/")]
        found = []
        for record in ArchiveIterator(io.BytesIO(wacz.read(name))):
            status = record.http_headers.get_statuscode() \
                if record.rec_type == "response" else None
            found.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                          int(status) if status else None, record.content_stream().read()))
        return found


def validate(capture: PageCapture, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "capture.wacz"
    path.write_bytes(capture.wacz)
    return subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_browser_capture_keeps_the_page_in_a_wacz_that_validates(chromium, server, tmp_path,
                                                                 loopback_only):
    port, routes, seen = server
    base = f"http://127.0.0.1:{port}"
    body = page("Council news", "<h1>Agenda</h1><p>Monday: the budget.</p>"
                "<img src='/seal.png'>", head="<link rel=stylesheet href='/site.css'>")
    routes["/old-news"] = (301, {"Location": "/news"}, b"")
    routes["/news"] = (200, HTML, body)
    routes["/site.css"] = (200, {"Content-Type": "text/css"}, b"h1 { color: #036; }")
    capture = capturer().capture(f"{base}/old-news")

    assert capture.outcome is Outcome.CAPTURED, capture.problems
    assert (capture.status, capture.final_url) == (200, f"{base}/news")
    assert capture.title == "Council news"
    assert capture.text == "Agenda\n\nMonday: the budget."
    assert capture.screenshot.startswith(b"\x89PNG\r\n\x1a\n")
    assert capture.problems == ()

    checked = validate(capture, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "is valid" in checked.stdout
    with zipfile.ZipFile(io.BytesIO(capture.wacz)) as wacz:
        header, *listed = [json.loads(line) for line in
                           wacz.read("pages/pages.jsonl").decode().splitlines()]
    assert header["format"] == "json-pages-1.0"
    assert [(p["url"], p["title"]) for p in listed] == [(f"{base}/news", "Council news")]

    held = records(capture)
    responses = {uri: (status, payload) for kind, uri, status, payload in held
                 if kind == "response"}
    assert responses[f"{base}/news"] == (200, body)
    assert responses[f"{base}/old-news"][0] == 301
    assert responses[f"{base}/site.css"] == (200, b"h1 { color: #036; }")
    assert responses[f"{base}/seal.png"][0] == 404
    requested = [uri for kind, uri, *_ in held if kind == "request"]
    assert sorted(requested) == sorted(responses)
    resources = {uri: payload for kind, uri, _, payload in held if kind == "resource"}
    assert resources[f"urn:screenshot:{base}/news"] == capture.screenshot
    assert resources[f"urn:text:{base}/news"] == capture.text.encode()
    # Every request the page made was fetched once, by the capture (none by the browser).
    assert sorted(path for path, _ in seen) == ["/news", "/old-news", "/seal.png", "/site.css"]


@pytest.mark.slow
def test_browser_capture_makes_an_edit_only_when_the_page_changes(chromium, server, tmp_path,
                                                                  loopback_only):
    port, routes, _ = server
    url = f"http://127.0.0.1:{port}/notice"
    routes["/notice"] = (200, HTML, page("Road works", "<p>Elm Street closes on May 4.</p>"))
    browser = capturer()
    first, again = browser.capture(url), browser.capture(url)
    routes["/notice"] = (200, HTML, page("Road works", "<p>Elm Street closes on May 11.</p>"))
    changed = browser.capture(url)

    assert first.content() == again.content()
    assert changed.content()["text"] == "Elm Street closes on May 11."
    assert changed.content() != first.content()

    archive = Archive.init("City of Example", home=tmp_path / "home", actor="clerk",
                           clock=FixedClock(T0))
    try:
        account = archive.registry.add_account("web", "mayor-profile", "official_personal",
                                               actor="clerk")
        reports = [archive.ingesting.ingest([page_observation(c, account.id)],
                                            source="browser capture")
                   for c in (first, again, changed)]
        assert [dict(r.events) for r in reports] == \
            [{Event.CREATED: 1}, {}, {Event.EDITED: 1}]
        (hit,) = archive.finding.search('"Elm Street"').hits   # the page is searchable
        history = archive.reading.history(hit.item)
        assert [v.event for v in history] == [Event.CREATED, Event.EDITED]
        assert archive.reading.content(history[-1])["text"] == "Elm Street closes on May 11."
        assert archive.reading.raw(history[-1]) == changed.wacz
    finally:
        archive.close()


@pytest.mark.slow
def test_browser_capture_of_a_removed_page_is_a_deletion(chromium, server, tmp_path,
                                                         loopback_only):
    port, routes, _ = server
    url = f"http://127.0.0.1:{port}/removed"
    capture = capturer().capture(url)   # the server answers 404: it was never there, or gone

    assert capture.outcome is Outcome.GONE
    assert capture.status == 404
    observation = page_observation(capture, account_id=1)
    assert (observation.event, observation.content, observation.native_id) == \
        (Event.DELETED, None, url)
    assert validate(capture, tmp_path).returncode == 0
    assert [(k, s) for k, u, s, _ in records(capture) if u == url] == \
        [("response", 404), ("request", None)]


@pytest.mark.slow
@pytest.mark.parametrize("path, kind, why", [
    ("/members", ProblemKind.LOGIN_WALL, "password field"),
    ("/private", ProblemKind.LOGIN_WALL, "leads to a login page"),
    ("/cookies", ProblemKind.CONSENT_WALL, "consent dialog (#onetrust-banner-sdk)")])
def test_browser_capture_records_a_wall_as_a_problem_not_content(path, kind, why, chromium,
                                                                 server, loopback_only):
    port, routes, _ = server
    routes["/members"] = (200, HTML, page("Sign in", "<form><input name=user>"
                                          "<input type=password name=pw></form>"))
    routes["/private"] = (302, {"Location": "/accounts/login/?next=/private"}, b"")
    routes["/accounts/login/?next=/private"] = (200, HTML, page("Log in", "Log in"))
    routes["/cookies"] = (200, HTML, page("Profile", "<div id=onetrust-banner-sdk>We use "
                                          "cookies. <button>Accept</button></div>"))
    capture = capturer().capture(f"http://127.0.0.1:{port}{path}")

    assert capture.outcome is Outcome.WALLED
    assert [p.kind for p in capture.problems] == [kind]
    assert why in capture.problems[0].what
    assert (capture.title, capture.text, capture.screenshot) == ("", "", b"")
    assert page_observation(capture, account_id=1) is None


@pytest.mark.slow
def test_browser_capture_refuses_what_the_guard_refuses_and_says_so(chromium, server,
                                                                    loopback_only):
    port, routes, seen = server
    routes["/page"] = (200, HTML, page("Mayor", (
        "<p>Office hours</p><img src='http://10.0.0.1/track.png'>"
        "<img src='http://169.254.169.254/latest/meta-data/'>"
        "<img src='http://[::ffff:a9fe:a9fe]/'>"
        "<img src='http://tracker.test/pixel.gif'>"
        "<img src='/large.png'>"
        f"<script>new WebSocket('ws://127.0.0.1:{port}/ws')</script>")))
    routes["/large.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"0" * 5000)
    guard = FetchGuard(allow_loopback=True, resolver=Answers({"tracker.test": ["100.64.0.1"]}))
    browser = BrowserCapturer(guard, BrowserSettings(settle=0.3, max_resource_bytes=4096),
                              FixedClock(T0))
    capture = browser.capture(f"http://127.0.0.1:{port}/page")

    assert capture.outcome is Outcome.CAPTURED, capture.problems
    refused = {p.where: p.what for p in capture.problems if p.kind is ProblemKind.REFUSED}
    assert "private address" in refused["http://10.0.0.1/track.png"]
    assert "cloud metadata" in refused["http://169.254.169.254/latest/meta-data/"]
    assert "cloud metadata" in refused["http://[::ffff:a9fe:a9fe]/"]
    assert "carrier-grade NAT" in refused["http://tracker.test/pixel.gif"]
    assert "WebSockets" in refused[f"ws://127.0.0.1:{port}/ws"]
    (large,) = [p for p in capture.problems if p.kind is ProblemKind.TOO_LARGE]
    assert large.where == f"http://127.0.0.1:{port}/large.png"
    assert sorted(path for path, _ in seen) == ["/large.png", "/page"]   # no /ws
    assert capture.text == "Office hours"


@pytest.mark.slow
def test_browser_capture_of_a_page_that_redirects_inwards_is_refused(chromium, server, tmp_path,
                                                                     loopback_only):
    port, routes, seen = server
    routes["/moved"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    capture = capturer().capture(f"http://127.0.0.1:{port}/moved")

    assert capture.outcome is Outcome.FAILED
    assert [(p.kind, p.where) for p in capture.problems] == \
        [(ProblemKind.REFUSED, "http://169.254.169.254/latest/meta-data/")]
    assert (capture.wacz, capture.text) == (b"", "")
    assert seen == [("/moved", f"127.0.0.1:{port}")]
    assert page_observation(capture, account_id=1) is None


def test_browser_capture_refuses_a_page_the_guard_refuses_without_a_browser():
    capture = BrowserCapturer(FetchGuard(), clock=FixedClock(T0),
                              settings=BrowserSettings(executable="/nonexistent")
                              ).capture("http://169.254.169.254/latest/meta-data/")
    assert capture.outcome is Outcome.FAILED
    assert [p.kind for p in capture.problems] == [ProblemKind.REFUSED]
    assert "cloud metadata" in capture.problems[0].what
    assert capture.wacz == b""
    assert page_observation(capture, account_id=1) is None


def test_browser_capture_without_chromium_says_what_to_install(server, loopback_only):
    port, _, _ = server
    browser = BrowserCapturer(FetchGuard(allow_loopback=True, resolver=Answers({})),
                              BrowserSettings(executable="/nonexistent/chromium"))
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        browser.capture(f"http://127.0.0.1:{port}/page")


def test_chromium_flags_keep_the_browser_off_the_network():
    flags = set(CHROMIUM_FLAGS)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--no-default-browser-check", "--disable-quic",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"):
        assert flag in flags


@pytest.mark.parametrize("status, urls, kind", [
    (401, ["https://a.example/p"], WallKind.LOGIN), (403, ["https://a.example/p"], WallKind.LOGIN),
    (200, ["https://a.example/p", "https://www.facebook.com/login/?next=x"], WallKind.LOGIN),
    (200, ["https://www.instagram.com/accounts/login/"], WallKind.LOGIN),
    (200, ["https://consent.youtube.com/m?continue=x"], WallKind.CONSENT),
    (200, ["https://a.example/gdpr/"], WallKind.CONSENT),
    (200, ["https://a.example/news/login-tips"], None),
    (200, ["https://a.example/authors/"], None), (404, ["https://a.example/p"], None)])
def test_wall_in_response_reads_statuses_and_redirects(status, urls, kind):
    wall = wall_in_response(status, urls)
    assert (wall.kind if wall else None) == kind


def test_wall_in_dom_reads_the_probe():
    assert wall_in_dom({"password": True, "marker": None, "cookies": False}).kind is \
        WallKind.LOGIN
    assert wall_in_dom({"password": False, "marker": "#CybotCookiebotDialog",
                        "cookies": False}).kind is WallKind.CONSENT
    assert wall_in_dom({"password": False, "marker": None, "cookies": True}).kind is \
        WallKind.CONSENT
    assert wall_in_dom({"password": False, "marker": None, "cookies": False}) is None


def test_page_observation_keeps_the_wacz_and_the_content():
    capture = PageCapture("https://a.example/p", "https://a.example/p/", Outcome.CAPTURED, 200,
                          T0, title="T", text="words", media_type="text/html",
                          screenshot=b"png", wacz=b"zip")
    observation = page_observation(capture, 7, kind=Kind.PROFILE)
    assert (observation.account_id, observation.native_id, observation.kind) == \
        (7, "https://a.example/p", Kind.PROFILE)
    assert observation.content == capture.content()
    assert observation.content["screenshot_sha256"] == hashlib.sha256(b"png").hexdigest()
    assert (observation.raw, observation.raw_media_type) == (b"zip", "application/wacz")
    assert observation.url == "https://a.example/p/"


def test_browser_capture_never_inflates_a_gzip_bomb(chromium, loopback_only):
    """256 KiB of gzip that is 256 MiB of zeros: stopped at the resource cap, decoded a
    piece at a time, and the page kept as received in the WARC, not shown."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = packer.compress(bytes(256 * 1024 * 1024)) + packer.flush()
    with Loopback(lambda m, p, q, h: (200, {**HTML, "Content-Encoding": "gzip"}, bomb)
                  ) as server:
        tracemalloc.start()
        try:
            capture = capturer(user_agent="civicarchive test",
                               max_resource_bytes=1024 * 1024).capture(f"{server.url}/news")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    assert capture.outcome is Outcome.FAILED
    assert [p.kind for p in capture.problems] == [ProblemKind.TOO_LARGE]
    assert "larger than 1048576 bytes once decoded" in capture.problems[0].what


def test_browser_capture_gives_up_a_trickling_page_at_the_request_timeout(chromium,
                                                                          loopback_only):
    def trickle(method, path, query, headers):   # a byte every 0.2 s, for 30 s
        def body():
            for _ in range(150):
                time.sleep(0.2)
                yield b" "
        return 200, HTML, body()
    with Loopback(trickle) as server:
        started = time.monotonic()
        capture = capturer(user_agent="civicarchive test",
                           request_timeout=0.5).capture(f"{server.url}/news")
        took = time.monotonic() - started
    assert took < 5
    assert capture.outcome is Outcome.FAILED
    assert [p.kind for p in capture.problems] == [ProblemKind.UNREACHABLE]
