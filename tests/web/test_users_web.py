"""Users through the API and the UI: an administrator adds a local user who then signs
in, changes roles, disables and enables; a token made on the page works on the API and
stops when revoked; only administrators, and only of their own agency."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, csrf_of, sign_in
from tests.web.test_moderation_queue import bearer
from tests.web.test_sessions import audit_actions


def user_id(deployment, username: str) -> int:
    return deployment.archive.users.by_name(username).id


def test_admin_adds_a_user_who_then_signs_in(deployment):
    admin = deployment.client("admin")
    page = admin.get("/users")
    assert page.status_code == 200 and "county_officer" not in page.text
    added = admin.post("/users", data={
        "csrf_token": csrf_of(page.text), "username": "clerk2", "display_name": "A Clerk",
        "password": PASSWORD, "roles": ["records_officer", "auditor"], "person": ""},
        follow_redirects=False)
    assert added.status_code == 303, added.text
    made = deployment.archive.users.by_name("clerk2")
    assert made.agency_id == 1 and sorted(made.roles) == ["auditor", "records_officer"]
    assert added.headers["location"] == f"/users/{made.id}"
    newcomer = deployment.client()
    sign_in(newcomer, "clerk2")
    assert newcomer.get("/api/v1/me").json()["display_name"] == "A Clerk"


def test_a_refused_form_says_why_at_the_field(deployment):
    admin = deployment.client("admin")
    page = admin.get("/users")
    refused = admin.post("/users", data={
        "csrf_token": csrf_of(page.text), "username": "clerk3", "password": "short",
        "roles": ["auditor"]})
    assert refused.status_code == 400
    assert "at least 12 characters" in refused.text
    assert re.search(r'id="new-password"[^>]*aria-invalid="true" aria-describedby="add-error"',
                     refused.text)
    assert 'value="clerk3"' in refused.text  # the form keeps what was typed, not the password
    assert "short" not in refused.text.split('id="new-password"')[1].split(">")[0]


def test_a_person_that_is_no_id_is_no_person(deployment):
    admin = deployment.client("admin")
    page = admin.get("/users")
    added = admin.post("/users", data={
        "csrf_token": csrf_of(page.text), "username": "clerk4", "password": PASSWORD,
        "roles": ["auditor"], "person": "\u00b2"}, follow_redirects=False)
    assert added.status_code == 303, added.text


def test_roles_change_and_disabling_ends_access(deployment):
    admin = deployment.client("admin")
    target = user_id(deployment, "auditor")
    auditor = deployment.client("auditor")
    assert auditor.get("/moderation").status_code == 403
    page = admin.get(f"/users/{target}")
    token = csrf_of(page.text)
    admin.post(f"/users/{target}/roles", data={"csrf_token": token,
                                                "roles": ["moderator"]})
    assert sorted(deployment.archive.users.user(target).roles) == ["moderator"]
    assert auditor.get("/moderation").status_code == 200  # a moderator now, at once
    admin.post(f"/users/{target}/disabled", data={"csrf_token": token, "disabled": "true"})
    assert deployment.archive.users.user(target).disabled
    assert auditor.get("/api/v1/me").status_code == 401
    admin.post(f"/users/{target}/disabled", data={"csrf_token": token, "disabled": "false"})
    assert not deployment.archive.users.user(target).disabled


def test_an_admin_cannot_lock_themselves_out(deployment):
    client = deployment.client()
    me = user_id(deployment, "admin")
    headers = bearer(deployment, "admin")
    assert client.patch(f"/api/v1/users/{me}", headers=headers,
                        json={"disabled": True}).status_code == 400
    assert client.patch(f"/api/v1/users/{me}", headers=headers,
                        json={"roles": ["auditor"]}).status_code == 400
    assert not deployment.archive.users.user(me).disabled


def test_a_token_made_on_the_page_works_until_revoked(deployment):
    admin = deployment.client("admin")
    target = user_id(deployment, "auditor")
    page = admin.get(f"/users/{target}")
    made = admin.post(f"/users/{target}/tokens", data={"csrf_token": csrf_of(page.text),
                                                       "name": "nightly export"})
    assert made.status_code == 200
    secret = re.search(r'<code class="secret">(ca_[^<]+)</code>', made.text).group(1)
    assert "shown this once" in made.text
    assert secret not in admin.get(f"/users/{target}").text  # never shown again
    script = deployment.client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert script.get("/api/v1/me", headers=headers).json()["username"] == "auditor"
    (token,) = [t for t in deployment.archive.users.tokens(target) if t.name == "nightly export"]
    page = admin.get(f"/users/{target}")
    revoked = admin.post(f"/users/{target}/tokens/{token.id}/revoke",
                         data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert revoked.status_code == 303
    assert script.get("/api/v1/me", headers=headers).status_code == 401


def test_users_api_adds_changes_and_makes_tokens(deployment):
    client = deployment.client()
    headers = bearer(deployment, "admin")
    added = client.post("/api/v1/users", headers=headers, json={
        "username": "scripted", "roles": ["auditor"], "password": PASSWORD})
    assert added.status_code == 201, added.text
    new = added.json()["id"]
    listed = client.get("/api/v1/users?limit=100", headers=headers).json()
    assert "scripted" in {u["username"] for u in listed["items"]}
    assert "county_officer" not in {u["username"] for u in listed["items"]}
    made = client.post(f"/api/v1/users/{new}/tokens", headers=headers, json={"name": "ci"})
    assert made.status_code == 201 and made.json()["token"].startswith("ca_")
    tokens = client.get(f"/api/v1/users/{new}/tokens", headers=headers).json()
    assert "token" not in tokens["items"][0]
    gone = client.delete(f"/api/v1/users/{new}/tokens/{made.json()['id']}", headers=headers)
    assert gone.status_code == 200 and gone.json()["revoked_at"]
    assert client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {made.json()['token']}"}).status_code == 401


def test_another_agencys_user_is_the_same_404_as_a_missing_one(deployment):
    client = deployment.client()
    headers = bearer(deployment, "admin")
    county = user_id(deployment, "county_officer")
    for method, path, body in (("get", "/api/v1/users/{}", None),
                               ("patch", "/api/v1/users/{}", {"disabled": True}),
                               ("get", "/api/v1/users/{}/tokens", None),
                               ("post", "/api/v1/users/{}/tokens", {"name": "x"})):
        theirs = client.request(method, path.format(county), headers=headers, json=body)
        missing = client.request(method, path.format(99999), headers=headers, json=body)
        assert theirs.status_code == missing.status_code == 404, path
        assert theirs.json() == missing.json()
    assert not deployment.archive.users.user(county).disabled
    assert deployment.client("admin").get(f"/users/{county}").status_code == 404


@pytest.mark.parametrize("username", ["records_officer", "moderator", "official"])
def test_only_administrators_manage_users(deployment, username):
    client = deployment.client()
    headers = bearer(deployment, username)
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post("/api/v1/users", headers=headers, json={
        "username": "sneaky", "roles": ["admin"], "password": PASSWORD}).status_code == 403
    assert deployment.client(username).get("/users").status_code == 403
    assert ("auth.denied", f"user:{username}") in audit_actions(deployment.archive)
    assert "sneaky" not in {u.username for u in deployment.archive.users.users()}


def test_a_token_that_would_have_expired_already_is_refused(deployment):
    client, headers = deployment.client(), bearer(deployment, "admin")
    auditor = deployment.archive.users.by_name("auditor").id
    past = client.post(f"/api/v1/users/{auditor}/tokens", headers=headers,
                       json={"name": "ci", "expires_at": "2025-12-31T00:00:00Z"})
    assert past.status_code == 400, past.text
    assert past.headers["content-type"] == "application/problem+json"
    assert "expired already" in past.json()["detail"]
    later = client.post(f"/api/v1/users/{auditor}/tokens", headers=headers,
                        json={"name": "ci", "expires_at": "2026-06-01T00:00:00Z"})
    assert later.status_code == 201
    assert client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {later.json()['token']}"}).status_code == 200
