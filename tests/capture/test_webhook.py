"""The webhook receiver for Page feed changes: FastAPI's TestClient, and once a real
uvicorn on 127.0.0.1 started by the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from civicarchive.capture.webhook import WebhookSecrets
from civicarchive.errors import InvalidInput
from civicarchive.web.webhooks import PATH, create_app
from tests.capture.graph_stub import PAGE_ID, T0, VISITOR, events, held

APP_SECRET = "app-secret-canary-61f0a2c3"
VERIFY = "verify-canary-0b7e4d95"


@pytest.fixture
def secrets():
    return WebhookSecrets(APP_SECRET, VERIFY)


@pytest.fixture
def receiver(archive, secrets):
    return TestClient(create_app(archive, secrets))


def sign(body: bytes, secret: str = APP_SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def notification(*values: dict, page_id: str = PAGE_ID) -> bytes:
    return json.dumps({"object": "page", "entry": [{
        "id": page_id, "time": int(T0.timestamp()),
        "changes": [{"field": "feed", "value": value} for value in values]}]}).encode()


def comment_change(graph, comment_id: str, verb: str, **more) -> dict:
    comment = graph.comments[comment_id]
    return {"item": "comment", "verb": verb, "comment_id": comment_id,
            "post_id": comment["post_id"], "parent_id": comment["parent"] or comment["post_id"],
            "created_time": int(T0.timestamp()), "from": comment["from"], **more}


def recorded(archive) -> tuple[int, int]:
    with archive.context.read() as conn:
        audits = conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    return archive.reading.stats()["versions"], audits


def test_webhook_challenge_is_echoed_only_for_our_verify_token(receiver):
    asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    answer = receiver.get(PATH, params=asked)
    assert answer.status_code == 200 and answer.text == "1158201444"
    for wrong in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"},
                  {"hub.verify_token": None}):
        params = {k: v for k, v in {**asked, **wrong}.items() if v is not None}
        refused = receiver.get(PATH, params=params)
        assert refused.status_code == 403 and "1158201444" not in refused.text
        assert VERIFY not in refused.text


def test_webhook_signature_good_bad_missing_and_wrong_secret(archive, receiver, page, graph):
    body = notification({"item": "status", "verb": "add", "post_id": f"{PAGE_ID}_9"})
    before = recorded(archive)
    for headers in ({"Content-Type": "application/json"},                     # missing
                    {"X-Hub-Signature-256": "sha256=" + "0" * 64},           # bad
                    sign(body, "another-app-secret"),                         # wrong secret
                    {"X-Hub-Signature-256": sign(body)["X-Hub-Signature-256"][7:]},  # no prefix
                    sign(body + b" ")):                                       # other bytes
        refused = receiver.post(PATH, content=body, headers=headers)
        assert refused.status_code == 403, headers
        assert APP_SECRET not in refused.text
    assert recorded(archive) == before        # nothing at all: no version, no audit event
    accepted = receiver.post(PATH, content=body, headers=sign(body))
    assert accepted.status_code == 200 and accepted.json()["changes"] == 1
    for path in archive.context.settings.home.rglob("*"):    # the secrets are kept nowhere
        if path.is_file():
            data = path.read_bytes()
            assert APP_SECRET.encode() not in data and VERIFY.encode() not in data, path


def test_webhook_removal_of_a_held_comment_is_a_deletion_event(archive, receiver, page, graph):
    post = graph.add_post("Parade route")
    comment = graph.add_comment(post, "So loud", by=VISITOR)
    archive.capturing.run(page.id)
    body = notification(comment_change(graph, comment, "remove"))
    answer = receiver.post(PATH, content=body, headers=sign(body))
    assert answer.json()["recorded"] == 1
    assert events(archive, page.id, comment) == ["created", "deleted"]
    versions = held(archive, page.id)[comment][1]
    assert archive.reading.raw(versions[-1]) == body           # the notification itself
    assert archive.reading.content(versions[-1])["text"] == "So loud"   # kept
    assert answer.json()["evidence_sha256"] == hashlib.sha256(body).hexdigest()
    assert archive.context.store.blob(hashlib.sha256(body).digest()) == body
    again = receiver.post(PATH, content=body, headers=sign(body))    # Meta retries
    assert again.json()["recorded"] == 0
    unheld = notification({"item": "comment", "verb": "remove", "comment_id": "1_404",
                           "post_id": post})
    assert receiver.post(PATH, content=unheld, headers=sign(unheld)).json()["recorded"] == 0
    assert "1_404" not in held(archive, page.id)


def test_webhook_hide_and_unhide(archive, receiver, page, graph):
    post = graph.add_post("Budget hearing")
    comment = graph.add_comment(post, "Vote them out")
    archive.capturing.run(page.id)
    for verb in ("hide", "unhide"):
        body = notification(comment_change(graph, comment, verb))
        assert receiver.post(PATH, content=body, headers=sign(body)).status_code == 200
    assert events(archive, page.id, comment) == ["created", "hidden", "unhidden"]


def test_webhook_added_comment_is_recorded_and_the_next_pass_finds_it_unchanged(
        archive, receiver, page, graph):
    post = graph.add_post("Snow plows out tonight")
    archive.capturing.run(page.id)
    comment = graph.add_comment(post, "Thanks #snow", at=T0)
    body = notification(comment_change(graph, comment, "add", message="Thanks #snow"))
    answer = receiver.post(PATH, content=body, headers=sign(body))
    assert answer.json()["recorded"] == 1 and answer.json()["due"] == []
    content = archive.reading.content(held(archive, page.id)[comment][1][-1])
    assert content["text"] == "Thanks #snow" and content["hashtags"] == ["snow"]
    (report,) = archive.capturing.run(page.id)       # incremental: the post is watched
    assert report.ok
    assert events(archive, page.id, comment) == ["created"]   # the same content
    edited = notification(comment_change(graph, comment, "edited", message="Thanks! #snow"))
    receiver.post(PATH, content=edited, headers=sign(edited))
    assert events(archive, page.id, comment) == ["created", "edited"]


def test_webhook_added_post_makes_the_account_due_and_it_is_captured(archive, secrets, page,
                                                                    graph):
    post = graph.add_post("Pool opens Saturday", at=T0 + timedelta(hours=1))
    body = notification({"item": "status", "verb": "add", "post_id": post,
                         "message": "Pool opens Saturday", "published": 1,
                         "created_time": int(T0.timestamp()) + 3600,
                         "from": {"id": PAGE_ID, "name": "City of Example"}})
    idle = TestClient(create_app(archive, secrets, capture_due=False))
    assert idle.post(PATH, content=body, headers=sign(body)).json()["due"] == [page.id]
    assert post not in held(archive, page.id)
    busy = TestClient(create_app(archive, secrets))
    assert busy.post(PATH, content=body, headers=sign(body)).json()["due"] == [page.id]
    assert post in held(archive, page.id)        # the pass ran after the answer was sent
    with archive.context.read() as conn:
        (actor,) = conn.execute(sa.text("SELECT actor FROM audit_events WHERE action = "
                                        "'capture.run'")).scalars().all()
    assert actor == "webhook"


def test_webhook_notification_of_an_unknown_page_is_kept_as_evidence_only(archive, receiver):
    body = notification({"item": "status", "verb": "add", "post_id": "55_1"}, page_id="55")
    answer = receiver.post(PATH, content=body, headers=sign(body))
    assert answer.status_code == 200 and answer.json()["unknown_pages"] == ["55"]
    with archive.context.read() as conn:
        (details,) = conn.execute(sa.text("SELECT details FROM audit_events WHERE action = "
                                          "'capture.webhook'")).scalars().all()
    assert json.loads(details)["sha256"] == hashlib.sha256(body).hexdigest()
    assert json.loads(details)["changes"][0]["outcome"] == "not a registered page"
    malformed = b'{"object": "user"}'
    assert receiver.post(PATH, content=malformed, headers=sign(malformed)).status_code == 400


def test_webhook_secrets_come_from_the_environment_or_a_file_and_never_show(tmp_path):
    path = tmp_path / "verify.txt"
    path.write_text(VERIFY + "\n")
    found = WebhookSecrets.from_env({"CIVICARCHIVE_META_APP_SECRET": APP_SECRET,
                                     "CIVICARCHIVE_META_VERIFY_TOKEN_FILE": str(path)})
    assert (found.app_secret, found.verify_token) == (APP_SECRET, VERIFY)
    assert APP_SECRET not in repr(found) and VERIFY not in repr(found)
    with pytest.raises(InvalidInput, match="CIVICARCHIVE_META_APP_SECRET"):
        WebhookSecrets.from_env({"CIVICARCHIVE_META_VERIFY_TOKEN": VERIFY})


def test_webhook_receiver_under_a_real_uvicorn(archive, page, graph, tmp_path, database_url):
    post = graph.add_post("Farmers market")
    archive.capturing.run(page.id)
    secret_file = tmp_path / "app-secret.txt"
    secret_file.write_text(APP_SECRET)
    env = {**os.environ, "CIVICARCHIVE_META_APP_SECRET_FILE": str(secret_file),
           "CIVICARCHIVE_META_VERIFY_TOKEN": VERIFY, "CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK": "1"}
    command = [sys.executable, "-m", "civicarchive.cli", "--home", str(tmp_path / "home"),
               *(["--database-url", database_url] if database_url else []),
               "capture", "webhook", "--port", "0", "--log-level", "DEBUG"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stderr.readline()
            lines.append(line)
            if match := re.search(r"running on http://127\.0\.0\.1:(\d+)", line):
                break
            assert line or server.poll() is None, "".join(lines)
        else:
            raise AssertionError("uvicorn did not start: " + "".join(lines))
        base = f"http://127.0.0.1:{match[1]}{PATH}"
        asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"}
        assert httpx.get(base, params=asked).text == "42"
        comment = graph.add_comment(post, "See you there", at=T0)
        body = notification(comment_change(graph, comment, "add", message="See you there"))
        assert httpx.post(base, content=body, headers=sign(b"x")).status_code == 403
        answer = httpx.post(base, content=body, headers=sign(body))
        assert answer.status_code == 200 and answer.json()["recorded"] == 1
    finally:
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=30)
    log = "".join(lines) + rest
    assert server.returncode == 0, log
    assert "Shutting down" in log or "Finished server process" in log
    assert APP_SECRET not in log and VERIFY not in log     # not even the challenge's query
    assert events(archive, page.id, comment) == ["created"]


def test_webhook_body_over_the_cap_is_refused_before_anything_is_read_or_kept(archive,
                                                                               receiver):
    from civicarchive.web import webhooks
    before = recorded(archive)
    body = b"x" * (webhooks.MAX_BODY + 1)
    answer = receiver.post("/webhooks/meta", content=body, headers=sign(body))
    assert answer.status_code == 413 and "at most" in answer.json()["error"]

    def chunks():   # no Content-Length: the stream itself is cut off
        for _ in range(5):
            yield b"y" * (webhooks.MAX_BODY // 4)
    answer = receiver.post("/webhooks/meta", content=chunks())
    assert answer.status_code == 413
    assert recorded(archive) == before
