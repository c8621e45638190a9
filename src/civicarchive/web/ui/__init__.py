"""The staff UI: server-rendered pages (Jinja2, autoescaped) that work without JavaScript.

`render` gives every template the request's CSP nonce, the CSRF token for its forms, who
is signed in and the navigation their roles allow. One module per area; `router` gathers
them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from civicarchive.errors import ArchiveError
from civicarchive.model.staff import Permission
from civicarchive.web.deps import NeedsSignIn, caller_of
from civicarchive.web.problems import status_of
from civicarchive.web.routing import gated
from civicarchive.web.security import csrf_token

# Autoescape everything: archived text is third-party input. Templates are compiled once
# (no auto_reload: a stat of every template file, on every page).
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
    undefined=jinja2.StrictUndefined, auto_reload=False))

# (path, label, permission needed to see it in the navigation)
NAVIGATION = (
    ("/", "Dashboard", Permission.READ_RECORDS),
    ("/search", "Search", Permission.READ_RECORDS),
    ("/accounts", "Accounts and people", Permission.READ_RECORDS),
    ("/moderation", "Moderation", Permission.MODERATE),
    ("/requests", "Requests", Permission.MANAGE_REQUESTS),
    ("/holds", "Holds and retention", Permission.MANAGE_HOLDS),
    ("/retention", "Retention", Permission.MANAGE_RETENTION),
    ("/policy", "Policy", Permission.READ_RECORDS),
    ("/audit", "Audit log", Permission.READ_AUDIT),
    ("/compliance", "Compliance", Permission.READ_RECORDS),
    ("/alerts", "Alerts", Permission.READ_RECORDS),
    ("/capture", "Capture", Permission.MANAGE_CAPTURE),
    ("/users", "Users", Permission.MANAGE_USERS),
)


def render(request: Request, template: str, context: dict | None = None,
           status_code: int = 200) -> HTMLResponse:
    caller = caller_of(request)
    sessions = request.app.state.sessions
    context = dict(context or {})
    binding = context.pop("csrf_binding", None) or sessions.binding(request)
    principal = caller.principal
    nav = [(path, label) for path, label, needed in NAVIGATION if principal.can(needed)]
    values = {"request": request, "nonce": request.state.csp_nonce,
              "csrf_token": csrf_token(sessions.key, binding) if binding else "",
              "principal": principal, "user": principal.user, "nav": nav,
              "current": request.url.path, **context}
    return templates.TemplateResponse(request, template, values, status_code=status_code)


def render_error(request: Request, error: Exception) -> Response:
    """An error as a page with the right status; no one signed in: the sign-in page."""
    if isinstance(error, NeedsSignIn):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # The whole target as one value: its own & and = must not end `next`.
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    if isinstance(error, ArchiveError):
        status, title = status_of(error)
        detail = "There is nothing here, or it is not yours to see." if status == 404 \
            else str(error)
    else:
        status = getattr(error, "status_code", 422)
        title = {404: "Not found", 405: "Not allowed"}.get(status, "The request failed")
        detail = "Check the address and the form, and try again."
    return render(request, "error.html", {"title": title, "detail": detail,
                                          "status": status}, status_code=status)


def _build() -> APIRouter:
    from civicarchive.web.ui import login, pages
    from civicarchive.web.ui import capture, compliance, moderation, users  # webmod
    from civicarchive.web.ui import casework, holds, redaction  # webcasework
    from civicarchive.web.ui import records, registry  # webrecords
    router = APIRouter(include_in_schema=False)
    for module in (login, pages, moderation, compliance, capture, users, casework, redaction,
                   holds, records, registry):
        router.include_router(gated(module.router))  # (web/routing.py)
    return router


router = _build()
