"""One place that maps the archive's errors to HTTP: a status and an RFC 9457 problem
(`application/problem+json`) for the API, the same status and an HTML page for the UI.

An unexpected exception answers 500 with no detail: what went wrong stays in the log."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from civicarchive.errors import (AccessDenied, AppendOnlyViolation, ArchiveError,
                                 ContinuityBroken, InvalidInput, NotFound, NotInitialised,
                                 SignInRefused, StoreUnavailable)
from civicarchive.web.security import HEADERS

log = logging.getLogger("civicarchive.web")
PROBLEM = "application/problem+json"

# (status, title); the first class an error is an instance of wins.
STATUSES: tuple[tuple[type[ArchiveError], int, str], ...] = (
    (NotFound, 404, "Not found"),
    (AccessDenied, 403, "Forbidden"),
    (SignInRefused, 401, "Sign-in required"),
    (InvalidInput, 400, "Invalid input"),
    (AppendOnlyViolation, 409, "Archived data cannot be changed"),
    (ContinuityBroken, 503, "Writing is suspended"),
    (StoreUnavailable, 503, "The archive is unavailable"),
    (NotInitialised, 503, "The archive is unavailable"),
    (ArchiveError, 400, "The request could not be done"),
)


def status_of(error: ArchiveError) -> tuple[int, str]:
    for kind, status, title in STATUSES:
        if isinstance(error, kind):
            return status, title
    return 400, "The request could not be done"  # pragma: no cover - ArchiveError is last


def problem(status: int, title: str, detail: str | None = None, **extra) -> JSONResponse:  # noqa: ANN003
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="civicarchive"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def archive_problem(error: ArchiveError) -> JSONResponse:
    status, title = status_of(error)
    if isinstance(error, NotFound):
        # The same words for another agency's id as for one that does not exist.
        return problem(status, title, f"no {error.what} with that id", parameter=None)
    return problem(status, title, str(error), parameter=error.parameter)


def http_problem(error: HTTPException) -> JSONResponse:
    detail = error.detail if isinstance(error.detail, str) else None
    response = problem(error.status_code, _TITLES.get(error.status_code, "Error"), detail)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


def validation_problem(error: RequestValidationError) -> JSONResponse:
    errors = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
              for e in error.errors()]
    return problem(422, "Invalid request", "the request's parameters or body are not valid: "
                   "see errors", errors=errors)


def unexpected_problem(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error answering %s %s", request.method, request.url.path,
                  exc_info=error)
    response = problem(500, "Internal error", "the server could not answer; the error is "
                       "in its log")
    # This answer is made outside the middleware that adds the security headers.
    for name, value in HEADERS:
        response.headers[name.decode()] = value.decode()
    response.headers["content-security-policy"] = UNEXPECTED_CSP
    return response


UNEXPECTED_CSP = ("default-src 'none'; object-src 'none'; base-uri 'none'; "
                  "frame-ancestors 'none'")


# What every API operation may answer instead, as the OpenAPI document declares it (the
# router's `responses`): a problem, in the shape `problem` writes.
PROBLEM_SCHEMA = {
    "title": "Problem", "type": "object", "required": ["type", "title", "status"],
    "description": "An RFC 9457 problem: `detail` says what to do next.",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "parameter": {"type": "string", "description": "The input at fault."},
        "errors": {"type": "array", "description": "Each invalid parameter.", "items": {
            "type": "object", "required": ["where", "message"],
            "properties": {"where": {"type": "string"}, "message": {"type": "string"}}}}}}
RESPONSES: dict[int | str, dict] = {
    status: {"description": description,
             "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}
    for status, description in (
        (400, "The request could not be done: `detail` says why"),
        (401, "Sign in first (an API token: `Authorization: Bearer ...`)"),
        (403, "Your roles do not allow this"),
        (404, "Nothing with that id, or not yours to see"),
        (409, "Archived data cannot be changed"),
        (422, "The parameters or body are not valid: see `errors`"),
        (503, "The archive is unavailable, or writing is suspended"))}

_TITLES = {400: "Bad request", 401: "Sign-in required", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
           413: "Content too large", 415: "Unsupported media type", 422: "Invalid request",
           429: "Too many requests", 500: "Internal error", 503: "Unavailable"}
