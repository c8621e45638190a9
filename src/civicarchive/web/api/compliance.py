"""Compliance of officials' accounts (the state-action assessment of each post, public
business on personal accounts, people's duties) and the alerts the archive raised, with
acknowledging them. Scoped to the caller's agency; an official sees their own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from civicarchive.app.oversight import ACK_PERMISSIONS
from civicarchive.model.staff import Permission
from civicarchive.web.api.moderation import PROBLEMS, PathId, QueryId, oversight_of
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Page, Paging, page

router = APIRouter(tags=["compliance"], responses=PROBLEMS)


class Span(BaseModel):
    start: int
    end: int
    text: str


class ReasonOut(BaseModel):
    factor: str
    weight: float
    explanation: str
    evidence: list[Span]


class StateActionOut(BaseModel):
    result: str = Field(description="likely state action, unclear or likely personal "
                        "(Lindke v. Freed, 2024)")
    office: str | None
    matter: str | None
    citation: str | None
    purports: list[str]
    reasons: list[ReasonOut]


class PartOut(BaseModel):
    kind: str
    points: float
    explanation: str
    evidence: list[Span]


class BusinessOut(BaseModel):
    public_business: bool
    score: float
    parts: list[PartOut]
    nearest_agency_post: Any = None
    similarity: float | None


class AssessmentOut(BaseModel):
    item_id: int
    account_id: int
    native_id: str
    kind: str
    url: str | None
    created_at: str | None
    first_seen_at: str
    deleted: bool
    text: str
    handle: str
    platform: str
    classification: str
    person: str | None
    person_id: int | None
    offices: list[str]
    state_action: StateActionOut
    public_business: BusinessOut
    series: list[str]


class FlaggedOut(BaseModel):
    item_id: int
    account: int
    handle: str
    platform: str
    person: str | None
    url: str | None
    created_at: str | None
    deleted: bool
    text: str
    score: float
    reasons: list[PartOut]
    series: list[str]
    state_action: str


class UnlinkedOut(BaseModel):
    account: int
    handle: str
    classification: str
    owner: str | None


class DutyOut(BaseModel):
    status: str
    detail: str
    last: str | None


class PersonDueOut(BaseModel):
    person: int
    name: str
    role: str
    offices: list[str]
    acknowledgement: DutyOut
    training: DutyOut


class ReportOut(BaseModel):
    public_business: list[FlaggedOut]
    unlinked_accounts: list[UnlinkedOut]
    people: list[PersonDueOut] = Field(description="People whose acknowledgement of the "
                                       "guide or training is due")
    similarity: str


class AckOut(BaseModel):
    at: str
    by: str
    note: str | None


class AlertOut(BaseModel):
    id: int
    at: str
    kind: str
    account_id: int | None
    message: str
    details: dict[str, Any]
    acknowledged: AckOut | None


class AckIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


@router.get("/compliance/assessments", response_model=Page[AssessmentOut],
            summary="The state-action assessment and public business of officials' posts")
def assessments(request: Request, paging: Annotated[Paging, Depends()],
                account_id: QueryId = None) -> dict:
    principal = permit(request, Permission.READ_RECORDS, "compliance")
    return page(request, paging, oversight_of(request).assessments(principal, account_id))


@router.get("/compliance/report", response_model=ReportOut,
            summary="Public business flagged, unlinked accounts, people's duties due")
def report(request: Request) -> dict:
    principal = permit(request, Permission.READ_RECORDS, "compliance")
    return oversight_of(request).compliance_report(principal)


@router.get("/alerts", response_model=Page[AlertOut], summary="Alerts, newest first")
def alerts(request: Request, paging: Annotated[Paging, Depends()],
           open_only: Annotated[bool, Query(description="Only those not acknowledged")] = False,
           kind: Annotated[str | None, Query(max_length=64)] = None) -> dict:
    principal = permit(request, Permission.READ_RECORDS, "alerts")
    return page(request, paging, oversight_of(request).alerts(principal, open_only, kind))


@router.get("/alerts/{alert_id}", response_model=AlertOut, summary="One alert")
def alert(request: Request, alert_id: PathId) -> dict:
    principal = permit(request, Permission.READ_RECORDS, "alerts")
    return oversight_of(request).alert(principal, alert_id)


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut,
             summary="Acknowledge an alert, with a note")
def ack(request: Request, alert_id: PathId, body: AckIn) -> dict:
    return acknowledge(request, alert_id, body.note)


def acknowledge(request: Request, alert_id: int, note: str | None) -> dict:
    """Acknowledge, once the caller's role answers for the alert's kind (denials audited)."""
    principal = permit(request, Permission.READ_RECORDS, "alerts")
    oversight = oversight_of(request)
    kind = oversight.alert(principal, alert_id)["kind"]
    needed = ACK_PERMISSIONS.get(kind.split(".")[0], Permission.MANAGE_REGISTRY)
    permit(request, needed, f"acknowledging a {kind} alert")
    return oversight.ack(principal, alert_id, note)


class WarningOut(BaseModel):
    action: str
    finding: str
    message: str
    suggestion: str | None
    reasons: list[ReasonOut]


class MonitorOut(BaseModel):
    alerts: list[int] = Field(description="The new alerts of your agency")


@router.get("/items/{item_id}/restriction-warnings", response_model=dict[str, WarningOut | None],
            summary="Before blocking a commenter or deleting a comment on or under this post: "
                    "the state-action warning for each (null: none)")
def restriction_warnings(request: Request, item_id: PathId) -> dict:
    principal = permit(request, Permission.READ_RECORDS, "state-action warnings")
    return oversight_of(request).warnings(principal, item_id)


@router.post("/compliance/monitor", response_model=MonitorOut,
             summary="Record an alert for each finding of the compliance report and the record "
                     "monitors not alerted before")
def monitor(request: Request) -> MonitorOut:
    principal = permit(request, Permission.OPERATE, "the compliance monitor")
    oversight = oversight_of(request)
    new = set(archive_of(request).compliance.monitor(principal.name))
    return MonitorOut(alerts=sorted(a["id"] for a in oversight.alerts(principal)
                                    if a["id"] in new))
