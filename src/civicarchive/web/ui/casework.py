"""Records requests in the staff UI: the list, intake, and a request's page (its clock,
collection, review marks, suggestions, status, productions and log). Plain forms that post
and redirect (303); with a mistake in a form, the page comes back with the message tied
to its field. The redaction editor is in `redaction.py`. Scoped like the API
(app/casework.py): another agency's request is the same 404 as a missing one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.app.requests import Mark, RequestStatus, explanation_lines
from civicarchive.errors import InvalidInput
from civicarchive.model.record import text_of
from civicarchive.model.staff import Permission
from civicarchive.web import downloads
from civicarchive.web.api.casework import collected, scoped
from civicarchive.web.api.redactions import produce
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Paging, page
from civicarchive.web.ui import render

router = APIRouter()
OTHER = "other"


def exemptions(archive) -> list[tuple[str, str, str]]:  # noqa: ANN001
    """The adopted policy's exemptions as (value, text, citation)."""
    try:
        _, adopted = archive.custody.policy()
    except InvalidInput:
        return []
    return [(str(n), e.text, e.citation or "") for n, e in enumerate(adopted.requests.exemptions)]


def exemption_of(archive, choice: str, text: str, citation: str) -> tuple[str, str]:  # noqa: ANN001
    """(exemption, citation) from the form: one of the policy's, or the free fields."""
    for value, listed_text, listed_citation in exemptions(archive):
        if value == choice:
            return listed_text, citation.strip() or listed_citation
    return text.strip(), citation.strip()


def reason_of(archive, choice: str, text: str, citation: str) -> str:  # noqa: ANN001
    exemption, cited = exemption_of(archive, choice, text, citation)
    if not exemption:
        raise InvalidInput("choose an exemption, or give the reason and its citation",
                           parameter="reason")
    return f"{exemption}, {cited}" if cited else exemption


