"""The records side of the API: people, registry writes, threads, histories, proofs, the
audit log and the policy; scoped to the caller's agency like every answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import records_items


@pytest.fixture(autouse=True)
def _hostile(request):
    """Every records test's deployment holds the hostile items (conftest `hostile`)."""
    if "deployment" in request.fixturenames:
        request.getfixturevalue("hostile")


EXAMPLE_POLICY = Path(__file__).parents[2] / "src/civicarchive/policy/examples/" \
    "washington-local.yaml"


def _api(deployment, username):  # noqa: ANN001, ANN202
    client = deployment.client()
    client.headers["authorization"] = f"Bearer {deployment.token(username)}"
    return client


def test_records_api_people_are_the_agencys(deployment):
    city = _api(deployment, "records_officer").get("/api/v1/people").json()
    assert [p["name"] for p in city["items"]] == ["Pat Mayor"] and city["total"] == 1
    county = _api(deployment, "county_officer")
    assert county.get("/api/v1/people").json()["total"] == 0
    there, missing = county.get("/api/v1/people/1"), county.get("/api/v1/people/999")
    assert there.status_code == missing.status_code == 404
    assert there.json() == missing.json()
    assert _api(deployment, "auditor").get("/api/v1/people/1").json()["accounts"] == [2]


def test_records_api_registry_writes_need_manage_registry(deployment):
    body = {"platform": "bluesky", "handle": "city.example", "classification": "agency"}
    assert _api(deployment, "moderator").post("/api/v1/accounts", json=body).status_code \
        == 403
    added = _api(deployment, "records_officer").post("/api/v1/accounts", json=body)
    assert added.status_code == 201 and added.json()["agency_id"] == 1
    county = _api(deployment, "county_officer")
    county_add = county.post("/api/v1/accounts", json=body)
    assert county_add.status_code == 201 and county_add.json()["agency_id"] == 2


def test_records_api_registry_writes_refuse_another_agencys_ids(deployment):
    county = _api(deployment, "county_officer")
    for path, body in (("/api/v1/accounts/1/tags", {"tag": "council"}),
                       ("/api/v1/accounts/1/closure", {"closed_at": "2026-01-02T00:00:00Z"}),
                       ("/api/v1/people/1/trainings", {"course": "Records 101"})):
        there = county.post(path, json=body)
        missing = county.post(path.replace("/1/", "/999/"), json=body)
        assert there.status_code == missing.status_code == 404, path
        assert there.json() == missing.json()
    assert deployment.archive.registry.account_tags() == {}
    assert deployment.archive.people.person(1).trainings == ()


def test_records_api_people_writes(deployment):
    deployment.archive.custody.adopt_policy(EXAMPLE_POLICY, "clerk")
    office = next(iter(deployment.archive.custody.policy()[1].offices)).key
    client = _api(deployment, "records_officer")
    added = client.post("/api/v1/people", json={
        "name": "Sam Clerk", "role": "staff", "accounts": [1],
        "terms": [{"office": office, "starts_on": "2026-01-01"}]})
    assert added.status_code == 201, added.text
    person = added.json()
    assert person["accounts"] == [1] and person["terms"][0]["office"] == office
    pid = person["id"]
    term = person["terms"][0]["id"]
    ended = client.post(f"/api/v1/people/{pid}/terms/{term}/end", json={"ends_on": "2026-06-30"})
    assert ended.status_code == 200 and ended.json()["terms"][0]["ends_on"] == "2026-06-30"
    assert client.post(f"/api/v1/people/{pid}/acknowledgements", json={}).status_code == 201
    trained = client.post(f"/api/v1/people/{pid}/trainings", json={"course": "Records 101"})
    assert trained.json()["trainings"][0]["course"] == "Records 101"
    linked = client.post(f"/api/v1/people/{pid}/accounts", json={"account_id": 2})
    assert 2 in linked.json()["accounts"]
    assert client.post(f"/api/v1/people/{pid}/accounts",
                       json={"account_id": 3}).status_code == 404
    refused = client.post("/api/v1/people", json={"name": "X", "role": "staff",
                                                   "accounts": [3]})
    assert refused.status_code == 404


def test_records_api_thread_leaves_out_direct_messages_and_media(deployment):
    ids = records_items(deployment.archive)
    for role in ("records_officer", "moderator", "auditor"):
        thread = _api(deployment, role).get(f"/api/v1/items/{ids['400']}/thread").json()
        assert [e["native_id"] for e in thread["items"]] == ["401"], role
    thread = _api(deployment, "moderator").get(f"/api/v1/items/{ids['400']}/thread").json()
    assert thread["total"] == 1 and "reply" in thread["items"][0]["content"]["text"]


def test_records_api_history_pages_versions_with_content(deployment):
    ids = records_items(deployment.archive)
    client = _api(deployment, "auditor")
    first = client.get(f"/api/v1/items/{ids['400']}/history?limit=1").json()
    assert first["total"] == 2 and first["next"] is not None
    assert first["items"][0]["event"] == "created"
    second = client.get(first["next"]).json()
    assert second["items"][0]["event"] == "edited"
    assert "edited" in second["items"][0]["content"]["text"]


