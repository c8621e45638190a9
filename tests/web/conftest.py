"""A deployment for the web tests: two agencies, a user of each role, records of both
(posts, a comment, a direct message), and clients signed in as each user."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from civicarchive.archive import Archive
from civicarchive.clock import FixedClock
from civicarchive.model.record import Kind
from civicarchive.model.staff import StaffRole
from tests.conftest import observe
from tests.web.oidc import oidc  # noqa: F401  (the local OpenID provider, per session)

PASSWORD = "correct horse battery staple"
CITY, COUNTY = "city-of-example", "county-of-other"


@dataclass
class Deployment:
    archive: Archive
    app: object
    items: dict[str, int]       # name -> item id
    accounts: dict[str, int]    # name -> account id

    def client(self, username: str | None = None) -> TestClient:
        """A client signed in as `username` through the sign-in form (None: the public)."""
        client = TestClient(self.app, base_url="http://127.0.0.1")
        if username is not None:
            sign_in(client, username)
        return client

    def token(self, username: str) -> str:
        user = self.archive.users.by_name(username)
        secret, _ = self.archive.users.create_token(user.id, "tests", "tests")
        return secret


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):  # noqa: ANN201
    form = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_of(form.text), "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def build(home, database_url=None) -> Deployment:  # noqa: ANN001
    """Build the deployment from nothing (a few seconds: eight argon2id passwords)."""
    from civicarchive.web.app import create_app
    archive = Archive.init("City of Example", home=home, database_url=database_url,
                           clock=clock(), actor="clerk")
    archive.registry.add_agency("County of Other", actor="clerk")
    city = archive.registry.add_account("x", "cityofexample", "agency", agency=CITY,
                                        actor="clerk")
    mayor = archive.registry.add_account("x", "mayorexample", "official_professional",
                                         agency=CITY,
                                         actor="clerk")
    county = archive.registry.add_account("x", "countyofother", "agency", agency=COUNTY,
                                          actor="clerk")
    archive.ingesting.ingest([
        observe(city.id, "100", "Zoning hearing on Tuesday"),
        observe(city.id, "101", "Will the hearing be streamed?", kind=Kind.COMMENT,
                parent_native_id="100"),
        observe(city.id, "102", "private message about zoning", kind=Kind.MESSAGE),
        observe(mayor.id, "200", "Mayor's zoning update"),
        observe(county.id, "300", "County zoning notice"),
    ], source="test", actor="clerk")
    # Items are numbered in the order they were first observed.
    items = dict(ITEMS)
    assert (city.id, mayor.id, county.id) == tuple(ACCOUNTS.values())
    assert "streamed" in str(archive.reading.content(archive.reading.history(
        items["comment"])[-1]))
    person = archive.people.add("Pat Mayor", "official", "clerk", accounts=[mayor.id],
                                agency=CITY)
    for role in StaffRole:
        archive.users.add(role.value, CITY, [role], "clerk", password=PASSWORD,
                          person=person.id if role is StaffRole.OFFICIAL else None)
    archive.users.add("county_officer", COUNTY, [StaffRole.RECORDS_OFFICER], "clerk",
                      password=PASSWORD)
    return Deployment(archive, create_app(archive), items, ACCOUNTS)


ACCOUNTS = {"city": 1, "mayor": 2, "county": 3}
ITEMS = dict(zip(("post", "comment", "message", "mayor", "county"), range(1, 6)))


def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 1, tzinfo=timezone.utc))


@pytest.fixture(scope="session")
def deployment_template(tmp_path_factory):
    """The SQLite deployment built once; each test gets its own copy."""
    home = tmp_path_factory.mktemp("deployment") / "home"
    build(home).archive.close()
    return home


@pytest.fixture
def deployment(tmp_path, deployment_template):
    import shutil

    from civicarchive.web.app import create_app
    home = tmp_path / "home"
    shutil.copytree(deployment_template, home)
    archive = Archive.open(home, clock=clock())
    deployment = Deployment(archive, create_app(archive), dict(ITEMS), dict(ACCOUNTS))
    yield deployment
    archive.close()


# -- records views (webrecords): hostile content and media, appended after the items above
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)><svg onload=alert(2)>'
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f0e0000000049454e44ae426082")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(3)"><script>alert(4)</script></svg>'


def add_records_items(archive: Archive, city_id: int) -> None:
    """A post and a comment carrying XSS payloads in their text, author, handle and URL;
    a PNG, an SVG and an HTML file under the post; a direct message that names the post
    as its parent (no thread may show it). Find them by native id (`records_items`).
    Added by the records tests' `hostile` fixture, not by `build`: other areas' tests
    count on the deployment's items and ids as they are."""
    from datetime import timedelta

    from civicarchive.model.record import Observation
    at = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)

    def seen(native_id: str, kind: Kind, content: dict, raw: bytes, minutes: int,
             parent: str | None = None, author: str | None = XSS,
             url: str | None = "javascript:alert(5)", media_type: str | None = None
             ) -> Observation:
        return Observation(account_id=city_id, native_id=native_id, kind=kind,
                           observed_at=at + timedelta(minutes=minutes), content=content,
                           raw=raw, created_at=at, author=author, parent_native_id=parent,
                           url=url, raw_media_type=media_type or "application/octet-stream")
    archive.ingesting.ingest([
        seen("400", Kind.POST, {"text": "hostile " + XSS, "author": XSS,
                                "title": XSS}, b"raw:400", 0),
        seen("401", Kind.COMMENT, {"text": "reply " + XSS, "author": XSS},
             b"raw:401", 1, parent="400"),
        seen("402", Kind.MEDIA, {"file": "photo.png", "media_type": "image/png",
                                 "alt": XSS}, PNG, 2, parent="400", media_type="image/png"),
        seen("403", Kind.MEDIA, {"file": "drawing.svg", "media_type": "image/svg+xml"},
             SVG, 3, parent="400", media_type="image/svg+xml"),
        seen("404", Kind.MEDIA, {"file": "page.html", "media_type": "text/html"},
             b"<html><script>alert(6)</script></html>", 4, parent="400",
             media_type="text/html"),
        seen("405", Kind.MESSAGE, {"text": "secret direct message in a thread"},
             b"raw:405", 5, parent="400", author="resident", url=None),
        seen("400", Kind.POST, {"text": "hostile edited " + XSS, "author": XSS,
                                "title": XSS}, b"raw:400:edited", 6),
    ], source="test", actor="clerk")


def records_items(archive: Archive) -> dict[str, int]:
    """Native id -> item id of every record of the deployment."""
    from civicarchive.errors import NotFound
    found, item_id = {}, 1
    while True:
        try:
            found[archive.reading.item(item_id).native_id] = item_id
        except NotFound:
            return found
        item_id += 1


@pytest.fixture
def hostile(deployment):
    """The deployment with the records tests' hostile items and media added."""
    add_records_items(deployment.archive, deployment.accounts["city"])
    return deployment
