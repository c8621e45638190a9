"""The account and people registry: the people of the caller's agency, and the registry
writes the command line has (accounts add, tag, close; people add, term, end-term,
link-account, acknowledge, train), behind the manage_registry permission. What is written
is the caller's agency's: another agency's account or person is the same 404 as a
missing one."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from civicarchive.errors import NotFound
from civicarchive.model.staff import Permission, Principal
from civicarchive.web.api.records import AccountOut
from civicarchive.web.deps import archive_of, permit, signed_in
from civicarchive.web.paging import MAX_ID, Id, Page, Paging, page

router = APIRouter(tags=["registry"])


class TermOut(BaseModel):
    id: int
    office: str
    starts_on: str
    ends_on: str | None
    recorded_at: str
    recorded_by: str


class AcknowledgementOut(BaseModel):
    id: int
    policy_id: int
    guide_sha256: str
    acknowledged_at: str
    recorded_by: str


class TrainingOut(BaseModel):
    id: int
    course: str
    completed_at: str
    recorded_by: str


class PersonOut(BaseModel):
    id: int
    agency_id: int
    name: str
    role: str
    added_at: str
    added_by: str
    terms: list[TermOut]
    accounts: list[int]
    acknowledgements: list[AcknowledgementOut]
    trainings: list[TrainingOut]


class NewAccount(BaseModel):
    platform: str = Field(max_length=50, examples=["x"])
    handle: str = Field(max_length=200, examples=["cityofexample"])
    classification: str = Field(examples=["agency"], description="agency, "
                                "official_professional, official_personal or employee")
    owner: str | None = Field(None, max_length=200)
    platform_id: str | None = Field(None, max_length=200)


class NewTag(BaseModel):
    tag: str = Field(max_length=100, examples=["council"])


class Closure(BaseModel):
    closed_at: AwareDatetime


class NewTerm(BaseModel):
    office: str = Field(max_length=100, description="A key of the policy's offices.")
    starts_on: date
    ends_on: date | None = None


class TermEnd(BaseModel):
    ends_on: date


class NewPerson(BaseModel):
    name: str = Field(max_length=200)
    role: str = Field(examples=["official"], description="official or staff")
    terms: list[NewTerm] = []
    accounts: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field([], max_length=100)


class Link(BaseModel):
    account_id: int = Field(ge=1, le=MAX_ID)


class Acknowledgement(BaseModel):
    at: AwareDatetime | None = None
    guide: str | None = Field(None, max_length=64, description="The SHA-256 of the guide "
                              "acknowledged; default: the one rendered from the policy.")


class NewTraining(BaseModel):
    course: str = Field(max_length=200)
    at: AwareDatetime | None = None


def person_out(person) -> PersonOut:  # noqa: ANN001
    return PersonOut(**person.as_dict())


def _manager(request: Request, what: str) -> Principal:
    return permit(request, Permission.MANAGE_REGISTRY, what)


def _agency_slug(request: Request, principal: Principal) -> str:
    archive = archive_of(request)
    agency_id = archive.access.agency_id(principal)
    return next(a.slug for a in archive.registry.agencies() if a.id == agency_id)


def _person(request: Request, principal: Principal, person_id: Id):  # noqa: ANN202
    archive = archive_of(request)
    return archive.access.person(principal, archive.people.person(person_id))


# -- reading -------------------------------------------------------------------------------

@router.get("/people", response_model=Page[PersonOut], summary="The people registry")
def people(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    archive = archive_of(request)
    found = archive.access.people(signed_in(request), archive.people.people())
    return page(request, paging, [person_out(p) for p in found])


@router.get("/people/{person_id}", response_model=PersonOut, summary="One person")
def person(request: Request, person_id: Id) -> PersonOut:
    return person_out(_person(request, signed_in(request), person_id))


# -- writing -------------------------------------------------------------------------------

@router.post("/accounts", response_model=AccountOut, status_code=201,
             summary="Register an account of your agency")
def add_account(request: Request, body: NewAccount) -> AccountOut:
    principal = _manager(request, "registering an account")
    account = archive_of(request).registry.add_account(
        body.platform, body.handle, body.classification, owner=body.owner,
        platform_id=body.platform_id, agency=_agency_slug(request, principal),
        actor=principal.name)
    return AccountOut(**account.as_dict())


@router.post("/accounts/{account_id}/tags", response_model=AccountOut,
             summary="Tag an account (the policy may assign series by tag)")
def tag_account(request: Request, account_id: Id, body: NewTag) -> AccountOut:
    principal = _manager(request, "tagging an account")
    archive = archive_of(request)
    account = archive.access.account(principal, account_id)
    archive.registry.tag_account(account.id, body.tag, principal.name)
    return AccountOut(**account.as_dict())


@router.post("/accounts/{account_id}/closure", response_model=AccountOut,
             summary="Record that an account was closed")
def close_account(request: Request, account_id: Id, body: Closure) -> AccountOut:
    principal = _manager(request, "recording an account's closure")
    archive = archive_of(request)
    account = archive.access.account(principal, account_id)
    archive.registry.close_account(account.id, body.closed_at, principal.name)
    return AccountOut(**account.as_dict())


@router.post("/people", response_model=PersonOut, status_code=201,
             summary="Add a person, with their terms and accounts")
def add_person(request: Request, body: NewPerson) -> PersonOut:
    principal = _manager(request, "adding a person")
    archive = archive_of(request)
    for account_id in body.accounts:
        archive.access.account(principal, account_id)
    added = archive.people.add(body.name, body.role, principal.name,
                               terms=[(t.office, t.starts_on, t.ends_on) for t in body.terms],
                               accounts=body.accounts,
                               agency=_agency_slug(request, principal))
    return person_out(added)


@router.post("/people/{person_id}/terms", response_model=PersonOut, status_code=201,
             summary="Record a term in one of the policy's offices")
def add_term(request: Request, person_id: Id, body: NewTerm) -> PersonOut:
    principal = _manager(request, "recording a term")
    archive = archive_of(request)
    found = _person(request, principal, person_id)
    archive.people.add_term(found.id, body.office, body.starts_on, body.ends_on,
                            principal.name)
    return person_out(archive.people.person(found.id))


@router.post("/people/{person_id}/terms/{term_id}/end", response_model=PersonOut,
             summary="Record that a term ended")
def end_term(request: Request, person_id: Id, term_id: Id, body: TermEnd) -> PersonOut:
    principal = _manager(request, "ending a term")
    archive = archive_of(request)
    found = _person(request, principal, person_id)
    if term_id not in {t.id for t in found.terms}:
        raise NotFound("term", term_id)
    archive.people.end_term(term_id, body.ends_on, principal.name)
    return person_out(archive.people.person(found.id))


@router.post("/people/{person_id}/accounts", response_model=PersonOut,
             summary="Link an account of your agency to a person")
def link_account(request: Request, person_id: Id, body: Link) -> PersonOut:
    principal = _manager(request, "linking an account")
    archive = archive_of(request)
    found = _person(request, principal, person_id)
    account = archive.access.account(principal, body.account_id)
    return person_out(archive.people.link_account(found.id, account.id, principal.name))


@router.post("/people/{person_id}/acknowledgements", response_model=PersonOut,
             status_code=201, summary="Record an acknowledgement of the officials' guide")
def acknowledge(request: Request, person_id: Id, body: Acknowledgement) -> PersonOut:
    principal = _manager(request, "recording an acknowledgement")
    archive = archive_of(request)
    found = _person(request, principal, person_id)
    archive.people.acknowledge(found.id, principal.name, at=body.at, guide=body.guide)
    return person_out(archive.people.person(found.id))


@router.post("/people/{person_id}/trainings", response_model=PersonOut, status_code=201,
             summary="Record a training course completed")
def train(request: Request, person_id: Id, body: NewTraining) -> PersonOut:
    principal = _manager(request, "recording training")
    archive = archive_of(request)
    found = _person(request, principal, person_id)
    archive.people.train(found.id, body.course, principal.name, at=body.at)
    return person_out(archive.people.person(found.id))


# -- the registry's gaps, and owners' acknowledgements (accounts report, acknowledge) -------

class ReportRow(BaseModel):
    account: int
    platform: str
    handle: str
    classification: str
    owner: str | None
    series: list[str]
    records: int
    issues: list[str] = Field(description="What is missing: an owner, a current "
                              "acknowledgement, any captured record, a record series")


class OwnerAcknowledgement(BaseModel):
    owner: str = Field(min_length=1, max_length=200, description="An account owner, as the "
                       "registry records it")
    at: AwareDatetime | None = None


@router.get("/registry/report", response_model=list[ReportRow],
            summary="Your agency's accounts missing an owner, a current acknowledgement of "
                    "the policy, or any captured record")
def registry_report(request: Request) -> list[dict]:
    principal = _manager(request, "the registry report")
    archive = archive_of(request)
    mine = {a.id for a in archive.access.accounts(principal)}
    return [row for row in archive.custody.accounts_report() if row["account"] in mine]


@router.post("/registry/acknowledgements", status_code=204,
             summary="Record an account owner's acknowledgement of the adopted policy")
def acknowledge_owner(request: Request, body: OwnerAcknowledgement) -> None:
    principal = _manager(request, "owners' acknowledgements")
    archive = archive_of(request)
    if body.owner not in {a.owner for a in archive.access.accounts(principal)}:
        raise NotFound("account owner", body.owner)  # another agency's, as a missing one
    archive.custody.acknowledge(body.owner, principal.name, body.at)