@pytest.mark.parametrize("path", ["/api/v1/items/{id}/thread", "/api/v1/items/{id}/history"])
def test_records_api_another_agencys_item_looks_missing(deployment, path):
    county = _api(deployment, "county_officer")
    there, missing = county.get(path.format(id=1)), county.get(path.format(id=999))
    assert there.status_code == missing.status_code == 404
    assert there.json() == missing.json()
    moderator = _api(deployment, "moderator")
    assert moderator.get(path.format(id=3)).json() == moderator.get(
        path.format(id=999)).json()


def test_records_api_proof_is_the_evidence_proof(deployment):
    version = deployment.archive.reading.history(1)[-1].id
    client = _api(deployment, "auditor")
    proof = client.get(f"/api/v1/versions/{version}/proof")
    assert proof.status_code == 200
    assert proof.json() == deployment.archive.evidence.proof(version)
    assert _api(deployment, "moderator").get(
        f"/api/v1/versions/{version}/proof").status_code == 403
    county = _api(deployment, "county_officer")
    assert county.get(f"/api/v1/versions/{version}/proof").json() == county.get(
        "/api/v1/versions/99999/proof").json()


def test_records_api_audit_is_scoped_and_needs_read_audit(deployment):
    assert _api(deployment, "moderator").get("/api/v1/audit").status_code == 403
    city = _api(deployment, "auditor").get("/api/v1/audit?action=account&limit=100").json()
    subjects = {e["subject"] for e in city["items"]}
    assert {"account 1", "account 2"} <= subjects and "account 3" not in subjects
    county = _api(deployment, "county_officer").get("/api/v1/audit?limit=100").json()
    assert all(e["subject"] not in ("account 1", "account 2", "person 1")
               for e in county["items"])
    deployment_wide = [e for e in county["items"] if e["scope"] == "deployment"]
    assert deployment_wide and all(e["details"] is None for e in deployment_wide)
    users = [e for e in county["items"] if e["action"] == "user.add"]
    assert [e["details"]["username"] for e in users] == ["county_officer"]


@pytest.mark.parametrize("tried", ["county_officer", "COUNTY_Officer"])
def test_records_api_another_agencys_failed_sign_in_is_not_in_the_audit(deployment, tried):
    # Sign-in ignores the case of a username, so the audit's scoping must too.
    deployment.archive.users.record_refusal(tried, "127.0.0.1", "wrong password")
    city = _api(deployment, "auditor").get("/api/v1/audit?action=auth&limit=100").json()
    assert not [e for e in city["items"] if e["action"] == "auth.login_failed"]
    county = _api(deployment, "county_officer").get(
        "/api/v1/audit?action=auth&limit=100").json()
    failed = [e for e in county["items"] if e["action"] == "auth.login_failed"]
    assert len(failed) == 1 and failed[0]["scope"] == "agency"


def test_records_api_policy(deployment):
    client = _api(deployment, "moderator")
    assert client.get("/api/v1/policy").status_code == 404
    deployment.archive.custody.adopt_policy(EXAMPLE_POLICY, "clerk")
    policy = client.get("/api/v1/policy").json()
    assert policy["title"].endswith("Social Media Policy") and policy["sections"]


def test_records_api_tag_and_close_an_account(deployment):
    client = _api(deployment, "records_officer")
    tagged = client.post("/api/v1/accounts/1/tags", json={"tag": "council"})
    assert tagged.status_code == 200
    assert deployment.archive.registry.account_tags() == {1: frozenset({"council"})}
    assert client.post("/api/v1/accounts/1/tags", json={"tag": "council"}).status_code == 400
    closed = client.post("/api/v1/accounts/2/closure", json={"closed_at": "2026-01-02T00:00:00Z"})
    assert closed.status_code == 200
    naive = client.post("/api/v1/accounts/1/closure", json={"closed_at": "2026-01-02T00:00:00"})
    assert naive.status_code == 422


def test_records_api_ids_beyond_the_store_are_invalid_not_errors(deployment):
    client = _api(deployment, "records_officer")
    for path in ("/api/v1/items/99999999999999999999", "/api/v1/people/99999999999999999999",
                 "/api/v1/items/99999999999999999999/thread"):
        assert client.get(path).status_code == 422, path


def test_records_api_audit_of_a_one_agency_deployment_shows_everything(tmp_path):
    from civicarchive.archive import Archive
    from civicarchive.model.staff import StaffRole
    from civicarchive.web.app import create_app
    from tests.web.conftest import Deployment, clock
    archive = Archive.init("City of Example", home=tmp_path / "home", clock=clock(),
                           actor="clerk")
    try:
        archive.registry.add_account("x", "cityofexample", "agency", actor="clerk")
        archive.users.add("auditor", "city-of-example", [StaffRole.AUDITOR], "clerk")
        client = _api(Deployment(archive, create_app(archive), {}, {}), "auditor")
        everything = client.get("/api/v1/audit?limit=100").json()
        actions = [e["action"] for e in everything["items"]]
        assert everything["complete"] and everything["total"] == len(actions)
        assert actions[-2:] == ["account.register", "archive.init"]  # newest first
        assert "user.add" in actions and "token.create" in actions
        assert all(e["scope"] == "agency" and e["details"] is not None
                   for e in everything["items"])
        first = client.get("/api/v1/audit?limit=2").json()
        older = client.get(first["next"]).json()
        assert [e["action"] for e in first["items"] + older["items"]] == actions[:4]
        assert client.get("/api/v1/audit?action=account").json()["total"] == 1
    finally:
        archive.close()
