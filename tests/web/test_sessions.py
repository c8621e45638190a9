"""Signing in and out, session cookies, CSRF, throttling, API tokens, and the audit of
failed sign-ins and denied accesses."""

from __future__ import annotations

import orjson

from civicarchive.web.sessions import COOKIE
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def replace_cookie(client, value: str) -> None:  # noqa: ANN001
    client.cookies.clear()
    client.cookies.set(COOKIE, value)


def audit_actions(archive) -> list[tuple[str, str]]:  # noqa: ANN001
    from civicarchive.store.entries import audit_rows
    with archive.context.read() as conn:
        return [(row.action, row.actor) for row in conn.execute(audit_rows())]


def test_sign_in_sets_a_new_httponly_samesite_session_each_time(deployment):
    client = deployment.client()
    first = sign_in(client, "records_officer").headers["set-cookie"]
    assert f"{COOKIE}=" in first and "HttpOnly" in first and "SameSite=lax" in first
    assert "Secure" not in first  # plain http on loopback
    old = client.cookies[COOKIE]
    sign_in(client, "records_officer")
    assert client.cookies[COOKIE] != old
    # The old session ended at the new sign-in: its cookie no longer signs anyone in.
    stale = deployment.client()
    replace_cookie(stale, old)
    assert stale.get("/api/v1/me").status_code == 401


def test_cookies_are_secure_over_https(deployment):
    from fastapi.testclient import TestClient
    client = TestClient(deployment.app, base_url="https://127.0.0.1")
    assert "Secure" in sign_in(client, "moderator").headers["set-cookie"]
    assert "strict-transport-security" in client.get("/").headers


def test_wrong_password_is_refused_audited_and_then_throttled(deployment):
    client = deployment.client()
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        refused = client.post("/login", data={"username": "moderator", "password": "nope",
                                              "csrf_token": token})
        assert refused.status_code == 401
        assert "wrong username or password" in refused.text.lower()
    throttled = client.post("/login", data={"username": "moderator", "password": PASSWORD,
                                            "csrf_token": token})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert COOKIE not in client.cookies
    failures = [a for a in audit_actions(deployment.archive) if a[0] == "auth.login_failed"]
    assert len(failures) == 6
    # The password tried is never kept.
    assert b"nope" not in orjson.dumps([str(a) for a in audit_actions(deployment.archive)])


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(deployment):
    client = deployment.client()
    token = csrf_of(client.get("/login").text)
    unknown = client.post("/login", data={"username": "nobody", "password": "x" * 12,
                                          "csrf_token": token})
    wrong = client.post("/login", data={"username": "auditor", "password": "x" * 12,
                                        "csrf_token": token})
    assert unknown.status_code == wrong.status_code == 401
    assert csrf_of(unknown.text) and unknown.text.count("Wrong username") == \
        wrong.text.count("Wrong username") == 1


def test_sign_in_form_needs_its_csrf_token(deployment):
    client = deployment.client()
    client.get("/login")
    refused = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                          "csrf_token": "forged"})
    assert refused.status_code == 403 and COOKIE not in client.cookies


