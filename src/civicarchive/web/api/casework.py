"""Records requests: intake, the statutory clock, the collection, review marks, suggested
redactions, status and the log; everything `civicarchive requests ...` does. Redactions
and productions are in `redactions.py`. Every route needs Permission.MANAGE_REQUESTS
and reaches only the caller's agency's requests (app/casework.py): another agency's
request answers the same 404 as a missing one."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from civicarchive.app.requests import RequestStatus, explanation_lines
from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission, Principal
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Page, Paging, page
from civicarchive.web.problems import RESPONSES

# What these routes answer besides success: RFC 9457 problems (web/problems.py).
PROBLEMS = RESPONSES

router = APIRouter(tags=["requests"], responses=PROBLEMS)
MAX_ID = 2**63 - 1  # what the store's integer ids hold
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def scoped(request: Request, request_id: int, what: str = "records requests"
           ) -> Principal:
    """The caller, once they may manage requests and this one is their agency's."""
    principal = permit(request, Permission.MANAGE_REQUESTS, what)
    archive_of(request).casework.request(principal, request_id)
    return principal


class Deadline(BaseModel):
    name: str
    due: str
    days: int
    count: str
    citation: str
    uncertain: str | None = None
    met_by: list[str] = Field(default_factory=list, description="Statuses that answer the "
                              "deadline once entered (e.g. acknowledged).")
    business_days_left: int | None
    overdue: bool
    met_on: str | None = Field(None, description="The day a met_by status answered it.")
    late: bool = Field(False, description="Whether it was answered after its due date.")


class ProductionOut(BaseModel):
    id: int
    numbers: str
    items: int
    withheld: int
    produced_at: str
    produced_by: str


class RequestSummary(BaseModel):
    id: int
    number: str
    requester: str
    received_at: str
    status: str
    items: int
    unreviewed: int
    next_deadline: Deadline | None


class RequestDetail(BaseModel):
    id: int
    number: str
    requester: str
    contact: str | None
    description: str
    received_at: str
    status: str
    deadlines: list[Deadline]
    items: int
    unreviewed: int
    marks: dict[str, int]
    redactions: int
    productions: list[ProductionOut]


class RequestIn(BaseModel):
    requester: str = Field(min_length=1, max_length=500)
    received: datetime = Field(description="When it arrived, with the UTC offset of the "
                               "agency's local time: 2026-11-04T10:30-08:00.")
    description: str = Field(min_length=1, max_length=20_000)
    contact: str | None = Field(None, max_length=500)


class Explanation(BaseModel):
    lines: list[str]
    detail: dict[str, Any]


class LogEntry(BaseModel):
    at: str
    actor: str
    action: str
    details: dict[str, Any]


class CollectedItem(BaseModel):
    item: int
    source: str
    mark: str | None
    exemption: str | None
    citation: str | None
    redactions: int


class CollectIn(BaseModel):
    items: list[RecordId] = Field(default_factory=list, max_length=10_000)
    query: str | None = Field(None, max_length=2000)
    all_versions: bool = False


class Added(BaseModel):
    added: int


class MarkIn(BaseModel):
    items: list[RecordId] = Field(min_length=1, max_length=10_000)
    mark: str = Field(description="responsive, non_responsive or withheld")
    exemption: str | None = Field(None, max_length=500)
    citation: str | None = Field(None, max_length=500)


class StatusIn(BaseModel):
    status: str = Field(description=", ".join(s.value for s in RequestStatus))
    note: str = Field("", max_length=5000)


class Suggestion(BaseModel):
    key: str
    item: int
    category: str
    phrase: str
    decision: str


class DecisionIn(BaseModel):
    keys: list[str] = Field(min_length=1, max_length=1000)
    accepted: bool
    reason: str | None = Field(None, max_length=1000)


class Decided(BaseModel):
    decided: int


def detail_of(detail: dict) -> RequestDetail:
    productions = [ProductionOut(**{k: p[k] for k in ProductionOut.model_fields})
                   for p in detail["productions"]]
    return RequestDetail(**{**detail, "productions": productions})


def collected(archive, request_id: int) -> list[CollectedItem]:  # noqa: ANN001
    state = archive.requests.state(request_id)
    found = []
    for item, source in sorted(state.items.items()):
        mark = state.marks.get(item)
        found.append(CollectedItem(item=item, source=source,
                                   mark=mark.mark.value if mark else None,
                                   exemption=mark.exemption if mark else None,
                                   citation=mark.citation if mark else None,
                                   redactions=len(state.redactions_of(item))))
    return found


@router.get("/requests", response_model=Page[RequestSummary],
            summary="Your agency's records requests, with status and next deadline")
