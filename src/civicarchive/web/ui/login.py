"""Signing in with a local password, and out. Failed attempts are audited and throttled."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import SignInRefused
from civicarchive.model.staff import SignIn
from civicarchive.web.deps import address_of, archive_of, caller_of
from civicarchive.web.sessions import COOKIE, PRE_COOKIE
from civicarchive.web.ui import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or \
            "\\" in target or urlsplit(target).netloc:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    if caller_of(request).principal.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    presession = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", {
        "next": safe_next(next), "error": None, "csrf_binding": presession,
        "sso": bool(getattr(request.app.state, "sso", None))})
    response.set_cookie(PRE_COOKIE, presession, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=200),
          password: str = Form(..., max_length=1000), next: str = Form("/")) -> Response:  # noqa: A002
    archive = archive_of(request)
    throttle = request.app.state.throttle
    address = address_of(request)
    wait = throttle.wait(username, address)
    if wait:
        archive.users.record_refusal(username, address, "throttled")
        response = render(request, "login.html", {
            "next": safe_next(next), "sso": bool(getattr(request.app.state, "sso", None)),
            "error": f"Too many failed attempts. Try again in {wait // 60 + 1} minutes."},
            status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        user = archive.users.authenticate(username, password)
    except SignInRefused as refused:
        throttle.failed(username, address)
        archive.users.record_refusal(username, address, "wrong username or password")
        return render(request, "login.html", {
            "next": safe_next(next), "error": str(refused).capitalize() + ".",
            "sso": bool(getattr(request.app.state, "sso", None))}, status_code=401)
    throttle.succeeded(username)
    response = RedirectResponse(safe_next(next), status_code=303)
    request.app.state.sessions.start(request, response, user, SignIn.PASSWORD)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    caller = caller_of(request)
    if caller.session is not None:
        request.app.state.sessions.end(caller.secret, caller.session, "logout",
                                       caller.principal.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
