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
