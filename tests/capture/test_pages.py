"""Web pages as a scheduled capture (capture/pages.py): a `web` account's pages captured in
real Chromium from loopback by `capture run`, a change an edit, a removal a deletion only
after a second 404, a wall a problem and never a version, the stored WACZ one that
`wacz validate` accepts."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from civicarchive.capture.base import CaptureJob, CaptureSettings
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.guard import FetchGuard
from civicarchive.capture.http import open_client
from civicarchive.capture.pages import PagesCapturer, guard_of
from civicarchive.errors import InvalidInput
from tests.capture.test_browser import HTML, page
from tests.capture.test_guard import serving
from tests.capture.test_mastodon import items


@pytest.fixture
def site():
    with serving() as (port, routes, seen):
        yield f"http://127.0.0.1:{port}", routes, seen


def web_account(archive, *urls):
    account = archive.registry.add_account("web", "mayor-profile", "official_personal",
                                           actor="clerk")
    archive.capturing.configure(account.id, pages=list(urls), actor="clerk")
    return account


def versions(archive, account_id, url):
    return [v.event.value for v in items(archive, account_id)[url][1]]


def wacz_validate(data: bytes, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "stored.wacz"
    path.write_bytes(data)
    return subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_pages_capture_keeps_a_page_and_a_change_as_an_edit(archive, chromium, site, tmp_path,
                                                            loopback_only):
    base, routes, _ = site
    url = f"{base}/notice"
    routes["/notice"] = (200, HTML, page("Road works", "<p>Elm Street closes on May 4.</p>"))
    account = web_account(archive, url)
    (first,) = archive.capturing.run(account.id, actor="clerk")
    assert first.ok, first.failure
    (again,) = archive.capturing.run(account.id)          # unchanged: no new version
    routes["/notice"] = (200, HTML, page("Road works", "<p>Elm Street closes on May 11.</p>"))
    (changed,) = archive.capturing.run(account.id)

    assert (first.counts["created"], again.counts["created"], again.counts["edited"],
            changed.counts["edited"]) == (1, 0, 0, 1)
    item, history = items(archive, account.id)[url]
    assert [v.event.value for v in history] == ["created", "edited"]
    assert archive.reading.content(history[0])["text"] == "Elm Street closes on May 4."
    assert archive.reading.content(history[1])["text"] == "Elm Street closes on May 11."
    stored = archive.reading.raw(history[1])
    assert history[1].observed_at > history[0].observed_at
    checked = wacz_validate(stored, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "is valid" in checked.stdout


@pytest.mark.slow
def test_pages_removed_page_is_deleted_only_after_a_second_404(archive, chromium, site,
                                                              loopback_only):
    base, routes, _ = site
    routes["/notice"] = (200, HTML, page("Notice", "<p>Hearing on June 2.</p>"))
    routes["/hours"] = (200, HTML, page("Hours", "<p>Open 9 to 5.</p>"))
    notice, hours = f"{base}/notice", f"{base}/hours"
    account = web_account(archive, notice, hours)
    archive.capturing.run(account.id)

    del routes["/notice"], routes["/hours"]              # both answer 404 now
    (first,) = archive.capturing.run(account.id)
    assert first.ok and first.counts["deleted"] == 0
    assert sum("captured again at the next pass" in p["what"] for p in first.problems) == 2
    routes["/hours"] = (200, HTML, page("Hours", "<p>Open 9 to 5.</p>"))   # back again
    (second,) = archive.capturing.run(account.id)
    assert second.counts["deleted"] == 1
    assert versions(archive, account.id, notice) == ["created", "deleted"]
    assert versions(archive, account.id, hours) == ["created"]
    _, history = items(archive, account.id)[notice]
    assert archive.reading.content(history[-1])["text"] == "Hearing on June 2."   # kept
    assert archive.reading.raw(history[-1])[:2] == b"PK"     # the WACZ of the 404 answer
    (third,) = archive.capturing.run(account.id)                 # still gone: nothing more
    assert third.counts["deleted"] == 0 and third.problems == []


@pytest.mark.slow
def test_pages_wall_is_a_problem_and_never_a_version(archive, chromium, site, loopback_only):
    base, routes, _ = site
    routes["/members"] = (200, HTML, page("Sign in", "<form><input name=user>"
                                          "<input type=password name=pw></form>"))
    routes["/news"] = (200, HTML, page("News", "<p>Budget adopted.</p>"))
    account = web_account(archive, f"{base}/members", f"{base}/news")
    (report,) = archive.capturing.run(account.id)
    assert report.ok and report.counts["created"] == 1
    (wall,) = [p for p in report.problems if p["what"].startswith("login_wall")]
    assert "password field" in wall["what"] and wall["where"] == f"{base}/members"
    assert list(items(archive, account.id)) == [f"{base}/news"]

    walled = archive.registry.add_account("web", "members-only", "agency")
    archive.capturing.configure(walled.id, pages=[f"{base}/members"])
    (failed,) = archive.capturing.run(walled.id)          # nothing could be captured
    assert not failed.ok and "password field" in failed.failure["message"]
    assert items(archive, walled.id) == {}


@pytest.mark.slow
def test_pages_capture_run_from_the_cli(cli, chromium, site, loopback_only):
    base, routes, _ = site
    routes["/a"] = (200, HTML, page("A", "<p>First page.</p>"))
    routes["/b"] = (200, HTML, page("B", "<p>Second page.</p>"))
    cli("init", "--agency", "City of Example")
    account = json.loads(cli("accounts", "add", "--platform", "web", "--handle", "council",
                             "--classification", "agency", "--json").output)["id"]
    configured = json.loads(cli("capture", "configure", account, "--page", f"{base}/a",
                                "--page", f"{base}/b", "--json").output)
    assert configured["pages"] == [f"{base}/a", f"{base}/b"]
    (run,) = json.loads(cli("capture", "run", "--account", account, "--json").output)
    assert run["outcome"] == "ok" and run["created"] == 2
    found = json.loads(cli("search", "Second page", "--json").output)
    assert found["total"] == 1


def test_pages_configure_refuses_an_address_that_is_not_http(archive):
    account = archive.registry.add_account("web", "profile", "official_personal")
    with pytest.raises(InvalidInput, match="must start with https://") as refused:
        archive.capturing.configure(account.id, pages=["file:///etc/passwd"])
    assert refused.value.parameter == "pages"
    kept = archive.capturing.configure(account.id, pages=["https://example.gov/a"])
    assert kept.pages == ("https://example.gov/a",)
    assert archive.capturing.settings(account.id).pages == ("https://example.gov/a",)


def test_pages_browser_uses_the_guard_of_the_service_client():
    with open_client(allow_loopback=True) as client:
        assert guard_of(client).allow_loopback is True
    with open_client() as client:
        assert guard_of(client).allow_loopback is False
    unguarded = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert guard_of(unguarded) == FetchGuard()          # never less strict than the default


def test_pages_account_without_pages_fails_saying_what_to_do():
    from datetime import datetime, timezone
    job = CaptureJob(1, "web", "profile", None, {}, CaptureSettings(),
                     datetime(2026, 8, 2, tzinfo=timezone.utc))
    with pytest.raises(CaptureFailed, match="names no web page"):
        PagesCapturer().capture(job, httpx.Client(), None)
