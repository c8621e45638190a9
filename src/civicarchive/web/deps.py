"""What routes depend on: the archive, who is asking, and the checks on them.

    archive_of(request)        the app's Archive
    caller_of(request)         Caller: principal, session, via a token or not
    signed_in(request)         the Principal; 401 (API) or the sign-in page (UI) if none
    permit(request, p, what)   the Principal if they hold permission p; else 403, audited
    check_csrf(request)        unsafe methods with a session cookie need the form's or the
                               X-CSRF-Token header's token (a refusal of a signed-in
                               user is audited); API tokens need none
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from civicarchive.archive import Archive
from civicarchive.errors import AccessDenied, SignInRefused
from civicarchive.model.staff import Permission, Principal
from civicarchive.web.security import csrf_valid
from civicarchive.web.sessions import Caller

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NeedsSignIn(SignInRefused):
    """No one is signed in: the API answers 401, the UI sends them to the sign-in page."""

    def __init__(self) -> None:
        super().__init__("sign in first: with your username and password, through your "
                         "agency's single sign-on, or with an API token (Authorization: "
                         "Bearer ...)")


class CsrfRefused(AccessDenied):
    def __init__(self) -> None:
        super().__init__("csrf", "a form without its security token")
        self.args = ("the form's security token is missing or stale: reload the page and "
                     "try again",)


def archive_of(request: Request) -> Archive:
    return request.app.state.archive


def caller_of(request: Request) -> Caller:
    return request.app.state.sessions.caller(request)


def signed_in(request: Request) -> Principal:
    principal = caller_of(request).principal
    if principal.user is None:
        raise NeedsSignIn()
    return principal


def permit(request: Request, permission: Permission, what: str) -> Principal:
    """The signed-in principal, if a role of theirs grants `permission`; otherwise the
    refusal is audited and answered 403."""
    principal = signed_in(request)
    try:
        archive_of(request).access.require(principal, permission, what)
    except AccessDenied:
        archive_of(request).users.record_denied(principal, what, address_of(request))
        raise
    return principal


def address_of(request: Request) -> str | None:
    return request.client.host if request.client else None


async def check_csrf(request: Request) -> None:
    """Dependency for every route: an unsafe method from a browser session must carry
    the session's CSRF token (form field `csrf_token` or header X-CSRF-Token)."""
    if request.method in SAFE_METHODS:
        return
    caller = caller_of(request)
    if caller.via_token or (caller.principal.user is None and
                            request.url.path.startswith("/api/")):
        return  # a token is no ambient credential; an anonymous API call is answered 401
    sessions = request.app.state.sessions
    binding = sessions.binding(request)
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf_token")
    if not csrf_valid(sessions.key, binding, given if isinstance(given, str) else None):
        if caller.principal.user is not None:  # a denied access, audited like the others
            await run_in_threadpool(archive_of(request).users.record_denied, caller.principal,
                                    "a write without its security token (CSRF)",
                                    address_of(request))
        raise CsrfRefused()
