"""Runs, gaps and alerts: what could not be captured is itself on record."""

from __future__ import annotations

import json

import bagit
import pypdf
import pytest
import sqlalchemy as sa

from civicarchive.exports.package import check_evidence_package
from civicarchive.exports.signature import sign_bag
from civicarchive.model.record import Kind, Observation
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


def _gapped(archive, mastodon, replay, *, resume: bool) -> int:
    """A captured account whose capture then failed (and, with `resume`, resumed)."""
    archive.capturing.run(mastodon.id, client=replay.client())
    replay.fail(401, b'{"error":"The access token is invalid"}')
    (failed,) = archive.capturing.run(mastodon.id, client=replay.client())
    if resume:
        archive.capturing.run(mastodon.id, client=replay.client())
    return failed.gap_opened


def _package(archive, account_id: int, folder):
    with archive.context.read() as conn:
        versions = conn.execute(sa.text(
            "SELECT v.id FROM versions v JOIN items i ON i.id = v.item_id "
            "WHERE i.account_id = :a"), {"a": account_id}).scalars().all()
    archive.evidence.export(versions, "bagit", folder)
    return folder / "data"


def _resign(archive, folder) -> None:
    """What an insider holding the key could do: recompute the manifests and sign again."""
    bagit.Bag(str(folder)).save(manifests=True)
    sign_bag(folder, archive.context.sign)


def test_capture_gap_is_listed_and_proven_in_an_evidence_package(archive, mastodon, replay,
                                                                 tmp_path):
    gap_id = _gapped(archive, mastodon, replay, resume=True)
    data = _package(archive, mastodon.id, tmp_path / "package")
    doc = json.loads((data / "capture-gaps.json").read_text())
    [gap] = doc["gaps"]
    stored = archive.capturing.gaps(mastodon.id)[0]
    assert (gap["gap"], gap["account"], gap["cause"]) == (gap_id, mastodon.id,
                                                          "credentials_expired")
    assert (gap["from"], gap["to"]) == (stored["gap_from"], stored["gap_to"])
    assert [json.loads(e["entry"])["action"] for e in gap["events"]] == [
        "capture.gap", "capture.gap.close"]
    assert f"- gap {gap_id}, account {mastodon.id}: from {stored['gap_from']}" in \
        (data / "CERTIFICATE.md").read_text()
    report = check_evidence_package(data.parent, archive.evidence.public_key_pem())
    assert report.problems == [] and report.gaps == 1
    assert "1 gap(s) in capture listed" in report.summary()


def test_capture_open_gap_is_listed_without_an_end(archive, mastodon, replay, tmp_path):
    _gapped(archive, mastodon, replay, resume=False)
    data = _package(archive, mastodon.id, tmp_path / "package")
    [gap] = json.loads((data / "capture-gaps.json").read_text())["gaps"]
    assert gap["to"] is None and len(gap["events"]) == 1
    assert "(not closed when this package was written)" in (data / "CERTIFICATE.md").read_text()
    assert check_evidence_package(data.parent, archive.evidence.public_key_pem()).gaps == 1


def test_capture_gap_of_another_account_is_not_listed(archive, mastodon, replay, tmp_path):
    _gapped(archive, mastodon, replay, resume=True)
    other = archive.registry.add_account("x", "cityofexample", "agency", actor="clerk")
    archive.ingesting.ingest([Observation(
        account_id=other.id, native_id="1", kind=Kind.POST,
        observed_at=archive.context.clock.now(), content={"text": "hello"}, raw=b"hello")],
        "test", "clerk")
    data = _package(archive, other.id, tmp_path / "package")
    assert json.loads((data / "capture-gaps.json").read_text())["gaps"] == []


@pytest.mark.parametrize("forge, complaint", [
    (lambda gap: gap.update(cause="outage"), "the signed event says 'credentials_expired'"),
    (lambda gap: gap.update(to=None), "events must hold the opening event"),
    (lambda gap: gap["events"][0].update(entry=gap["events"][0]["entry"].replace(
        "credentials_expired", "outage")), "is not in the signed ledger"),
    (lambda gap: gap["events"].reverse(), "is not the opening of a capture gap"),
])
def test_capture_gap_statement_forged_even_with_the_key_is_caught(
        archive, mastodon, replay, tmp_path, forge, complaint):
    _gapped(archive, mastodon, replay, resume=True)
    data = _package(archive, mastodon.id, tmp_path / "package")
    doc = json.loads((data / "capture-gaps.json").read_text())
    forge(doc["gaps"][0])
    (data / "capture-gaps.json").write_text(json.dumps(doc))
    _resign(archive, data.parent)
    report = check_evidence_package(data.parent, archive.evidence.public_key_pem())
    assert report.signed and report.gaps == 0
    assert any(complaint in p and "capture-gaps.json: gaps[0]" in p for p in report.problems), \
        report.problems


def test_capture_gaps_file_removed_is_reported(archive, mastodon, replay, tmp_path):
    _gapped(archive, mastodon, replay, resume=True)
    data = _package(archive, mastodon.id, tmp_path / "package")
    (data / "capture-gaps.json").unlink()
    _resign(archive, data.parent)
    problems = check_evidence_package(data.parent, archive.evidence.public_key_pem()).problems
    assert any("capture-gaps.json is missing" in p for p in problems), problems


def test_capture_gap_is_listed_in_a_production(archive, mastodon, replay, tmp_path):
    archive.custody.adopt_policy("src/civicarchive/policy/examples/washington-local.yaml",
                                 "clerk")
    gap_id = _gapped(archive, mastodon, replay, resume=False)
    with archive.context.read() as conn:
        items = conn.execute(sa.text("SELECT id FROM items WHERE account_id = :a AND "
                                     "kind = 'post'"), {"a": mastodon.id}).scalars().all()
    request = archive.requests.new("A. Reporter", archive.context.clock.now(), "posts", "clerk")
    archive.requests.collect(request, "clerk", items=items)
    archive.requests.mark(request, items, "responsive", "clerk")
    result = archive.productions.produce(request, "clerk", folder=tmp_path / "production")
    assert result["capture_gaps"] == 1
    data = tmp_path / "production" / "data"
    manifest = json.loads((data / "manifest.json").read_text())
    [listed] = manifest["capture_gaps"]
    assert listed["gap"] == gap_id and listed["to"] is None
    assert listed["account"] == mastodon.handle and listed["cause"] == "credentials_expired"
    # The gaps come before the items (exports/pdf.py): on the first page, so only its
    # text is extracted (all seven pages' took seconds).
    pdf = pypdf.PdfReader(data / "production.pdf").pages[0].extract_text()
    assert "Gaps in capture" in pdf and "credentials_expired" in pdf and "still open" in pdf
    assert check_evidence_package(tmp_path / "production",
                                  archive.evidence.public_key_pem()).gaps == 1


@pytest.mark.parametrize("failure", [
    dict(status=200, body=b"this is not gzip", content_encoding="gzip"),
    dict(status=302, body=b"", location="/api/v1/accounts/verify_credentials"),
], ids=["undecodable-body", "redirect-loop"])
def test_capture_a_body_that_cannot_be_decoded_or_a_redirect_loop_is_an_outage_not_a_crash(
        archive, mastodon, replay, failure):
    for _ in range(25):             # the redirect loop answers every hop
        replay.fail(**failure)
    (failed,) = archive.capturing.run(mastodon.id, client=replay.client(follow_redirects=True))
    assert not failed.ok and failed.failure["cause"] == "outage"
    (run,) = audit(archive, "capture.run")
    assert run["outcome"] != "ok"
