"""Headers every answer carries, the Content-Security-Policy with a fresh nonce per
request, and CSRF tokens for forms.

Archived content is third-party input. Templates escape it, and the policy makes sure a
miss cannot run: no inline script without this request's nonce, no script from
elsewhere, no plugins, no <base>, no framing, forms posting only here. Scripts from this
site's own address ('self') run without the nonce: a public page revalidated by its ETag
keeps its cached body, whose scripts carry an earlier answer's nonce (docs/web.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
       "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityHeaders:
    """ASGI middleware: a nonce in `request.state.csp_nonce`, and the headers on every
    answer (HSTS too when the request came over https)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        policy = CSP.format(nonce=nonce).encode()
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in HEADERS if h[0] not in names]
                headers.append((b"content-security-policy", policy))
                if https:
                    headers.append((b"strict-transport-security",
                                    b"max-age=31536000; includeSubDomains"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(key: bytes, binding: str) -> str:
    """The token a form carries: bound to the session (or to the pre-sign-in cookie)."""
    return hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, binding: str | None, given: str | None) -> bool:
    return bool(binding and given) and hmac.compare_digest(csrf_token(key, binding), given)
