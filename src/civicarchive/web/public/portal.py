"""The public records request portal: a form with the fields a request needs, a
confirmation with a tracking link (no account), and the tracking page with the statutory
clock, "explain this date", the request's public events and its released productions.

Spam resistance needs no third-party service: a honeypot field people never see (a form
that fills it is thanked and dropped), and at most `PER_HOUR` requests an hour from one
address (kept in memory, per process)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response

from civicarchive.web.deps import address_of, archive_of
from civicarchive.web.public import page, reading
from civicarchive.web.sessions import PRE_COOKIE, Throttle

router = APIRouter(prefix="/public/{slug}/requests")
PER_HOUR = 5


def _limit(request: Request) -> Throttle:
    state = request.app.state
    if not hasattr(state, "portal_limit"):
        state.portal_limit = Throttle(limit=PER_HOUR, window=3600)
    return state.portal_limit


def _private(response: Response) -> Response:
    """Pages of one requester, or with a form token: never cached by anyone."""
    response.headers["Cache-Control"] = "no-store"
    if "etag" in response.headers:
        del response.headers["etag"]
    return response


def _form(request: Request, slug: str, values: dict, error: str | None = None,
          status_code: int = 200) -> Response:
    agency = archive_of(request).publishing.agency(slug)
    presession = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    sessions = request.app.state.sessions
    from civicarchive.web.security import csrf_token
    # Bound as the check binds it (web/deps.py): to a staff session the browser carries.
    binding = sessions.caller(request).secret or presession
    response = _private(page(request, "request_new.html", {
        "title": "Ask for records", "agency": agency, "values": values, "error": error,
        "csrf_token": csrf_token(sessions.key, binding),
        "notes": archive_of(request).publishing.rules().notes}, status_code=status_code))
    response.set_cookie(PRE_COOKIE, presession, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@reading(router, "/new")
def new(request: Request, slug: str) -> Response:
    return _form(request, slug, {"requester": "", "contact": "", "description": ""})


@router.post("")
def submit(request: Request, slug: str,
           requester: Annotated[str, Form(max_length=200)] = "",
           contact: Annotated[str, Form(max_length=300)] = "",
           description: Annotated[str, Form(max_length=5000)] = "",
           website: Annotated[str, Form(max_length=500)] = "") -> Response:
    archive = archive_of(request)
    agency = archive.publishing.agency(slug)
    values = {"requester": requester, "contact": contact, "description": description}
    if website:  # the honeypot: people never see it
        return _private(page(request, "request_sent.html", {
            "title": "Request received", "agency": agency, "link": None, "number": None}))
    address = address_of(request)
    limit = _limit(request)
    wait = limit.wait(address or "-", address)
    if wait:
        response = _form(request, slug, values, f"Too many requests from your address. Try "
                         f"again in {wait // 60 + 1} minutes, or write to the agency.",
                         status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    if not (requester.strip() and contact.strip() and description.strip()):
        return _form(request, slug, values, "Give your name, how to reach you, and the "
                     "records you ask for.", status_code=400)
    request_id, secret = archive.portal.submit(slug, requester, contact, description)
    limit.failed(address or "-", address)  # counts the request against the address
    link = f"/public/{slug}/requests/track/{secret}"
    number = archive.requests.show(request_id)["number"]
    return _private(page(request, "request_sent.html", {
        "title": "Request received", "agency": agency, "link": link, "number": number},
        status_code=201))


@reading(router, "/track/{secret}")
def track(request: Request, slug: str, secret: str) -> Response:
    archive = archive_of(request)
    tracking = archive.portal.track(slug, secret)
    agency = archive.publishing.any_agency(slug)
    return _private(page(request, "request_track.html", {
        "title": f"Request {tracking.number}", "agency": agency, "tracking": tracking,
        "secret": secret, "zone": archive.publishing.rules().timezone}))


@reading(router, "/track/{secret}/productions/{production_id}.pdf")
def production(request: Request, slug: str, secret: str, production_id: int) -> Response:
    pdf = archive_of(request).portal.production_pdf(slug, secret, production_id)
    return _private(FileResponse(pdf, media_type="application/pdf",
                                 filename=f"production-{production_id}.pdf"))
