"""Legal holds (Permission.MANAGE_HOLDS), retention and disposition batches
(Permission.MANAGE_RETENTION): everything `civicarchive holds ...` and `retention ...` do,
scoped to the caller's agency (app/casework.py): another agency's hold or batch answers
the same 404 as a missing one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from civicarchive.clock import format_time
from civicarchive.model.custody import Hold
from civicarchive.model.staff import Permission
from civicarchive.web.api.casework import PROBLEMS, PathId, RecordId
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Page, Paging, page

router = APIRouter(tags=["holds and retention"], responses=PROBLEMS)


class HoldOut(BaseModel):
    id: int
    name: str
    matter: str
    reason: str
    active: bool
    accounts: list[int] | None
    items: list[int] | None
    query: str | None
    start: str | None
    end: str | None
    created_at: str
    created_by: str
    released_at: str | None
    release_reason: str | None


class HoldIn(BaseModel):
    name: str = Field(min_length=1, max_length=500)
    matter: str = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=5000)
    query: str | None = Field(None, max_length=2000, description='Words, "phrases", -not.')
    items: list[RecordId] = Field(default_factory=list, max_length=10_000)
    accounts: list[RecordId] = Field(default_factory=list, max_length=1000,
                                description="None given: every account of your agency.")
    start: datetime | None = None
    end: datetime | None = None


class ReleaseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=5000)


class Created(BaseModel):
    id: int


class SeriesStatus(BaseModel):
    series: str
    records: int
    eligible_now: int
    held: int
    waiting: int
    trigger_pending: int
    disposed: int
    next_eligible: str | None


class HeldRecord(BaseModel):
    item: int
    series: str | None
    holds: list[int]


class BatchOut(BaseModel):
    id: int
    series: str
    policy: int
    created_at: str
    created_by: str
    items: list[int]
    approvals: list[tuple[str, str]]
    disposition: str | None = Field(description="What the adopted policy does with the "
                                    "series: destroy or transfer_to_state_archives.")
    transfers: list[dict[str, Any]] = Field(description="Transfer packages written of the "
                                            "batch for the State Archives, oldest first.")
    executed_at: str | None
    certificate: dict[str, Any] | None


class ExecuteIn(BaseModel):
    receipt: str | None = Field(None, max_length=500, description="For a transfer to the "
                                "State Archives: their receipt for the transfer package.")


class ReviewIn(BaseModel):
    series: str = Field(min_length=1, max_length=100)


class Reviewed(BaseModel):
    id: int | None = Field(description="The new batch; null when no record is eligible.")


def hold_out(hold: Hold, active: bool) -> HoldOut:
    scope = hold.scope
    return HoldOut(id=hold.id, name=hold.name, matter=hold.matter, reason=hold.reason,
                   active=active,
                   accounts=sorted(scope.accounts) if scope.accounts is not None else None,
                   items=sorted(scope.items) if scope.items is not None else None,
                   query=scope.query,
                   start=format_time(scope.start) if scope.start else None,
                   end=format_time(scope.end) if scope.end else None,
                   created_at=format_time(hold.created_at), created_by=hold.created_by,
                   released_at=format_time(hold.released_at) if hold.released_at else None,
                   release_reason=hold.release_reason)


@router.get("/holds", response_model=Page[HoldOut],
            summary="Your agency's legal holds, active and released")
def holds_list(request: Request, paging: Annotated[Paging, Depends()],
               active: bool | None = None) -> dict:
    principal = permit(request, Permission.MANAGE_HOLDS, "legal holds")
    casework = archive_of(request).casework
    found = [hold_out(h, casework.active(h)) for h in casework.holds(principal)]
    return page(request, paging, [h for h in found if active is None or h.active == active])


@router.post("/holds", response_model=Created, status_code=201,
             summary="Place a legal hold over your agency's records")
def holds_add(request: Request, body: HoldIn) -> Created:
    principal = permit(request, Permission.MANAGE_HOLDS, "placing a legal hold")
    hold_id = archive_of(request).casework.add_hold(
        principal, body.name, body.matter, body.reason, query=body.query, items=body.items,
        accounts=body.accounts, start=body.start, end=body.end)
    return Created(id=hold_id)


@router.get("/holds/{hold_id}", response_model=HoldOut, summary="One hold")
def holds_show(request: Request, hold_id: PathId) -> HoldOut:
    principal = permit(request, Permission.MANAGE_HOLDS, "legal holds")
    casework = archive_of(request).casework
    found = casework.hold(principal, hold_id)
    return hold_out(found, casework.active(found))


@router.post("/holds/{hold_id}/release", response_model=HoldOut,
             summary="Release a hold, with the reason")
def holds_release(request: Request, hold_id: PathId, body: ReleaseIn) -> HoldOut:
    principal = permit(request, Permission.MANAGE_HOLDS, "releasing a legal hold")
    casework = archive_of(request).casework
    casework.release_hold(principal, hold_id, body.reason)
    found = casework.hold(principal, hold_id)
    return hold_out(found, casework.active(found))


@router.get("/retention", response_model=Page[SeriesStatus],
            summary="Retention per record series over your agency's records")
def retention(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "retention")
    return page(request, paging, archive_of(request).casework.retention_status(principal))


@router.get("/retention/held", response_model=Page[HeldRecord],
            summary="Records a hold keeps from disposition, with the holds")
def retention_held(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "retention")
    return page(request, paging, archive_of(request).casework.held(principal))


@router.get("/disposition-batches", response_model=Page[BatchOut],
            summary="Your agency's disposition batches")
def batches(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "disposition")
    return page(request, paging, archive_of(request).casework.batches(principal))


@router.post("/disposition-batches", response_model=Reviewed, status_code=201,
             summary="Review: a batch of the series' eligible records not under hold")
def batches_review(request: Request, body: ReviewIn) -> Reviewed:
    principal = permit(request, Permission.MANAGE_RETENTION, "disposition review")
    return Reviewed(id=archive_of(request).casework.review(principal, body.series))


@router.get("/disposition-batches/{batch_id}", response_model=BatchOut, summary="One batch")
def batches_show(request: Request, batch_id: PathId) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "disposition")
    return archive_of(request).casework.batch(principal, batch_id)


@router.post("/disposition-batches/{batch_id}/approval", response_model=BatchOut,
             summary="Approve a batch (two people, when the policy asks)")
def batches_approve(request: Request, batch_id: PathId) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "approving a disposition")
    casework = archive_of(request).casework
    casework.approve(principal, batch_id)
    return casework.batch(principal, batch_id)


@router.post("/disposition-batches/{batch_id}/transfer-package", response_model=BatchOut,
             summary="Write an approved batch as an evidence package for the State Archives")
def batches_transfer(request: Request, batch_id: PathId) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "transferring a disposition")
    casework = archive_of(request).casework
    casework.transfer(principal, batch_id)
    return casework.batch(principal, batch_id)


@router.post("/disposition-batches/{batch_id}/execution", response_model=BatchOut,
             summary="Dispose of an approved batch and write its certificate")
def batches_execute(request: Request, batch_id: PathId, body: ExecuteIn | None = None
                    ) -> dict:
    principal = permit(request, Permission.MANAGE_RETENTION, "executing a disposition")
    casework = archive_of(request).casework
    casework.execute(principal, batch_id, receipt=body.receipt if body else None)
    return casework.batch(principal, batch_id)
