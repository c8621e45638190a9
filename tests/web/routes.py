"""Every route of the staff application, enumerated from `app.routes`, and a world to
call them in: the deployment of conftest with canaries in the county's records and the
city's direct messages, and the objects of each kind for both agencies.

The safety tests (test_route_scoping, test_headers) walk every route found here, so a
route added later is checked without anyone listing it. A path parameter the world does
not know fails those tests with a message saying what to add (`PARAMETERS`)."""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from civicarchive.archive import Archive
from civicarchive.model.record import Kind
from civicarchive.model.staff import StaffRole
from civicarchive.web.app import API, create_app
from tests.conftest import observe
from tests.web.conftest import ACCOUNTS, COUNTY, ITEMS, PASSWORD, clock, sign_in

# Paths no one needs to be signed in for, or that are the sign-in itself; the open
# archive (/public: the anonymous public's by design, with its own tests).
SKIPPED = re.compile(r"^(/healthz|/login(/.*)?|/logout|/static(/.*)?|/[\w/.-]+\.(css|js)|"
                     r"/public(/.*)?|"
                     + re.escape(API) + r"/openapi\.json)$")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MISSING = 99999

# A path parameter -> the kind of object it names (a key of World.city / World.county).
# A route whose parameter is not here fails the scoping tests: add the parameter, and
# build a city and a county object of its kind in `build_world` below.
PARAMETERS = {
    "item_id": "item", "account_id": "account", "version_id": "version",
    "request_id": "request", "hold_id": "hold", "person_id": "person", "user_id": "user",
    "batch_id": "batch", "production_id": "production", "alert_id": "alert",
    "token_id": "token", "term_id": "term", "action_id": "action",
    "redaction_id": "redaction",
    "name": "media",  # /records/{item_id}/media/{name}: a file under the city's post
}

# Canaries: strings that must never reach the wrong reader (compared case-insensitively).
COUNTY_CANARY = "canary-county"
DM_CANARY = "canary-dm"
CITY_ROLES = ("records_officer", "moderator", "auditor", "official")
# Who may not read direct messages: a DM is the same 404 as a missing id for them.
NO_MESSAGES = ("moderator", "auditor", "official")


@dataclass
class World:
    archive: Archive
    app: object
    city: dict[str, int]            # kind -> an object of the city (visible to its staff)
    county: dict[str, int]          # kind -> an object of the county
    dm: dict[str, int]              # kind -> the city's direct message (item, version)
    not_the_officials: dict[str, int]  # kind -> a city object outside the official's
    clients: dict[str | None, TestClient] = field(default_factory=dict)
    missing_kinds: dict[str, str] = field(default_factory=dict)  # kind -> why none
    only: re.Pattern | None = None  # the routes to check (None: all)

    def routes(self, methods: frozenset[str] = frozenset({"GET"})):  # noqa: ANN201
        return routes(self.app, methods, self.only)

    def client(self, username: str | None) -> TestClient:
        """A client signed in as `username` (None: the public), made once."""
        if username not in self.clients:
            client = TestClient(self.app, base_url="http://127.0.0.1",
                                raise_server_exceptions=False, follow_redirects=False)
            if username is not None:
                sign_in(client, username)
            self.clients[username] = client
        return self.clients[username]


def build_world(home, template) -> World:  # noqa: ANN001
    """The conftest deployment copied to `home`, with the canaries and the objects of
    each kind for both agencies added after what is there."""
    shutil.copytree(template, home)
    archive = Archive.open(home, clock=clock())
    if not archive.custody.adopted_any():  # requests and terms in office need one
        import civicarchive.policy
        archive.custody.adopt_policy(Path(civicarchive.policy.__file__).parent / "examples"
                                     / "washington-local.yaml", "clerk")
    canary_account = archive.registry.add_account(
        "x", "canary-county-handle", "agency", agency=COUNTY, actor="clerk",
        owner="CANARY-COUNTY-OWNER")
    county, city = ACCOUNTS["county"], ACCOUNTS["city"]
    archive.ingesting.ingest([
        observe(county, "canary-301", "CANARY-COUNTY-POST about the zoning hearing"),
        observe(county, "canary-302", "CANARY-COUNTY-COMMENT on the zoning hearing",
                kind=Kind.COMMENT, parent_native_id="canary-301"),
        observe(canary_account.id, "canary-400", "CANARY-COUNTY-ACCOUNT post on zoning"),
        observe(city, "canary-103", "CANARY-DM-MESSAGE about the zoning hearing",
                kind=Kind.MESSAGE),
        *media(city, "100", "city-photo.png"), *media(county, "300", "county-photo.png"),
    ], source="test", actor="clerk")
    items = item_ids(archive)
    assert DM_CANARY in str(archive.reading.content(
        archive.reading.history(items[city, "canary-103"])[-1])).lower()
    last = {i: archive.reading.history(i)[-1].id for i in items.values()}
    county_person = archive.people.add("CANARY-COUNTY-PERSON", "official", "clerk",
                                       accounts=[county], agency=COUNTY)
    county_user = archive.users.by_name("county_officer")
    city_user = archive.users.by_name("records_officer")
    world = World(
        archive=archive, app=create_app(archive),
        city={"item": ITEMS["post"], "account": city, "version": last[ITEMS["post"]],
              "person": archive.people.people()[0].id, "user": city_user.id},
        county={"item": ITEMS["county"], "account": county,
                "version": last[ITEMS["county"]], "person": county_person.id,
                "user": county_user.id},
        dm={"item": ITEMS["message"], "version": last[ITEMS["message"]]},
        not_the_officials={"item": ITEMS["post"], "account": city,
                           "version": last[ITEMS["post"]]})
    assert world.city["person"] != county_person.id
    world.city["media"], world.county["media"] = "city-photo.png", "county-photo.png"
    _tokens(world, city_user.id, county_user.id)
    _terms(world)
    _moderation(world, items)
    _casework(world)
    return world


