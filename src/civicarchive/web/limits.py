"""How much a request may send, checked before anything reads it.

FastAPI reads a request's whole body (a JSON document into memory, a multipart upload
into temporary files) before the route runs, and so before it can ask who is calling:
without a limit, anyone could make the server hold or spool gigabytes by sending them to
any address. Here, as ASGI middleware:

- a body is at most `BODY_LIMIT` (the largest thing a form or a JSON call sends is a
  policy file), answered 413 from its Content-Length, or as soon as a body sent in
  chunks passes it;
- an upload (an export or a JSONL capture, `UPLOADS`) may be as large as an import
  reads (connectors/files.py), but only from a signed-in caller: anyone else is answered
  401 before a byte of it is read.
"""

from __future__ import annotations

import re

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicarchive.app.ingesting import UPLOAD_LIMIT

BODY_LIMIT = 4 * 1024 * 1024
UPLOADS = re.compile(r"^/api/v1/accounts/\d+/(imports|jsonl)$")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _TooLarge(HTTPException):
    """Raised from the body's stream: the app's handler answers it 413 like any refusal."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


class BodyLimit:
    def __init__(self, app: ASGIApp, sessions) -> None:  # noqa: ANN001 - web.sessions.Sessions
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        upload = UPLOADS.match(scope["path"]) is not None
        limit = UPLOAD_LIMIT if upload else BODY_LIMIT
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, 413, _too_large(limit))
            return
        if upload:
            request = Request(scope)  # headers only: the body is not touched
            caller = await anyio.to_thread.run_sync(self.sessions.caller, request)
            if caller.principal.user is None:
                await _refuse(scope, send, 401, "sign in, or send an API token, to upload")
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _refuse(scope, send, 413, _too_large(limit))


def _too_large(limit: int) -> str:
    return f"the request is larger than this server takes ({limit:,} bytes)"


async def _refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
    from civicarchive.web.problems import problem
    response = problem(status, {401: "Sign-in required", 413: "Content too large"}[status],
                       detail)
    response.headers["connection"] = "close"  # what was not read is not waited for
    await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
