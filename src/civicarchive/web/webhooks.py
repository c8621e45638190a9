"""The webhook receiver: an ASGI app (FastAPI) that Meta calls for Page `feed` changes.

    GET  /webhooks/meta   the subscription challenge: hub.challenge echoed when
                          hub.mode=subscribe and hub.verify_token is ours, else 403
    POST /webhooks/meta   a notification: 403 (nothing recorded) unless
                          X-Hub-Signature-256 is right; else kept, recorded, and the
                          accounts it makes due captured after the answer is sent

`civicarchive capture webhook` serves it with uvicorn, its access log off: Meta's
challenge carries the verify token in the query string, which an access log would keep.
"""

from __future__ import annotations

import logging
import threading

from fastapi import BackgroundTasks, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse

from civicarchive.archive import Archive
from civicarchive.capture.webhook import SignatureRejected, WebhookSecrets
from civicarchive.errors import InvalidInput

log = logging.getLogger("civicarchive.webhooks")
PATH = "/webhooks/meta"


def create_app(archive: Archive, secrets: WebhookSecrets, capture_due: bool = True) -> FastAPI:
    """The receiver for one archive; `capture_due` runs a capture pass for each account
    a notification makes due (one at a time per account)."""
    app = FastAPI(title="civicarchive webhooks", docs_url=None, redoc_url=None,
                  openapi_url=None)
    pending: set[int] = set()
    lock = threading.Lock()

    def capture(account_id: int) -> None:
        try:
            (report,) = archive.capturing.run(account_id, actor="webhook")
            log.info("account %s captured after a notification: %s", account_id,
                     "ok" if report.ok else report.failure["cause"])
        except Exception:  # the receiver keeps answering whatever one capture does
            log.exception("capture of account %s after a notification failed", account_id)
        finally:
            with lock:
                pending.discard(account_id)

    @app.get(PATH, response_class=PlainTextResponse)
    def subscribe(mode: str | None = Query(None, alias="hub.mode"),
                  token: str | None = Query(None, alias="hub.verify_token"),
                  challenge: str | None = Query(None, alias="hub.challenge")
                  ) -> PlainTextResponse:
        try:
            return PlainTextResponse(archive.webhooks.challenge(mode, token, challenge,
                                                                secrets))
        except SignatureRejected as refused:
            log.warning("subscription refused: %s", refused)
            return PlainTextResponse(str(refused), status_code=403)

    @app.post(PATH)
    async def notify(request: Request, background: BackgroundTasks) -> JSONResponse:
        body = await _bounded_body(request)
        if body is None:
            log.warning("notification refused: over %s bytes", MAX_BODY)
            return JSONResponse({"error": f"a notification is at most {MAX_BODY:,} bytes"},
                                status_code=413)
        try:
            receipt = await run_in_threadpool(
                archive.webhooks.receive, body, request.headers.get("x-hub-signature-256"),
                secrets)
        except SignatureRejected as refused:
            log.warning("notification refused: %s", refused)
            return JSONResponse({"error": str(refused)}, status_code=403)
        except InvalidInput as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        for account_id in receipt.due if capture_due else []:
            with lock:
                if account_id in pending:
                    continue
                pending.add(account_id)
            background.add_task(capture, account_id)
        return JSONResponse(receipt.as_dict())

    return app


# Meta batches changes into notifications of a few kilobytes; the body is read before its
# signature can be checked, so anyone could otherwise make the receiver hold any amount.
MAX_BODY = 4 * 1024 * 1024


async def _bounded_body(request: Request) -> bytes | None:
    """The request's body, or None once it proves longer than MAX_BODY (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_BODY:
            return None
        parts.append(part)
    return b"".join(parts)
