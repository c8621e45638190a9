"""The staff application's main pages and who looks at each; the open archive's pages
(nobody signed in), and how to open each (`open_public`)."""

from __future__ import annotations

import pytest

# (name, user, path): {post}, {comment}, {request}, {city}, {person} are filled in
# from the planted corpus (Live.path).
PAGES = [
    ("login", None, "/login"),
    ("dashboard", "admin", "/"),
    ("search with results and facets", "admin", "/search?q=zoning"),
    ("search without results", "admin", "/search?q=nothingmatchesthis"),
    ("record view", "admin", "/records/{post}"),
    ("record view of a comment", "admin", "/records/{comment}"),
    ("accounts", "admin", "/accounts"),
    ("account", "admin", "/accounts/{city}"),
    ("people", "admin", "/people"),
    ("person", "admin", "/people/{person}"),
    ("moderation queue", "moderator", "/moderation"),
    ("moderation log", "moderator", "/moderation/log"),
    ("requests", "records_officer", "/requests"),
    ("request", "records_officer", "/requests/{request}"),
    ("redaction editor", "records_officer", "/requests/{request}/items/{post}"),
    ("holds", "records_officer", "/holds"),
    ("retention", "records_officer", "/retention"),
    ("policy", "admin", "/policy"),
    ("audit log", "auditor", "/audit"),
    ("capture", "admin", "/capture"),
    ("compliance", "admin", "/compliance"),
    ("alerts", "admin", "/alerts"),
    ("users", "admin", "/users"),
    ("not found", "admin", "/no-such-page"),
    ("not found, signed out", None, "/static/no-such-file"),
]
NOT_FOUND = {"not found", "not found, signed out"}


def page_params() -> list:
    return [pytest.param(path, user, name in NOT_FOUND, id=name)
            for name, user, path in PAGES]


# (name, path, status): {slug}, {post}, {comment}, {city}, {message} and {tracking} are
# filled in by Live.public_path. "form:sent" is the request form's answer, sent with the
# corpus' payloads as its values; "form:error" the form back again, its values kept,
# after a contact of spaces only.
PUBLIC_PAGES = [
    ("listing", "/public/", 200),
    ("agency home", "/public/{slug}", 200),
    ("search with results and facets", "/public/{slug}/search?q=xss", 200),
    ("search without results", "/public/{slug}/search?q=nothingmatchesthis", 200),
    ("account", "/public/{slug}/accounts/{city}", 200),
    ("record", "/public/{slug}/records/{post}", 200),
    ("record of a comment", "/public/{slug}/records/{comment}", 200),
    ("check", "/public/{slug}/records/{post}/check", 200),
    ("request form", "/public/{slug}/requests/new", 200),
    ("request form with an error", "form:error", 400),
    ("confirmation", "form:sent", 201),
    ("tracking", "/public/{slug}/requests/track/{tracking}", 200),
    ("not found: a direct message", "/public/{slug}/records/{message}", 404),
    ("not found: no such agency", "/public/no-such-agency", 404),
]
FORM = "/public/{slug}/requests/new"


def public_params() -> list:
    return [pytest.param(path, status, id=name) for name, path, status in PUBLIC_PAGES]


def open_public(page, live, path: str):  # noqa: ANN001, ANN201 - a playwright Response
    """Load an open archive page (PUBLIC_PAGES), as a person with a mouse would; the
    check page once its verdict is in. Returns the page's response."""
    if not path.startswith("form:"):
        response = page.goto(live.public_path(path))
        if path.endswith("/check"):
            page.wait_for_selector("#check-status.ok, #check-status.failed")
        return response
    payloads = live.planted.payloads
    page.goto(live.public_path(FORM))
    page.fill("#requester", payloads[0])
    page.fill("#contact", payloads[20] if path == "form:sent" else "   ")
    page.fill("#description", " ".join(payloads))
    with page.expect_navigation() as navigation:
        page.click("form.stack button[type=submit]")
    return navigation.value
