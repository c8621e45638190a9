"""The open archive at /public/: each agency's public record for everyone, without an
account or JavaScript, and cacheable.

What shows is decided on read by `archive.publishing` (app/publishing.py): this package
only renders it. Every answer that is not found, for whatever reason (missing, another
agency's, a direct message, withheld, embargoed), is the same 404 page. Pages carry an
ETag and `Cache-Control: public, max-age=60`, short enough that an embargo that ends, or
a record staff withhold, shows within a minute.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from civicarchive.exports import native

STATIC = Path(__file__).parent / "static"
MAX_AGE = 60
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                jinja2.FileSystemLoader(native.TEMPLATES)]),
    autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False))  # compiled once


def local_time(moment: str | None, zone: str) -> str:
    """An ISO time as the agency's clock shows it ("2026-12-02 08:06 PST"), so that a
    page mixes no time zones; the text as given when it is no time."""
    if not moment:
        return ""
    try:
        shown = datetime.fromisoformat(moment).astimezone(ZoneInfo(zone))
    except (ValueError, TypeError, ZoneInfoNotFoundError):
        return moment
    return shown.strftime("%Y-%m-%d %H:%M %Z")


templates.env.filters["local"] = local_time


def cached(request: Request, body: bytes, media_type: str, status_code: int = 200,
           max_age: int = MAX_AGE) -> Response:
    """An answer with an ETag and public caching; 304 when the client has it already."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={max_age}",
               "Vary": "Accept-Encoding"}
    if status_code == 200 and _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def _matches(header: str | None, tag: str) -> bool:
    """Whether If-None-Match names this ETag, or any (`*`); weak tags match too."""
    given = {part.strip().removeprefix("W/") for part in (header or "").split(",")}
    return "*" in given or tag in given


def reading(router: APIRouter, path: str):  # noqa: ANN201
    """A page route that answers HEAD as GET (without the body), as caches and link
    checkers ask."""
    return router.api_route(path, methods=["GET", "HEAD"])


def page(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    """A public page. The nonce changes per request, so the ETag is computed without it."""
    values = {"request": request, "nonce": request.state.csp_nonce, **context}
    html = templates.get_template(template).render(values)
    tag_source = html.replace(request.state.csp_nonce, "")
    response = cached(request, tag_source.encode(), "text/html; charset=utf-8", status_code)
    if response.status_code != 304:
        response.body = html.encode()
        response.headers["content-length"] = str(len(response.body))
    return response


def not_found(request: Request, agency: object = None) -> Response:
    """The one 404 page of the open archive, whatever is not shown and why."""
    return page(request, "not_found.html", {"title": "Not found", "agency": agency},
                status_code=404)


def public_error(request: Request, error: Exception) -> Response:
    """Errors on the open archive: one 404 page for whatever is not shown; otherwise the
    status with a short page that names no record and no reason from inside the archive."""
    from fastapi.exceptions import RequestValidationError

    from civicarchive.errors import InvalidInput, NotFound
    status = getattr(error, "status_code", None)
    if isinstance(error, NotFound) or status == 404:
        return not_found(request)
    if isinstance(error, (InvalidInput, RequestValidationError)) or status in (400, 422):
        detail = str(error) if isinstance(error, InvalidInput) else \
            "Check the address or the form, and try again."
        return page(request, "error.html", {"title": "Cannot do that", "agency": None,
                                            "detail": detail}, status_code=400)
    from civicarchive.errors import AccessDenied, ArchiveError
    if isinstance(error, AccessDenied):
        return page(request, "error.html", {
            "title": "Form expired", "agency": None,
            "detail": "The form's security token is missing or stale: go back, reload "
                      "the form and send it again."}, status_code=403)
    if isinstance(error, ArchiveError):
        from civicarchive.web.problems import status_of
        status = status_of(error)[0]
    return page(request, "error.html", {"title": "Something went wrong", "agency": None,
                                        "detail": "Try again later."},
                status_code=status or 500)


def _build() -> APIRouter:
    from civicarchive.web.public import archive, portal
    router = APIRouter(include_in_schema=False)
    router.include_router(portal.router)
    router.include_router(archive.router)
    return router


router = _build()
