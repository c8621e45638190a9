"""Every answer carries the security headers, and every page keeps to its
Content-Security-Policy: scripts only with the request's nonce, no inline event handlers,
no style attributes, so that a miss in escaping archived content still cannot run.

The pages are every UI GET route (found in `app.routes`, ids of the city's objects) as
the admin, with the sign-in page, an error page and a failed sign-in besides."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.web.routes import (PARAMETERS, build_world, crawl_queries, fill, is_api,
                              parameters)


@pytest.fixture(scope="module")
def world(tmp_path_factory, deployment_template):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")  # the moderation engine's fallback
        world = build_world(tmp_path_factory.mktemp("headers") / "home", deployment_template)
    yield world
    world.archive.close()


class Markup(HTMLParser):
    """What in a page the policy would block or that would run without the nonce."""

    def __init__(self, nonce: str) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...>: a style attribute")
            if name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith(("javascript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>: a script URL")
        if tag == "script":
            self.scripts += 1
            source = found.get("src")
            if source is None and found.get("nonce") != self.nonce:
                self.problems.append("an inline <script> without this answer's nonce")
            if source is not None and not (source.startswith("/") and
                                           not source.startswith("//")):
                self.problems.append(f"<script src={source!r}>: not from the site")
        if tag == "style":
            self.problems.append("a <style> element (style-src allows only the site's "
                                 "stylesheet)")
        if tag in ("object", "embed", "base", "iframe"):
            self.problems.append(f"an <{tag}> element")


def nonce_of(policy: str) -> str | None:
    found = re.search(r"script-src [^;]*'nonce-([A-Za-z0-9_\-+/=]+)'", policy)
    return found.group(1) if found else None


def header_problems(answer) -> list[str]:  # noqa: ANN001
    """What is wrong with one answer's headers, and with its markup if it is a page."""
    problems = []
    headers = answer.headers
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not headers.get("content-type", "").startswith("text/html"):
        return problems
    policy = headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";")
                  if part.split()}
    for name in ("object-src", "base-uri", "frame-ancestors"):
        if directives.get(name) != ["'none'"]:
            problems.append(f"CSP {name} is {directives.get(name)}, not 'none'")
    script = directives.get("script-src") or directives.get("default-src") or []
    if "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script:
        problems.append(f"CSP script-src allows {script}")
    nonce = nonce_of(policy)
    if nonce is None or len(nonce) < 16:
        problems.append("CSP script-src has no nonce")
    if "no-store" not in headers.get("cache-control", ""):
        problems.append(f"Cache-Control is {headers.get('cache-control')!r}, not no-store")
    markup = Markup(nonce or "")
    markup.feed(answer.text)
    markup.close()
    return problems + markup.problems


def pages(world):  # noqa: ANN001, ANN201
    """(what, answer) for every UI page as the admin, and the pages anyone sees."""
    admin = world.client("admin")
    for _, route in world.routes():
        if is_api(route) or any(PARAMETERS.get(n) not in world.city
                                for n in parameters(route)):
            continue  # parameters no one mapped fail test_route_scoping
        path = fill(route, {n: world.city[PARAMETERS[n]] for n in parameters(route)})
        for query in crawl_queries(route, "zoning"):
            yield f"admin GET {path} {query}", admin.get(path, params=query)
    public = world.client(None)
    yield "GET /login", public.get("/login")
    yield "GET a page that does not exist", admin.get("/no/such/page")
    token = re.search(r'name="csrf_token" value="([^"]+)"', public.get("/login").text)
    yield "a failed sign-in", public.post("/login", data={
        "username": "admin", "password": "not it", "csrf_token": token.group(1)})


def test_every_page_keeps_to_the_content_security_policy(world):
    problems, seen = [], 0
    for what, answer in pages(world):
        seen += answer.headers.get("content-type", "").startswith("text/html")
        problems += [f"{what}: {problem}" for problem in header_problems(answer)]
    assert seen >= 4 and problems == []


def test_every_answer_says_nosniff(world):
    admin, public = world.client("admin"), world.client(None)
    answers = {"static": public.get("/static/site.css"), "health": public.get("/healthz"),
               "openapi": public.get("/api/v1/openapi.json"),
               "a redirect": public.get("/"), "a 401": public.get("/api/v1/me"),
               "a 404 problem": admin.get("/api/v1/items/99999")}
    for _, route in world.routes():
        if is_api(route) and not parameters(route):
            answers[route.path] = admin.get(route.path)
    problems = [f"{what}: {p}" for what, answer in answers.items()
                for p in header_problems(answer)]
    assert problems == []
    assert answers["static"].status_code == 200 and answers["a redirect"].status_code == 303


def test_the_checks_catch_what_the_policy_forbids(world):
    """The parser finds each thing it is for, so that a clean crawl means something."""
    page = world.client("admin").get("/")
    nonce = nonce_of(page.headers["content-security-policy"])
    bad = ('<script>alert(1)</script><script nonce="stale">x()</script>'
           '<img src="/x.png" onerror="alert(1)"><p style="color:red">x</p>'
           '<a href=" JavaScript:alert(1)">x</a><script src="https://cdn.example/x.js">'
           '</script><style>p{}</style><base href="/"><object data="x"></object>')
    markup = Markup(nonce)
    markup.feed(f'<script nonce="{nonce}">ok()</script><script src="/static/app.js">'
                "</script>" + bad)
    assert len(markup.problems) == 9 and markup.scripts == 5
    clean = Markup(nonce)
    clean.feed(page.text)
    assert clean.problems == []


def test_an_unexpected_error_carries_the_headers_too(world):
    """A 500 is answered outside the middleware that adds them: the handler adds them."""
    from civicarchive.web.app import create_app
    from tests.web.routes import World
    app = create_app(world.archive)

    def broken() -> dict:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    answer = World(world.archive, app, {}, {}, {}, {}).client(None).get("/api/v1/broken")
    assert answer.status_code == 500 and "a bug" not in answer.text
    assert header_problems(answer) == []
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