def requests_list(request: Request, paging: Annotated[Paging, Depends()],
                  status: Annotated[str | None, Query(max_length=40)] = None) -> dict:
    principal = permit(request, Permission.MANAGE_REQUESTS, "records requests")
    listing = archive_of(request).casework.request_list(principal)
    if status:
        listing = [r for r in listing if r["status"] == status.replace("-", "_")]
    return page(request, paging, listing)


@router.post("/requests", response_model=RequestDetail, status_code=201,
             summary="Log a request; its due dates come from the adopted policy")
def requests_new(request: Request, body: RequestIn) -> RequestDetail:
    principal = permit(request, Permission.MANAGE_REQUESTS, "logging a records request")
    archive = archive_of(request)
    if body.received.tzinfo is None:
        raise InvalidInput("give the time the request was received with its UTC offset, "
                           "e.g. 2026-11-04T10:30-08:00", parameter="received")
    request_id = archive.requests.new(body.requester, body.received, body.description,
                                      principal.name, contact=body.contact or None)
    return detail_of(archive.requests.show(request_id))


@router.get("/requests/{request_id}", response_model=RequestDetail,
            summary="A request: deadlines (business days left), review counts, productions")
def requests_show(request: Request, request_id: PathId) -> RequestDetail:
    scoped(request, request_id)
    return detail_of(archive_of(request).requests.show(request_id))


@router.get("/requests/{request_id}/explanation", response_model=Explanation,
            summary="How each due date was computed: every day counted and skipped")
def requests_explain(request: Request, request_id: PathId) -> Explanation:
    scoped(request, request_id)
    explanation = archive_of(request).requests.explain(request_id)
    return Explanation(lines=explanation_lines(explanation),
                       detail=jsonable_encoder(asdict(explanation)))


@router.get("/requests/{request_id}/log", response_model=Page[LogEntry],
            summary="Everything done on a request, by whom and when")
def requests_log(request: Request, request_id: PathId,
                 paging: Annotated[Paging, Depends()]) -> dict:
    scoped(request, request_id)
    return page(request, paging, archive_of(request).requests.log(request_id))


@router.get("/requests/{request_id}/items", response_model=Page[CollectedItem],
            summary="The request's collection with each record's review mark")
def requests_items(request: Request, request_id: PathId,
                   paging: Annotated[Paging, Depends()]) -> dict:
    scoped(request, request_id)
    return page(request, paging, collected(archive_of(request), request_id))


@router.post("/requests/{request_id}/items", response_model=Added,
             summary="Collect records: by id, or every record a search finds")
def requests_collect(request: Request, request_id: PathId, body: CollectIn) -> Added:
    principal = scoped(request, request_id)
    if not (body.items or (body.query or "").strip()):
        raise InvalidInput("give the records' ids or a search query", parameter="query")
    added = archive_of(request).casework.collect(
        principal, request_id, items=body.items, query=(body.query or "").strip() or None,
        all_versions=body.all_versions)
    return Added(added=added)


@router.post("/requests/{request_id}/marks", response_model=Added,
             summary="Review marks: responsive, non_responsive, or withheld (exemption)")
def requests_mark(request: Request, request_id: PathId, body: MarkIn) -> Added:
    principal = scoped(request, request_id)
    archive_of(request).requests.mark(request_id, body.items, body.mark, principal.name,
                                      exemption=body.exemption or None,
                                      citation=body.citation or None)
    return Added(added=len(set(body.items)))


@router.post("/requests/{request_id}/status", response_model=RequestDetail,
             summary="Move the request to another status, with a note")
def requests_status(request: Request, request_id: PathId, body: StatusIn) -> RequestDetail:
    principal = scoped(request, request_id)
    archive = archive_of(request)
    archive.requests.set_status(request_id, body.status, principal.name, body.note)
    return detail_of(archive.requests.show(request_id))


@router.get("/requests/{request_id}/suggestions", response_model=Page[Suggestion],
            summary="Personal information found in third parties' records of the collection")
def requests_suggestions(request: Request, request_id: PathId,
                         paging: Annotated[Paging, Depends()]) -> dict:
    scoped(request, request_id)
    return page(request, paging, archive_of(request).requests.suggestions(request_id))


@router.post("/requests/{request_id}/decisions", response_model=Decided,
             summary="Accept suggested redactions (with the reason) or reject them")
def requests_decide(request: Request, request_id: PathId, body: DecisionIn) -> Decided:
    principal = scoped(request, request_id)
    decided = archive_of(request).requests.decide(request_id, body.keys, body.accepted,
                                                  principal.name, reason=body.reason)
    return Decided(decided=decided)
