"""The audit log (read_audit), scoped to the caller's agency as app/auditing.py explains,
and the adopted policy as a structured document."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from civicarchive.errors import NotFound
from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Page, Paging, next_link

router = APIRouter(tags=["audit"])


class AuditEventOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    subject: str
    ledger_index: int
    scope: str                          # agency, or deployment (an event of no agency)
    details: dict[str, Any] | None      # None: withheld (deployment-wide, several agencies)


class AuditPageOut(Page[AuditEventOut]):
    complete: bool                      # False: the total counts only the newest events


class PolicySection(BaseModel):
    title: str
    blocks: list[dict[str, Any]]


class PolicyOut(BaseModel):
    policy_id: int
    title: str
    sections: list[PolicySection]


@router.get("/audit", response_model=AuditPageOut,
            summary="The audit log, newest first (your agency's events and the "
                    "deployment's)")
def audit(request: Request, paging: Annotated[Paging, Depends()],
          action: Annotated[str | None, Query(max_length=64, description="An action, or "
                                              "its first part (hold: hold.add...).")] = None,
          actor: Annotated[str | None, Query(max_length=200)] = None) -> AuditPageOut:
    principal = permit(request, Permission.READ_AUDIT, "the audit log")
    archive = archive_of(request)
    found = archive.auditing.events(archive.access.agency_id(principal), paging.limit,
                                    paging.offset, action=action, actor=actor)
    return AuditPageOut(items=[AuditEventOut(**vars(e)) for e in found.events],
                        total=found.total, offset=paging.offset, limit=paging.limit,
                        next=next_link(request, paging, found.total),
                        complete=found.complete)


@router.get("/policy", response_model=PolicyOut, summary="The adopted policy")
def policy(request: Request) -> PolicyOut:
    permit(request, Permission.READ_RECORDS, "the policy")
    document = archive_of(request).viewing.policy()
    if document is None:
        raise NotFound("policy", "adopted")
    return PolicyOut(policy_id=document.policy_id, title=document.title,
                     sections=[PolicySection(**s) for s in document.sections])


class PolicyIn(BaseModel):
    text: str = Field(min_length=1, max_length=1_000_000,
                      description="The policy file's YAML (docs/policy.md)")
    name: str = Field("policy.yaml", min_length=1, max_length=200,
                      description="The file's name, for the audit log and problem messages")


class AdoptedOut(BaseModel):
    policy_id: int
    sha256: str


@router.post("/policy", response_model=AdoptedOut, status_code=201,
             summary="Adopt a policy file: retention, holds, moderation and deadlines follow "
                     "it from now on (checked first: a 400 lists every problem)")
def adopt(request: Request, body: PolicyIn) -> AdoptedOut:
    principal = permit(request, Permission.MANAGE_POLICY, "adopting a policy")
    archive = archive_of(request)
    if len(archive.registry.agencies()) > 1:  # the one policy is every agency's
        principal = permit(request, Permission.OPERATE, "adopting the deployment's policy")
    policy_id = archive.custody.adopt_policy_text(body.text, body.name, principal.name)
    return AdoptedOut(policy_id=policy_id,
                      sha256=hashlib.sha256(body.text.encode()).hexdigest())
