"""Capture through the API and the UI: health, settings, "run now" in the background (a
real pass over a loopback feed), runs and gaps; credentials shown without the token;
only administrators; another agency's account the same 404 as a missing one."""

from __future__ import annotations

import re

import pytest

from tests.capture.loopback import Loopback
from tests.capture.test_feed import RSS, Feed
from tests.web.conftest import CITY, csrf_of
from tests.web.test_moderation_queue import bearer
from tests.web.test_sessions import audit_actions

FEED = 4  # the account added after the deployment's three


@pytest.fixture(autouse=True)
def loopback_capture(monkeypatch):
    """The feed below listens on 127.0.0.1, which the capture guard refuses unless told."""
    monkeypatch.setenv("CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK", "1")


@pytest.fixture
def feed():
    with Loopback(Feed(RSS).answer) as server:
        yield server


@pytest.fixture
def captured(deployment, feed):
    account = deployment.archive.registry.add_account("feed", "city-news", "agency",
                                                      agency=CITY, actor="clerk")
    assert account.id == FEED
    deployment.feed_url = f"{feed.url}/news.xml"
    return deployment


def test_settings_then_run_now_in_the_background_shows_the_run(captured):
    client = captured.client("admin")
    page = client.get("/capture")
    assert page.status_code == 200 and "city-news (feed)" in page.text
    assert "cityofexample (x)" in page.text  # listed as having no live capture
    saved = client.post(f"/capture/{FEED}/settings", data={
        "csrf_token": csrf_of(page.text), "url": captured.feed_url, "interval": "600",
        "full_every": "4", "enabled": "true"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    settings = captured.archive.capturing.settings(FEED)
    assert (settings.url, settings.interval, settings.full_every) == \
        (captured.feed_url, 600, 4)
    started = client.post(f"/capture/{FEED}/run", data={"csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    assert started.status_code == 303
    captured.app.state.capture_passes.wait()
    after = client.get("/capture").text
    runs = captured.archive.capturing.runs(FEED)
    assert [r["outcome"] for r in runs] == ["ok"] and runs[0]["created"] == 2
    assert re.search(rf'<th scope="row">{runs[0]["id"]}( \(full\))?</th><td>city-news</td>',
                     after)
    api = client.get("/api/v1/capture/runs", headers=bearer(captured, "admin")).json()
    assert [r["id"] for r in api["items"]] == [runs[0]["id"]]
    status = client.get("/api/v1/capture/status", headers=bearer(captured, "admin")).json()
    (feed,) = status["items"]
    assert feed["last_outcome"] == "ok" and feed["running"] is False


def test_settings_of_a_number_in_other_digits_are_refused_at_the_field(captured):
    client = captured.client("admin")
    page = client.get("/capture")
    refused = client.post(f"/capture/{FEED}/settings", data={
        "csrf_token": csrf_of(page.text), "url": captured.feed_url, "interval": "\u00b2"})
    assert refused.status_code == 400 and "interval is a whole number" in refused.text


def test_a_failed_pass_shows_its_failure_and_one_without_capture_is_refused(captured):
    client = captured.client("admin")
    page = client.get("/capture")  # never configured: no feed address
    client.post(f"/capture/{FEED}/run", data={"csrf_token": csrf_of(page.text)})
    captured.app.state.capture_passes.wait()
    (run,) = captured.archive.capturing.runs(FEED)
    status = client.get("/api/v1/capture/status", headers=bearer(captured, "admin")).json()
    (feed,) = status["items"]
    assert feed["last_outcome"] == "failed" and feed["consecutive_failures"] == 1
    assert run["failure"]["message"] in client.get("/capture").text
    refused = client.post("/api/v1/capture/runs", headers=bearer(captured, "admin"),
                          json={"account_id": 1})  # an X account: no live capture
    assert refused.status_code == 400 and "no live capture for x" in refused.json()["detail"]


def test_settings_through_the_api_and_refusals(captured):
    client = captured.client()
    headers = bearer(captured, "admin")
    changed = client.patch(f"/api/v1/capture/settings/{FEED}", headers=headers,
                           json={"url": captured.feed_url, "enabled": False})
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    bad = client.patch(f"/api/v1/capture/settings/{FEED}", headers=headers,
                       json={"url": "file:///etc/passwd"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "url"
    no_capturer = client.patch("/api/v1/capture/settings/1", headers=headers,
                               json={"interval": 60})
    assert no_capturer.status_code == 400
    theirs = client.patch("/api/v1/capture/settings/3", headers=headers, json={"interval": 60})
    missing = client.patch("/api/v1/capture/settings/999", headers=headers,
                           json={"interval": 60})
    assert theirs.status_code == missing.status_code == 404 and theirs.json() == missing.json()
    assert client.post("/api/v1/capture/runs", headers=headers,
                       json={"account_id": 3}).status_code == 404


@pytest.mark.parametrize("username", ["records_officer", "moderator", "auditor"])
def test_only_administrators_manage_capture(captured, username):
    client = captured.client()
    headers = bearer(captured, username)
    assert client.get("/api/v1/capture/status", headers=headers).status_code == 403
    assert client.post("/api/v1/capture/runs", headers=headers,
                       json={"account_id": FEED}).status_code == 403
    assert captured.client(username).get("/capture").status_code == 403
    assert ("auth.denied", f"user:{username}") in audit_actions(captured.archive)
    assert captured.archive.capturing.runs(FEED) == []


def test_credentials_expiry_is_shown_never_the_token(captured, tmp_path):
    secret = "feed-token-not-to-be-shown"
    token_file = tmp_path / "token"
    token_file.write_text(secret)
    captured.archive.credentials.store(FEED, token_file, actor="clerk")
    client = captured.client("admin")
    status = client.get("/api/v1/capture/status", headers=bearer(captured, "admin"))
    (feed,) = status.json()["items"]
    assert feed["credentials"]["set_by"] == "clerk"
    page = client.get("/capture")
    assert "Set " in page.text and secret not in page.text and secret not in status.text


def test_gaps_are_listed_open_and_closed_with_causes(captured):
    archive = captured.archive
    archive.capturing.configure(FEED, url="http://127.0.0.1:9/unreachable.xml")
    for _ in range(3):  # passes that fail in a row open a gap
        archive.capturing.run(FEED)
    client = captured.client()
    gaps = client.get("/api/v1/capture/gaps", headers=bearer(captured, "admin")).json()
    (gap,) = gaps["items"]
    assert gap["gap_to"] is None and gap["account_id"] == FEED
    page = captured.client("admin").get("/capture").text
    assert f"<td>open</td><td>{gap['cause']}</td>" in page
    archive.capturing.configure(FEED, url=captured.feed_url)
    archive.capturing.run(FEED)  # capture resumes: the gap closes
    closed = client.get("/api/v1/capture/gaps", headers=bearer(captured, "admin")).json()
    assert closed["items"][0]["gap_to"] is not None
    assert client.get("/api/v1/capture/gaps?open_only=true",
                      headers=bearer(captured, "admin")).json()["total"] == 0
    county = client.get("/api/v1/capture/gaps", headers=bearer(captured, "county_officer"))
    assert county.status_code == 403
