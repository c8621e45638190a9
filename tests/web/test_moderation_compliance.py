"""Compliance (state-action assessments, duties due) and alerts through the API and the
UI: scoped to the caller's agency (an official: their own), acknowledged with a note by
a role that answers for the alert's kind, another agency's alert a 404 like a missing
one."""

from __future__ import annotations

import pytest

from civicarchive.policy import EXAMPLES
from tests.web.conftest import csrf_of
from tests.web.test_moderation_queue import CRITIC, bearer, comment
from tests.web.test_sessions import audit_actions

COUNTY_CRITIC = 6


@pytest.fixture(autouse=True)
def lexical(monkeypatch):
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")


@pytest.fixture
def alerted(deployment):
    """Alerts of both agencies: the city's (Pat Mayor's duties, from the monitor) and
    the county's (a protected comment hidden)."""
    archive = deployment.archive
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    archive.ingesting.ingest([comment(deployment.accounts["county"], "302", CRITIC, "300", 1)],
                             source="test", actor="clerk")
    archive.compliance.monitor("clerk")
    archive.moderation.act(COUNTY_CRITIC, "hide", "user:county_officer", clause="off_topic",
                           reason="testing")
    return deployment


def alert_ids(archive, county: bool) -> list[int]:
    return [a["id"] for a in archive.alerts.list(limit=100)
            if (a["account_id"] == 3) == county]


def test_assessments_are_scoped_to_the_agency_and_the_officials_own(alerted):
    client = alerted.client()
    admin = client.get("/api/v1/compliance/assessments",
                       headers=bearer(alerted, "admin")).json()
    assert [r["item_id"] for r in admin["items"]] == [alerted.items["mayor"]]
    row = admin["items"][0]
    assert row["state_action"]["result"] and row["classification"] == "official_professional"
    official = client.get("/api/v1/compliance/assessments",
                          headers=bearer(alerted, "official")).json()
    assert [r["item_id"] for r in official["items"]] == [alerted.items["mayor"]]
    county = client.get("/api/v1/compliance/assessments",
                        headers=bearer(alerted, "county_officer")).json()
    assert county["total"] == 0
    assert client.get("/api/v1/compliance/assessments?account_id=3",
                      headers=bearer(alerted, "admin")).status_code == 404


def test_duties_due_are_the_agencys_people(alerted):
    client = alerted.client()
    city = client.get("/api/v1/compliance/report", headers=bearer(alerted, "admin")).json()
    assert [p["name"] for p in city["people"]] == ["Pat Mayor"]
    assert city["people"][0]["acknowledgement"]["status"] == "missing"
    county = client.get("/api/v1/compliance/report",
                        headers=bearer(alerted, "county_officer")).json()
    assert county["people"] == []
    page = alerted.client("records_officer").get("/compliance")
    assert page.status_code == 200 and "Pat Mayor" in page.text
    assert "Mayor&#39;s zoning update" in page.text and 'href="/records/4"' in page.text


def test_alerts_list_only_the_agencys_and_another_agencys_is_a_404(alerted):
    archive, client = alerted.archive, alerted.client()
    city, county = alert_ids(archive, False), alert_ids(archive, True)
    assert city and county
    found = client.get("/api/v1/alerts?limit=100", headers=bearer(alerted, "admin")).json()
    assert {a["id"] for a in found["items"]} == set(city)
    theirs = client.get(f"/api/v1/alerts/{county[0]}", headers=bearer(alerted, "admin"))
    missing = client.get("/api/v1/alerts/99999", headers=bearer(alerted, "admin"))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    acked = client.post(f"/api/v1/alerts/{county[0]}/ack", json={"note": "x"},
                        headers=bearer(alerted, "admin"))
    assert acked.status_code == 404
    mine = client.get("/api/v1/alerts", headers=bearer(alerted, "county_officer")).json()
    assert {a["id"] for a in mine["items"]} == set(county)


def test_acknowledging_needs_the_role_that_answers_for_the_kind(alerted):
    client = alerted.client()
    duty = alert_ids(alerted.archive, False)[0]
    denied = client.post(f"/api/v1/alerts/{duty}/ack", json={"note": "seen"},
                         headers=bearer(alerted, "moderator"))
    assert denied.status_code == 403
    assert ("auth.denied", "user:moderator") in audit_actions(alerted.archive)
    done = client.post(f"/api/v1/alerts/{duty}/ack", json={"note": "reminded Pat"},
                       headers=bearer(alerted, "records_officer"))
    assert done.status_code == 200, done.text
    assert done.json()["acknowledged"]["note"] == "reminded Pat"
    again = client.post(f"/api/v1/alerts/{duty}/ack", json={},
                        headers=bearer(alerted, "records_officer"))
    assert again.status_code == 400
    still_open = client.get("/api/v1/alerts?open_only=true",
                            headers=bearer(alerted, "records_officer")).json()
    assert duty not in {a["id"] for a in still_open["items"]}


def test_acknowledge_from_the_alerts_page_with_a_note(alerted):
    client = alerted.client("records_officer")
    duty = alert_ids(alerted.archive, False)[0]
    page = client.get("/alerts")
    assert page.status_code == 200 and f'for="note-{duty}"' in page.text
    done = client.post(f"/alerts/{duty}/ack", data={
        "csrf_token": csrf_of(page.text), "note": "reminded Pat", "show": "open"},
        follow_redirects=False)
    assert done.status_code == 303
    acknowledged = client.get("/alerts?show=acknowledged").text
    assert "reminded Pat" in acknowledged and "by user:records_officer" in acknowledged
    assert f'id="note-{duty}"' not in client.get("/alerts").text


def test_an_official_sees_only_their_own_alerts(alerted):
    found = alerted.client().get("/api/v1/alerts?limit=100",
                                 headers=bearer(alerted, "official")).json()
    assert found["items"]  # Pat Mayor's own duties
    for alert in found["items"]:
        assert alert["account_id"] in (None, alerted.accounts["mayor"])


def test_an_alert_about_a_direct_message_is_only_for_those_who_read_messages(alerted):
    from civicarchive.store import capture as capture_sql
    archive = alerted.archive
    with archive.context.write() as tx:
        about_dm = capture_sql.add_alert(
            tx, "compliance.deleted_early", alerted.accounts["city"],
            "message 3 on cityofexample was deleted before its retention ended",
            {"item_id": alerted.items["message"], "key": ["deleted_early", 3]}, "clerk")
    client = alerted.client()
    for username, sees in (("moderator", False), ("auditor", False),
                           ("records_officer", True), ("admin", True)):
        listed = client.get("/api/v1/alerts?limit=100", headers=bearer(alerted, username))
        assert (about_dm in {a["id"] for a in listed.json()["items"]}) is sees, username
        one = client.get(f"/api/v1/alerts/{about_dm}", headers=bearer(alerted, username))
        assert one.status_code == (200 if sees else 404), username
