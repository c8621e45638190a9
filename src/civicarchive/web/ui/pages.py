"""The dashboard, the adopted policy and the audit log.

The dashboard shows, each only to those whose roles allow it and only for their agency's
accounts: capture health and open gaps, open alerts, the moderation queue's size,
requests due soon or overdue, and active holds. Each section reads a handful of rows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from civicarchive.model.staff import Permission, Principal
from civicarchive.web.api.moderation import oversight_of
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Paging
from civicarchive.web.ui import render

router = APIRouter()

DUE_SOON_DAYS = 5  # business days
ALERTS_SHOWN = 5


@router.get("/")
def dashboard(request: Request) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "the dashboard")
    archive = archive_of(request)
    visible = frozenset(a.id for a in archive.access.accounts(principal))
    alerts = oversight_of(request).alerts(principal, open_only=True)
    return render(request, "dashboard.html", {
        "title": "Dashboard",
        "capture": archive.dashboard.capture(visible),
        "alerts": alerts[:ALERTS_SHOWN], "open_alerts": len(alerts),
        "queue": archive.dashboard.queue_size(visible)
        if principal.can(Permission.MODERATE) else False,
        "requests": _requests_due(request, principal)
        if principal.can(Permission.MANAGE_REQUESTS) else None,
        "holds": _active_holds(request, principal)
        if principal.can(Permission.MANAGE_HOLDS) else None,
        "due_soon_days": DUE_SOON_DAYS})


def _requests_due(request: Request, principal: Principal) -> list[dict]:
    """The agency's open requests whose next deadline is within DUE_SOON_DAYS business
    days or past, soonest first."""
    listing = archive_of(request).casework.request_list(principal)
    due = [r for r in listing if r["next_deadline"] is not None and
           r["next_deadline"]["business_days_left"] is not None and
           r["next_deadline"]["business_days_left"] <= DUE_SOON_DAYS]
    return sorted(due, key=lambda r: r["next_deadline"]["due"])


def _active_holds(request: Request, principal: Principal) -> list:
    return [h for h in archive_of(request).casework.holds(principal) if h.released_at is None]


@router.get("/policy")
def policy(request: Request) -> Response:
    permit(request, Permission.READ_RECORDS, "the policy")
    document = archive_of(request).viewing.policy()
    return render(request, "policy.html", {
        "title": document.title if document else "Policy", "document": document})


@router.get("/audit")
def audit(request: Request, paging: Annotated[Paging, Depends()],
          action: Annotated[str, Query(max_length=64)] = "",
          actor: Annotated[str, Query(max_length=200)] = "") -> Response:
    principal = permit(request, Permission.READ_AUDIT, "the audit log")
    archive = archive_of(request)
    found = archive.auditing.events(archive.access.agency_id(principal), paging.limit,
                                    paging.offset, action=action.strip() or None,
                                    actor=actor.strip() or None)
    following = paging.offset + paging.limit
    query = {"action": action, "actor": actor, "limit": paging.limit}
    return render(request, "audit.html", {
        "title": "Audit log", "page": found, "offset": paging.offset,
        "limit": paging.limit, "action": action, "actor": actor,
        "actions": archive.auditing.actions(),
        "previous": _link(query, max(paging.offset - paging.limit, 0))
        if paging.offset else None,
        "next": _link(query, following) if following < found.total else None})


def _link(query: dict, offset: int) -> str:
    from urllib.parse import urlencode
    return "/audit?" + urlencode({**{k: v for k, v in query.items() if v}, "offset": offset})
