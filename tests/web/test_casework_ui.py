"""Records requests through the staff UI's forms (CSRF tokens and all): intake, collecting,
marking, the redaction editor (words, offsets, author, URLs, undo, preview), producing and
downloading; refusals for other roles and agencies."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from pypdf import PdfReader

from civicarchive import Observation
from civicarchive.model.record import Kind
from civicarchive.policy import EXAMPLES
from tests.conftest import T0, observe
from tests.web.conftest import csrf_of

URL = "https://example.org/notes/42"


@pytest.fixture
def casework(deployment):
    archive = deployment.archive
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    archive.ingesting.ingest([observe(deployment.accounts["city"], "103",
                                      f"Minutes are at {URL} for Jo Resident",
                                      kind=Kind.COMMENT, parent_native_id="100")],
                             source="test", actor="clerk")
    archive.ingesting.ingest([Observation(
        account_id=deployment.accounts["city"], native_id="103-photo", kind=Kind.MEDIA,
        observed_at=T0, parent_native_id="103", raw=b"\xff\xd8 a face", raw_media_type="image/jpeg",
        content={"file": "face.jpg", "media_type": "image/jpeg"}, author="cityofexample")],
        source="test", actor="clerk")
    deployment.items["linked"] = 6
    return deployment


def post(client, path: str, data: dict, page: str | None = None):  # noqa: ANN001, ANN201
    """Submit a form as a browser does: with the token of the page it came from."""
    token = csrf_of(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def new_request(client) -> int:  # noqa: ANN001
    response = post(client, "/requests/new", {
        "requester": "A. Reporter", "contact": "reporter@example.net",
        "received": "2025-12-29T10:00-08:00", "description": "zoning posts"})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def main_of(html: str) -> str:
    return re.search(r"<main.*</main>", html, re.S).group(0)


def test_casework_ui_request_through_redaction_to_production(casework):
    client = casework.client("records_officer")
    rid = new_request(client)
    page = client.get(f"/requests/{rid}")
    assert page.status_code == 200
    assert "Explain these dates" in page.text and "business day" in page.text
    listing = client.get("/requests").text
    assert f'href="/requests/{rid}"' in listing
    assert f'href="/requests/{rid}"' not in client.get("/requests?status=closed").text

    where = f"/requests/{rid}"
    linked, post_id = casework.items["linked"], casework.items["post"]
    assert post(client, f"{where}/collect", {"query": "hearing"}, where).status_code == 303
    assert post(client, f"{where}/collect", {"items": str(linked)}, where).status_code == 303
    page = client.get(where).text
    assert page.count("Review and redact record") == 3
    token = csrf_of(page)
    response = client.post(f"{where}/mark", data={
        "csrf_token": token, "item": [str(post_id), "2", str(linked)], "mark": "responsive"},
        follow_redirects=False)
    assert response.status_code == 303
    assert "not reviewed" not in main_of(client.get(where).text).split("Suggested")[0]

    editor = f"{where}/items/{linked}"
    page = client.get(editor)
    assert page.status_code == 200 and 'class="record-text"' in page.text
    assert "Personal information (RCW 42.56.230)" in page.text
    version = int(re.search(r'data-version="(\d+)"', page.text).group(1))
    redact = f"{editor}/redact"
    # The words by offsets (what the script fills in from a selection), from the policy's list.
    start = f"Minutes are at {URL} for ".__len__()
    assert post(client, redact, {"what": "text", "version": str(version), "start": str(start),
                                 "end": str(start + len("Jo Resident")), "exemption": "0"},
                editor).status_code == 303
    assert post(client, redact, {"what": "url", "url": URL, "exemption": "other",
                                 "reason": "Security", "citation": "RCW 42.56.420"},
                editor).status_code == 303
    assert post(client, redact, {"what": "author", "exemption": "1"},
                editor).status_code == 303
    page = client.get(editor).text
    assert "[REDACTED: Personal information, RCW 42.56.230]" in page
    assert "[REDACTED: Security, RCW 42.56.420]" in page
    preview = page.split("How the production will show it")[1]
    assert "Jo Resident" not in preview and URL not in preview
    assert "cityofexample" not in preview.split("Handle:")[0]

    # A mistake comes back on the page, tied to its field.
    response = post(client, redact, {"what": "text", "phrase": "not in the text",
                                     "exemption": "0"}, editor)
    assert response.status_code == 400 and 'role="alert"' in response.text
    response = post(client, redact, {"what": "text", "phrase": "Minutes",
                                     "exemption": "other"}, editor)
    assert response.status_code == 400 and 'aria-invalid="true"' in response.text

    # Undo one, with the reason.
    ids = re.findall(r'name="redaction" value="(\d+)"', client.get(editor).text)
    assert len(ids) == 3
    assert post(client, f"{editor}/unredact", {"redaction": ids[-1], "why": "public figure"},
                editor).status_code == 303
    assert len(re.findall(r'name="redaction" value="', client.get(editor).text)) == 2

    assert post(client, f"{where}/produce", {}, where).status_code == 303
    page = client.get(where).text
    pdf_link = re.search(r'href="(/requests/\d+/productions/\d+/production\.pdf)"', page)
    zip_link = re.search(r'href="(/requests/\d+/productions/\d+/production\.zip)"', page)
    pdf = client.get(pdf_link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Minutes are at" in text
    assert "Jo Resident" not in text and "example.org/notes" not in text
    bundle = zipfile.ZipFile(io.BytesIO(client.get(zip_link.group(1)).content))
    for name in bundle.namelist():
        data = bundle.read(name)
        assert b"Jo Resident" not in data and b"example.org/notes" not in data, name


def test_casework_ui_forms_need_their_token(casework):
    client = casework.client("records_officer")
    rid = new_request(client)
    response = client.post(f"/requests/{rid}/status", data={"status": "closed"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "received" in client.get(f"/requests/{rid}").text


def test_casework_ui_new_request_mistakes_are_tied_to_fields(casework):
    client = casework.client("attorney")
    response = post(client, "/requests/new", {"requester": "A", "received": "yesterday",
                                              "description": "posts"})
    assert response.status_code == 400
    assert re.search(r'id="received"[^>]*aria-invalid="true"', response.text, re.S)
    assert 'value="A"' in response.text  # what was typed is kept


@pytest.mark.parametrize("username", ["moderator", "auditor", "official"])
def test_casework_ui_roles_without_requests_are_refused(casework, username):
    rid = new_request(casework.client("records_officer"))
    client = casework.client(username)
    assert client.get("/requests").status_code == 403
    assert client.get(f"/requests/{rid}").status_code == 403
    assert client.get(f"/requests/{rid}/items/1").status_code == 403
    token = csrf_of(client.get("/").text)
    response = client.post(f"/requests/{rid}/collect", data={"items": "1", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 403
    assert 'href="/requests"' not in client.get("/").text


def test_casework_ui_another_agencys_request_is_missing(casework):
    city = casework.client("records_officer")
    rid = new_request(city)
    post(city, f"/requests/{rid}/collect", {"items": "1"}, f"/requests/{rid}")
    county = casework.client("county_officer")
    for path in (f"/requests/{rid}", f"/requests/{rid}/items/1"):
        theirs, missing = county.get(path), county.get("/requests/99999")
        assert theirs.status_code == missing.status_code == 404
        assert main_of(theirs.text) == main_of(missing.text)
    assert f"/requests/{rid}" not in county.get("/requests").text
    token = csrf_of(county.get("/requests").text)
    response = county.post(f"/requests/{rid}/produce", data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 404
    # The city's editor refuses a county record even by a guessed id.
    assert city.get(f"/requests/{rid}/items/{casework.items['county']}").status_code == 404
    response = post(city, f"/requests/{rid}/collect", {"items": str(casework.items["county"])},
                    f"/requests/{rid}")
    assert response.status_code == 404


def test_casework_ui_withholds_a_media_file(casework):
    client = casework.client("records_officer")
    rid = new_request(client)
    linked = casework.items["linked"]
    post(client, f"/requests/{rid}/collect", {"items": str(linked)}, f"/requests/{rid}")
    editor = f"/requests/{rid}/items/{linked}"
    page = client.get(editor).text
    assert "Withhold the media file face.jpg" in page
    assert "Media file face.jpg: produced" in page
    response = post(client, f"{editor}/redact", {"what": "media", "media": "face.jpg",
                                                 "exemption": "1"}, editor)
    assert response.status_code == 303
    page = client.get(editor).text
    assert "the media file face.jpg" in page
    assert "Media file no. 1 (name withheld): <mark class=\"redacted\">[REDACTED: Privacy, " \
        "RCW 42.56.050]" in page
    unknown = post(client, f"{editor}/redact", {"what": "media", "media": "../other.jpg",
                                                "exemption": "1"}, editor)
    assert unknown.status_code == 400


def test_casework_ui_withholds_under_the_policys_exemption(casework):
    client = casework.client("records_officer")
    rid = new_request(client)
    where = f"/requests/{rid}"
    post(client, f"{where}/collect", {"items": "2"}, where)
    response = post(client, f"{where}/mark", {"item": "2", "mark": "withheld",
                                              "exemption": "0"}, where)
    assert response.status_code == 303
    assert "withheld: Personal information (RCW 42.56.230)" in client.get(where).text
    refused = post(client, f"{where}/mark", {"item": "2", "mark": "withheld",
                                             "exemption": "other"}, where)
    assert refused.status_code == 400 and 'role="alert"' in refused.text


def test_casework_ui_downloads_take_no_path(casework):
    client = casework.client("records_officer")
    rid = new_request(client)
    where = f"/requests/{rid}"
    post(client, f"{where}/collect", {"items": "1"}, where)
    post(client, f"{where}/mark", {"item": "1", "mark": "responsive"}, where)
    assert post(client, f"{where}/produce", {}, where).status_code == 303
    base = f"{where}/productions"
    assert client.get(f"{base}/1/production.pdf").status_code == 200
    for attempt in ("1/../../../../etc/passwd", "1%2F..%2F..%2Farchive.db",
                    "..%2F..%2Fkeys/production.zip", "2/production.pdf", "1/bagit.txt",
                    "1/production.pdf/..%2F..%2Fmanifest.json"):
        response = client.get(f"{base}/{attempt}")
        assert response.status_code in (404, 405, 422), (attempt, response.status_code)
        assert b"root:" not in response.content and b"PRIVATE KEY" not in response.content
