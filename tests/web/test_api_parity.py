"""Everything the command line does is reachable through the API: each command maps to
the operation that does it, or says why it stays a command (the server itself, or an
offline check for third parties). A command added without either fails here. And the
operations added for that: a policy adopted, credentials stored, the registry's report
and owners' acknowledgements, state-action warnings, the compliance monitor and the
credentials key rotated, each scoped to the caller's agency."""

from __future__ import annotations

import click
import pytest
import sqlalchemy as sa

import civicarchive
from civicarchive.cli import main
from civicarchive.store import schema as t

from .test_evidence_api import bearer

LOCAL = "a command for the machine itself, not a request to the archive's server"
OFFLINE = "an offline check, for third parties without access to the archive"
COMMANDS = {
    "accounts acknowledge": "POST /api/v1/registry/acknowledgements",
    "accounts add": "POST /api/v1/accounts",
    "accounts close": "POST /api/v1/accounts/{account_id}/closure",
    "accounts credentials": "PUT /api/v1/accounts/{account_id}/credentials",
    "accounts list": "GET /api/v1/accounts",
    "accounts report": "GET /api/v1/registry/report",
    "accounts tag": "POST /api/v1/accounts/{account_id}/tags",
    "agencies add": "POST /api/v1/agencies",
    "alerts ack": "POST /api/v1/alerts/{alert_id}/ack",
    "alerts list": "GET /api/v1/alerts",
    "backup": LOCAL,
    "capture configure": "PATCH /api/v1/capture/settings/{account_id}",
    "capture daemon": LOCAL,
    "capture run": "POST /api/v1/capture/runs",
    "capture status": "GET /api/v1/capture/status",
    "capture webhook": LOCAL,
    "checkpoint export": "GET /api/v1/checkpoint",
    "checkpoint reset": "POST /api/v1/checkpoint/reset",
    "checkpoint timestamp": "POST /api/v1/checkpoint/timestamp",
    "compliance assess": "GET /api/v1/compliance/assessments",
    "compliance monitor": "POST /api/v1/compliance/monitor",
    "compliance report": "GET /api/v1/compliance/report",
    "compliance warn": "GET /api/v1/items/{item_id}/restriction-warnings",
    "export": "POST /api/v1/exports",
    "history": "GET /api/v1/items/{item_id}/history",
    "holds add": "POST /api/v1/holds",
    "holds list": "GET /api/v1/holds",
    "holds release": "POST /api/v1/holds/{hold_id}/release",
    "import": "POST /api/v1/accounts/{account_id}/imports",
    "ingest-jsonl": "POST /api/v1/accounts/{account_id}/jsonl",
    "init": LOCAL,
    "keys rotate": "POST /api/v1/credentials-key/rotation",
    "moderation act": "POST /api/v1/moderation/actions",
    "moderation check": OFFLINE,
    "moderation label": "POST /api/v1/moderation/labels",
    "moderation log": "GET /api/v1/moderation/actions",
    "moderation report": "GET /api/v1/moderation/report",
    "moderation review": "GET /api/v1/moderation/queue",
    "people acknowledge": "POST /api/v1/people/{person_id}/acknowledgements",
    "people add": "POST /api/v1/people",
    "people end-term": "POST /api/v1/people/{person_id}/terms/{term_id}/end",
    "people link-account": "POST /api/v1/people/{person_id}/accounts",
    "people list": "GET /api/v1/people",
    "people show": "GET /api/v1/people/{person_id}",
    "people term": "POST /api/v1/people/{person_id}/terms",
    "people train": "POST /api/v1/people/{person_id}/trainings",
    "policy adopt": "POST /api/v1/policy",
    "policy check": OFFLINE,
    "policy diff": OFFLINE,
    "policy render": "GET /api/v1/policy",
    "proof": "GET /api/v1/versions/{version_id}/proof",
    "public-key": "GET /api/v1/public-key",
    "requests accept": "POST /api/v1/requests/{request_id}/decisions",
    "requests add": "POST /api/v1/requests/{request_id}/items",
    "requests explain": "GET /api/v1/requests/{request_id}/explanation",
    "requests list": "GET /api/v1/requests",
    "requests log": "GET /api/v1/requests/{request_id}/log",
    "requests mark": "POST /api/v1/requests/{request_id}/marks",
    "requests new": "POST /api/v1/requests",
    "requests produce": "POST /api/v1/requests/{request_id}/productions",
    "requests redact": "POST /api/v1/requests/{request_id}/redactions",
    "requests redactions": "GET /api/v1/requests/{request_id}/redactions",
    "requests reject": "POST /api/v1/requests/{request_id}/decisions",
    "requests show": "GET /api/v1/requests/{request_id}",
    "requests status": "POST /api/v1/requests/{request_id}/status",
    "requests suggestions": "GET /api/v1/requests/{request_id}/suggestions",
    "requests unredact": "POST /api/v1/requests/{request_id}/redactions/{redaction_id}/"
                         "withdrawal",
    "retention approve": "POST /api/v1/disposition-batches/{batch_id}/approval",
    "retention execute": "POST /api/v1/disposition-batches/{batch_id}/execution",
    "retention review": "POST /api/v1/disposition-batches",
    "retention status": "GET /api/v1/retention",
    "retention transfer": "POST /api/v1/disposition-batches/{batch_id}/transfer-package",
    "search": "GET /api/v1/search",
    "search-index rebuild": "POST /api/v1/search-index/rebuild",
    "serve": LOCAL,
    "show": "GET /api/v1/items/{item_id}",
    "stats": "GET /api/v1/stats",
    "users add": "POST /api/v1/users",
    "users change": "PATCH /api/v1/users/{user_id}",
    "users list": "GET /api/v1/users",
    "users token": "POST /api/v1/users/{user_id}/tokens",
    "users tokens": "GET /api/v1/users/{user_id}/tokens",
    "verify": "POST /api/v1/verify",
    "verify-package": OFFLINE,
    "verify-proof": "POST /api/v1/proofs/check",
}