def test_forms_and_browser_api_writes_need_the_session_csrf_token(deployment):
    client = deployment.client("admin")
    assert client.post("/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still signed in
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_idle_session_ends(deployment):
    from fastapi.testclient import TestClient

    from civicarchive.web.app import create_app
    app = create_app(deployment.archive, idle_seconds=60)
    client = TestClient(app, base_url="http://127.0.0.1")
    sign_in(client, "auditor")
    secret = client.cookies[COOKIE].split(".")[0]
    sessions = app.state.sessions
    replace_cookie(client, sessions.cookie_value(secret, last=1))  # last used long ago
    assert client.get("/api/v1/me").status_code == 401
    # Ended for good: a fresh timestamp does not bring it back.
    replace_cookie(client, sessions.cookie_value(secret))
    assert client.get("/api/v1/me").status_code == 401


def test_a_forged_cookie_timestamp_is_refused(deployment):
    client = deployment.client("auditor")
    secret, last, mac = client.cookies[COOKIE].split(".")
    replace_cookie(client, f"{secret}.{int(last) + 3600}.{mac}")
    assert client.get("/api/v1/me").status_code == 401


def test_a_cookie_whose_time_is_no_number_signs_no_one_in(deployment):
    client = deployment.client()
    # More digits than int() reads; the byte of "²", a digit to str.isdigit() alone.
    for last in (b"9" * 5000, b"\xb2"):
        cookie = f"{COOKIE}=secret.".encode() + last + b".mac"
        assert client.get("/api/v1/me", headers={"cookie": cookie}).status_code == 401


def test_absolute_timeout_ends_a_session(deployment):
    from datetime import timedelta
    client = deployment.client("auditor")
    deployment.archive.context.clock._now += timedelta(hours=13)
    deployment.app.state.sessions._cache.clear()
    assert client.get("/api/v1/me").status_code == 401


def test_api_token_signs_in_scripts_and_stops_when_revoked(deployment):
    secret = deployment.token("records_officer")
    api = deployment.client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=headers).json()["username"] == "records_officer"
    user = deployment.archive.users.by_name("records_officer")
    (token,) = deployment.archive.users.tokens(user.id)
    deployment.archive.users.revoke_token(user.id, token.id, "admin")
    refused = api.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    # The secret itself is nowhere in the database.
    from civicarchive.store.entries import audit_rows
    with deployment.archive.context.read() as conn:
        assert secret not in str(list(conn.execute(audit_rows())))


def test_disabled_user_loses_sessions_and_tokens(deployment):
    client = deployment.client("moderator")
    secret = deployment.token("moderator")
    user = deployment.archive.users.by_name("moderator")
    deployment.archive.users.change(user.id, "admin", disabled=True)
    deployment.app.state.sessions._cache.clear()
    assert client.get("/api/v1/me").status_code == 401
    assert deployment.client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {secret}"}).status_code == 401


def test_denied_access_is_audited_and_answered_403(deployment):
    client = deployment.client("moderator")
    refused = client.get("/audit")
    assert refused.status_code in (403, 404)
    denied = deployment.client("official").get("/")
    assert denied.status_code == 200  # officials read their own accounts' records
    from civicarchive.web.deps import permit  # noqa: F401 - the one place denials are made


def test_next_after_sign_in_never_leaves_the_site(deployment):
    from civicarchive.web.ui.login import safe_next
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example",
                    "javascript:alert(1)", ""):
        assert safe_next(hostile) == "/"
    assert safe_next("/search?q=zoning") == "/search?q=zoning"


def test_verify_still_passes_with_users_sessions_and_tokens(deployment):
    deployment.client("admin")
    deployment.token("auditor")
    assert deployment.archive.evidence.verify().ok


def test_sign_in_returns_to_the_whole_address_asked_for(deployment):
    client = deployment.client()
    asked = "/search?q=zoning&limit=5&kind=post"
    sent = client.get(asked, follow_redirects=False)
    assert sent.status_code == 303
    form = client.get(sent.headers["location"]).text
    assert f'name="next" value="{asked.replace("&", "&amp;")}"' in form
    signed = client.post("/login", data={"username": "moderator", "password": PASSWORD,
                                         "csrf_token": csrf_of(form), "next": asked},
                         follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == asked


def test_a_write_refused_for_its_csrf_token_is_audited(deployment):
    client = deployment.client("records_officer")
    before = audit_actions(deployment.archive).count(("auth.denied", "user:records_officer"))
    refused = client.post("/holds", data={"name": "x", "csrf_token": "stale"})
    assert refused.status_code == 403
    assert audit_actions(deployment.archive).count(
        ("auth.denied", "user:records_officer")) == before + 1
    anonymous = deployment.client().post("/holds", data={"name": "x"})
    assert anonymous.status_code in (303, 403)  # no one to audit: nothing written
    assert audit_actions(deployment.archive).count(
        ("auth.denied", "user:records_officer")) == before + 1
