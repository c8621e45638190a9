"""Single sign-on against a real OpenID provider (tests/web/oidc.py) on 127.0.0.1.

The provider stamps its tokens with the real time, so the flows here read the system
clock; the checks of time (an expired token, a slow sign-in) inject a clock instead. The
settings and claim-mapping tests need no provider.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient

from civicarchive.clock import FixedClock
from civicarchive.errors import InvalidInput, SingleSignOnFailed
from civicarchive.model.staff import StaffRole
from civicarchive.settings import Settings, SsoSettings, read_settings_file
from civicarchive.web.sessions import COOKIE
from civicarchive.web.sso import OpenIdClient, identity_from_claims
from tests.web.conftest import CITY, COUNTY, sign_in as password_sign_in
from tests.web.oidc import OTHER_CLIENT_ID, REDIRECT_URI


@pytest.fixture
def client(oidc):
    client = OpenIdClient(oidc.settings())
    yield client
    client.close()


def sign_in(oidc, client, username="clerk"):
    """A sign-in up to the provider's answer: (its query, the pending-sign-in cookie)."""
    start = client.begin(REDIRECT_URI)
    return oidc.sign_in(start.url, username), start.cookie


# -- discovery ------------------------------------------------------------------------------

def test_discovery_reads_the_providers_metadata_and_keys(oidc, client):
    meta = client.metadata()
    assert meta["issuer"] == oidc.issuer
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert [key.alg for key in client.keys().keys] == ["RS256"]


def test_discovery_refuses_an_issuer_other_than_the_documents(oidc):
    other = OpenIdClient(oidc.settings(issuer=oidc.issuer + "/"))
    with pytest.raises(SingleSignOnFailed) as failed:
        other.metadata()
    assert failed.value.reason == "discovery"
    assert "set sso.issuer to exactly the provider's issuer" in str(failed.value)


# -- the code flow --------------------------------------------------------------------------

def test_sign_in_sends_pkce_state_and_nonce(oidc, client):
    start = client.begin(REDIRECT_URI)
    asked = parse_qs(urlsplit(start.url).query)
    pending = client.pending(start.cookie)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["state"] == [pending["state"]] and asked["nonce"] == [pending["nonce"]]
    assert asked["redirect_uri"] == [REDIRECT_URI]
    assert pending["verifier"] not in start.url  # only its S256 hash travels
    assert len(asked["code_challenge"][0]) == 43


def test_code_flow_ends_in_an_identity_with_mapped_roles(oidc, client):
    query, cookie = sign_in(oidc, client)
    assert set(query) == {"code", "state", "iss"}
    identity = client.finish(query, cookie)
    assert identity.issuer == oidc.issuer
    assert identity.subject == oidc.subjects["clerk"]
    assert (identity.username, identity.display_name, identity.email) == \
        ("clerk", "Clara Clerk", "clerk@example.org")
    assert identity.roles == {StaffRole.RECORDS_OFFICER}
    assert identity.agency == "city-of-example"


def test_several_claim_values_map_to_several_roles(oidc, client):
    identity = client.finish(*sign_in(oidc, client, "counsel"))
    assert identity.roles == {StaffRole.ATTORNEY, StaffRole.AUDITOR}


def test_a_tampered_state_is_refused(oidc, client):
    query, cookie = sign_in(oidc, client)
    with pytest.raises(SingleSignOnFailed) as failed:
        client.finish({**query, "state": query["state"][:-1] + "x"}, cookie)
    assert failed.value.reason == "state"
    identity = client.finish(query, cookie)  # the code itself was not spent
    assert identity.username == "clerk"


def test_a_tampered_or_missing_cookie_is_refused(oidc, client):
    query, cookie = sign_in(oidc, client)
    body, _, mac = cookie.partition(".")
    pending = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps(
        {**pending, "state": "chosen"}).encode()).decode().rstrip("=")
    for bad in (f"{forged}.{mac}", None, "", "garbage"):
        with pytest.raises(SingleSignOnFailed) as failed:
            client.finish({**query, "state": "chosen"}, bad)
        assert failed.value.reason == "state"


