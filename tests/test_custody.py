"""Policy adoption, retention status, legal holds and certified disposition, end to end
on both store backends."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from civicarchive import Event, InvalidInput
from civicarchive.policy import EXAMPLES
from civicarchive.model.custody import HoldScope

from .conftest import observe

TEXAS = EXAMPLES / "texas-local.yaml"
LATER = datetime(2027, 3, 1, tzinfo=timezone.utc)  # employees' records (2 years) are due


@pytest.fixture
def texas(archive):
    archive.custody.adopt_policy(TEXAS, "clerk")
    staff = archive.registry.add_account("x", "parks.staff", "employee", owner="Parks Dept")
    city = archive.registry.add_account("x", "cityofexample", "agency", owner="Comms Office")
    archive.ingesting.ingest([observe(staff.id, f"s{n}", f"staff post {n} about the park budget", n)
                              for n in range(3)], source="t")
    archive.ingesting.ingest([observe(city.id, f"c{n}", f"city post {n}", n) for n in range(2)],
                             source="t")
    return archive, staff, city


def status(archive, now=LATER):
    return {row["series"]: row for row in archive.disposition.retention_status(now)}


def test_retention_status_follows_the_adopted_policy(texas):
    archive, _, _ = texas
    rows = status(archive)
    assert rows["GR1000-26b"]["eligible_now"] == 3 and rows["GR1000-26b"]["records"] == 3
    assert rows["GR1000-26a"]["waiting"] == 2 and rows["GR1000-26a"]["eligible_now"] == 0
    assert rows["GR1000-26a"]["next_eligible"].startswith("2029-02-28")
    assert status(archive, datetime(2026, 6, 1, tzinfo=timezone.utc))["GR1000-26b"][
        "eligible_now"] == 0


def test_holds_cover_records_by_item_query_and_account_and_are_released(texas):
    archive, staff, _ = texas
    first = archive.custody.add_hold("Smith v. City", "2026-CV-001", "litigation",
                                     HoldScope(items=frozenset({1})), "attorney")
    archive.custody.add_hold("Budget request", "PIR-7", "records request",
                             HoldScope(query='"post 2" budget'), "attorney")
    assert status(archive)["GR1000-26b"]["held"] == 2
    assert [h.name for h in archive.custody.holds_on(1)] == ["Smith v. City"]
    assert archive.custody.holds_on(2) == []
    archive.custody.release_hold(first, "case dismissed", "attorney")
    assert status(archive)["GR1000-26b"]["held"] == 1
    with pytest.raises(InvalidInput, match="already released"):
        archive.custody.release_hold(first, "again", "attorney")
    with pytest.raises(InvalidInput, match="needs a reason"):
        archive.custody.release_hold(2, " ", "attorney")
    # a hold also covers records captured after it was placed
    archive.custody.add_hold("All staff", "audit", "audit",
                             HoldScope(accounts=frozenset({staff.id})),
                             "auditor")
    archive.ingesting.ingest([observe(staff.id, "s9", "a later post", 99)], source="t")
    assert archive.custody.holds_on(6)[0].name == "All staff"


def test_a_hold_query_keeps_a_record_edited_or_deleted_out_of_its_words(texas):
    archive, staff, _ = texas
    archive.custody.add_hold("Zoning appeal", "2026-CV-014", "litigation",
                             HoldScope(query="zoning"), "attorney")
    archive.ingesting.ingest([observe(staff.id, "s0", "staff post 0 about the zoning appeal", 5),
                              observe(staff.id, "s1", "about the zoning appeal", 6)], source="t")
    archive.ingesting.ingest([observe(staff.id, "s0", "staff post 0, edited", 7),
                              observe(staff.id, "s1", None, 8, event=Event.DELETED)], source="t")
    assert [h.name for h in archive.custody.holds_on(1)] == ["Zoning appeal"]
    assert [h.name for h in archive.custody.holds_on(2)] == ["Zoning appeal"]
    assert archive.custody.holds_on(3) == []
    assert status(archive)["GR1000-26b"]["held"] == 2
    batch_id = archive.disposition.review("GR1000-26b", "clerk", LATER)
    assert archive.disposition.batch(batch_id)["items"] == [3]


def test_disposition_needs_two_people_rechecks_holds_and_certifies(texas):
    archive, _, _ = texas
    archive.custody.add_hold("Smith v. City", "2026-CV-001", "litigation",
                             HoldScope(items=frozenset({1})), "attorney")
    batch_id = archive.disposition.review("GR1000-26b", "clerk", LATER)
    assert archive.disposition.batch(batch_id)["items"] == [2, 3]  # the held record is left out
    with pytest.raises(InvalidInput, match="two people"):
        archive.disposition.approve(batch_id, "clerk")
    with pytest.raises(InvalidInput, match="no approval"):
        archive.disposition.execute(batch_id, "clerk", LATER)
    archive.disposition.approve(batch_id, "records officer")
    # a hold placed after the review still stops its record at execution
    archive.custody.add_hold("Late request", "PIR-9", "request", HoldScope(items=frozenset({2})),
                             "clerk")
    certificate = archive.disposition.execute(batch_id, "clerk", LATER)
    assert certificate["record_count"] == 1 and certificate["records"][0]["item_id"] == 3
    assert certificate["series"]["citation"].endswith("GR1000-26b")
    assert [a["name"] for a in certificate["approvals"]] == ["records officer"]
    assert certificate["tombstones"]["count"] == 1
    assert certificate["checkpoint"]["tree_size"] > certificate["tombstones"]["last"]
    exports = archive.context.settings.exports_dir
    assert json.loads((exports / f"certificate-batch-{batch_id}.json").read_text()) == certificate
    assert (exports / f"certificate-batch-{batch_id}.pdf").read_bytes().startswith(b"%PDF")
    # content gone, hashes and history kept, the held records untouched
    [purged] = archive.reading.history(3)
    assert archive.reading.content(purged) is None
    assert purged.id in archive.reading.purged([purged.id])
    assert archive.reading.content(archive.reading.history(2)[0])["text"].startswith("staff post 1")
    report = archive.evidence.verify()
    assert report.ok, report.problems[:3]
    assert report.purged_versions == 1
    assert status(archive)["GR1000-26b"]["disposed"] == 1
    with pytest.raises(InvalidInput, match="already executed"):
        archive.disposition.execute(batch_id, "clerk", LATER)


def test_review_finds_nothing_before_retention_ends(texas):
    archive, _, _ = texas
    assert archive.disposition.review("GR1000-26a", "clerk", LATER) is None
    with pytest.raises(Exception, match="record series"):
        archive.disposition.review("NOPE-1", "clerk", LATER)


def test_accounts_report_names_what_is_missing(texas):
    archive, staff, city = texas
    archive.custody.acknowledge("Comms Office", "clerk")
    report = {row["account"]: row["issues"] for row in archive.custody.accounts_report()}
    assert report[city.id] == []
    assert report[staff.id] == ["owner has not acknowledged the policy"]
    archive.custody.acknowledge("Parks Dept", "clerk", at=datetime(2025, 1, 2, tzinfo=timezone.utc))
    report = {row["account"]: row["issues"] for row in archive.custody.accounts_report(LATER)}
    assert report[staff.id] == ["acknowledgement expired (last 2025-01-02)"]  # 365 days
    archive.registry.add_account("facebook", "mayor.jane", "official_professional",
                                 owner="Mayor Jane")
    report = {row["handle"]: row["issues"] for row in archive.custody.accounts_report()}
    assert "owner has not acknowledged the policy" in report["mayor.jane"]
    assert any("nothing captured" in issue for issue in report["mayor.jane"])


def test_custody_needs_an_adopted_policy(archive):
    with pytest.raises(InvalidInput, match="policy adopt"):
        archive.disposition.retention_status()


def test_cli_records_workflow_and_holds_shown_on_the_record(tmp_path):
    from click.testing import CliRunner

    from civicarchive.cli import main
    home = ["--home", str(tmp_path / "home")]

    def cli(*args, actor="clerk", code=0):
        result = CliRunner().invoke(main, [*home, "--actor", actor, *map(str, args)])
        assert result.exit_code == code, result.output
        return result.output
    cli("init", "--agency", "Town")
    cli("policy", "adopt", TEXAS)
    cli("accounts", "add", "--platform", "x", "--handle", "staff", "--classification",
        "employee", "--owner", "Staff")
    feed = tmp_path / "posts.jsonl"
    feed.write_text("".join(json.dumps({
        "native_id": str(n), "kind": "post", "created_at": "2020-01-01T00:00:00Z",
        "observed_at": "2025-01-01T00:00:00Z", "author": "staff", "text": f"post {n}"}) + "\n"
        for n in range(3)))
    cli("ingest-jsonl", feed, "--account", "1")
    cli("holds", "add", "--name", "Smith v. City", "--matter", "2026-CV-1", "--reason",
        "litigation", "--item", "1", actor="attorney")
    assert "under legal hold 1 (Smith v. City" in cli("show", "1")
    assert json.loads(cli("show", "2", "--json"))["holds"] == []
    status = {r["series"]: r for r in json.loads(cli("retention", "status", "--json"))}
    assert (status["GR1000-26b"]["eligible_now"], status["GR1000-26b"]["held"]) == (2, 1)
    assert "batch 1: 2 record(s)" in cli("retention", "review", "--series", "GR1000-26b")
    assert "another records officer" in cli("retention", "approve", "1", code=1)
    cli("retention", "approve", "1", actor="officer")
    certificate = json.loads(cli("retention", "execute", "1", "--json"))
    assert certificate["record_count"] == 2
    assert "purged by an approved disposition" in cli("show", "2")
    assert json.loads(cli("verify", "--json"))["purged_versions"] == 2
    assert "Smith v. City" in cli("holds", "list")
    cli("holds", "release", "1", "--reason", "settled", actor="attorney")
    assert json.loads(cli("holds", "list", "--json"))[0]["release_reason"] == "settled"
    report = json.loads(cli("accounts", "report", "--json"))
    assert report[0]["issues"] == ["owner has not acknowledged the policy"]
    assert report[0]["series"] == ["GR1000-26b"]


def test_account_tags_are_recorded_once_and_reach_the_facts(texas):
    archive, staff, _ = texas
    archive.registry.tag_account(staff.id, "parks", "clerk")
    with pytest.raises(InvalidInput, match="already tagged"):
        archive.registry.tag_account(staff.id, "parks", "clerk")
    assert archive.registry.account_tags() == {staff.id: frozenset({"parks"})}
    facts = {f.item_id: f for f, _ in archive.disposition.eligibilities(LATER)}
    assert facts[1].tags == frozenset({"parks"}) and facts[4].tags == frozenset()
    assert archive.evidence.verify().ok


def test_records_kept_by_the_state_archives_are_purged_only_after_their_transfer(archive):
    """WA GS50-01-12 is archival: its records go to the State Archives, so disposition must
    not purge them before a package of them exists and the archives acknowledge it."""
    import bagit

    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    city = archive.registry.add_account("x", "cityofexample", "agency", owner="Comms Office")
    archive.ingesting.ingest([observe(city.id, f"c{n}", f"city post {n}", n) for n in range(2)],
                             source="t")
    archive.ingesting.ingest([observe(city.id, f"c{n}", None, 10 + n, event=Event.DELETED)
                              for n in range(2)], source="t")
    batch_id = archive.disposition.review("GS50-01-12", "clerk", LATER.replace(year=2029))
    archive.disposition.approve(batch_id, "records officer")
    with pytest.raises(InvalidInput, match="no transfer package of it exists"):
        archive.disposition.execute(batch_id, "clerk", LATER.replace(year=2029))
    assert archive.reading.content(archive.reading.history(1)[0])["text"] == "city post 0"

    done = archive.disposition.transfer(batch_id, "clerk", LATER.replace(year=2029))
    package = bagit.Bag(done["path"])
    package.validate()
    assert done["items"] == [1, 2] and len(package.payload_entries()) > 2
    with pytest.raises(InvalidInput, match="give their receipt"):
        archive.disposition.execute(batch_id, "clerk", LATER.replace(year=2029), receipt=" ")
    cert = archive.disposition.execute(batch_id, "clerk", LATER.replace(year=2029),
                                       receipt="WSA accession  2029-0042")
    assert cert["action"] == "transfer_to_state_archives" and cert["record_count"] == 2
    assert cert["transfer"] == {"package": f"transfer-batch-{batch_id}",
                                "receipt": "WSA accession 2029-0042",
                                "tagmanifest_sha256": done["tagmanifest_sha256"]}
    assert archive.reading.content(archive.reading.history(1)[0]) is None
    package.validate()      # the package delivered holds the content the archive purged
    exports = archive.context.settings.exports_dir
    assert b"WSA accession 2029-0042" in (exports / f"certificate-batch-{batch_id}.json"
                                          ).read_bytes()
    report = archive.evidence.verify()
    assert report.ok, report.problems[:3]


def test_a_destroyed_series_has_no_transfer_step(texas):
    archive, _, _ = texas
    batch_id = archive.disposition.review("GR1000-26b", "clerk", LATER)
    archive.disposition.approve(batch_id, "records officer")
    with pytest.raises(InvalidInput, match="destroyed, not transferred"):
        archive.disposition.transfer(batch_id, "clerk", LATER)


@pytest.mark.parametrize("scope, parameter", [
    # Covers nothing: every record would stay disposable under a hold that looks placed.
    (HoldScope(start=datetime(2026, 5, 1, tzinfo=timezone.utc),
               end=datetime(2026, 1, 1, tzinfo=timezone.utc)), "end"),
    # Says nothing ("" or a lone "-"): the hold would silently cover every record.
    (HoldScope(query=""), "query"),
    (HoldScope(query=' - "" '), "query"),
    # Names an account or a record the archive does not hold: a typo'd id would leave the
    # account meant without a hold, and one id too large for canonical JSON crashed.
    (HoldScope(accounts=frozenset({99})), "accounts"),
    (HoldScope(accounts=frozenset({9007199254740993})), "accounts"),
    (HoldScope(items=frozenset({12345})), "items"),
])
def test_a_hold_whose_scope_says_nothing_or_covers_nothing_is_refused(texas, scope, parameter):
    archive, _, _ = texas
    with pytest.raises(InvalidInput) as refused:
        archive.custody.add_hold("Smith v. City", "2026-CV-001", "litigation", scope, "attorney")
    assert refused.value.parameter == parameter
    assert archive.custody.holds() == []


def test_execute_follows_the_policy_adopted_since_the_review(texas, tmp_path):
    """A batch reviewed under a series that a later policy no longer gives its records
    (here: employees' posts now transferred to the State Archives, not destroyed) purges
    none of them; a batch whose series the policy dropped says so."""
    archive, _, _ = texas
    batch_id = archive.disposition.review("GR1000-26b", "clerk", LATER)
    archive.disposition.approve(batch_id, "records officer")
    archival = TEXAS.read_text().replace("""  - series: GR1000-26b
    classifications: [employee]""", """  - series: ARCHIVAL
    classifications: [employee]""").replace("""series:
""", """series:
  - code: ARCHIVAL
    title: Employees' correspondence of lasting value
    citation: Local Schedule GR (13 TAC 7.125(a)(1))
    retention: {years: 1}
    trigger: created
    disposition: transfer_to_state_archives
""")
    (tmp_path / "archival.yaml").write_text(archival)
    archive.custody.adopt_policy(tmp_path / "archival.yaml", "clerk")
    with pytest.raises(InvalidInput, match="no longer eligible"):
        archive.disposition.execute(batch_id, "clerk", LATER)
    assert all(archive.reading.content(v) is not None
               for item in (1, 2, 3) for v in archive.reading.history(item))
    (tmp_path / "dropped.yaml").write_text(archival.replace("code: GR1000-26b", "code: GR1000-26c"))
    archive.custody.adopt_policy(tmp_path / "dropped.yaml", "clerk")
    with pytest.raises(InvalidInput, match="GR1000-26b") as dropped:
        archive.disposition.execute(batch_id, "clerk", LATER)
    assert "no longer" in str(dropped.value)


def test_a_hold_placed_after_executes_last_check_still_stops_the_purge(texas, monkeypatch):
    """Another officer places a hold while `execute` is past its check (the check reads,
    the purge writes later): the purge checks again in its own transaction."""
    archive, _, _ = texas
    batch_id = archive.disposition.review("GR1000-26b", "clerk", LATER)
    archive.disposition.approve(batch_id, "records officer")
    checked = archive.disposition._ready

    def then_a_hold(*args):
        found = checked(*args)
        archive.custody.add_hold("Smith v. City", "2026-CV-001", "litigation",
                                 HoldScope(query="budget"), "attorney")
        return found
    monkeypatch.setattr(archive.disposition, "_ready", then_a_hold)
    with pytest.raises(InvalidInput, match="hold"):
        archive.disposition.execute(batch_id, "clerk", LATER)
    assert all(archive.reading.content(v) is not None
               for item in (1, 2, 3) for v in archive.reading.history(item))
