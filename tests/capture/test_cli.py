"""The capture commands, end to end on a feed served from loopback."""

from __future__ import annotations

import json

from tests.capture.loopback import Loopback
from tests.capture.test_feed import RSS, Feed


def init(cli):
    cli("init", "--agency", "City of Example")
    out = cli("accounts", "add", "--platform", "feed", "--handle", "news",
              "--classification", "agency", "--json").output
    return json.loads(out)["id"]


def test_cli_capture_configure_run_and_status(cli):
    account = init(cli)
    with Loopback(Feed(RSS).answer) as server:
        configured = json.loads(cli("capture", "configure", account, "--url",
                                    f"{server.url}/news.xml", "--interval", "600",
                                    "--json").output)
        assert configured["interval"] == 600 and configured["url"].endswith("/news.xml")
        (run,) = json.loads(cli("capture", "run", "--account", account, "--json").output)
        assert run["outcome"] == "ok" and run["created"] == 2
        human = cli("capture", "run").output
        assert f"account {account}: run 2: 0 created" in human
    (status,) = json.loads(cli("capture", "status", "--json").output)
    assert status["account_id"] == account and status["consecutive_failures"] == 0
    assert status["last_success"] is not None
    assert "last success" in cli("capture", "status").output


def test_cli_capture_refuses_a_loopback_feed_unless_allowed(cli, monkeypatch):
    monkeypatch.delenv("CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK")
    account = init(cli)
    with Loopback(Feed(RSS).answer) as server:
        cli("capture", "configure", account, "--url", f"{server.url}/news.xml")
        result = cli("capture", "run", "--json", ok=False)
    assert result.exit_code == 1
    (run,) = json.loads(result.stdout)
    assert run["outcome"] == "failed"
    assert "127.0.0.1 is a loopback address" in run["failure"]["message"]


def test_cli_capture_run_failure_exits_1_and_reports_the_gap_later(cli):
    account = init(cli)
    with Loopback(lambda *a: (503, {"Content-Type": "text/plain"}, b"down")) as server:
        cli("capture", "configure", account, "--url", f"{server.url}/news.xml")
        for _ in range(3):
            result = cli("capture", "run", ok=False)
            assert result.exit_code == 1 and "failed" in result.output
    assert "gap" in result.output
    alerts = json.loads(cli("alerts", "list", "--json").output)
    assert [a["kind"] for a in alerts] == ["capture.gap"]
    assert "capture.gap" in cli("alerts", "list", "--kind", "capture.gap").output


def test_cli_configure_refuses_a_bad_url_naming_the_flag(cli):
    account = init(cli)
    result = cli("capture", "configure", account, "--url", "ftp://x", ok=False)
    assert result.exit_code == 1 and "--url" in result.output


def test_cli_credentials_from_a_file_and_key_rotation(cli, tmp_path):
    cli("init", "--agency", "City of Example")
    account = json.loads(cli("accounts", "add", "--platform", "mastodon", "--handle", "city",
                             "--classification", "agency", "--json").output)["id"]
    token = tmp_path / "token"
    token.write_text("secret-token-value\n")
    stored = cli("accounts", "credentials", account, "--token-file", token,
                 "--expires-at", "2027-01-01T00:00:00Z", "--json").output
    assert "secret-token-value" not in stored
    assert json.loads(stored)["expires_at"].startswith("2027-01-01")
    rotated = json.loads(cli("keys", "rotate", "--json").output)
    assert rotated["reencrypted"] == 1
    assert rotated["key_fingerprint"] != rotated["previous_fingerprint"]
    assert "Re-encrypted 1" in cli("keys", "rotate").output