def test_a_sign_in_that_took_too_long_is_refused(oidc):
    start = datetime.now(timezone.utc)
    slow = OpenIdClient(oidc.settings(), clock=FixedClock(start, timedelta(minutes=11)))
    begun = slow.begin(REDIRECT_URI)  # read at start; the check reads 11 minutes later
    with pytest.raises(SingleSignOnFailed) as failed:
        slow.pending(begun.cookie)
    assert failed.value.reason == "state" and "longer than 10 minutes" in str(failed.value)


def test_a_replayed_code_is_refused(oidc, client):
    query, cookie = sign_in(oidc, client)
    client.finish(query, cookie)
    with pytest.raises(SingleSignOnFailed) as failed:
        client.finish(query, cookie)
    assert failed.value.reason == "token"
    assert "invalid_grant" in str(failed.value)


def test_an_answer_from_another_issuer_is_refused(oidc, client):
    query, cookie = sign_in(oidc, client)
    for iss in ({"iss": "https://evil.example"}, {}):
        with pytest.raises(SingleSignOnFailed) as failed:
            client.finish({**{k: v for k, v in query.items() if k != "iss"}, **iss}, cookie)
        assert failed.value.reason == "state"


def test_a_provider_error_is_refused_with_its_words(oidc, client):
    start = client.begin(REDIRECT_URI)
    state = client.pending(start.cookie)["state"]
    with pytest.raises(SingleSignOnFailed) as failed:
        client.finish({"error": "access_denied", "error_description": "the user cancelled",
                       "state": state, "iss": oidc.issuer}, start.cookie)
    assert failed.value.reason == "provider"
    assert "access_denied: the user cancelled" in str(failed.value)


def test_a_wrong_password_gets_no_code(oidc, client):
    with pytest.raises(AssertionError, match="401"):
        oidc.sign_in(client.begin(REDIRECT_URI).url, "clerk", password="wrong")


# -- the ID token ---------------------------------------------------------------------------

def tokens(oidc, client, username="clerk"):
    """The raw tokens of a sign-in, and the nonce it was started with."""
    query, cookie = sign_in(oidc, client, username)
    pending = client.pending(cookie)
    return client.exchange(query["code"], pending), pending["nonce"]


def test_an_id_token_for_another_audience_is_refused(oidc, client):
    other = OpenIdClient(oidc.settings(client_id=OTHER_CLIENT_ID,
                                       client_secret=oidc.other_client_secret))
    theirs, nonce = tokens(oidc, other)
    assert other.validate_id_token(theirs["id_token"], nonce)["aud"] == OTHER_CLIENT_ID
    with pytest.raises(SingleSignOnFailed) as failed:
        client.validate_id_token(theirs["id_token"], nonce)
    assert failed.value.reason == "token"
    assert "issued to another application" in str(failed.value)


def test_an_id_token_with_a_wrong_nonce_is_refused(oidc, client):
    issued, nonce = tokens(oidc, client)
    assert client.validate_id_token(issued["id_token"], nonce)["nonce"] == nonce
    with pytest.raises(SingleSignOnFailed) as failed:
        client.validate_id_token(issued["id_token"], nonce + "x")
    assert "does not belong to this sign-in (nonce)" in str(failed.value)


