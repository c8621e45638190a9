"""The records side of the staff UI: dashboard, registry, search, record view, policy and
audit log; every page for the roles that may see it, scoped to their agency."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import csrf_of, records_items


@pytest.fixture(autouse=True)
def _hostile(request):
    """Every records test's deployment holds the hostile items (conftest `hostile`)."""
    if "deployment" in request.fixturenames:
        request.getfixturevalue("hostile")


READERS = ("admin", "records_officer", "moderator", "attorney", "auditor", "official")
AUDITORS = ("admin", "records_officer", "attorney", "auditor")
EXAMPLE_POLICY = Path(__file__).parents[2] / "src/civicarchive/policy/examples/" \
    "washington-local.yaml"


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("path", ["/", "/accounts", "/people", "/search?q=zoning", "/policy",
                                  "/accounts/2", "/records/4"])
def test_records_pages_answer_every_reader(deployment, role, path):
    response = deployment.client(role).get(path)
    assert response.status_code == 200, response.text
    assert response.text.count("<h1") == 1
    assert "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("path", ["/", "/accounts", "/people", "/search", "/policy",
                                  "/audit", "/records/1", "/accounts/1", "/people/1"])
def test_records_pages_send_the_public_to_sign_in(deployment, path):
    response = deployment.client().get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", AUDITORS)
def test_records_audit_log_answers_its_readers(deployment, role):
    response = deployment.client(role).get("/audit")
    assert response.status_code == 200
    assert "account.register" in response.text


@pytest.mark.parametrize("role", ["moderator", "official"])
def test_records_audit_log_refuses_others(deployment, role):
    assert deployment.client(role).get("/audit").status_code == 403


def test_records_another_agencys_ids_look_missing(deployment):
    client = deployment.client("county_officer")
    for there, missing in (("/accounts/1", "/accounts/999"), ("/records/1", "/records/999"),
                           ("/people/1", "/people/999"),
                           ("/records/1/versions/1/proof", "/records/999/versions/999/proof")):
        seen, absent = client.get(there), client.get(missing)
        assert seen.status_code == absent.status_code == 404
        assert _main(seen.text) == _main(absent.text)


def test_records_official_sees_only_the_mayors_account(deployment):
    client = deployment.client("official")
    listing = client.get("/accounts").text
    assert "mayorexample" in listing and "cityofexample" not in listing
    assert client.get("/accounts/1").status_code == 404
    assert client.get("/records/1").status_code == 404
    assert client.get("/records/4").status_code == 200
    found = client.get("/search?q=zoning").text
    assert "Mayor" in found and "Zoning hearing" not in found
    assert client.get("/people").text.count('href="/people/') == 1


@pytest.mark.parametrize("role", ["moderator", "auditor"])
def test_records_direct_message_is_nowhere_for_those_who_may_not_read_it(deployment, role):
    client = deployment.client(role)
    assert client.get("/records/3").status_code == 404
    found = client.get("/search?q=zoning")
    assert "private message" not in found.text
    assert ">message <" not in found.text and "message <span" not in found.text
    assert "secret direct message" not in client.get("/search?q=secret").text
    account = client.get("/accounts/1").text
    assert "private message" not in account and "secret direct" not in account
    ids = records_items(deployment.archive)
    assert "secret direct message" not in client.get(f"/records/{ids['400']}").text


def test_records_direct_message_never_appears_in_a_thread(deployment):
    ids = records_items(deployment.archive)
    client = deployment.client("records_officer")
    page = client.get(f"/records/{ids['400']}").text
    assert "reply" in page and "secret direct message" not in page
    assert client.get(f"/records/{ids['405']}").status_code == 200  # their own record


def test_records_search_facets_add_to_the_query_and_count_no_message(deployment):
    text = deployment.client("moderator").get("/search?q=zoning").text
    assert 'href="/search?q=zoning+platform%3Ax"' in text
    assert 'href="/search?q=zoning+kind%3Apost"' in text
    assert "kind%3Amessage" not in text
    narrowed = deployment.client("moderator").get("/search?q=hearing+kind%3Acomment").text
    assert "applied" in narrowed and "streamed" in narrowed
    assert "Zoning hearing" not in narrowed


