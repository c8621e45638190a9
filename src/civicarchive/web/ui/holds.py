"""Legal holds, retention and disposition in the staff UI. `/holds` (Permission.MANAGE_HOLDS):
active and released holds, placing one over the agency's records, releasing one with the
reason. `/retention` (Permission.MANAGE_RETENTION): retention per series, the records a
hold keeps, and disposition batches through review, approval and execution. Scoped like
the API (app/casework.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission, Principal
from civicarchive.web.api.holds import hold_out
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.ui import render
from civicarchive.web.ui.casework import ids_of

router = APIRouter()
FIELDS = ("name", "matter", "reason", "query", "items", "start", "end")


def holds_page(request: Request, error: InvalidInput | None = None,
               values: dict | None = None, status_code: int = 200) -> Response:
    principal = permit(request, Permission.MANAGE_HOLDS, "legal holds")
    archive = archive_of(request)
    casework = archive.casework
    holds = [hold_out(h, casework.active(h)) for h in casework.holds(principal)]
    accounts = [a for a in archive.registry.accounts() if a.agency_id == principal.agency_id]
    return render(request, "holds.html", {
        "title": "Legal holds", "active": [h for h in holds if h.active],
        "released": [h for h in holds if not h.active], "accounts": accounts,
        "values": dict.fromkeys(FIELDS, "") | (values or {}),
        "error": str(error) if error else None,
        "error_for": (error.parameter or "form") if error else None,
        "retention": principal.can(Permission.MANAGE_RETENTION)}, status_code=status_code)


@router.get("/holds")
def holds(request: Request) -> Response:
    return holds_page(request)


def _moment(text: str, name: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"the {name} date is not a date: e.g. 2026-01-31",
                           parameter=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # as UTC


@router.post("/holds")
async def holds_add(request: Request) -> Response:
    principal = permit(request, Permission.MANAGE_HOLDS, "placing a legal hold")
    form = await request.form()
    values = {k: str(form.get(k, ""))[:5000] for k in FIELDS}
    try:
        accounts = ids_of(" ".join(str(a) for a in form.getlist("account")), "account")
        archive_of(request).casework.add_hold(
            principal, values["name"], values["matter"], values["reason"],
            query=values["query"] or None, items=ids_of(values["items"], "items"),
            accounts=accounts, start=_moment(values["start"], "start"),
            end=_moment(values["end"], "end"))
    except InvalidInput as error:
        return holds_page(request, error, values, status_code=400)
    return RedirectResponse("/holds", status_code=303)


@router.post("/holds/{hold_id}/release")
def holds_release(request: Request, hold_id: int,
                  reason: str = Form("", max_length=5000)) -> Response:
    principal = permit(request, Permission.MANAGE_HOLDS, "releasing a legal hold")
    try:
        archive_of(request).casework.release_hold(principal, hold_id, reason)
    except InvalidInput as error:
        error.parameter = f"release-{hold_id}"
        return holds_page(request, error, status_code=400)
    return RedirectResponse("/holds", status_code=303)


def retention_page(request: Request, error: InvalidInput | None = None,
                   status_code: int = 200, notice: str | None = None) -> Response:
    principal = permit(request, Permission.MANAGE_RETENTION, "retention")
    archive = archive_of(request)
    casework = archive.casework
    mine = {h.id for h in casework.holds(principal)} if principal.can(
        Permission.MANAGE_HOLDS) else set()
    try:
        status = casework.retention_status(principal)
        held = casework.held(principal)
        series = [(s.code, s.title) for s in archive.custody.policy()[1].series]
    except InvalidInput as missing:  # no policy adopted yet
        status, held, series, error = [], [], [], error or missing
    return render(request, "retention.html", {
        "title": "Retention and disposition", "status": status, "held": held,
        "own_holds": mine, "series": series, "batches": casework.batches(principal),
        "notice": notice, "error": str(error) if error else None,
        "error_for": (error.parameter or "form") if error else None}, status_code=status_code)


@router.get("/retention")
def retention(request: Request, notice: str = "") -> Response:
    return retention_page(request, notice={"none": "No record of that series is eligible "
                                           "for disposition now."}.get(notice))


def _batch_action(request: Request, what: str, action: Callable[[Principal], object]
                  ) -> Response:
    principal = permit(request, Permission.MANAGE_RETENTION, what)
    try:
        result = action(principal)
    except InvalidInput as error:
        return retention_page(request, error, status_code=400)
    target = "/retention?notice=none" if result is None and what == "disposition review" \
        else "/retention#batches"
    return RedirectResponse(target, status_code=303)


@router.post("/retention/review")
def retention_review(request: Request, series: str = Form(..., max_length=100)) -> Response:
    return _batch_action(request, "disposition review",
                         lambda p: archive_of(request).casework.review(p, series))


@router.post("/retention/batches/{batch_id}/approve")
def retention_approve(request: Request, batch_id: int) -> Response:
    return _batch_action(request, "approving a disposition",
                         lambda p: archive_of(request).casework.approve(p, batch_id) or True)


@router.post("/retention/batches/{batch_id}/transfer")
def retention_transfer(request: Request, batch_id: int) -> Response:
    return _batch_action(request, "transferring a disposition",
                         lambda p: archive_of(request).casework.transfer(p, batch_id))


@router.post("/retention/batches/{batch_id}/execute")
def retention_execute(request: Request, batch_id: int,
                      receipt: str = Form("", max_length=500)) -> Response:
    return _batch_action(request, "executing a disposition",
                         lambda p: archive_of(request).casework.execute(p, batch_id,
                                                                        receipt or None))