def test_an_altered_id_token_is_refused(oidc, client):
    issued, nonce = tokens(oidc, client)
    header, payload, signature = issued["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = oidc.subjects["counsel"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(SingleSignOnFailed) as failed:
        client.validate_id_token(f"{header}.{forged}.{signature}", nonce)
    assert "signature does not verify" in str(failed.value)


def test_an_unsigned_id_token_is_refused(oidc, client):
    issued, nonce = tokens(oidc, client)
    _, payload, _ = issued["id_token"].split(".")
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    with pytest.raises(SingleSignOnFailed) as failed:
        client.validate_id_token(f"{none}.{payload}.", nonce)
    assert failed.value.reason == "token"


def test_an_expired_id_token_is_refused(oidc, client):
    issued, nonce = tokens(oidc, client)
    later = OpenIdClient(oidc.settings(),
                         clock=FixedClock(datetime.now(timezone.utc) + timedelta(days=1)))
    with pytest.raises(SingleSignOnFailed) as failed:
        later.validate_id_token(issued["id_token"], nonce)
    assert "has expired" in str(failed.value) and "clock" in str(failed.value)


# -- unmapped users -------------------------------------------------------------------------

@pytest.mark.parametrize("username, values", [("visitor", "'guest'"), ("nobody", "no values")])
def test_a_user_whose_roles_map_to_none_is_refused(oidc, client, username, values):
    with pytest.raises(SingleSignOnFailed) as failed:
        client.finish(*sign_in(oidc, client, username))
    assert failed.value.reason == "unmapped"
    assert failed.value.subject == oidc.subjects[username]
    assert f"({values}) maps to a civicarchive role" in str(failed.value)


def test_unmapped_users_can_be_given_a_role(oidc):
    lenient = OpenIdClient(oidc.settings(unmapped_role="auditor", agency="city-of-example"))
    identity = lenient.finish(*sign_in(oidc, lenient, "nobody"))
    assert identity.roles == {StaffRole.AUDITOR} and identity.agency == "city-of-example"
    assert lenient.finish(*sign_in(oidc, lenient, "clerk")).roles == {StaffRole.RECORDS_OFFICER}


# -- claim mapping (no provider) ----------------------------------------------------------

def settings(**changes) -> SsoSettings:
    return SsoSettings(**({"issuer": "https://login.example.gov", "client_id": "ca",
                           "client_secret": "s", "role_map": {"Records": "records_officer",
                                                              "Admins": "admin"}} | changes))


def test_roles_are_read_by_dotted_path_and_from_a_single_string():
    nested = {"sub": "1", "realm_access": {"roles": ["Admins", "Other"]}}
    assert identity_from_claims(nested, settings(role_claim="realm_access.roles")).roles == \
        {StaffRole.ADMIN}
    url_named = {"sub": "1", "https://example.gov/roles": "Records"}
    assert identity_from_claims(url_named, settings(
        role_claim="https://example.gov/roles")).roles == {StaffRole.RECORDS_OFFICER}


def test_the_username_falls_back_to_email_then_subject():
    assert identity_from_claims({"sub": "1", "email": "a@x.gov", "roles": ["Records"]},
                                settings()).username == "a@x.gov"
    identity = identity_from_claims({"sub": "s-1", "roles": ["Records"]}, settings())
    assert (identity.username, identity.display_name, identity.email) == ("s-1", "s-1", None)


def test_the_agency_comes_from_its_claim_else_the_fixed_one():
    claims = {"sub": "1", "roles": ["Records"]}
    assert identity_from_claims(claims, settings(agency="city")).agency == "city"
    assert identity_from_claims({**claims, "dept": "parks"},
                                settings(agency_claim="dept", agency="city")).agency == "parks"
    with pytest.raises(SingleSignOnFailed, match="has no 'dept' claim"):
        identity_from_claims(claims, settings(agency_claim="dept"))
    with pytest.raises(SingleSignOnFailed, match="is not an agency slug"):
        identity_from_claims({**claims, "dept": "Parks & Rec"}, settings(agency_claim="dept"))


def test_a_roles_claim_of_the_wrong_shape_is_refused():
    with pytest.raises(SingleSignOnFailed) as failed:
        identity_from_claims({"sub": "1", "roles": {"a": 1}}, settings())
    assert failed.value.reason == "claims"


# -- settings ------------------------------------------------------------------------------

SECTION = {"issuer": "https://login.example.gov/tenant/v2.0", "client_id": "civicarchive",
           "client_secret_env": "TEST_SSO_SECRET", "role_map": {"Records": "records_officer"}}


def test_settings_read_the_secret_from_the_environment_or_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("TEST_SSO_SECRET", "from-env")
    assert SsoSettings.parse(SECTION).client_secret == "from-env"
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    parsed = SsoSettings.parse({k: v for k, v in SECTION.items() if k != "client_secret_env"}
                               | {"client_secret_file": str(secret)})
    assert parsed.client_secret == "from-file"
    assert "from-file" not in repr(parsed)
    monkeypatch.delenv("TEST_SSO_SECRET")
    with pytest.raises(InvalidInput, match="TEST_SSO_SECRET .* is not set"):
        SsoSettings.parse(SECTION)


@pytest.mark.parametrize("change, problem", [
    ({"client_secret": "inline"}, "client_secret: Extra inputs are not permitted"),
    ({"issuer": "http://login.example.gov"}, "must be an https URL"),
    ({"role_map": {"Records": "superuser"}}, "'superuser', which is not a role"),
    ({"role_map": {}}, "role_map is empty"),
    ({"scopes": ["profile"]}, "scopes must include openid"),
    ({"client_secret_file": "/x"}, "exactly one of client_secret_env"),
    ({"agency": "City Hall"}, "must be an agency slug"),
    ({"unmapped_role": "root"}, "unmapped_role 'root' is not a role"),
])
def test_settings_refuse_what_would_not_work(monkeypatch, change, problem):
    monkeypatch.setenv("TEST_SSO_SECRET", "s")
    with pytest.raises(InvalidInput, match=problem):
        SsoSettings.parse(SECTION | change)


def test_plain_http_is_allowed_only_for_a_loopback_issuer(monkeypatch):
    monkeypatch.setenv("TEST_SSO_SECRET", "s")
    for issuer in ("http://127.0.0.1:9000", "http://localhost:9000/realms/x"):
        assert SsoSettings.parse(SECTION | {"issuer": issuer}).loopback


def test_the_settings_file_is_found_in_home_and_refuses_unknown_sections(monkeypatch,
                                                                          tmp_path):
    monkeypatch.setenv("TEST_SSO_SECRET", "s")
    monkeypatch.delenv("CIVICARCHIVE_CONFIG", raising=False)
    assert Settings.resolve(home=tmp_path).sso is None
    (tmp_path / "civicarchive.yaml").write_text(
        "sso:\n  issuer: https://accounts.google.com\n  client_id: ca\n"
        "  client_secret_env: TEST_SSO_SECRET\n  role_claim: hd\n"
        "  role_map: {example.gov: records_officer}\n")
    found = Settings.resolve(home=tmp_path).sso
    assert found.issuer == "https://accounts.google.com" and found.role_claim == "hd"
    (tmp_path / "other.yaml").write_text("ssso: {}\n")
    with pytest.raises(InvalidInput, match="unknown section 'ssso'"):
        read_settings_file(tmp_path / "other.yaml")
    with pytest.raises(InvalidInput, match="no settings file"):
        Settings.resolve(home=tmp_path, config=tmp_path / "missing.yaml")
    assert os.environ.get("CIVICARCHIVE_CONFIG") is None


# -- through the app ------------------------------------------------------------------------

def through_app(deployment, oidc, **changes):
    """The deployment's app with single sign-on at the local provider."""
    from civicarchive.web.ui.sso import install
    install(deployment.app, oidc.settings(**changes))
    return deployment.app


def sso_sign_in(client, oidc, username, next_page="/"):
    """Through the app: /login/sso, the provider's form, the callback; its answer."""
    begun = client.get("/login/sso", params={"next": next_page}, follow_redirects=False)
    assert begun.status_code == 303, begun.text
    query = oidc.sign_in(begun.headers["location"], username)
    return client.get("/login/sso/callback", params=query, follow_redirects=False)


def refusals(archive) -> list[dict]:
    from civicarchive.store.entries import audit_rows
    with archive.context.read() as conn:
        return [{"actor": r.actor, "subject": r.subject, **orjson.loads(r.details)}
                for r in conn.execute(audit_rows()) if r.action == "auth.login_failed"]


def test_the_app_signs_a_user_in_with_the_mapped_role(deployment, oidc):
    through_app(deployment, oidc)
    client = deployment.client()
    assert 'href="/login/sso?next=' in client.get("/login").text
    begun = client.get("/login/sso", params={"next": "/search"}, follow_redirects=False)
    assert begun.headers["location"].startswith(f"{oidc.issuer}/auth?")
    pending = begun.headers["set-cookie"]
    assert "HttpOnly" in pending and "Path=/login/sso" in pending and "SameSite=lax" in pending
    query = oidc.sign_in(begun.headers["location"], "clerk")
    answer = client.get("/login/sso/callback", params=query, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/search"
    assert f"{COOKIE}=" in answer.headers["set-cookie"]
    user = deployment.archive.users.by_name("clerk")
    assert user.roles == {StaffRole.RECORDS_OFFICER}
    assert user.sso_subject == f"{oidc.issuer} {oidc.subjects['clerk']}"
    assert user.agency_id == deployment.archive.registry.agency(CITY).id
    assert not user.has_password
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "Signed in as Clara Clerk" in dashboard.text
    assert client.get("/api/v1/accounts").status_code == 200  # the session works for reads
    # the same identity again is the same user, not another
    assert sso_sign_in(deployment.client(), oidc, "clerk").status_code == 303
    assert [u.username for u in deployment.archive.users.users()].count("clerk") == 1


def test_signing_in_through_sso_gives_a_new_session_id(deployment, oidc):
    through_app(deployment, oidc)
    client = deployment.client()
    begun = client.get("/login/sso", follow_redirects=False)
    query = oidc.sign_in(begun.headers["location"], "clerk")
    password_sign_in(client, "moderator")  # a session this browser already has when the answer comes
    before = client.cookies[COOKIE]
    assert client.get("/login/sso", follow_redirects=False).headers["location"] == "/"
    answer = client.get("/login/sso/callback", params=query, follow_redirects=False)
    assert answer.status_code == 303
    assert client.cookies[COOKIE] != before
    assert "Signed in as Clara Clerk" in client.get("/").text
    stale = deployment.client()
    stale.cookies.set(COOKIE, before)
    assert stale.get("/", follow_redirects=False).status_code == 303  # to the sign-in page


def test_the_app_refuses_an_unmapped_user_with_a_page_and_an_audit_entry(deployment, oidc):
    through_app(deployment, oidc)
    client = deployment.client()
    answer = sso_sign_in(client, oidc, "visitor")
    assert answer.status_code == 403
    assert "Single sign-on refused" in answer.text and "&#39;guest&#39;" in answer.text
    assert COOKIE not in client.cookies
    assert deployment.archive.users.users() and "visitor" not in \
        [u.username for u in deployment.archive.users.users()]
    found = refusals(deployment.archive)[-1]
    assert found["reason"].startswith(f"sso unmapped at {oidc.issuer}: ")
    assert found["address"] == "testclient"


def test_the_app_refuses_a_tampered_state_and_audits_it(deployment, oidc):
    through_app(deployment, oidc)
    client = deployment.client()
    begun = client.get("/login/sso", follow_redirects=False)
    query = oidc.sign_in(begun.headers["location"], "clerk")
    answer = client.get("/login/sso/callback", params={**query, "state": "forged"},
                        follow_redirects=False)
    assert answer.status_code == 401 and "start again" in answer.text
    assert "civicarchive_sso=" in answer.headers["set-cookie"]  # the pending sign-in is dropped
    assert COOKIE not in client.cookies
    assert refusals(deployment.archive)[-1]["reason"].startswith("sso state at ")


def test_the_agency_claim_places_the_user_and_a_changed_agency_is_refused(deployment, oidc):
    through_app(deployment, oidc)
    assert sso_sign_in(deployment.client(), oidc, "countyclerk").status_code == 303
    county = deployment.archive.users.by_name("countyclerk")
    assert county.agency_id == deployment.archive.registry.agency(COUNTY).id
    deployment.app.state.sso = OpenIdClient(oidc.settings(agency_claim=None, agency=CITY))
    answer = sso_sign_in(deployment.client(), oidc, "countyclerk")
    assert answer.status_code == 401 and "another agency" in answer.text
    assert refusals(deployment.archive)[-1]["reason"].startswith("sso user at ")


def test_roles_follow_the_claims_at_every_sign_in(deployment, oidc):
    through_app(deployment, oidc)
    assert sso_sign_in(deployment.client(), oidc, "clerk").status_code == 303
    deployment.app.state.sso = OpenIdClient(oidc.settings(
        role_map={"records_officer": "auditor"}))
    assert sso_sign_in(deployment.client(), oidc, "clerk").status_code == 303
    assert deployment.archive.users.by_name("clerk").roles == {StaffRole.AUDITOR}


def test_create_app_installs_sso_from_the_settings_file(tmp_path, deployment, oidc,
                                                        monkeypatch):
    from civicarchive.archive import Archive
    from civicarchive.web.app import create_app
    home = deployment.archive.context.settings.home
    monkeypatch.setenv("TEST_SSO_SECRET", oidc.client_secret)
    monkeypatch.delenv("CIVICARCHIVE_CONFIG", raising=False)
    (home / "civicarchive.yaml").write_text(json.dumps({"sso": {
        "issuer": oidc.issuer, "client_id": oidc.client_id,
        "client_secret_env": "TEST_SSO_SECRET", "scopes": ["openid", "profile", "civicarchive"],
        "role_claim": "civicarchive_roles", "role_map": {"legal": "attorney"},
        "agency": CITY}}))  # JSON is YAML
    with Archive.open(home) as archive:
        client = TestClient(create_app(archive), base_url="http://127.0.0.1")
        answer = sso_sign_in(client, oidc, "counsel")
        assert answer.status_code == 303, answer.text
        assert archive.users.by_name("counsel").roles == {StaffRole.ATTORNEY}


def test_a_live_server_on_loopback_signs_in_through_the_provider(deployment, oidc):
    """The app served for real by uvicorn on 127.0.0.1: the callback URL is the one the
    request names (url_for), as in production without sso.redirect_uri."""
    import threading

    import httpx
    import uvicorn
    through_app(deployment, oidc)
    server = uvicorn.Server(uvicorn.Config(deployment.app, host="127.0.0.1",
                                           port=oidc.app_port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert server.started, "uvicorn did not start"
        with httpx.Client(base_url=f"http://127.0.0.1:{oidc.app_port}",
                          trust_env=False) as browser:
            begun = browser.get("/login/sso", follow_redirects=False)
            asked = parse_qs(urlsplit(begun.headers["location"]).query)
            assert asked["redirect_uri"] == [oidc.live_redirect_uri]
            query = oidc.sign_in(begun.headers["location"], "counsel",
                                 redirect_uri=oidc.live_redirect_uri)
            answer = browser.get("/login/sso/callback", params=query, follow_redirects=False)
            assert answer.status_code == 303, answer.text
            assert "Signed in as Cole Counsel" in browser.get("/").text
    finally:
        server.should_exit = True
        thread.join(10)
    assert deployment.archive.users.by_name("counsel").roles == \
        {StaffRole.ATTORNEY, StaffRole.AUDITOR}
