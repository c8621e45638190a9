"""The account and people registry: the agency's accounts with their classification,
records and capture health; one account's records, a page at a time; the people
registry (terms, linked accounts, acknowledgements, training); and the forms for the
common writes (register an account, link an account to a person)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission, Principal
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import MAX_ID, Id, Paging
from civicarchive.web.ui import render

router = APIRouter()

CLASSIFICATIONS = (("agency", "Agency account"),
                   ("official_professional", "Official's professional account"),
                   ("official_personal", "Official's personal account used for business"),
                   ("employee", "Employee's account used for agency business"))
PLATFORMS = ("x", "facebook", "instagram", "mastodon", "bluesky", "youtube", "feed")


def _accounts_page(request: Request, principal: Principal, form: dict | None = None,
                   error: str | None = None, status: int = 200) -> Response:
    archive = archive_of(request)
    accounts = archive.access.accounts(principal)
    counts = archive.registry.item_counts(principal.can(Permission.READ_MESSAGES))
    health = {s.account_id: s for s in archive.capturing.status()}
    linked = archive.people.account_people()
    people = {p.id: p for p in archive.access.people(principal, archive.people.people())}
    rows = [{"account": a, "records": counts.get(a.id, 0), "health": health.get(a.id),
             "person": people.get(linked.get(a.id))} for a in accounts]
    return render(request, "accounts.html", {
        "title": "Accounts", "rows": rows,
        "manage": principal.can(Permission.MANAGE_REGISTRY),
        "classifications": CLASSIFICATIONS, "platforms": PLATFORMS,
        "form": form or {"platform": "x", "handle": "", "classification": "agency",
                         "owner": ""},
        "error": error}, status_code=status)


@router.get("/accounts")
def accounts(request: Request) -> Response:
    return _accounts_page(request, permit(request, Permission.READ_RECORDS, "the registry"))


@router.post("/accounts")
def add_account(request: Request, platform: Annotated[str, Form(max_length=50)],
                handle: Annotated[str, Form(max_length=200)],
                classification: Annotated[str, Form(max_length=40)],
                owner: Annotated[str, Form(max_length=200)] = "") -> Response:
    principal = permit(request, Permission.MANAGE_REGISTRY, "registering an account")
    archive = archive_of(request)
    agency_id = archive.access.agency_id(principal)
    slug = next(a.slug for a in archive.registry.agencies() if a.id == agency_id)
    try:
        account = archive.registry.add_account(platform, handle.strip(), classification,
                                               owner=owner.strip() or None, agency=slug,
                                               actor=principal.name)
    except InvalidInput as error:
        form = {"platform": platform, "handle": handle, "classification": classification,
                "owner": owner}
        return _accounts_page(request, principal, form, str(error), status=400)
    return RedirectResponse(f"/accounts/{account.id}", status_code=303)


@router.get("/accounts/{account_id}")
def account(request: Request, account_id: Id, paging: Annotated[Paging, Depends()]
            ) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "the registry")
    archive = archive_of(request)
    found = archive.access.account(principal, account_id)
    records, total = archive.viewing.account_records(principal, found.id, paging.limit,
                                                     paging.offset)
    health = next((s for s in archive.capturing.status() if s.account_id == found.id), None)
    person_id = archive.people.account_people().get(found.id)
    people = archive.access.people(principal, archive.people.people())
    person = next((p for p in people if p.id == person_id), None)
    following = paging.offset + paging.limit
    return render(request, "account.html", {
        "title": f"{found.platform} @{found.handle}", "account": found, "health": health,
        "person": person, "records": [(item, _excerpt(content)) for item, content in records],
        "total": total, "offset": paging.offset,
        "tags": sorted(archive.registry.account_tags().get(found.id, ())),
        "previous": _page_link(found.id, paging.offset - paging.limit, paging.limit)
        if paging.offset else None,
        "next": _page_link(found.id, following, paging.limit) if following < total else None})


def _page_link(account_id: int, offset: int, limit: int) -> str:
    return f"/accounts/{account_id}?" + urlencode({"offset": max(offset, 0), "limit": limit})


def _excerpt(content: dict | None, length: int = 140) -> str:
    if content is None:
        return "(content purged by disposition)"
    text = " ".join(str(content.get("text") or content.get("title") or
                        content.get("file") or "").split())
    return text if len(text) <= length else text[:length - 1] + "…"


@router.get("/people")
def people(request: Request) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "the people registry")
    archive = archive_of(request)
    found = archive.access.people(principal, archive.people.people())
    return render(request, "people.html", {"title": "People", "people": found})


def _person_page(request: Request, principal: Principal, person_id: Id,
                 error: str | None = None, status: int = 200) -> Response:
    archive = archive_of(request)
    person = archive.access.person(principal, archive.people.person(person_id))
    accounts = {a.id: a for a in archive.access.accounts(principal)}
    linked = archive.people.account_people()
    return render(request, "person.html", {
        "title": person.name, "person": person,
        "linked": [accounts[i] for i in person.accounts if i in accounts],
        "standing": archive.people.standing(person),
        "manage": principal.can(Permission.MANAGE_REGISTRY),
        "linkable": [a for a in accounts.values() if linked.get(a.id) != person.id],
        "error": error}, status_code=status)


@router.get("/people/{person_id}")
def person(request: Request, person_id: Id) -> Response:
    return _person_page(request, permit(request, Permission.READ_RECORDS,
                                        "the people registry"), person_id)


@router.post("/people/{person_id}/accounts")
def link_account(request: Request, person_id: Id,
                 account_id: Annotated[int, Form(ge=1, le=MAX_ID)]) -> Response:
    principal = permit(request, Permission.MANAGE_REGISTRY, "linking an account")
    archive = archive_of(request)
    found = archive.access.person(principal, archive.people.person(person_id))
    account = archive.access.account(principal, account_id)
    try:
        archive.people.link_account(found.id, account.id, principal.name)
    except InvalidInput as error:
        return _person_page(request, principal, found.id, str(error), status=400)
    return RedirectResponse(f"/people/{found.id}", status_code=303)
