"""Who is asking: a session cookie, an API token, or nobody (the public).

The session cookie holds the session's secret, when it was last used, and an HMAC of
both under the web key (kept beside the archive's keys), so that the idle timeout cannot
be reset by the browser. The server keeps only the secret's sha256 (app/users.py), and a
session also ends at its absolute timeout. A new secret is made at every sign-in.

    civicarchive_session = <secret>.<last used, epoch seconds>.<hmac>
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicarchive.archive import Archive
from civicarchive.model.staff import Principal, Session, SignIn, StaffUser

COOKIE = "civicarchive_session"
PRE_COOKIE = "civicarchive_presession"  # binds the sign-in form's CSRF token
KEY_FILE = "web-session.key"
IDLE_SECONDS = 30 * 60
REFRESH_SECONDS = 60  # the cookie is re-issued at most this often
CACHE_SECONDS = 2.0   # a live session is looked up again after this long
CACHEABLE = ("/static/", "/public/static/")  # the same for everyone: left to caches


def web_key(keys_dir: Path) -> bytes:
    """The key that signs cookies and CSRF tokens: made once, kept with the archive's keys
    (mode 0600), so that sessions survive a restart and several workers agree."""
    path = keys_dir / KEY_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return path.read_bytes()


@dataclass
class Caller:
    """What a request resolved to: the principal, and the session secret if any."""

    principal: Principal
    secret: str | None = None      # the session's secret (binds CSRF tokens)
    session: Session | None = None
    via_token: bool = False
    reissue: bool = False          # the cookie's last-used time should move on


class Sessions:
    """Session cookies and API tokens for one app."""

    def __init__(self, archive: Archive, key: bytes, secure: bool | None = None,
                 idle_seconds: int = IDLE_SECONDS) -> None:
        self.archive = archive
        self.key = key
        self.secure = secure  # None: Secure when the request came over https
        self.idle_seconds = idle_seconds
        self._cache: dict[str, tuple[float, Session, StaffUser, Principal]] = {}
        self._lock = threading.Lock()

    def _mac(self, secret: str, last: int) -> str:
        return hmac.new(self.key, f"{secret}.{last}".encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, secret: str, last: int | None = None) -> str:
        last = int(time.time()) if last is None else last
        return f"{secret}.{last}.{self._mac(secret, last)}"

    def _decode(self, value: str) -> tuple[str, int] | None:
        parts = value.split(".")
        # A time is a few ASCII digits: int() refuses "²" (a digit to isdigit) and a
        # number of thousands of digits, which a cookie is free to hold.
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or \
                len(parts[1]) > 12:
            return None
        secret, last, mac = parts[0], int(parts[1]), parts[2]
        if not hmac.compare_digest(self._mac(secret, last), mac):
            return None
        return secret, last

    def caller(self, request: Request) -> Caller:
        """Resolve the request once (kept on request.state)."""
        cached = getattr(request.state, "caller", None)
        if cached is None:
            cached = self._resolve(request)
            request.state.caller = cached
        return cached

    def _resolve(self, request: Request) -> Caller:
        authorization = request.headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            user = self.archive.users.token_user(authorization[7:].strip())
            if user is None:
                return Caller(Principal.anonymous(), via_token=True)
            return Caller(self.archive.users.principal(user), via_token=True)
        value = request.cookies.get(COOKIE)
        decoded = self._decode(value) if value else None
        if decoded is None:
            return Caller(Principal.anonymous())
        secret, last = decoded
        now = time.time()
        live = self._live(secret, now)
        if live is None:
            return Caller(Principal.anonymous())
        session, principal = live
        if now - last > self.idle_seconds:
            self.end(secret, session, "idle", principal.name)
            return Caller(Principal.anonymous())
        return Caller(principal, secret, session, reissue=now - last > REFRESH_SECONDS)

    def _live(self, secret: str, now: float) -> tuple[Session, Principal] | None:
        with self._lock:
            hit = self._cache.get(secret)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1], hit[3]
        found = self.archive.users.session(secret)
        if found is None:
            with self._lock:
                self._cache.pop(secret, None)
            return None
        session, user = found
        principal = self.archive.users.principal(user, session.id)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[secret] = (now, session, user, principal)
        return session, principal

    def start(self, request: Request, response: Response, user: StaffUser,
              via: SignIn) -> None:
        """A new session for `user`, ending the one the browser had (a new id at every
        sign-in: no session fixation)."""
        old = self.caller(request)
        if old.session is not None:
            self.end(old.secret, old.session, "signed in again", old.principal.name)
        secret, _ = self.archive.users.start_session(user, via)
        self.set_cookie(request, response, secret)
        response.delete_cookie(PRE_COOKIE, path="/")

    def set_cookie(self, request: Request, response: Response, secret: str) -> None:
        secure = self.secure if self.secure is not None else request.url.scheme == "https"
        response.set_cookie(COOKIE, self.cookie_value(secret), httponly=True, samesite="lax",
                            secure=secure, path="/", max_age=None)

    def end(self, secret: str | None, session: Session, reason: str, actor: str) -> None:
        with self._lock:
            self._cache.pop(secret or "", None)
        self.archive.users.end_session(session, reason, actor)

    def forget_user(self, user_id: int) -> None:
        """Drop a user's cached sessions (their roles changed, or they were disabled), so
        that the change holds from their next request (web/ui/users.py)."""
        with self._lock:
            for secret in [s for s, hit in self._cache.items() if hit[2].id == user_id]:
                del self._cache[secret]

    def binding(self, request: Request) -> str | None:
        """What a CSRF token is bound to: the session, else the pre-sign-in cookie."""
        caller = self.caller(request)
        return caller.secret or request.cookies.get(PRE_COOKIE)


class SessionRefresh:
    """ASGI middleware: re-issues the session cookie when the request's caller asks for
    it (its last-used time moves on), and keeps every answer that does not say otherwise
    out of caches (pages, JSON, downloads, errors: one user's, not for the next one
    behind the same proxy); the static files say nothing and stay cacheable. A plain ASGI
    middleware, not Starlette's BaseHTTPMiddleware, which costs every request a task group
    and a body stream."""

    def __init__(self, app: ASGIApp, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_refreshed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                headers = MutableHeaders(scope=message)
                caller = scope.get("state", {}).get("caller")
                if caller is not None and caller.reissue and not any(
                        COOKIE in value for value in headers.getlist("set-cookie")):
                    cookie = Response()
                    self.sessions.set_cookie(Request(scope), cookie, caller.secret)
                    for name, value in cookie.raw_headers:
                        if name == b"set-cookie":
                            headers.append("set-cookie", value.decode("latin-1"))
                if not scope["path"].startswith(CACHEABLE):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_refreshed)


class Throttle:
    """Sign-in attempts: after `limit` failures for a username, or `limit` * 4 from an
    address, within `window` seconds, further attempts wait until the oldest failure
    leaves the window. Kept in memory (per process): a restart forgets it."""

    def __init__(self, limit: int = 5, window: float = 15 * 60, clock=time.monotonic) -> None:  # noqa: ANN001
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str | None) -> list[tuple[str, int]]:
        return [(f"u:{username.lower()}", self.limit),
                (f"a:{address or '-'}", self.limit * 4)]

    def wait(self, username: str, address: str | None) -> int:
        """Seconds to wait before another attempt; 0: go ahead."""
        now = self.clock()
        waits = [0.0]
        with self._lock:
            for key, limit in self._keys(username, address):
                failures = self._failures[key]
                while failures and now - failures[0] > self.window:
                    failures.popleft()
                if len(failures) >= limit:
                    waits.append(self.window - (now - failures[0]))
        return int(max(waits)) + (1 if max(waits) else 0)

    def failed(self, username: str, address: str | None) -> None:
        with self._lock:
            for key, _ in self._keys(username, address):
                self._failures[key].append(self.clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username.lower()}", None)
