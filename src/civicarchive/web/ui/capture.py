"""Capture: each account's health, its runs and gaps, credentials' expiry (never the
token), its settings, and "run now", which starts a pass in the background and returns
at once; the page shows the run when it has ended."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.capture import CAPTURERS, capturer_for
from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission
from civicarchive.web.api.capture import admin_of, background_of, settings_out, statuses
from civicarchive.web.api.moderation import PathId
from civicarchive.web.deps import permit
from civicarchive.web.ui import render

router = APIRouter()
RUNS_SHOWN = 20


def _page(request: Request, errors: dict | None = None, started: int | None = None,
          saved: int | None = None, status_code: int = 200) -> Response:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture")
    admin = admin_of(request)
    accounts = admin.accounts(principal)
    return render(request, "capture.html", {
        "title": "Capture", "statuses": statuses(request, principal),
        "settings": {a.id: settings_out(a.id, admin.settings(principal, a.id))
                     for a in accounts if a.platform in CAPTURERS},
        "without": [a for a in accounts if a.platform not in CAPTURERS],
        "runs": admin.runs(principal)[:RUNS_SHOWN], "gaps": admin.gaps(principal),
        "handles": {a.id: a.handle for a in accounts}, "errors": errors or {},
        "started": started, "saved": saved}, status_code=status_code)


@router.get("/capture")
def capture(request: Request, started: int | None = None,
            saved: int | None = None) -> Response:
    return _page(request, started=started, saved=saved)


@router.post("/capture/{account_id}/run")
def run_now(request: Request, account_id: PathId) -> Response:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture")
    admin = admin_of(request)
    account = admin.account(principal, account_id)
    capturer_for(account.platform)
    background_of(request).start(admin, principal, account.id)
    return RedirectResponse(f"/capture?started={account.id}", status_code=303)


@router.post("/capture/{account_id}/settings")
def configure(request: Request, account_id: PathId, url: str = Form("", max_length=2000),
              interval: str = Form("", max_length=20), full_every: str = Form("", max_length=20),
              enabled: bool = Form(False)) -> Response:
    principal = permit(request, Permission.MANAGE_CAPTURE, "capture settings")
    try:
        changes: dict = {"enabled": enabled, "url": url.strip() or None}
        for name, value in (("interval", interval), ("full_every", full_every)):
            if value.strip():
                if not (value.strip().isascii() and value.strip().isdigit()):  # not "²"
                    raise InvalidInput(f"{name.replace('_', ' ')} is a whole number",
                                       parameter=name)
                changes[name] = int(value)
        admin_of(request).configure(principal, account_id, **changes)
    except InvalidInput as refused:
        return _page(request, errors={account_id: {"parameter": refused.parameter,
                                                   "message": str(refused)}},
                     status_code=400)
    return RedirectResponse(f"/capture?saved={account_id}", status_code=303)