def media(account_id: int, parent: str, name: str) -> list:
    """A PNG file under the post `parent` of the account."""
    from datetime import datetime, timezone

    from civicarchive.model.record import Observation
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4"
                        "890000000d49444154789c6360000002000154a24f0e0000000049454e44ae426082")
    return [Observation(account_id=account_id, native_id=f"media-{name}", kind=Kind.MEDIA,
                        observed_at=datetime(2026, 1, 1, 12, tzinfo=timezone.utc),
                        content={"file": name, "media_type": "image/png"}, raw=png,
                        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                        parent_native_id=parent, raw_media_type="image/png")]


def item_ids(archive: Archive) -> dict[tuple[int, str], int]:
    """(account, native id) -> item id of every record (other tests append theirs)."""
    from civicarchive.errors import NotFound
    found, item_id = {}, 1
    while True:
        try:
            item = archive.reading.item(item_id)
        except NotFound:
            return found
        found[item.account_id, item.native_id] = item_id
        item_id += 1


def _moderation(world: World, items: dict[tuple[int, str], int]) -> None:
    """A comment of each agency hidden (a logged action each, and an alert each: the
    comments are protected criticism), and the compliance monitor's alerts."""
    archive = world.archive
    city, county = ACCOUNTS["city"], ACCOUNTS["county"]
    critic = "The council is a disgrace and the mayor should resign"
    archive.ingesting.ingest([
        dataclasses.replace(observe(city, "critic-101", critic, kind=Kind.COMMENT),
                            parent_native_id="100"),
        dataclasses.replace(observe(county, "critic-301", "CANARY-COUNTY-CRITIC " + critic,
                                    kind=Kind.COMMENT), parent_native_id="300"),
    ], source="test", actor="clerk")
    found = item_ids(archive)
    for objects, account, who in ((world.city, city, "user:moderator"),
                                  (world.county, county, "user:county_officer")):
        objects["action"] = archive.moderation.act(
            found[account, f"critic-{'101' if account == city else '301'}"], "hide", who,
            clause="off_topic", reason="CANARY-COUNTY reason" if account == county
            else "testing the contract")["id"]
    archive.compliance.monitor("clerk")
    alerts = archive.alerts.list(limit=1000)
    world.city["alert"] = next(a["id"] for a in alerts if a["account_id"] == city)
    world.county["alert"] = next(a["id"] for a in alerts if a["account_id"] == county)


def _terms(world: World) -> None:
    """A term in office for the city's official and the county's person."""
    from datetime import date
    people = world.archive.people
    offices = world.archive.custody.policy()[1].offices
    if not offices:
        world.missing_kinds["term"] = "the example policy names no office"
        return
    office = offices[0].key
    for objects in (world.city, world.county):
        objects["term"] = people.add_term(objects["person"], office, date(2026, 1, 1),
                                          None, "clerk").id


def _tokens(world: World, city_user: int, county_user: int) -> None:
    users = world.archive.users
    world.city["token"] = users.create_token(city_user, "city script", "clerk")[1].id
    world.county["token"] = users.create_token(county_user, "CANARY-COUNTY-TOKEN",
                                               "clerk")[1].id


