"""Legal holds, retention and disposition through the API and the UI's forms: placing and
releasing holds, what they block, review, two-person approval and execution; roles
allowed and denied; another agency's holds and batches answer as missing ones."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from civicarchive.archive import Archive
from civicarchive.clock import FixedClock
from civicarchive.policy import EXAMPLES
from civicarchive.web.app import create_app
from tests.web.conftest import Deployment, csrf_of

API = "/api/v1"
LATER = datetime(2031, 1, 2, tzinfo=timezone.utc)  # the agency's 4-year records are due


@pytest.fixture
def later(deployment):
    """The deployment under the Texas example policy, opened again in 2031."""
    deployment.archive.custody.adopt_policy(EXAMPLES / "texas-local.yaml", "clerk")
    home = deployment.archive.context.settings.home
    archive = Archive.open(home, clock=FixedClock(LATER))
    yield Deployment(archive, create_app(archive), dict(deployment.items),
                     dict(deployment.accounts))
    archive.close()


def bearer(deployment, username: str) -> dict:
    return {"Authorization": f"Bearer {deployment.token(username)}"}


def test_casework_holds_api_place_scope_and_release(deployment):
    client, attorney = deployment.client(), bearer(deployment, "attorney")
    response = client.post(f"{API}/holds", headers=attorney, json={
        "name": "Smith v. City", "matter": "2026-CV-001", "reason": "litigation",
        "query": "zoning"})
    assert response.status_code == 201, response.text
    hold_id = response.json()["id"]
    shown = client.get(f"{API}/holds/{hold_id}", headers=attorney).json()
    # No accounts named: every account of the agency, never another agency's.
    assert shown["active"] and shown["accounts"] == [deployment.accounts["city"],
                                                     deployment.accounts["mayor"]]
    assert shown["created_by"] == "user:attorney"
    assert client.get(f"{API}/holds?active=true", headers=attorney).json()["total"] == 1

    county = bearer(deployment, "county_officer")
    theirs = client.get(f"{API}/holds/{hold_id}", headers=county)
    missing = client.get(f"{API}/holds/99999", headers=county)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"]
    assert client.get(f"{API}/holds", headers=county).json()["total"] == 0
    release = client.post(f"{API}/holds/{hold_id}/release", headers=county,
                          json={"reason": "not mine"})
    assert release.status_code == 404

    foreign = client.post(f"{API}/holds", headers=attorney, json={
        "name": "x", "matter": "y", "reason": "z", "accounts": [deployment.accounts["county"]]})
    assert foreign.status_code == 404
    foreign = client.post(f"{API}/holds", headers=attorney, json={
        "name": "x", "matter": "y", "reason": "z", "items": [deployment.items["county"]]})
    assert foreign.status_code == 404

    released = client.post(f"{API}/holds/{hold_id}/release", headers=attorney,
                           json={"reason": "settled"}).json()
    assert not released["active"] and released["release_reason"] == "settled"
    again = client.post(f"{API}/holds/{hold_id}/release", headers=attorney,
                        json={"reason": "settled"})
    assert again.status_code == 400


@pytest.mark.parametrize("username", ["moderator", "auditor", "official"])
def test_casework_holds_api_roles_without_holds_are_refused(deployment, username):
    client, headers = deployment.client(), bearer(deployment, username)
    assert client.get(f"{API}/holds", headers=headers).status_code == 403
    response = client.post(f"{API}/holds", headers=headers, json={
        "name": "x", "matter": "y", "reason": "z"})
    assert response.status_code == 403
    assert client.get(f"{API}/retention", headers=headers).status_code == 403
    response = client.post(f"{API}/disposition-batches", headers=headers,
                           json={"series": "GR1000-26a"})
    assert response.status_code == 403


def test_casework_retention_api_review_approve_execute(later):
    client = later.client()
    officer, admin = bearer(later, "records_officer"), bearer(later, "admin")
    attorney = bearer(later, "attorney")
    post = later.items["post"]
    hold = client.post(f"{API}/holds", headers=attorney, json={
        "name": "Keep the post", "matter": "M-1", "reason": "claim", "items": [post]})
    hold_id = hold.json()["id"]
    assert client.get(f"{API}/disposition-batches", headers=attorney).status_code == 403

    status = {r["series"]: r for r in client.get(f"{API}/retention",
                                                 headers=officer).json()["items"]}
    city_records = 4  # post, comment, message, the mayor's post; never the county's
    assert status["GR1000-26a"]["records"] == city_records
    assert status["GR1000-26a"]["held"] == 1
    assert status["GR1000-26a"]["eligible_now"] == city_records - 1
    held = client.get(f"{API}/retention/held", headers=officer).json()["items"]
    assert held == [{"item": post, "series": "GR1000-26a", "holds": [hold_id]}]

    batch = client.post(f"{API}/disposition-batches", headers=officer,
                        json={"series": "GR1000-26a"}).json()["id"]
    shown = client.get(f"{API}/disposition-batches/{batch}", headers=officer).json()
    assert post not in shown["items"] and later.items["county"] not in shown["items"]
    assert len(shown["items"]) == city_records - 1
    # Two people: the one who reviewed may not approve.
    assert client.post(f"{API}/disposition-batches/{batch}/approval",
                       headers=officer).status_code == 400
    assert client.post(f"{API}/disposition-batches/{batch}/execution",
                       headers=officer).status_code == 400  # no approval yet
    approved = client.post(f"{API}/disposition-batches/{batch}/approval", headers=admin)
    assert approved.json()["approvals"][0][0] == "user:admin"
    county = bearer(later, "county_officer")
    for path in (f"{batch}", "99999"):
        assert client.get(f"{API}/disposition-batches/{path}", headers=county).status_code == 404
    assert client.post(f"{API}/disposition-batches/{batch}/execution",
                       headers=county).status_code == 404
    executed = client.post(f"{API}/disposition-batches/{batch}/execution", headers=officer)
    assert executed.status_code == 200, executed.text
    assert executed.json()["certificate"]["record_count"] == city_records - 1
    assert client.get(f"{API}/items/{post}", headers=officer).json()["content"] is not None
    comment = client.get(f"{API}/items/{later.items['comment']}", headers=officer).json()
    assert comment["content"] is None  # purged
    assert client.get(f"{API}/items/{later.items['county']}",
                      headers=county).json()["content"] is not None
    county_status = client.get(f"{API}/retention", headers=county).json()["items"]
    assert [(r["series"], r["records"], r["disposed"]) for r in county_status] == [
        ("GR1000-26a", 1, 0)]


def form_post(client, path: str, data: dict, page: str):  # noqa: ANN001, ANN201
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_casework_holds_ui_place_and_release(deployment):
    client = deployment.client("attorney")
    page = client.get("/holds")
    assert page.status_code == 200 and "No active holds." in page.text
    response = form_post(client, "/holds", {
        "name": "Doe v. Town", "matter": "2026-CV-001", "reason": "litigation",
        "query": '"zoning hearing"', "account": [str(deployment.accounts["city"])],
        "start": "2025-01-01"}, "/holds")
    assert response.status_code == 303, response.text
    page = client.get("/holds").text
    assert "Doe v. Town" in page and "Release hold 1" in page
    missing_reason = form_post(client, "/holds", {"name": "", "matter": "m", "reason": "r"},
                               "/holds")
    assert missing_reason.status_code == 400 and 'role="alert"' in missing_reason.text
    unbalanced = form_post(client, "/holds", {"name": "n", "matter": "m", "reason": "r",
                                              "query": '"open'}, "/holds")
    assert unbalanced.status_code == 400
    assert re.search(r'id="hold-query"[^>]*aria-invalid="true"', unbalanced.text)

    county = deployment.client("county_officer")
    assert "Doe v. Town" not in county.get("/holds").text
    assert form_post(county, "/holds/1/release", {"reason": "x"}, "/holds").status_code == 404
    empty = form_post(client, "/holds/1/release", {"reason": ""}, "/holds")
    assert empty.status_code == 400
    assert form_post(client, "/holds/1/release", {"reason": "settled"},
                     "/holds").status_code == 303
    page = client.get("/holds").text
    assert "No active holds." in page and "settled" in page
    assert deployment.client("moderator").get("/holds").status_code == 403


def test_casework_retention_ui_review_approve_execute(later):
    officer, admin = later.client("records_officer"), later.client("admin")
    page = officer.get("/retention")
    assert page.status_code == 200 and "GR1000-26a" in page.text
    assert form_post(officer, "/retention/review", {"series": "GR1000-26a"},
                     "/retention").status_code == 303
    page = officer.get("/retention").text
    assert "Approve batch 1" in page and "Dispose of batch 1" not in page
    refused = form_post(officer, "/retention/batches/1/approve", {}, "/retention")
    assert refused.status_code == 400 and "two people" in refused.text
    assert form_post(admin, "/retention/batches/1/approve", {},
                     "/retention").status_code == 303
    assert form_post(officer, "/retention/batches/1/execute", {},
                     "/retention").status_code == 303
    assert "executed" in officer.get("/retention").text
    none_left = form_post(officer, "/retention/review", {"series": "GR1000-26a"}, "/retention")
    assert none_left.headers["location"] == "/retention?notice=none"
    assert later.client("attorney").get("/retention").status_code == 403
    county = later.client("county_officer")
    assert "Batch 1" not in county.get("/retention").text
    assert form_post(county, "/retention/batches/1/execute", {},
                     "/retention").status_code == 404


def test_casework_retention_api_certifies_in_the_agencys_name(later):
    from civicarchive.model.staff import StaffRole
    from tests.web.conftest import COUNTY, PASSWORD
    later.archive.users.add("county_clerk", COUNTY, [StaffRole.RECORDS_OFFICER], "clerk",
                            password=PASSWORD)
    client = later.client()
    officer, clerk = bearer(later, "county_officer"), bearer(later, "county_clerk")
    batch = client.post(f"{API}/disposition-batches", headers=officer,
                        json={"series": "GR1000-26a"}).json()["id"]
    shown = client.get(f"{API}/disposition-batches/{batch}", headers=officer).json()
    assert shown["items"] == [later.items["county"]]
    client.post(f"{API}/disposition-batches/{batch}/approval", headers=clerk)
    executed = client.post(f"{API}/disposition-batches/{batch}/execution", headers=officer)
    assert executed.json()["certificate"]["agency"] == "County of Other"
    city = bearer(later, "records_officer")
    assert client.get(f"{API}/items/{later.items['post']}",
                      headers=city).json()["content"] is not None


@pytest.fixture
def archival(deployment):
    """The deployment under the Washington example, whose executive communications
    (GS50-01-12) go to the State Archives, with one city post taken down, in 2031."""
    from civicarchive import Event
    from tests.conftest import observe
    city = deployment.accounts["city"]
    deployment.archive.ingesting.ingest([observe(city, "gone-1", "Parade route announced", 1)],
                                        source="t")
    deployment.archive.ingesting.ingest([observe(city, "gone-1", None, 2, event=Event.DELETED)],
                                        source="t")
    deployment.archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    archive = Archive.open(deployment.archive.context.settings.home, clock=FixedClock(LATER))
    yield Deployment(archive, create_app(archive), dict(deployment.items),
                     dict(deployment.accounts))
    archive.close()


def test_casework_transfer_api_purges_only_after_the_package_and_the_receipt(archival):
    client = archival.client()
    officer, admin = bearer(archival, "records_officer"), bearer(archival, "admin")
    batch = client.post(f"{API}/disposition-batches", headers=officer,
                        json={"series": "GS50-01-12"}).json()["id"]
    approved = client.post(f"{API}/disposition-batches/{batch}/approval", headers=admin).json()
    assert approved["disposition"] == "transfer_to_state_archives"
    early = client.post(f"{API}/disposition-batches/{batch}/execution", headers=officer)
    assert early.status_code == 400 and "no transfer package" in early.text
    packaged = client.post(f"{API}/disposition-batches/{batch}/transfer-package",
                           headers=officer).json()
    (package,) = packaged["transfers"]
    assert package["folder"] == f"transfer-batch-{batch}" and packaged["executed_at"] is None
    unreceipted = client.post(f"{API}/disposition-batches/{batch}/execution", headers=officer)
    assert unreceipted.status_code == 400 and "receipt" in unreceipted.text
    done = client.post(f"{API}/disposition-batches/{batch}/execution", headers=officer,
                       json={"receipt": "WSA 2031-0007"})
    assert done.status_code == 200, done.text
    assert done.json()["certificate"]["transfer"] == {
        "package": package["folder"], "receipt": "WSA 2031-0007",
        "tagmanifest_sha256": package["tagmanifest_sha256"]}


def test_casework_transfer_ui_writes_the_package_then_asks_for_the_receipt(archival):
    officer, admin = archival.client("records_officer"), archival.client("admin")
    assert form_post(officer, "/retention/review", {"series": "GS50-01-12"},
                     "/retention").status_code == 303
    assert form_post(admin, "/retention/batches/1/approve", {}, "/retention").status_code == 303
    page = officer.get("/retention").text
    assert "Write transfer package of batch 1" in page and "State Archives receipt" not in page
    assert "Dispose of batch 1" not in page
    assert form_post(officer, "/retention/batches/1/transfer", {},
                     "/retention").status_code == 303
    page = officer.get("/retention").text
    assert "Package transfer-batch-1" in page and "State Archives receipt" in page
    refused = form_post(officer, "/retention/batches/1/execute", {"receipt": ""}, "/retention")
    assert refused.status_code == 400 and "receipt" in refused.text
    assert form_post(officer, "/retention/batches/1/execute", {"receipt": "WSA 2031-0007"},
                     "/retention").status_code == 303
    assert "executed" in officer.get("/retention").text