def _commands(command: click.Command, prefix: str = ""):  # noqa: ANN202
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, f"{prefix} {name}".strip())
    else:
        yield prefix


def test_every_command_has_its_operation_or_says_why_not(deployment):
    assert sorted(_commands(main)) == sorted(COMMANDS)
    document = deployment.client().get("/api/v1/openapi.json").json()
    operations = {f"{method.upper()} {path}" for path, ops in document["paths"].items()
                  for method in ops}
    missing = {command: operation for command, operation in COMMANDS.items()
               if operation not in (LOCAL, OFFLINE) and operation not in operations}
    assert missing == {}


def test_a_policy_is_adopted_through_the_api_checked_first(deployment):
    # (the deployment has two agencies: the policy every agency follows is an admin's)
    api = deployment.client()
    assert api.post("/api/v1/policy", json={"text": "x: 1"},
                    headers=bearer(deployment, "records_officer")).status_code == 403
    text = (civicarchive.policy.EXAMPLES / "texas-local.yaml").read_text()
    adopted = api.post("/api/v1/policy", json={"text": text, "name": "texas.yaml"},
                       headers=bearer(deployment, "admin"))
    assert adopted.status_code == 201, adopted.text
    assert api.get("/api/v1/policy", headers=bearer(deployment, "auditor")).json()[
        "policy_id"] == adopted.json()["policy_id"]
    broken = api.post("/api/v1/policy", json={"text": "retention: [", "name": "broken.yaml"},
                      headers=bearer(deployment, "admin"))
    assert broken.status_code == 400 and "broken.yaml" in broken.json()["detail"]
    assert api.post("/api/v1/policy", json={"text": text},
                    headers=bearer(deployment, "moderator")).status_code == 403


def test_credentials_are_stored_encrypted_and_never_answered(deployment):
    api, admin = deployment.client(), bearer(deployment, "admin")
    token = "EAAB-secret-token-for-the-city"
    stored = api.put(f"/api/v1/accounts/{deployment.accounts['city']}/credentials",
                     json={"token": token, "expires_at": "2026-06-01T00:00:00Z"},
                     headers=admin)
    assert stored.status_code == 200, stored.text
    assert token not in stored.text and stored.json()["expires_at"].startswith("2026-06-01")
    archive = deployment.archive
    assert archive.credentials.token(deployment.accounts["city"]) == token
    with archive.context.read() as conn:
        assert all(token not in row.ciphertext
                   for row in conn.execute(sa.select(t.credentials.c.ciphertext)))
    county = api.put(f"/api/v1/accounts/{deployment.accounts['county']}/credentials",
                     json={"token": token}, headers=admin)
    missing = api.put("/api/v1/accounts/99999/credentials", json={"token": token},
                      headers=admin)
    assert county.status_code == missing.status_code == 404
    assert county.json()["detail"].replace(str(deployment.accounts["county"]), "N") == \
        missing.json()["detail"].replace("99999", "N")
    two_lines = api.put(f"/api/v1/accounts/{deployment.accounts['city']}/credentials",
                        json={"token": "a\nb"}, headers=admin)
    assert two_lines.status_code == 400
    rotated = api.post("/api/v1/credentials-key/rotation", headers=admin)
    assert rotated.status_code == 200 and rotated.json()["reencrypted"] == 1
    assert archive.credentials.token(deployment.accounts["city"]) == token
    assert api.post("/api/v1/credentials-key/rotation",
                    headers=bearer(deployment, "records_officer")).status_code == 403


