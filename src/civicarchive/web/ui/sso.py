"""Signing in through the agency's OpenID Connect provider (docs/sso.md).

    GET /login/sso            to the provider, with a signed cookie remembering the sign-in
    GET /login/sso/callback   the provider's answer: checked (web/sso.py), the user found or
                              added (archive.users.sign_in_external), a new session

The app includes this router, and keeps the client as `app.state.sso`, when the settings
have an `sso` section (`install`). A refused sign-in is audited like a wrong password
(`auth.login_failed`, its reason naming the step) and answered with a page that says why.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import SignInRefused, SingleSignOnFailed
from civicarchive.model.staff import SignIn
from civicarchive.settings import SsoSettings
from civicarchive.web.deps import address_of, archive_of, caller_of
from civicarchive.web.sso import PENDING_COOKIE, PENDING_SECONDS, OpenIdClient
from civicarchive.web.ui import render
from civicarchive.web.ui.login import safe_next

router = APIRouter(include_in_schema=False)
COOKIE_PATH = "/login/sso"
# The HTTP status of each failed step: a provider that cannot be reached is a bad gateway;
# a user the agency's map gives no role is known but not admitted.
STATUS = {"discovery": 502, "unmapped": 403}


def install(app: FastAPI, settings: SsoSettings, client: OpenIdClient | None = None) -> None:
    """Single sign-on in `app`: the client (made from `settings` unless given) and the
    routes. The provider is first asked at the first sign-in, not here."""
    app.state.sso = client or OpenIdClient(settings)
    app.include_router(router)


def client_of(request: Request) -> OpenIdClient:
    return request.app.state.sso


@router.get("/login/sso")
def sso_begin(request: Request, next: str | None = None) -> Response:  # noqa: A002
    """To the provider's sign-in; back to `next` (a path on this site) afterwards."""
    if caller_of(request).principal.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    client = client_of(request)
    redirect_uri = client.settings.redirect_uri or str(request.url_for("sso_callback"))
    try:
        start = client.begin(redirect_uri, safe_next(next))
    except SingleSignOnFailed as failed:
        return refused(request, failed, None)
    response = RedirectResponse(start.url, status_code=303)
    # Lax: the provider's redirect back is a top-level GET, which Lax cookies accompany.
    response.set_cookie(PENDING_COOKIE, start.cookie, max_age=PENDING_SECONDS,
                        path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=_secure(request))
    return response


@router.get("/login/sso/callback", name="sso_callback")
def sso_callback(request: Request) -> Response:
    """The provider's answer: the user signed in, or a page saying why not."""
    client = client_of(request)
    archive = archive_of(request)
    cookie = request.cookies.get(PENDING_COOKIE)
    identity = None
    try:
        pending = client.pending(cookie)
        identity = client.finish(dict(request.query_params), cookie)
        user = archive.users.sign_in_external(identity)
    except SignInRefused as failed:
        return refused(request, failed, identity)
    response = RedirectResponse(safe_next(pending.get("return_to")), status_code=303)
    request.app.state.sessions.start(request, response, user, SignIn.SSO)
    response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
    return response


def refused(request: Request, failed: SignInRefused, identity) -> Response:  # noqa: ANN001
    """Audit the refusal, forget the sign-in in progress, and say why."""
    step = getattr(failed, "reason", "user")  # SingleSignOnFailed's step; else the user's
    subject = getattr(failed, "subject", None) or (identity.subject if identity else None)
    name = identity.username if identity else f"sso:{subject or 'unknown'}"
    issuer = getattr(failed, "issuer", None) or client_of(request).settings.issuer
    archive_of(request).users.record_refusal(
        name, address_of(request), f"sso {step} at {issuer}: {str(failed)[:300]}")
    status = STATUS.get(step, 401)
    response = render(request, "sso_refused.html", {
        "title": "Single sign-on refused" if status != 502 else "Single sign-on unavailable",
        "detail": str(failed)}, status_code=status)
    response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
    return response


def _secure(request: Request) -> bool:
    secure = request.app.state.sessions.secure
    return secure if secure is not None else request.url.scheme == "https"
