"""The staff application: `create_app(archive)` is the ASGI app `civicarchive serve` runs.

    /api/v1/...        the REST API (JSON); its OpenAPI document at /api/v1/openapi.json
    /                  the staff UI (server-rendered; works without JavaScript)
    /public/...        the open archive: each agency's public record, for everyone
    /static/...        the UI's stylesheet and its one small script
    /healthz           a bare answer from the same stack (the benchmarks' ceiling)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from civicarchive import __version__
from civicarchive.archive import Archive
from civicarchive.errors import ArchiveError, InvalidInput
from civicarchive.web import problems
from civicarchive.web.deps import check_csrf
from civicarchive.web.limits import BodyLimit
from civicarchive.web.routing import gated
from civicarchive.web.security import SecurityHeaders
from civicarchive.web.sessions import SessionRefresh, Sessions, Throttle, web_key

API = "/api/v1"
STATIC = Path(__file__).parent / "ui" / "static"


def create_app(archive: Archive, *, secure_cookies: bool | None = None,
               idle_seconds: int | None = None, public_url: str | None = None) -> FastAPI:
    """The staff application over one archive. `secure_cookies` None marks cookies
    Secure when the request came over https (behind a proxy: run uvicorn with
    --proxy-headers so that it knows). `public_url` is the address readers reach it at
    (https://records.example.gov): the open archive's feed links there, else to the host
    each request names, which a cache in front may keep for everyone."""
    app = FastAPI(title="civicarchive", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=f"{API}/openapi.json",
                  description="The REST API of a civicarchive deployment. Sign in with an "
                  "API token: `Authorization: Bearer ca_...` (`civicarchive users token`). "
                  "Errors are application/problem+json (RFC 9457); lists are paged with "
                  "`limit` and `offset`.",
                  dependencies=[Depends(check_csrf)])
    app.state.archive = archive
    app.state.public_url = checked_public_url(public_url) if public_url else None
    key = web_key(archive.context.settings.keys_dir)
    sessions = Sessions(archive, key, secure_cookies)
    if idle_seconds is not None:
        sessions.idle_seconds = idle_seconds
    app.state.sessions = sessions
    app.state.throttle = Throttle()

    from civicarchive.web.api import router as api_router
    from civicarchive.web.public import STATIC as PUBLIC_STATIC
    from civicarchive.web.public import public_error
    from civicarchive.web.public import router as public_router
    from civicarchive.web.ui import render_error
    from civicarchive.web.ui import router as ui_router
    # Each behind a gate of its paths' first segments (web/routing.py).
    app.include_router(gated(api_router, prefix=API))
    app.include_router(gated(public_router))
    app.include_router(ui_router)
    if archive.context.settings.sso is not None:  # single sign-on (docs/sso.md)
        from civicarchive.web.ui.sso import install
        install(app, archive.context.settings.sso)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/public/static", StaticFiles(directory=PUBLIC_STATIC), name="public-static")

    def wants_html(request: Request) -> bool:
        return not request.url.path.startswith(API)

    def public(request: Request) -> bool:
        return request.url.path.startswith("/public")

    @app.exception_handler(ArchiveError)
    async def archive_error(request: Request, error: ArchiveError) -> Response:
        if public(request):
            return public_error(request, error)
        if wants_html(request):
            return render_error(request, error)
        return problems.archive_problem(error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if public(request):
            return public_error(request, error)
        if wants_html(request):
            return render_error(request, error)
        return problems.http_problem(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if public(request):
            return public_error(request, error)
        if wants_html(request):
            return render_error(request, error)
        return problems.validation_problem(error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        return problems.unexpected_problem(request, error)

    @app.get("/healthz", include_in_schema=False)
    def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.add_middleware(BodyLimit, sessions=sessions)  # innermost: before a body is read
    app.add_middleware(SessionRefresh, sessions=sessions)  # inside SecurityHeaders
    app.add_middleware(SecurityHeaders)
    return app


def from_environment() -> FastAPI:
    """The app over the archive CIVICARCHIVE_HOME (and CIVICARCHIVE_DATABASE_URL) names:
    what each worker process of `serve --workers N` builds for itself."""
    import os

    archive = Archive.open(os.environ.get("CIVICARCHIVE_HOME"),
                           os.environ.get("CIVICARCHIVE_DATABASE_URL"))
    secure = {"1": True, "0": False}.get(os.environ.get("CIVICARCHIVE_SECURE_COOKIES", ""))
    return create_app(archive, secure_cookies=secure,
                      public_url=os.environ.get("CIVICARCHIVE_PUBLIC_URL") or None)


def checked_public_url(url: str) -> str:
    """The address without its trailing slash; InvalidInput unless it is an http(s) one
    naming a host (and no query or fragment)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or \
            parts.fragment:
        raise InvalidInput(f"the public URL {url!r} is no web address to link to: give one "
                           "like https://records.example.gov", parameter="public_url")
    return parts.geturl().rstrip("/")