def test_records_search_marks_highlights_and_reports_mistakes(deployment):
    client = deployment.client("records_officer")
    found = client.get("/search?q=hearing").text
    assert "<mark>hearing</mark>" in found or "<mark>Hearing</mark>" in found
    wrong = client.get("/search?q=plaform:x")
    assert wrong.status_code == 400
    assert 'aria-invalid="true"' in wrong.text and "plaform" in wrong.text


def test_records_record_view_shows_thread_history_and_verification(deployment):
    ids = records_items(deployment.archive)
    page = deployment.client("auditor").get(f"/records/{ids['400']}").text
    assert "Recorded in the ledger at entry" in page and "Verified" in page
    assert f"/records/{ids['400']}/versions/" in page and "/proof" in page
    assert "Edited" in page and "<ins" in page  # the second version, as a word diff
    assert f"/records/{ids['400']}/media/photo.png" in page
    assert "reply" in page


def test_records_proof_download_and_check(deployment):
    client = deployment.client("auditor")
    version = deployment.archive.reading.history(1)[-1].id
    proof = client.get(f"/records/1/versions/{version}/proof")
    assert proof.status_code == 200
    assert proof.headers["content-disposition"].startswith("attachment")
    assert proof.json() == deployment.archive.evidence.proof(version)
    checked = client.get(f"/records/1/versions/{version}/verify")
    assert checked.status_code == 200 and "Verified" in checked.text
    assert deployment.client("moderator").get(
        f"/records/1/versions/{version}/proof").status_code == 403
    other = deployment.archive.reading.history(4)[-1].id
    assert client.get(f"/records/1/versions/{other}/proof").status_code == 400


def test_records_account_page_lists_records_a_page_at_a_time(deployment):
    client = deployment.client("records_officer")
    first = client.get("/accounts/1?limit=2").text
    assert "Older records" in first and "Newer records" not in first
    second = client.get("/accounts/1?limit=2&offset=2").text
    assert "Newer records" in second


def test_records_registry_forms_add_and_link(deployment):
    client = deployment.client("records_officer")
    form = client.get("/accounts").text
    added = client.post("/accounts", data={"platform": "mastodon", "handle": "@city@example",
                                           "classification": "agency", "owner": "Pat Mayor",
                                           "csrf_token": csrf_of(form)},
                        follow_redirects=False)
    assert added.status_code == 303
    account_id = int(added.headers["location"].rsplit("/", 1)[1])
    assert deployment.archive.registry.account(account_id).agency_id == 1
    again = client.post("/accounts", data={"platform": "mastodon", "handle": "@city@example",
                                           "classification": "agency",
                                           "csrf_token": csrf_of(form)})
    assert again.status_code == 400 and 'aria-describedby="account-error"' in again.text
    person = client.get("/people/1").text
    linked = client.post("/people/1/accounts", data={"account_id": account_id,
                                                    "csrf_token": csrf_of(person)},
                         follow_redirects=False)
    assert linked.status_code == 303
    assert account_id in deployment.archive.people.person(1).accounts
    assert deployment.client("moderator").post(
        "/accounts", data={"platform": "x", "handle": "h", "classification": "agency",
                           "csrf_token": csrf_of(form)}).status_code in (403,)


def test_records_registry_forms_refuse_another_agencys_account(deployment):
    client = deployment.client("records_officer")
    person = client.get("/people/1").text
    refused = client.post("/people/1/accounts", data={"account_id": 3,
                                                     "csrf_token": csrf_of(person)})
    assert refused.status_code == 404
    assert 3 not in deployment.archive.people.person(1).accounts


def test_records_policy_page_renders_the_adopted_policy(deployment):
    client = deployment.client("moderator")
    assert "No policy is adopted yet" in client.get("/policy").text
    deployment.archive.custody.adopt_policy(EXAMPLE_POLICY, "clerk")
    page = client.get("/policy").text
    assert "Social Media Policy" in page and "<table>" in page