def ids_of(text: str, parameter: str) -> list[int]:
    try:
        return [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise InvalidInput("give record ids as numbers separated by commas or spaces, "
                           "e.g. 12, 15", parameter=parameter) from None


def details_of(details: dict) -> str:
    """A log entry's details in words: lists of records counted, empty values left out."""
    return "; ".join(f"{key}: {len(value)} record(s)" if isinstance(value, list) else
                     f"{key}: {value}" for key, value in details.items()
                     if value not in (None, "", []))


def left_of(deadline: dict | None) -> str:
    """Business days left, in words (never colour alone)."""
    if deadline is not None and deadline.get("met_on"):
        return f"met {deadline['met_on']}{', late' if deadline.get('late') else ''}"
    if deadline is None or deadline["business_days_left"] is None:
        return "not running"
    left = deadline["business_days_left"]
    if left < 0:
        return f"overdue by {-left} business day{'s' if left != -1 else ''}"
    return "due today" if left == 0 else f"{left} business day{'s' if left != 1 else ''} left"


@router.get("/requests")
def requests_page(request: Request, paging: Annotated[Paging, Depends()],
                  status: str = "") -> Response:
    principal = permit(request, Permission.MANAGE_REQUESTS, "records requests")
    listing = archive_of(request).casework.request_list(principal)
    if status:
        listing = [r for r in listing if r["status"] == status]
    return render(request, "requests.html", {
        "title": "Records requests", "listing": page(request, paging, listing),
        "statuses": [s.value for s in RequestStatus], "status": status, "left_of": left_of})


def _new_form(request: Request, values: dict, error: InvalidInput | None = None,
              status_code: int = 200) -> Response:
    return render(request, "request_new.html", {
        "title": "Log a records request", "values": values,
        "error": str(error) if error else None,
        "error_for": (error.parameter or "description") if error else None},
        status_code=status_code)


@router.get("/requests/new")
def request_new_form(request: Request) -> Response:
    permit(request, Permission.MANAGE_REQUESTS, "logging a records request")
    return _new_form(request, {"requester": "", "contact": "", "received": "",
                               "description": ""})


@router.post("/requests/new")
def request_new(request: Request, requester: str = Form("", max_length=500),
                contact: str = Form("", max_length=500),
                received: str = Form("", max_length=40),
                description: str = Form("", max_length=20_000)) -> Response:
    principal = permit(request, Permission.MANAGE_REQUESTS, "logging a records request")
    values = {"requester": requester, "contact": contact, "received": received,
              "description": description}
    try:
        try:
            moment = datetime.fromisoformat(received.strip())
        except ValueError:
            raise InvalidInput("give the time it arrived with the UTC offset of local time, "
                               "e.g. 2026-11-04T10:30-08:00", parameter="received") from None
        request_id = archive_of(request).requests.new(requester, moment, description,
                                                      principal.name,
                                                      contact=contact.strip() or None)
    except InvalidInput as error:
        return _new_form(request, values, error, status_code=400)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


def _rows(archive, request_id: int, paging: Paging, request: Request) -> dict:  # noqa: ANN001
    listing = page(request, paging, collected(archive, request_id))
    rows = []
    for entry in listing["items"]:
        item = archive.reading.item(entry.item)
        history = archive.reading.history(entry.item)
        text = text_of(archive.reading.content(history[-1])) if history else ""
        rows.append({"entry": entry, "kind": str(item.kind), "author": item.author,
                     "excerpt": text[:160] + ("…" if len(text) > 160 else "")})
    return {**listing, "items": rows}


def request_page(request: Request, request_id: int, paging: Paging,
                 error: InvalidInput | None = None, status_code: int = 200) -> Response:
    scoped(request, request_id)
    archive = archive_of(request)
    detail = archive.requests.show(request_id)
    log = archive.requests.log(request_id)
    return render(request, "request.html", {
        "title": f"Request {detail['number']}", "detail": detail, "left_of": left_of,
        "explanation": explanation_lines(archive.requests.explain(request_id)),
        "rows": _rows(archive, request_id, paging, request),
        "suggestions": archive.requests.suggestions(request_id),
        "statuses": [s.value for s in RequestStatus], "marks": [m.value for m in Mark],
        "exemptions": exemptions(archive), "log_total": len(log),
        "log": [(e, details_of(e["details"])) for e in log[-100:]],
        "error": str(error) if error else None,
        "error_for": (error.parameter or "form") if error else None},
        status_code=status_code)


@router.get("/requests/{request_id}")
def request_show(request: Request, request_id: int,
                 paging: Annotated[Paging, Depends()]) -> Response:
    return request_page(request, request_id, paging)


def _done(request: Request, request_id: int, action) -> Response:  # noqa: ANN001
    """Do the form's action; back to the request page (303), or the page again with the
    mistake tied to its field."""
    principal = scoped(request, request_id)
    try:
        action(archive_of(request), principal)
    except InvalidInput as error:
        return request_page(request, request_id, Paging(20, 0), error, status_code=400)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


@router.post("/requests/{request_id}/collect")
def request_collect(request: Request, request_id: int,
                    query: str = Form("", max_length=2000),
                    items: str = Form("", max_length=20_000),
                    all_versions: bool = Form(False)) -> Response:
    def collect(archive, principal) -> None:  # noqa: ANN001
        ids = ids_of(items, "items")
        if not (ids or query.strip()):
            raise InvalidInput("give a search or record ids to collect", parameter="query")
        archive.casework.collect(principal, request_id, items=ids,
                                 query=query.strip() or None, all_versions=all_versions)
    return _done(request, request_id, collect)


@router.post("/requests/{request_id}/mark")
async def request_mark(request: Request, request_id: int) -> Response:
    form = await request.form()
    chosen = [str(v) for v in form.getlist("item")]

    def mark(archive, principal) -> None:  # noqa: ANN001
        ids = ids_of(" ".join(chosen), "item")
        if not ids:
            raise InvalidInput("select the records to mark", parameter="item")
        how = str(form.get("mark", ""))
        exemption = citation = None
        if how == Mark.WITHHELD.value:
            exemption, citation = exemption_of(archive, str(form.get("exemption", "")),
                                               str(form.get("exemption_text", "")),
                                               str(form.get("citation", "")))
        archive.requests.mark(request_id, ids, how, principal.name, exemption=exemption or None,
                              citation=citation or None)
    return _done(request, request_id, mark)


@router.post("/requests/{request_id}/status")
def request_status(request: Request, request_id: int,
                   status: str = Form(..., max_length=40),
                   note: str = Form("", max_length=5000)) -> Response:
    return _done(request, request_id, lambda archive, principal: archive.requests.set_status(
        request_id, status, principal.name, note))


@router.post("/requests/{request_id}/decide")
async def request_decide(request: Request, request_id: int) -> Response:
    form = await request.form()
    keys = [str(k) for k in form.getlist("key")]

    def decide(archive, principal) -> None:  # noqa: ANN001
        if not keys:
            raise InvalidInput("select the suggestions to decide on", parameter="key")
        accepted = form.get("decision") == "accept"
        reason = reason_of(archive, str(form.get("exemption", "")),
                           str(form.get("reason", "")), str(form.get("citation", ""))) \
            if accepted else None
        archive.requests.decide(request_id, keys, accepted, principal.name, reason=reason)
    return _done(request, request_id, decide)


@router.post("/requests/{request_id}/produce")
def request_produce(request: Request, request_id: int,
                    prefix: str = Form("", max_length=31)) -> Response:
    return _done(request, request_id, lambda archive, principal: produce(
        archive, principal, request_id, prefix.strip() or None))


@router.get("/requests/{request_id}/productions/{production_id}/production.pdf")
def production_pdf(request: Request, request_id: int, production_id: int) -> Response:
    scoped(request, request_id)
    archive = archive_of(request)
    found = downloads.production(archive, request_id, production_id)
    return downloads.pdf_response(found, archive.requests.show(request_id)["number"])


@router.get("/requests/{request_id}/productions/{production_id}/production.zip")
def production_zip(request: Request, request_id: int, production_id: int) -> Response:
    scoped(request, request_id)
    archive = archive_of(request)
    found = downloads.production(archive, request_id, production_id)
    return downloads.zip_response(found, archive.requests.show(request_id)["number"])
