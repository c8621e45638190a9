"""Runs, gaps and alerts: what could not be captured is itself on record."""

from __future__ import annotations

import json

from tests.capture.conftest import audit
from tests.capture.replay import REPLIED


def test_capture_every_run_is_recorded_with_its_counts(archive, mastodon, replay):
    (report,) = archive.capturing.run(mastodon.id, actor="clerk", client=replay.client())
    (run,) = audit(archive, "capture.run")
    assert run["id"] == report.run_id and run["outcome"] == "ok"
    assert run["created"] == report.counts["created"] > 0
    assert run["started_at"] <= run["ended_at"] and run["requests"] > 0
    assert run["recorded_by"] == "clerk"


def test_capture_refused_token_opens_a_gap_with_evidence_and_resuming_closes_it(
        archive, mastodon, replay):
    archive.capturing.run(mastodon.id, client=replay.client())
    replay.fail(401, b'{"error":"The access token is invalid"}')
    (failed,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not failed.ok and failed.gap_opened
    (gap,) = audit(archive, "capture.gap")
    assert gap["cause"] == "credentials_expired" and gap["account_id"] == mastodon.id
    evidence = json.loads(gap["evidence"])
    assert evidence["failures"][0]["evidence"]["status"] == 401
    assert "access token is invalid" in evidence["failures"][0]["evidence"]["body"]
    (alert,) = archive.capturing.alerts(mastodon.id, kind="capture.gap")
    assert alert["details"]["gap_id"] == failed.gap_opened
    [status] = archive.capturing.status()
    assert status.open_gap["id"] == failed.gap_opened and status.consecutive_failures == 1

    (resumed,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert resumed.ok and resumed.gap_closed == failed.gap_opened
    (closed,) = audit(archive, "capture.gap.close")
    assert closed["gap_id"] == failed.gap_opened
    (record,) = archive.capturing.gaps(mastodon.id)
    assert record["gap_from"] < record["gap_to"]
    assert archive.capturing.status()[0].open_gap is None


def test_capture_transient_errors_open_a_gap_only_when_repeated(archive, mastodon, replay):
    archive.capturing.run(mastodon.id, client=replay.client())
    for attempt in range(3):
        replay.fail(503, b"upstream down")
        (failed,) = archive.capturing.run(mastodon.id, client=replay.client())
        assert not failed.ok
        assert bool(failed.gap_opened) == (attempt == 2), attempt
    (gap,) = archive.capturing.gaps(mastodon.id)
    assert gap["cause"] == "outage" and len(gap["evidence"]["failures"]) == 3
    assert archive.capturing.status()[0].consecutive_failures == 3


def test_capture_rate_limit_reset_is_what_the_scheduler_waits_for(archive, mastodon, replay):
    replay.fail(429, b'{"error":"Too many requests"}', x_ratelimit_remaining="0",
                x_ratelimit_reset="2026-08-02T00:10:00.000Z")
    (failed,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not failed.ok and failed.failure["cause"] == "rate_limited"
    assert 590 <= failed.retry_after <= 600   # the clock reads 2026-08-02T00:00:0x


def test_capture_a_changed_api_shape_is_a_failure_not_a_crash(archive, mastodon, replay):
    replay.fail(200, b'{"unexpected": true}')
    (failed,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not failed.ok and "capture needs updating" in failed.failure["message"]


def test_capture_completeness_shortfall_is_an_alert_and_a_figure(archive, mastodon, replay):
    replay.edit(REPLIED, replies_count=2)   # the platform counts two, one is served
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    (alert,) = archive.capturing.alerts(mastodon.id, kind="completeness.shortfall")
    assert alert["id"] in report.alerts
    [[native_id, expected, captured]] = alert["details"]["threads"]
    assert (expected, captured) == (2, 1)
    status = archive.capturing.status()[0]
    assert status.completeness == 0.5 and status.expected_replies == 2
    archive.capturing.run(mastodon.id, client=replay.client())   # same shortfall: one alert
    assert len(archive.capturing.alerts(mastodon.id, kind="completeness.shortfall")) == 1


def test_capture_complete_threads_raise_no_alert(archive, mastodon, replay):
    archive.capturing.run(mastodon.id, client=replay.client())
    assert archive.capturing.alerts(mastodon.id) == []
    assert archive.capturing.status()[0].completeness == 1.0