def test_records_dashboard_sections_follow_permissions(deployment):
    deployment.archive.custody.adopt_policy(EXAMPLE_POLICY, "clerk")
    deployment.archive.dashboard.count_queue_now()
    officer = deployment.client("records_officer").get("/").text
    assert 'href="/requests"' in officer and 'href="/holds"' in officer
    assert 'href="/moderation"' not in officer
    moderator = deployment.client("moderator").get("/").text
    assert 'href="/moderation"' in moderator and "waiting for review" in moderator
    assert 'href="/requests"' not in moderator.split("<main", 1)[1]
    assert 'href="/holds"' not in moderator.split("<main", 1)[1]


def test_records_audit_log_is_scoped_to_the_agency(deployment):
    city = deployment.client("auditor").get("/audit?action=account&limit=100").text
    assert "account 1" in city and "account 3" not in city
    county = deployment.client("county_officer").get("/audit?action=account&limit=100").text
    assert "account 3" in county and "account 1" not in county
    assert "cityofexample" not in county


def test_records_audit_log_filters_and_pages(deployment):
    client = deployment.client("auditor")
    page = client.get("/audit?limit=2").text
    assert "Older events" in page
    mine = client.get("/audit?actor=clerk&action=person").text
    assert "person.add" in mine and "account.register" not in mine


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_records_dashboard_shows_the_agencys_requests_due_and_holds(deployment):
    from datetime import datetime, timezone

    from civicarchive.model.staff import Principal
    deployment.archive.custody.adopt_policy(EXAMPLE_POLICY, "clerk")
    casework = deployment.archive.casework
    county = Principal.of(deployment.archive.users.by_name("county_officer"), None)
    city = Principal.of(deployment.archive.users.by_name("records_officer"), None)
    casework.add_hold(city, "Smith v. City", "smith-2026", "litigation")
    casework.add_hold(county, "County matter", "county-1", "litigation")
    received = datetime(2025, 12, 1, 9, tzinfo=timezone.utc)
    deployment.archive.requests.new("Jane Requester", received, "zoning emails",
                                    "user:records_officer")
    page = deployment.client("records_officer").get("/").text
    assert "Smith v. City" in page and "County matter" not in page
    assert "overdue" in page or "business day" in page
    assert "County matter" in deployment.client("county_officer").get("/").text


@pytest.mark.parametrize("role", ["moderator", "auditor"])
def test_records_a_photo_sent_in_a_direct_message_is_the_message_s(deployment, role):
    # A photo sent in a direct message is a record of its own, under the message: for
    # those who may not read messages it is nowhere, as the message is (page, API,
    # version proof, search, the account's records); for those who may, it is there.
    from datetime import datetime, timezone

    from civicarchive.model.record import Kind, Observation
    from tests.web.conftest import PNG
    archive = deployment.archive
    archive.ingesting.ingest([Observation(
        account_id=deployment.accounts["city"], native_id="102/photo", kind=Kind.MEDIA,
        observed_at=datetime(2026, 1, 2, tzinfo=timezone.utc), parent_native_id="102",
        content={"file": "SENTPHOTO.png", "media_type": "image/png", "alt": "SENTPHOTO"},
        raw=PNG, raw_media_type="image/png", author="resident")], source="test",
        actor="clerk")
    photo = records_items(archive)["102/photo"]
    version = archive.reading.history(photo)[-1].id
    paths = [f"/records/{photo}", f"/api/v1/items/{photo}",
             f"/api/v1/items/{photo}/history", f"/records/{photo}/versions/{version}/proof"]
    barred, allowed = deployment.client(role), deployment.client("records_officer")
    for path in paths:  # as for ids that do not exist (a permission missing: for both)
        missing = path.replace(str(photo), "99999").replace(str(version), "99999")
        assert barred.get(path).status_code == barred.get(missing).status_code, path
        assert barred.get(path).status_code in (403, 404), path
        assert allowed.get(path).status_code == 200, path
    for client, shown in ((barred, False), (allowed, True)):
        assert (f'href="/records/{photo}"' in client.get("/search?q=SENTPHOTO").text) is shown
        found = client.get("/api/v1/search", params={"q": "SENTPHOTO"}).json()
        assert (photo in [hit["item"] for hit in found["items"]]) is shown
        assert ("SENTPHOTO" in client.get("/accounts/1").text) is shown
