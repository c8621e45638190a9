"""Archived content is third-party input: XSS payloads in a post's text, author, handle,
title and URL come out of every records page as text, and media is served so that no
browser runs it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.web.conftest import PNG, records_items


@pytest.fixture(autouse=True)
def _hostile(request):
    """Every records test's deployment holds the hostile items (conftest `hostile`)."""
    if "deployment" in request.fixturenames:
        request.getfixturevalue("hostile")


class Elements(HTMLParser):
    """Every element's tag and attributes, and the text, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        self.elements.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    parser = Elements()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.elements if tag == "script"]
    assert scripts == [{"src": "/static/app.js", "nonce": scripts[0]["nonce"], "defer": None}]
    for tag, attrs in parser.elements:
        assert tag not in ("svg", "iframe", "object", "embed", "base"), tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            assert not (attrs.get(name) or "").strip().lower().startswith(
                ("javascript:", "data:text")), (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("/records/"), attrs
    assert "&lt;script&gt;" in html  # the payload is there, as text


@pytest.mark.parametrize("role", ["records_officer", "moderator"])
def test_records_xss_in_a_record_is_text(deployment, role):
    ids = records_items(deployment.archive)
    client = deployment.client(role)
    for page in (f"/records/{ids['400']}", f"/records/{ids['401']}", "/search?q=hostile",
                 "/search?q=reply", "/accounts/1"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert_inert(response.text)


def test_records_xss_in_a_search_query_is_text(deployment):
    response = deployment.client("moderator").get(
        "/search", params={"q": '"><script>alert(1)</script>'})
    parser = Elements()
    parser.feed(response.text)
    assert [a for t, a in parser.elements if t == "script"][0]["src"] == "/static/app.js"
    assert len([t for t, _ in parser.elements if t == "script"]) == 1


def test_records_archived_url_is_never_a_javascript_link(deployment):
    ids = records_items(deployment.archive)
    text = deployment.client("records_officer").get(f"/records/{ids['400']}").text
    assert "javascript:alert(5)" in text  # shown, as text
    assert 'href="javascript' not in text.lower()


def test_records_image_media_is_served_inline_with_its_type(deployment):
    ids = records_items(deployment.archive)
    response = deployment.client("moderator").get(f"/records/{ids['400']}/media/photo.png")
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["drawing.svg", "page.html"])
def test_records_svg_and_html_media_are_attachments(deployment, name):
    ids = records_items(deployment.archive)
    response = deployment.client("moderator").get(f"/records/{ids['400']}/media/{name}")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_records_media_of_another_agency_or_missing_looks_the_same(deployment):
    ids = records_items(deployment.archive)
    county = deployment.client("county_officer")
    there = county.get(f"/records/{ids['400']}/media/photo.png")
    missing = county.get("/records/99999/media/photo.png")
    assert there.status_code == missing.status_code == 404
    assert deployment.client("moderator").get(
        f"/records/{ids['400']}/media/nothing.png").status_code == 404


def test_records_media_is_not_served_to_the_public(deployment):
    ids = records_items(deployment.archive)
    response = deployment.client().get(f"/records/{ids['400']}/media/photo.png",
                                       follow_redirects=False)
    assert response.status_code == 303


def test_records_snippet_pieces_follow_the_highlights():
    from civicarchive.web.ui.records import marked
    assert marked("zoning <b> hearing", [(0, 6), (11, 18)]) == [
        ("zoning", True), (" <b> ", False), ("hearing", True)]
    # overlapping, out of range and empty highlights never repeat or invent text
    assert marked("abcdef", [(1, 3), (2, 4), (5, 99), (4, 4)]) == [
        ("a", False), ("bc", True), ("d", True), ("e", False), ("f", True)]
    assert "".join(text for text, _ in marked("abc", [(7, 9)])) == "abc"


def test_records_svg_is_never_shown_in_the_page_only_downloaded(deployment):
    ids = records_items(deployment.archive)
    text = deployment.client("records_officer").get(f"/records/{ids['400']}").text
    assert f'src="/records/{ids["400"]}/media/drawing.svg"' not in text
    assert f'href="/records/{ids["400"]}/media/drawing.svg"' in text
    assert f'src="/records/{ids["400"]}/media/photo.png"' in text


def _media(deployment, native_id: str, name: str, media_type: str, data: bytes) -> int:
    """A media file under post 400 with this archived name and type; the post's id."""
    from datetime import datetime, timezone

    from civicarchive.model.record import Kind, Observation
    deployment.archive.ingesting.ingest([Observation(
        account_id=deployment.accounts["city"], native_id=native_id, kind=Kind.MEDIA,
        observed_at=datetime(2026, 1, 2, tzinfo=timezone.utc), raw=data,
        content={"file": name, "media_type": media_type}, parent_native_id="400")],
        source="test", actor="clerk")
    return records_items(deployment.archive)["400"]


@pytest.mark.parametrize("media_type", ["image/png,text/html", "image/png, text/html",
                                        "image/png\r\nset-cookie: a=1", "image/", "image",
                                        "image/png text/html"])
def test_records_media_of_a_malformed_type_is_an_attachment_of_bytes(deployment, media_type):
    # Browsers read the last of several types ("text/html"), and a line break cannot go
    # into a header at all: anything but one well-formed type is served as bytes.
    post = _media(deployment, "406", "evil.png", media_type, b"<h1>sign in again</h1>")
    client = deployment.client("moderator")
    response = client.get(f"/records/{post}/media/evil.png")
    assert response.status_code == 200 and response.content == b"<h1>sign in again</h1>"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert "set-cookie" not in response.headers
    assert f'src="/records/{post}/media/evil.png"' not in client.get(f"/records/{post}").text


@pytest.mark.parametrize("media_type", ["text/ecmascript", "text/css", "text/plain"])
def test_records_media_neither_image_video_nor_audio_is_served_as_bytes(deployment,
                                                                      media_type):
    # With its archived type, a same-site file would be a script or a stylesheet that
    # the pages' policy (script-src 'self') lets any injected tag load.
    post = _media(deployment, "406", "notes.txt", media_type, b"window.__xss = 1")
    response = deployment.client("moderator").get(f"/records/{post}/media/notes.txt")
    assert response.status_code == 200 and response.content == b"window.__xss = 1"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")


def test_records_media_type_parameters_are_dropped_and_case_folded(deployment):
    post = _media(deployment, "406", "photo2.png", "Image/PNG; name=x", PNG)
    response = deployment.client("moderator").get(f"/records/{post}/media/photo2.png")
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline")


def test_records_media_named_with_a_folder_is_served(deployment):
    # Exports name media by their path inside the archive ("media/photo1.jpg"); the page
    # links the name with its slash encoded, which the router sees decoded.
    post = _media(deployment, "406", "media/photo1.png", "image/png", PNG)
    client = deployment.client("moderator")
    page = client.get(f"/records/{post}").text
    assert f'src="/records/{post}/media/media%2Fphoto1.png"' in page
    response = client.get(f"/records/{post}/media/media%2Fphoto1.png")
    assert response.status_code == 200 and response.content == PNG
    assert client.get(f"/records/{post}/media/..%2F..%2Fetc%2Fpasswd").status_code == 404
