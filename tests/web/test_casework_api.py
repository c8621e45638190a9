"""Records requests through the API: intake, collection, review, redaction, production
and its downloads; roles allowed and denied; another agency's ids answer as missing ones."""

from __future__ import annotations

import io
import zipfile

import pytest
from pypdf import PdfReader

from civicarchive.policy import EXAMPLES

API = "/api/v1"
RECEIVED = "2025-12-29T10:00:00-08:00"


@pytest.fixture
def casework(deployment):
    deployment.archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    return deployment


def bearer(deployment, username: str) -> dict:
    return {"Authorization": f"Bearer {deployment.token(username)}"}


def new_request(client, headers, requester="A. Reporter") -> dict:  # noqa: ANN001
    response = client.post(f"{API}/requests", headers=headers, json={
        "requester": requester, "received": RECEIVED, "description": "zoning posts",
        "contact": "reporter@example.net"})
    assert response.status_code == 201, response.text
    return response.json()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_casework_api_request_from_intake_to_downloads(casework):
    client, headers = casework.client(), bearer(casework, "records_officer")
    created = new_request(client, headers)
    rid = created["id"]
    assert created["status"] == "received" and created["deadlines"]
    assert created["deadlines"][0]["business_days_left"] is not None
    listed = client.get(f"{API}/requests", headers=headers).json()
    assert [r["id"] for r in listed["items"]] == [rid]
    assert client.get(f"{API}/requests?status=closed", headers=headers).json()["total"] == 0
    explanation = client.get(f"{API}/requests/{rid}/explanation", headers=headers).json()
    assert explanation["lines"]

    post, comment = casework.items["post"], casework.items["comment"]
    added = client.post(f"{API}/requests/{rid}/items", headers=headers,
                        json={"query": "hearing"}).json()
    assert added == {"added": 2}
    items = client.get(f"{API}/requests/{rid}/items", headers=headers).json()["items"]
    assert [i["item"] for i in items] == [post, comment]
    response = client.post(f"{API}/requests/{rid}/marks", headers=headers,
                           json={"items": [post, comment], "mark": "responsive"})
    assert response.status_code == 200, response.text

    redact = client.post(f"{API}/requests/{rid}/redactions", headers=headers, json={
        "item": comment, "what": "text", "phrase": "streamed",
        "reason": "Personal information, RCW 42.56.230"})
    assert redact.status_code == 201, redact.text
    versions = client.get(f"{API}/items/{post}", headers=headers).json()["versions"]
    span = client.post(f"{API}/requests/{rid}/redactions", headers=headers, json={
        "item": post, "what": "text", "version": versions[-1]["id"], "start": 0, "end": 6,
        "reason": "Privacy, RCW 42.56.050"})
    assert span.status_code == 201, span.text
    author = client.post(f"{API}/requests/{rid}/redactions", headers=headers, json={
        "item": comment, "what": "author", "reason": "Privacy, RCW 42.56.050"})
    assert author.status_code == 201, author.text
    listed = client.get(f"{API}/requests/{rid}/redactions", headers=headers).json()
    assert {r["kind"] for r in listed["items"]} == {"text", "field"}
    assert {r.get("phrase") for r in listed["items"]} >= {"streamed", "Zoning"}

    produced = client.post(f"{API}/requests/{rid}/productions", headers=headers, json={})
    assert produced.status_code == 201, produced.text
    pid = produced.json()["id"]
    productions = client.get(f"{API}/requests/{rid}/productions", headers=headers).json()
    assert [p["id"] for p in productions["items"]] == [pid]

    pdf = client.get(f"{API}/requests/{rid}/productions/{pid}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "hearing" in text and "[REDACTED: Privacy, RCW 42.56.050]" in text.replace("\n", " ")
    assert "streamed" not in text and "Zoning" not in text

    download = client.get(f"{API}/requests/{rid}/productions/{pid}/zip", headers=headers)
    assert download.status_code == 200, download.text
    bundle = zipfile.ZipFile(io.BytesIO(download.content))
    names = bundle.namelist()
    assert any(n.endswith("/data/production.pdf") for n in names)
    assert any(n.endswith("/bagit.txt") for n in names)
    assert all(n.startswith(f"{created['number']}-production-{pid}/") for n in names)
    inside = next(n for n in names if n.endswith("/data/production.pdf"))
    assert bundle.read(inside) == pdf.content

    log = client.get(f"{API}/requests/{rid}/log", headers=headers).json()
    assert "produced" in [e["action"] for e in log["items"]]
    assert "streamed" not in str(log)


def test_casework_api_undo_status_and_suggestions(casework):
    client, headers = casework.client(), bearer(casework, "attorney")
    rid = new_request(client, headers)["id"]
    comment = casework.items["comment"]
    client.post(f"{API}/requests/{rid}/items", headers=headers, json={"items": [comment]})
    made = client.post(f"{API}/requests/{rid}/redactions", headers=headers, json={
        "item": comment, "what": "urls", "reason": "Privacy"})
    assert made.status_code == 400  # the comment holds no URL
    made = client.post(f"{API}/requests/{rid}/redactions", headers=headers, json={
        "item": comment, "phrase": "hearing", "reason": "Privacy"}).json()["id"]
    undone = client.post(f"{API}/requests/{rid}/redactions/{made}/withdrawal",
                         headers=headers, json={"why": "not private after all"})
    assert undone.status_code == 204
    assert client.get(f"{API}/requests/{rid}/redactions", headers=headers).json()["total"] == 0
    status = client.post(f"{API}/requests/{rid}/status", headers=headers,
                         json={"status": "in-review", "note": "started"})
    assert status.json()["status"] == "in_review"
    assert client.get(f"{API}/requests/{rid}/suggestions", headers=headers).status_code == 200
    withheld = client.post(f"{API}/requests/{rid}/marks", headers=headers,
                           json={"items": [comment], "mark": "withheld"})
    assert withheld.status_code == 400  # withholding needs the exemption and citation


@pytest.mark.parametrize("username", ["moderator", "auditor", "official"])
def test_casework_api_roles_without_requests_are_refused(casework, username):
    client = casework.client()
    rid = new_request(client, bearer(casework, "records_officer"))["id"]
    headers = bearer(casework, username)
    assert client.get(f"{API}/requests", headers=headers).status_code == 403
    assert client.get(f"{API}/requests/{rid}", headers=headers).status_code == 403
    response = client.post(f"{API}/requests", headers=headers, json={
        "requester": "x", "received": RECEIVED, "description": "y"})
    assert response.status_code == 403
    response = client.post(f"{API}/requests/{rid}/items", headers=headers,
                           json={"items": [casework.items["post"]]})
    assert response.status_code == 403


def test_casework_api_another_agencys_request_is_missing(casework):
    client = casework.client()
    rid = new_request(client, bearer(casework, "records_officer"))["id"]
    county = bearer(casework, "county_officer")
    assert client.get(f"{API}/requests", headers=county).json()["total"] == 0
    theirs = client.get(f"{API}/requests/{rid}", headers=county)
    missing = client.get(f"{API}/requests/99999", headers=county)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == {**missing.json(), "detail": theirs.json()["detail"]}
    assert theirs.json()["detail"] == missing.json()["detail"]
    for path in ("explanation", "log", "items", "redactions", "productions", "suggestions"):
        assert client.get(f"{API}/requests/{rid}/{path}", headers=county).status_code == 404
    response = client.post(f"{API}/requests/{rid}/items", headers=county,
                           json={"items": [casework.items["county"]]})
    assert response.status_code == 404


def test_casework_api_collects_only_the_agencys_own_records(casework):
    client = casework.client()
    city = bearer(casework, "records_officer")
    rid = new_request(client, city)["id"]
    county_item = client.post(f"{API}/requests/{rid}/items", headers=city,
                              json={"items": [casework.items["county"]]})
    missing_item = client.post(f"{API}/requests/{rid}/items", headers=city,
                               json={"items": [99999]})
    assert county_item.status_code == missing_item.status_code == 404
    assert county_item.json()["detail"] == missing_item.json()["detail"]
    added = client.post(f"{API}/requests/{rid}/items", headers=city,
                        json={"query": "zoning"}).json()["added"]
    items = {i["item"] for i in client.get(f"{API}/requests/{rid}/items",
                                           headers=city).json()["items"]}
    assert added == len(items) and casework.items["county"] not in items
    assert casework.items["post"] in items and casework.items["message"] in items

    county = bearer(casework, "county_officer")
    theirs = new_request(client, county, "C. Resident")["id"]
    client.post(f"{API}/requests/{theirs}/items", headers=county, json={"query": "zoning"})
    found = {i["item"] for i in client.get(f"{API}/requests/{theirs}/items",
                                           headers=county).json()["items"]}
    assert found == {casework.items["county"]}


def test_casework_api_production_downloads_take_no_path(casework):
    client, headers = casework.client(), bearer(casework, "records_officer")
    rid = new_request(client, headers)["id"]
    post = casework.items["post"]
    client.post(f"{API}/requests/{rid}/items", headers=headers, json={"items": [post]})
    client.post(f"{API}/requests/{rid}/marks", headers=headers,
                json={"items": [post], "mark": "responsive"})
    pid = client.post(f"{API}/requests/{rid}/productions", headers=headers,
                      json={}).json()["id"]
    for attempt in (f"{pid}/../../../../etc/passwd", f"{pid}%2F..%2F..%2Fetc%2Fpasswd",
                    "..%2F..%2Farchive.db", f"{pid}/pdf/../../zip/..%2F..",
                    f"{pid + 1}/pdf", f"{pid + 1}/zip", "0/zip"):
        response = client.get(f"{API}/requests/{rid}/productions/{attempt}", headers=headers)
        assert response.status_code in (404, 422), (attempt, response.status_code)
        assert b"root:" not in response.content and b"SQLite" not in response.content
    county = bearer(casework, "county_officer")
    assert client.get(f"{API}/requests/{rid}/productions/{pid}/zip",
                      headers=county).status_code == 404


def test_casework_api_command_line_casework_is_the_first_agencys(casework):
    from datetime import datetime

    from civicarchive.model.custody import HoldScope
    archive = casework.archive
    rid = archive.requests.new("B. Neighbour", datetime.fromisoformat(RECEIVED), "posts",
                               "clerk")
    hold = archive.custody.add_hold("Audit", "AUD-1", "audit", HoldScope(), "clerk")
    client = casework.client()
    city, county = bearer(casework, "records_officer"), bearer(casework, "county_officer")
    assert client.get(f"{API}/requests/{rid}", headers=city).status_code == 200
    assert client.get(f"{API}/holds/{hold}", headers=city).status_code == 200
    assert client.get(f"{API}/requests/{rid}", headers=county).status_code == 404
    assert client.get(f"{API}/holds/{hold}", headers=county).status_code == 404


def test_casework_api_a_portal_request_is_the_agency_it_was_made_to(casework):
    from datetime import datetime
    rid = casework.archive.requests.new("C. Resident", datetime.fromisoformat(RECEIVED),
                                        "posts", "public:county-of-other")
    client = casework.client()
    city, county = bearer(casework, "records_officer"), bearer(casework, "county_officer")
    assert client.get(f"{API}/requests/{rid}", headers=county).status_code == 200
    assert client.get(f"{API}/requests/{rid}", headers=city).status_code == 404
