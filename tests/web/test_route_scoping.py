"""Every route, found in `app.routes`, keeps to who is asking: another agency's id
answers exactly as a missing id, a direct message is a missing id without the role to
read it, the public is sent to sign in, and no page or answer carries the county's
canaries to the city or the city's direct message to those who may not read it.

Each check collects every offending route before failing, so one run names them all.
A route added later is covered without being listed; a path parameter no one mapped
fails with a message saying where to add it (tests/web/routes.py PARAMETERS)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi import Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from civicarchive.model.staff import GRANTS, Permission, StaffRole
from tests.web.routes import (CITY_ROLES, COUNTY_CANARY, DM_CANARY, MISSING, NO_MESSAGES,
                              PARAMETERS, UNSAFE, World, build_world, crawl_queries, fill,
                              in_schema, is_api, item_ids, normalise, parameters,
                              refused_anonymous)


@pytest.fixture(scope="module")
def world(tmp_path_factory, deployment_template):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")  # the moderation engine's fallback
        world = build_world(tmp_path_factory.mktemp("scoping") / "home", deployment_template)
    yield world
    world.archive.close()


def mapped(world: World, route, parameter: str, problems: list[str]) -> str | None:  # noqa: ANN001
    kind = PARAMETERS.get(parameter)
    if kind is None:
        problems.append(f"{route.path}: the parameter {parameter!r} is in no mapping: add "
                        "it to PARAMETERS in tests/web/routes.py with a city and a county "
                        "object of its kind built in build_world")
        return None
    if kind not in world.city or kind not in world.county:
        problems.append(f"{route.path}: no city and county {kind} to call it with ("
                        f"{world.missing_kinds.get(kind, 'build them in build_world')})")
        return None
    return kind


# -- ids -------------------------------------------------------------------------------

def scoping_problems(world: World) -> list[str]:
    """Every way a GET route with ids answers another agency's id, a direct message or
    the public differently from a missing id."""
    problems: list[str] = []
    for _, route in world.routes():
        names = parameters(route)
        kinds = {name: mapped(world, route, name, problems) for name in names}
        if not names or None in kinds.values():
            continue
        city = {name: world.city[kind] for name, kind in kinds.items()}
        for name, kind in kinds.items():
            missing_path = fill(route, {**city, name: MISSING})
            cases = [("another agency's", world.county[kind], (*CITY_ROLES, "admin"))]
            if kind in world.dm:
                cases.append(("the direct message", world.dm[kind], NO_MESSAGES))
            if kind in world.not_the_officials:
                cases.append(("another account's", world.not_the_officials[kind],
                              ("official",)))
            for what, ident, who in cases:
                path = fill(route, {**city, name: ident})
                for username in who:
                    client = world.client(username)
                    answer = normalise(client.get(path), path, ident)
                    expected = normalise(client.get(missing_path), missing_path, MISSING)
                    if answer != expected:
                        problems.append(f"{username} GET {path} ({what} {name}): answers "
                                        f"{answer[0]} {answer[2][:300]!r}, a missing id "
                                        f"{expected[0]} {expected[2][:300]!r}")
                    elif answer[0] < 300:
                        problems.append(f"{username} GET {missing_path}: a missing "
                                        f"{name} answers {answer[0]}")
            # The id is used: the city's own object answers otherwise than a missing one.
            own = fill(route, city)
            admin = world.client("admin")
            if normalise(admin.get(own), own, city[name]) == normalise(
                    admin.get(missing_path), missing_path, MISSING):
                problems.append(f"admin GET {own}: answers as a missing {name} does, so "
                                "the check proves nothing: is the city's object right?")
        anonymous = refused_anonymous(route, world.client(None).get(fill(route, city)))
        if anonymous:
            problems.append(f"anonymous GET {fill(route, city)}: {anonymous}")
    return problems


def test_another_agencys_ids_and_direct_messages_answer_as_missing_ids(world):
    assert scoping_problems(world) == []


def public_problems(world: World) -> list[str]:
    problems = []
    anonymous = world.client(None)
    for method, route in world.routes(frozenset({"GET"}) | UNSAFE):
        if parameters(route) and None in [PARAMETERS.get(n) for n in parameters(route)]:
            continue  # reported by the scoping test
        path = fill(route, {n: world.city.get(PARAMETERS[n], 1) for n in parameters(route)})
        # With the sign-in page's own form token, so that CSRF is not what refuses it.
        login = anonymous.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        # A body the route accepts, so that the refusal is the caller's, not the body's.
        sent = minimal_body(route) if method in UNSAFE else {}
        answer = anonymous.request(method, path, headers={"x-csrf-token": token}, **sent)
        refusal = refused_anonymous(route, answer)
        if refusal:
            problems.append(f"anonymous {method} {path}: {refusal}")
    return problems


def test_the_public_is_refused_every_route(world):
    assert public_problems(world) == []


# -- canaries --------------------------------------------------------------------------

def crawl(world: World, username: str):  # noqa: ANN201
    """(path, answer) for every GET route as `username`, ids of the city's objects, and
    each searchable route searched for the canaries."""
    client = world.client(username)
    for _, route in world.routes():
        names = parameters(route)
        if any(PARAMETERS.get(n) not in world.city for n in names):
            continue  # reported by the scoping test
        values = {n: world.city[PARAMETERS[n]] for n in names}
        variants = [values]
        if username == "records_officer":
            variants += [{**values, n: world.dm[PARAMETERS[n]]} for n in names
                         if PARAMETERS[n] in world.dm]
        for chosen in variants:
            path = fill(route, chosen)
            for query in crawl_queries(route, "canary"):
                yield path, query, client.get(path, params=query)


def canary_problems(world: World) -> list[str]:
    problems = []
    for username in (*CITY_ROLES, "admin"):
        forbidden = (COUNTY_CANARY, DM_CANARY) if username in NO_MESSAGES else \
            (COUNTY_CANARY,)
        for path, query, answer in crawl(world, username):
            text = answer.text.lower()
            if answer.status_code >= 500:
                problems.append(f"{username} GET {path} {query}: {answer.status_code}")
            for canary in forbidden:
                if canary in text:
                    at = text.index(canary)
                    problems.append(f"{username} GET {path} {query}: {canary!r} in "
                                    f"...{answer.text[max(0, at - 80):at + 80]!r}...")
    return problems


def test_no_answer_carries_another_agencys_records_or_a_forbidden_message(world):
    assert canary_problems(world) == []


def test_the_canaries_are_found_by_those_who_may_see_them(world):
    """Without this, a canary no search can find would make the crawl prove nothing."""
    county = world.client("county_officer").get("/api/v1/search", params={"q": "canary"})
    assert county.status_code == 200 and COUNTY_CANARY in county.text.lower()
    city = world.client("records_officer").get("/api/v1/search", params={"q": "canary"})
    assert DM_CANARY in city.text.lower() and COUNTY_CANARY not in city.text.lower()
    seen = [path for path, _, answer in crawl(world, "records_officer")
            if DM_CANARY in answer.text.lower()]
    assert seen, "the records officer found the city's direct message nowhere"


# -- changes ---------------------------------------------------------------------------

def permission_of(route) -> Permission | None:  # noqa: ANN001
    """The permission an unsafe route checks with `permit(request, Permission.X, ...)`,
    read from its source or from the helpers of its module it calls with the request,
    three calls deep (PERMITS names those that check it some other way)."""
    if route.path in PERMITS:
        return PERMITS[route.path]
    return _permission_in(route.endpoint, 3)


def _permission_in(function, depth: int) -> Permission | None:  # noqa: ANN001
    import inspect
    source = inspect.getsource(function)
    found = re.search(r"permit\(\s*request\s*,\s*Permission\.(\w+)", source)
    if found:
        return Permission[found.group(1)]
    for called in re.findall(r"(\w+)\(\s*request\b", source) if depth else ():
        helper = function.__globals__.get(called)
        if inspect.isfunction(helper) and helper is not function and (
                needed := _permission_in(helper, depth - 1)):
            return needed
    return None


# path -> permission, for unsafe routes that call permit() through a helper of theirs.
PERMITS: dict[str, Permission] = {}
# Unsafe routes any signed-in user may call, because they write nothing (checked: every
# role's call leaves every table as it was) -> why.
ANY_SIGNED_IN = {
    "/api/v1/proofs/check": "checks a proof file offline against the archive's key",
}


def counts(world: World) -> dict[str, int]:
    """Rows in every table, less what a refusal itself writes (its audit event, that
    event's ledger entry and the checkpoint after it) and the sessions' bookkeeping:
    what a refused change must leave as it was."""
    from civicarchive.store import schema
    audit = schema.audit_events
    tables = [t for t in schema.metadata.sorted_tables
              if t.name not in ("staff_sessions", "checkpoints")]
    query = sa.select(
        sa.select(sa.func.count()).select_from(audit).where(
            audit.c.action == "auth.denied").scalar_subquery().label("denials"),
        *[sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name)
          for t in tables])
    with world.archive.context.read() as conn:
        row = conn.execute(query).one()._mapping
    return {t.name: row[t.name] - (row["denials"] if t.name in (
        "audit_events", "ledger_entries") else 0) for t in tables}


def minimal_body(route) -> dict:  # noqa: ANN001
    """What to send for the smallest body the route's own schema accepts (the keyword
    arguments of the client's `request`), so that a refusal is the caller's, not the
    body's: JSON for the API, a form for the UI, files where it takes an upload."""
    if route.body_field is None:
        return {}
    from fastapi.openapi.utils import get_openapi
    document = get_openapi(title="t", version="0", routes=[in_schema(route)])
    operation = next(iter(document["paths"].values()))[next(iter(route.methods)).lower()]
    media, content = next(iter(operation["requestBody"]["content"].items()))
    definitions = document.get("components", {}).get("schemas", {})
    body = smallest(content["schema"], definitions)
    if media == "application/json":
        return {"json": body}
    schema = content["schema"]
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    def is_file(part: dict) -> bool:
        return part.get("format") == "binary" or "contentMediaType" in part

    uploads = {name for name, part in schema.get("properties", {}).items()
               if is_file(part) or is_file(part.get("items", {}))}  # (one file, or several)
    files = {name: ("upload.json", b"{}", "application/json") for name in uploads
             if name in body}
    return {"data": {k: v for k, v in body.items() if k not in uploads},
            **({"files": files} if files else {})}


def smallest(schema: dict, definitions: dict):  # noqa: ANN201
    """The smallest value of a JSON schema (the parts FastAPI writes)."""
    if "$ref" in schema:
        return smallest(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            choices = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return smallest(choices[0], definitions)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "string":
        formats = {"date": "2026-01-02", "date-time": "2026-01-02T00:00:00+00:00",
                   "email": "a@example.org", "uri": "https://example.org/"}
        return formats.get(schema.get("format"), "x" * max(1, schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return [smallest(schema.get("items", {}), definitions)] * schema.get("minItems", 0)
    return {name: smallest(part, definitions) for name, part in
            schema.get("properties", {}).items() if name in schema.get("required", ())}


def change_problems(world: World) -> list[str]:
    problems = []
    for method, route in world.routes(UNSAFE):
        names = parameters(route)
        if any(PARAMETERS.get(n) not in world.city for n in names):
            problems.append(f"{method} {route.path}: a parameter with no city object ("
                            + "; ".join(f"{n}: {world.missing_kinds.get(PARAMETERS.get(n), 'not in PARAMETERS')}"
                                        for n in names if PARAMETERS.get(n) not in world.city)
                            + ")")
            continue
        path = fill(route, {n: world.city[PARAMETERS[n]] for n in names})
        needed = permission_of(route)
        if needed is None and route.path not in ANY_SIGNED_IN:
            problems.append(f"{method} {route.path}: checks no permission with permit("
                            "request, Permission.X, ...) (name it in PERMITS, or in "
                            "ANY_SIGNED_IN if it writes nothing)")
            continue
        body = minimal_body(route)
        for username in CITY_ROLES:
            if needed is not None and needed in GRANTS[StaffRole(username)]:
                continue
            client = world.client(username)
            token = _csrf(client)
            sent = body
            if "data" in body or not is_api(route):
                sent = {**body, "data": {**body.get("data", {}), "csrf_token": token}}
            before = counts(world)
            answer = client.request(method, path, headers={"x-csrf-token": token}, **sent)
            after = counts(world)
            allowed = (403, 404) if username == "official" else (403,)
            if needed is not None and answer.status_code not in allowed:
                problems.append(f"{username} {method} {path} (needs {needed.value}): "
                                f"{answer.status_code} {answer.text[:200]!r}")
            if after != before:
                changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                problems.append(f"{username} {method} {path}: changed {changed}")
    return problems


def _csrf(client) -> str:  # noqa: ANN001
    page = client.get("/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def test_a_role_without_the_permission_changes_nothing(world):
    assert change_problems(world) == []


# -- the checks catch what they are for ------------------------------------------------

class Note(BaseModel):
    text: str = Field(min_length=3)
    items: list[int]


def leaky_world(world: World) -> World:
    """The same world with routes that forget to scope, added to a fresh app."""
    from civicarchive.web.app import create_app
    from civicarchive.web.deps import archive_of, permit, signed_in
    app = create_app(world.archive)

    def leak(request: Request, item_id: int) -> dict:
        signed_in(request)
        return {"text": str(archive_of(request).reading.content(
            archive_of(request).reading.history(item_id)[-1]))}

    def everything(request: Request) -> dict:
        signed_in(request)
        reading = archive_of(request).reading
        return {"all": [str(reading.content(v)) for i in item_ids(archive_of(request))
                        .values() for v in reading.history(i)]}

    def unguarded(request: Request, item_id: int) -> dict:
        signed_in(request)
        return {}

    def careless(request: Request, item_id: int, note: Note) -> dict:
        archive_of(request).users.record_refusal("someone", None, "written before the check")
        permit(request, Permission.MANAGE_HOLDS, "a hold")
        return {}

    def careful(request: Request, text: str = Form(..., min_length=2)) -> RedirectResponse:
        permit(request, Permission.MANAGE_USERS, "users")
        return RedirectResponse("/", status_code=303)

    def open_to_all(request: Request) -> dict:
        return {"anyone": True}

    app.add_api_route("/api/v1/careless/{item_id}", careless, methods=["POST"])
    app.add_api_route("/careful", careful, methods=["POST"], include_in_schema=False)
    app.add_api_route("/api/v1/open", open_to_all)
    app.add_api_route("/api/v1/leak/{item_id}", leak)
    app.add_api_route("/api/v1/everything", everything)
    app.add_api_route("/api/v1/mystery/{mystery_id}", leak)
    app.add_api_route("/api/v1/unguarded/{item_id}", unguarded, methods=["POST"])
    return World(world.archive, app, world.city, world.county, world.dm,
                 world.not_the_officials, missing_kinds=world.missing_kinds,
                 only=re.compile(r"^/api/v1/(leak|everything|mystery|unguarded|careless|open)"
                                 r"|^/careful"))


def test_the_checks_catch_a_route_that_forgets_to_scope(world):
    leaky = leaky_world(world)
    scoping = "\n".join(scoping_problems(leaky))
    assert "/api/v1/leak/5 (another agency's item_id)" in scoping
    assert "moderator GET /api/v1/leak/3 (the direct message item_id)" in scoping
    assert "'mystery_id' is in no mapping" in scoping
    canaries = "\n".join(canary_problems(leaky))
    assert "auditor GET /api/v1/everything" in canaries and "'canary-dm'" in canaries
    assert "'canary-county'" in canaries
    changes = "\n".join(change_problems(leaky))
    assert "POST /api/v1/unguarded/{item_id}: checks no permission" in changes
    assert "moderator POST /api/v1/careless/1: changed {'audit_events'" in changes
    assert "/careful" not in changes  # refused 403 before anything was written
    public = "\n".join(public_problems(leaky))
    assert "anonymous GET /api/v1/open: 200" in public and "/careful" not in public
