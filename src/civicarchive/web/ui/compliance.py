"""Compliance of officials' accounts (state action post by post, public business,
people's duties due, with links to the records) and the alerts, acknowledged with a
note."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.model.staff import Permission
from civicarchive.web.api.compliance import acknowledge
from civicarchive.web.api.moderation import oversight_of
from civicarchive.web.api.moderation import PathId
from civicarchive.web.deps import permit
from civicarchive.web.ui import render
from civicarchive.web.ui.moderation import PER_PAGE, RECORD

router = APIRouter()


@router.get("/compliance")
def compliance(request: Request, offset: int = 0) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "compliance")
    oversight = oversight_of(request)
    assessed = oversight.assessments(principal)
    offset = max(offset, 0)
    return render(request, "compliance.html", {
        "title": "Compliance", "report": oversight.compliance_report(principal),
        "rows": assessed[offset:offset + PER_PAGE], "total": len(assessed),
        "offset": offset, "per_page": PER_PAGE, "record": RECORD})


@router.get("/alerts")
def alerts(request: Request, show: str = "open", offset: int = 0) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "alerts")
    show = show if show in ("open", "acknowledged", "all") else "open"
    found = oversight_of(request).alerts(principal, open_only=show == "open")
    if show == "acknowledged":
        found = [a for a in found if a["acknowledged"] is not None]
    offset = max(offset, 0)
    return render(request, "alerts.html", {
        "title": "Alerts", "rows": found[offset:offset + PER_PAGE], "total": len(found),
        "offset": offset, "per_page": PER_PAGE, "show": show, "record": RECORD,
        "pager_query": f"&show={show}"})


@router.post("/alerts/{alert_id}/ack")
def ack(request: Request, alert_id: PathId, note: str = Form("", max_length=2000),
        show: str = Form("open", max_length=20)) -> Response:
    acknowledge(request, alert_id, note or None)
    show = show if show in ("open", "acknowledged", "all") else "open"
    return RedirectResponse(f"/alerts?show={show}", status_code=303)
