"""The moderation queue (the engine's findings, the legal footing, the protected-speech
guard, the state-action warning, and a form to act on each comment), the moderation log,
stance labels and the viewpoint-neutrality report.

Keyboard use: every comment is a section headed by a focusable heading; its forms are
plain controls in reading order. After an action the page comes back with the next
comment's heading focused (`autofocus`; app.js does the same where autofocus is not
honoured), or the result message when it was the last."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import InvalidInput
from civicarchive.model.moderation import ModerationKind, Stance
from civicarchive.model.staff import Permission
from civicarchive.web.api.moderation import oversight_of, with_warnings
from civicarchive.web.api.moderation import PathId
from civicarchive.web.deps import archive_of, permit
from civicarchive.model.record import id_of
from civicarchive.web.ui import render

router = APIRouter()
PER_PAGE = 20
ACTED = "acted"  # ?include=acted: the comments already acted on are shown too
RECORD = "/records/{}"  # the record view (web/ui records area)


def _categories(request: Request) -> list:
    try:
        _, policy = archive_of(request).custody.policy()
    except InvalidInput:
        return []
    return list(policy.moderation)


def _queue(request: Request, offset: int, focus: int | None = None,
           acted: dict | None = None, errors: dict | None = None,
           status_code: int = 200, include: str = "") -> Response:
    principal = permit(request, Permission.MODERATE, "the moderation queue")
    include = ACTED if include == ACTED else ""
    oversight = oversight_of(request)
    adopted = archive_of(request).custody.adopted_any()
    found = oversight.queue(principal, acted=include == ACTED, offset=offset,
                            limit=PER_PAGE) if adopted \
        else {"rows": [], "total": 0, "more": False}
    shown = with_warnings(oversight, principal, found["rows"])
    following = [r["item_id"] for r in shown[1:]] + [None]
    return render(request, "moderation.html", {
        "title": "Moderation queue", "rows": list(zip(shown, following)),
        "total": found["total"], "more": found["more"], "offset": offset,
        "per_page": PER_PAGE, "include": include,
        "pager_query": _kept(include),
        "categories": _categories(request), "actions": list(ModerationKind),
        "stances": list(Stance), "labels": {lab["item_id"]: lab["stance"]
                                            for lab in oversight.labels(principal)},
        "focus": focus, "acted": acted, "errors": errors or {}, "record": RECORD},
        status_code=status_code)


def _kept(include: str) -> str:
    """The queue's choice to carry on in a redirect's query."""
    return f"&include={ACTED}" if include == ACTED else ""


@router.get("/moderation")
def queue(request: Request, offset: int = 0, focus: int | None = None,
          acted: int | None = None, include: str = "") -> Response:
    acted_row = None
    if acted is not None:
        principal = permit(request, Permission.MODERATE, "the moderation log")
        acted_row = next((a for a in oversight_of(request).log(principal)
                          if a["id"] == acted), None)
    return _queue(request, max(offset, 0), focus, acted_row, include=include)


@router.post("/moderation/{item_id}/act")
def act(request: Request, item_id: PathId, action: str = Form(..., max_length=20),
        clause: str = Form("", max_length=100), reason: str = Form("", max_length=5000),
        record_only: bool = Form(False), next_item: str = Form("", max_length=20),
        offset: int = Form(0), include: str = Form("", max_length=20)) -> Response:
    principal = permit(request, Permission.MODERATE, "moderation actions")
    try:
        done = oversight_of(request).act(principal, item_id, action, clause or None,
                                         reason or None, on_platform=not record_only)
    except InvalidInput as refused:
        return _queue(request, max(offset, 0), focus=None, status_code=400,
                      errors={item_id: {"parameter": refused.parameter,
                                        "message": str(refused)}}, include=include)
    # The comment leaves the queue (unless acted-on ones are shown): the next one takes
    # its place on the same page.
    target = f"/moderation?acted={done['id']}&offset={max(offset, 0)}{_kept(include)}"
    if (focus := id_of(next_item)) is not None:
        target += f"&focus={focus}"
    return RedirectResponse(target, status_code=303)


@router.post("/moderation/{item_id}/label")
def label(request: Request, item_id: PathId, stance: str = Form(..., max_length=20),
          offset: int = Form(0), include: str = Form("", max_length=20)) -> Response:
    principal = permit(request, Permission.MODERATE, "stance labels")
    oversight_of(request).label(principal, item_id, stance)
    return RedirectResponse(f"/moderation?offset={max(offset, 0)}{_kept(include)}"
                            f"&focus={item_id}", status_code=303)


@router.get("/moderation/log")
def log(request: Request, account_id: str = "", action: str = "",
        offset: int = 0) -> Response:
    principal = permit(request, Permission.MODERATE, "the moderation log")
    oversight = oversight_of(request)
    account = id_of(account_id)
    chosen = action if action in set(ModerationKind) else None
    rows = oversight.log(principal, account, chosen)
    offset = max(offset, 0)
    accounts = archive_of(request).access.accounts(principal)
    return render(request, "moderation_log.html", {
        "title": "Moderation log", "rows": rows[offset:offset + PER_PAGE],
        "total": len(rows), "offset": offset, "per_page": PER_PAGE,
        "accounts": accounts, "handles": {a.id: a.handle for a in accounts},
        "account_id": account, "action": chosen, "actions": list(ModerationKind),
        "record": RECORD})


@router.get("/moderation/report")
def report(request: Request) -> Response:
    principal = permit(request, Permission.MODERATE, "the viewpoint-neutrality report")
    return render(request, "moderation_report.html", {
        "title": "Viewpoint-neutrality report",
        "report": oversight_of(request).report(principal), "record": RECORD})