def test_the_registry_report_and_acknowledgements_are_the_agencys(deployment):
    api, officer = deployment.client(), bearer(deployment, "records_officer")
    deployment.archive.custody.adopt_policy(civicarchive.policy.EXAMPLES /
                                            "washington-local.yaml", "clerk")
    made = api.post("/api/v1/accounts", json={"platform": "x", "handle": "cityparks",
                                              "classification": "agency",
                                              "owner": "Parks Department"}, headers=officer)
    assert made.status_code == 201, made.text
    report = api.get("/api/v1/registry/report", headers=officer).json()
    assert {row["account"] for row in report} == {deployment.accounts["city"],
                                                 deployment.accounts["mayor"],
                                                 made.json()["id"]}
    parks = next(r for r in report if r["account"] == made.json()["id"])
    assert "nothing captured yet" in " ".join(parks["issues"])
    acked = api.post("/api/v1/registry/acknowledgements", json={"owner": "Parks Department"},
                     headers=officer)
    assert acked.status_code == 204
    parks = next(r for r in api.get("/api/v1/registry/report", headers=officer).json()
                 if r["account"] == made.json()["id"])
    assert not any("acknowledged" in issue for issue in parks["issues"])
    stranger = api.post("/api/v1/registry/acknowledgements", json={"owner": "Somebody"},
                        headers=officer)
    assert stranger.status_code == 404


@pytest.mark.parametrize("item", ["post", "county"])
def test_restriction_warnings_are_for_records_one_sees(deployment, item):
    deployment.archive.custody.adopt_policy(civicarchive.policy.EXAMPLES /
                                            "washington-local.yaml", "clerk")
    answer = deployment.client().get(
        f"/api/v1/items/{deployment.items[item]}/restriction-warnings",
        headers=bearer(deployment, "moderator"))
    if item == "county":
        assert answer.status_code == 404
        return
    assert answer.status_code == 200, answer.text
    warnings = answer.json()
    assert set(warnings) == {"block", "delete"}  # (hiding is never warned of)
    assert warnings["block"]["finding"] and warnings["block"]["suggestion"] == "hide"


def test_the_compliance_monitor_answers_only_the_agencys_new_alerts(deployment):
    deployment.archive.custody.adopt_policy(civicarchive.policy.EXAMPLES /
                                            "washington-local.yaml", "clerk")
    api = deployment.client()
    assert api.post("/api/v1/compliance/monitor",
                    headers=bearer(deployment, "records_officer")).status_code == 403
    answer = api.post("/api/v1/compliance/monitor", headers=bearer(deployment, "admin"))
    assert answer.status_code == 200, answer.text
    visible = {a["id"] for a in api.get("/api/v1/alerts?limit=100",
                                        headers=bearer(deployment, "admin")).json()["items"]}
    assert set(answer.json()["alerts"]) <= visible
    again = api.post("/api/v1/compliance/monitor", headers=bearer(deployment, "admin"))
    assert again.json()["alerts"] == []  # each finding alerted once


def test_bodies_are_limited_before_anything_reads_them(deployment):
    # FastAPI reads a body before the route asks who calls: without a limit anyone could
    # make the server hold gigabytes (a 400 MB JSON body took 830 MB of its memory).
    api = deployment.client()
    huge = b'{"requester": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    for headers in ({}, bearer(deployment, "records_officer")):
        answer = api.post("/api/v1/requests", content=huge,
                          headers={"content-type": "application/json", **headers})
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"] == "application/problem+json"

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(6):
            yield b"x" * (1024 * 1024)
    chunked = api.post("/api/v1/requests", content=chunks(),
                       headers={"content-type": "application/json"})
    assert chunked.status_code == 413
    form = api.post(f"/public/{deployment.archive.registry.agencies()[0].slug}/requests",
                    content=b"description=" + b"x" * (5 * 1024 * 1024),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 413


def test_an_upload_is_refused_before_it_is_read_unless_signed_in(deployment):
    api = deployment.client()
    path = f"/api/v1/accounts/{deployment.accounts['city']}/jsonl"
    files = {"file": ("capture.jsonl", b"{}\n" * (2 * 1024 * 1024))}  # over BODY_LIMIT
    anonymous = api.post(path, files=files)
    assert anonymous.status_code == 401 and "upload" in anonymous.json()["detail"]
    uploads = deployment.archive.context.settings.home / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    signed_in = api.post(path, files=files, headers=bearer(deployment, "records_officer"))
    assert signed_in.status_code == 400  # read, and found malformed: no longer refused
    assert "malformed" in signed_in.json()["detail"]


def test_in_a_deployment_of_one_agency_its_records_officer_adopts_the_policy(tmp_path):
    from fastapi.testclient import TestClient

    from civicarchive import Archive
    from civicarchive.web.app import create_app
    with Archive.init("Town of One", home=tmp_path / "home") as archive:
        user = archive.users.add("officer", None, ["records_officer"], "clerk")
        secret, _ = archive.users.create_token(user.id, "tests", "clerk")
        api = TestClient(create_app(archive), base_url="http://127.0.0.1")
        text = (civicarchive.policy.EXAMPLES / "washington-local.yaml").read_text()
        adopted = api.post("/api/v1/policy", json={"text": text},
                           headers={"Authorization": f"Bearer {secret}"})
        assert adopted.status_code == 201, adopted.text
        assert archive.custody.policy()[0] == adopted.json()["policy_id"]
