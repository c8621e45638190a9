"""The moderation queue with the engine's findings, the moderation log (acting on a
comment adds to it), stance labels and the viewpoint-neutrality report. Everything is
of the caller's agency; direct messages are never among the comments moderated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from civicarchive.app.oversight import Oversight
from civicarchive.errors import NotFound
from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Page, Paging, page
from civicarchive.web.problems import RESPONSES

# The errors every route of these areas may answer, so the OpenAPI document names them:
# the API's shared declaration (problem+json with its schema, web/problems.py).
PROBLEMS = RESPONSES
router = APIRouter(tags=["moderation"], responses=PROBLEMS)
ID_MAX = 2**62  # ids are 64-bit integers in the store
PathId = Annotated[int, Path(ge=0, le=ID_MAX)]
QueryId = Annotated[int | None, Query(ge=0, le=ID_MAX, description="Only this account's")]
Action = Literal["hide", "unhide", "delete", "block", "unblock"]


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class FindingOut(BaseModel):
    category: str
    name: str
    confidence: float
    spans: list[SpanOut]
    clause: str | None = Field(description="The policy's clause; null: the policy adopts no "
                               "such category")
    footing: str = Field(description="The legal footing, with the case law cited")
    action: str
    explanation: str


class GuardedOut(BaseModel):
    speech: str
    spans: list[SpanOut]
    risk: str
    explanation: str
    footing: str


class VerdictOut(BaseModel):
    categories: list[str]
    action: str = Field(description="none, review, hide or remove: the engine recommends")
    protected: bool = Field(description="The protected-speech guard holds: do not hide or "
                            "delete")
    findings: list[FindingOut]
    guarded: list[GuardedOut]
    reason: str


class WarningOut(BaseModel):
    action: str
    finding: str
    message: str
    suggestion: str | None
    reasons: list[dict[str, Any]]


class LastAction(BaseModel):
    id: int
    action: str
    clause: str | None
    outcome: str
    acted_at: str
    acted_by: str


class QueueItem(BaseModel):
    item_id: int
    account_id: int
    handle: str
    native_id: str
    kind: str
    url: str | None
    created_at: str | None
    first_seen_at: str
    deleted: bool
    text: str | None
    author: str | None
    post_id: int | None
    post: str | None = Field(description="The text of the post the comment answers")
    verdict: VerdictOut
    last_action: LastAction | None
    warnings: dict[str, WarningOut | None] = Field(
        description="The state-action warning before a block or a deletion (null: none)")


class QueuePage(Page[QueueItem]):
    total: int | None = Field(description="How many there are; null while finding this page "
                              "left comments unjudged (the queue judges only as far as a "
                              "page needs): follow `next`")


class LoggedVerdict(BaseModel):
    categories: list[str]
    action: str
    protected: bool
    clauses: list[str]


class ActionOut(BaseModel):
    id: int
    account_id: int
    item_id: int
    version_id: int
    action: str
    clause: str | None
    reason: str | None
    author: str | None
    verdict: LoggedVerdict
    outcome: str
    outcome_detail: str
    warning: WarningOut | None
    acted_at: str
    acted_by: str


class ActedOut(ActionOut):
    alerts: list[int] = Field(description="Alerts the action raised")


class ActIn(BaseModel):
    item_id: int = Field(ge=0, le=2**62)
    action: Action
    clause: str | None = Field(None, max_length=100,
                               description="The policy's moderation category key relied on")
    reason: str | None = Field(None, max_length=5000)
    on_platform: bool = Field(True, description="Carry it out on the platform where its "
                              "API allows; false: record an action taken by hand")


class LabelIn(BaseModel):
    item_id: int = Field(ge=0, le=2**62)
    stance: Literal["for", "against", "neutral"]


class LabelOut(BaseModel):
    id: int
    item_id: int
    stance: str
    labelled_at: str
    labelled_by: str


class Rate(BaseModel):
    comments: int
    removed: int
    rate: float | None
    items: list[int]


class Brief(BaseModel):
    action_id: int
    action: str
    item_id: int
    version_id: int
    clause: str | None
    reason: str | None
    author: str | None
    by: str
    at: str
    warning: str | None


class Figures(BaseModel):
    actions_by_category: dict[str, dict[str, Any]]
    protected: Rate
    others: Rate
    uncategorised: list[Brief]
    blocks: list[Brief]
    unblocks: list[Brief]
    unjudged_removals: list[int]


class AccountFigures(Figures):
    account: int
    handle: str | None


class ModeratorFigures(Figures):
    moderator: str
    accounts: list[int]


class StanceRow(BaseModel):
    category: str
    stances: dict[str, Rate]
    gap: float | None


class ReportOut(BaseModel):
    accounts: list[AccountFigures]
    moderators: list[ModeratorFigures]
    stance: list[StanceRow]
    meaning: dict[str, str]
    comments: int
    actions: int
    labelled: int


def oversight_of(request: Request) -> Oversight:
    return Oversight.of(archive_of(request))


def with_warnings(oversight: Oversight, principal, rows: list[dict]) -> list[dict]:  # noqa: ANN001
    """Each queue row with the state-action warnings of its post (worked out once a post)."""
    by_post: dict[int | None, dict] = {}
    for row in rows:
        if row["post_id"] not in by_post:
            by_post[row["post_id"]] = oversight.warnings(principal, row["item_id"])
        row["warnings"] = by_post[row["post_id"]]
    return rows


@router.get("/moderation/queue", response_model=QueuePage,
            summary="Comments awaiting review, with the engine's findings, newest first")
def queue(request: Request, paging: Annotated[Paging, Depends()],
          account_id: QueryId = None,
          everything: Annotated[bool, Query(description="Every comment, not only those "
                                            "the engine flags")] = False,
          acted: Annotated[bool, Query(description="Also the comments someone has acted "
                                       "on, each with its last action")] = False) -> dict:
    principal = permit(request, Permission.MODERATE, "the moderation queue")
    oversight = oversight_of(request)
    found = oversight.queue(principal, account_id, everything, acted, paging.offset,
                            paging.limit)
    following = paging.offset + paging.limit
    return {"items": with_warnings(oversight, principal, found["rows"]),
            "total": found["total"], "offset": paging.offset, "limit": paging.limit,
            "next": str(request.url.include_query_params(offset=following,
                                                         limit=paging.limit))
            if found["more"] else None}


@router.post("/moderation/actions", response_model=ActedOut, status_code=201,
             summary="Hide, unhide, delete, block or unblock, with the clause relied on")
def act(request: Request, body: ActIn) -> dict:
    principal = permit(request, Permission.MODERATE, "moderation actions")
    return oversight_of(request).act(principal, body.item_id, body.action, body.clause,
                                     body.reason, body.on_platform)


@router.get("/moderation/actions", response_model=Page[ActionOut],
            summary="The moderation log, newest first")
def log(request: Request, paging: Annotated[Paging, Depends()],
        account_id: QueryId = None, action: Action | None = None) -> dict:
    principal = permit(request, Permission.MODERATE, "the moderation log")
    return page(request, paging, oversight_of(request).log(principal, account_id, action))


@router.get("/moderation/actions/{action_id}", response_model=ActionOut,
            summary="One logged action")
def action(request: Request, action_id: PathId) -> dict:
    principal = permit(request, Permission.MODERATE, "the moderation log")
    found = [a for a in oversight_of(request).log(principal) if a["id"] == action_id]
    if not found:
        raise NotFound("moderation action", action_id)
    return found[0]


@router.get("/moderation/labels", response_model=Page[LabelOut],
            summary="The stance labels in force")
def labels(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    principal = permit(request, Permission.MODERATE, "stance labels")
    return page(request, paging, oversight_of(request).labels(principal))


@router.post("/moderation/labels", response_model=LabelOut, status_code=201,
             summary="Label a commenter's stance (for the viewpoint-neutrality report)")
def label(request: Request, body: LabelIn) -> dict:
    principal = permit(request, Permission.MODERATE, "stance labels")
    return oversight_of(request).label(principal, body.item_id, body.stance)


@router.get("/moderation/report", response_model=ReportOut,
            summary="The viewpoint-neutrality report")
def report(request: Request) -> dict:
    principal = permit(request, Permission.MODERATE, "the viewpoint-neutrality report")
    return oversight_of(request).report(principal)
