"""The dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.ui import render

router = APIRouter()


@router.get("/")
def dashboard(request: Request) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "the dashboard")
    archive = archive_of(request)
    accounts = archive.access.accounts(principal)
    counts = archive.registry.item_counts()
    return render(request, "dashboard.html", {
        "title": "Dashboard",
        "accounts": [(a, counts.get(a.id, 0)) for a in accounts]})