def _casework(world: World) -> None:
    """A request of each agency (its post collected, a phrase redacted, produced), a
    hold and a disposition batch. They belong to the agency of the staff user who made
    them (app/casework.py: the actor `user:NAME`)."""
    from datetime import datetime, timezone

    from civicarchive.model.custody import HoldScope
    from civicarchive.model.record import Event
    archive = world.archive
    received = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
    city, county = ACCOUNTS["city"], ACCOUNTS["county"]
    archive.ingesting.ingest([
        *[observe(account, f"gone-{account}", "a post taken down") for account in (city, county)],
        *[observe(account, f"gone-{account}", None, minutes=5, event=Event.DELETED)
          for account in (city, county)],
    ], source="test", actor="clerk")
    series = [s.code for s in archive.custody.policy()[1].series]
    for objects, who, label, phrase in (
            (world.city, "user:records_officer", "City", "hearing"),
            (world.county, "user:county_officer", "CANARY-COUNTY", "zoning")):
        request = archive.requests.new(f"{label} requester", received,
                                       f"{label} request for zoning records", who)
        item = objects["item"]
        archive.requests.collect(request, who, items=[item])
        archive.requests.mark(request, [item], "responsive", who)
        objects["redaction"] = archive.requests.redact(request, item, "privacy", who,
                                                       phrase=phrase)
        objects["request"] = request
        objects["production"] = archive.productions.produce(request, who)["id"]
        for code in series:
            batch = archive.disposition.review(code, who, now=datetime(
                2040, 1, 1, tzinfo=timezone.utc))
            if batch is not None:
                objects["batch"] = batch
                break
        else:
            world.missing_kinds["batch"] = "no record of the world is past its retention"
        # After the review: the hold keeps the agency's records from any batch.
        objects["hold"] = archive.custody.add_hold(
            f"{label} hold", f"{label} matter", "litigation",
            HoldScope(accounts=frozenset({objects["account"]})), who)


# -- the routes ------------------------------------------------------------------------

def routes(app, methods: frozenset[str] = frozenset({"GET"}),  # noqa: ANN001
           only: re.Pattern | None = None) -> Iterator[tuple[str, object]]:
    """(method, route) for every API and UI route answering one of `methods` (and whose
    path matches `only`): each as the app serves it (a RouteContext: its full path,
    endpoint, dependant, body)."""
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or SKIPPED.match(route.path) or (
                only is not None and not only.search(route.path)):
            continue
        for method in sorted(route.methods & methods):
            yield method, route


def in_schema(route):  # noqa: ANN001, ANN201
    """The route as it would be if it were in the OpenAPI document (UI routes are not):
    to read the schema FastAPI makes of its form."""
    context = route._route_context  # noqa: SLF001 - FastAPI keeps an included route here
    if context is None:
        shown = copy.copy(route.original_route)
        shown.include_in_schema = True
        return shown
    return RouteContext(route.original_route,
                        dataclasses.replace(context, include_in_schema=True))


def parameters(route) -> list[str]:
    return re.findall(r"{(\w+)(?::[^}]*)?}", route.path)


def fill(route, values: dict[str, int]) -> str:
    return re.sub(r"{(\w+)(?::[^}]*)?}", lambda m: str(values[m.group(1)]), route.path)


def is_api(route) -> bool:
    return route.path.startswith(API + "/")


def query_names(route) -> dict[str, object]:
    """The route's query parameters and their types."""
    return {p.alias: p.field_info.annotation for p in route.dependant.query_params}


def crawl_queries(route, q: str) -> list[dict[str, str]]:
    """The queries to crawl a route with: none, and a search for `q` with every flag on
    and the largest page, when it has such parameters."""
    names = query_names(route)
    extra = {name: "true" for name, kind in names.items() if kind is bool}
    if "q" in names:
        extra["q"] = q
    if "limit" in names:
        extra["limit"] = "100"
    return [{}, extra] if extra else [{}]


def normalise(response, path: str, ident: int) -> tuple[int, str, str]:  # noqa: ANN001
    """Status, Location and body of an answer with the path asked and the id in it
    replaced, and the per-request nonce dropped: what another id must match exactly."""

    def scrub(text: str) -> str:
        for form in (path, quote(path, safe=""), quote(path, safe="/")):
            text = text.replace(form, "{PATH}")
        text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
        # The id where an answer would echo it: in a path, a fragment or a quoted value.
        return re.sub(rf"(?<=[/#]){ident}(?![\w.-])|(?<=\"){ident}(?=\")", "{ID}", text)

    return (response.status_code, scrub(response.headers.get("location", "")),
            scrub(response.text))


def refused_anonymous(route, response) -> str | None:  # noqa: ANN001
    """None if the anonymous answer is the refusal it should be; else what it was."""
    if is_api(route):
        if response.status_code == 401:
            return None
    elif response.status_code in (302, 303, 307) and response.headers.get(
            "location", "").startswith("/login"):
        return None
    return f"{response.status_code} {response.headers.get('location', '')}".strip()


def role_names() -> list[str]:
    return [role.value for role in StaffRole]


__all__ = ["MISSING", "PARAMETERS", "PASSWORD", "World", "build_world", "routes"]
