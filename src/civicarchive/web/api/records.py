"""Accounts, records, their versions and search: what a signed-in user may see."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit, signed_in
from civicarchive.web.paging import Id, Page, Paging, next_link, page

router = APIRouter(tags=["records"])


class AccountOut(BaseModel):
    id: int
    agency_id: int
    platform: str
    handle: str
    platform_id: str | None
    owner: str | None
    classification: str
    registered_at: str
    registered_by: str


class VersionOut(BaseModel):
    id: int
    item_id: int
    event: str
    observed_at: str
    recorded_at: str
    content_sha256: str
    raw_sha256: str
    source: str
    ledger_index: int


class ItemOut(BaseModel):
    id: int
    account_id: int
    native_id: str
    kind: str
    parent_native_id: str | None
    author: str | None
    url: str | None
    created_at: str | None
    first_seen_at: str
    versions: list[VersionOut]
    content: dict[str, Any] | None  # the latest version's; None once purged


class HitOut(BaseModel):
    version: int
    item: int
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    platform: str
    account: str
    kind: str
    author: str | None
    created_at: str | None
    url: str | None
    event: str
    observed_at: str


class SearchPage(Page[HitOut]):
    query: str
    engine: str
    facets: dict[str, dict[str, int]]


def _version(v) -> VersionOut:  # noqa: ANN001
    return VersionOut(id=v.id, item_id=v.item_id, event=v.event.value,
                      observed_at=v.observed_at, recorded_at=v.recorded_at,
                      content_sha256=v.content_sha256, raw_sha256=v.raw_sha256,
                      source=v.source, ledger_index=v.ledger_index)


@router.get("/accounts", response_model=Page[AccountOut],
            summary="The accounts whose records you see")
def accounts(request: Request, paging: Annotated[Paging, Depends()]) -> dict:
    archive = archive_of(request)
    found = [AccountOut(**a.as_dict()) for a in archive.access.accounts(signed_in(request))]
    return page(request, paging, found)


@router.get("/accounts/{account_id}", response_model=AccountOut, summary="One account")
def account(request: Request, account_id: Id) -> AccountOut:
    found = archive_of(request).access.account(signed_in(request), account_id)
    return AccountOut(**found.as_dict())


@router.get("/items/{item_id}", response_model=ItemOut,
            summary="A record with every version and its latest content")
def item(request: Request, item_id: Id) -> ItemOut:
    archive = archive_of(request)
    found = archive.access.item(signed_in(request), item_id)
    history = archive.reading.history(item_id)
    return ItemOut(id=found.id, account_id=found.account_id, native_id=found.native_id,
                   kind=found.kind.value, parent_native_id=found.parent_native_id,
                   author=found.author, url=found.url, created_at=found.created_at,
                   first_seen_at=found.first_seen_at,
                   versions=[_version(v) for v in history],
                   content=archive.reading.content(history[-1]) if history else None)


@router.get("/versions/{version_id}", response_model=VersionOut, summary="One version")
def version(request: Request, version_id: Id) -> VersionOut:
    archive = archive_of(request)
    archive.access.version_item(signed_in(request), version_id)
    return _version(archive.reading.version(version_id))


@router.get("/search", response_model=SearchPage,
            summary="Search records in the query language (docs/search.md)")
def search(request: Request, paging: Annotated[Paging, Depends()],
           q: Annotated[str, Query(max_length=2000, description="The query.")] = "",
           all_versions: bool = False, facets: bool = False) -> SearchPage:
    archive = archive_of(request)
    found = archive.access.search(signed_in(request), q, all_versions=all_versions,
                                  limit=paging.limit, offset=paging.offset, facets=facets)
    return SearchPage(query=found.query, engine=found.engine, total=found.total,
                      offset=found.offset, limit=paging.limit,
                      next=next_link(request, paging, found.total),
                      items=[HitOut(**asdict(h)) for h in found.hits], facets=found.facets)


# -- threads, histories and proofs (webrecords) ---------------------------------------------

class ThreadEntryOut(BaseModel):
    id: int
    account_id: int
    native_id: str
    kind: str
    parent_native_id: str | None
    author: str | None
    url: str | None
    created_at: str | None
    first_seen_at: str
    content: dict[str, Any] | None  # the latest version's; None once purged


class HistoryEntryOut(VersionOut):
    content: dict[str, Any] | None  # None once purged


@router.get("/items/{item_id}/thread", response_model=Page[ThreadEntryOut],
            summary="The records directly under a record (comments, replies), oldest first")
def thread(request: Request, item_id: Id, paging: Annotated[Paging, Depends()]) -> dict:
    found, total = archive_of(request).viewing.thread(signed_in(request), item_id,
                                                      paging.limit, paging.offset)
    items = [ThreadEntryOut(id=i.id, account_id=i.account_id, native_id=i.native_id,
                            kind=i.kind.value, parent_native_id=i.parent_native_id,
                            author=i.author, url=i.url, created_at=i.created_at,
                            first_seen_at=i.first_seen_at, content=content)
             for i, content in found]
    return {"items": items, "total": total, "offset": paging.offset, "limit": paging.limit,
            "next": next_link(request, paging, total)}


@router.get("/items/{item_id}/history", response_model=Page[HistoryEntryOut],
            summary="A record's versions in observed order, each with its content")
def history(request: Request, item_id: Id, paging: Annotated[Paging, Depends()]) -> dict:
    found, total = archive_of(request).viewing.history(signed_in(request), item_id,
                                                       paging.limit, paging.offset)
    items = [HistoryEntryOut(**_version(v).model_dump(), content=content)
             for v, content in found]
    return {"items": items, "total": total, "offset": paging.offset, "limit": paging.limit,
            "next": next_link(request, paging, total)}


class ProofCheckpoint(BaseModel):
    body: str
    signature: str


class ProofOut(BaseModel):
    """docs/proof-format.md: check it offline with `civicarchive verify-proof`."""

    format: str
    version_id: int
    leaf_index: int
    entry: str
    content: str | None
    tree_size: int
    audit_path: list[str]
    checkpoint: ProofCheckpoint
    public_key: str


@router.get("/versions/{version_id}/proof", response_model=ProofOut,
            summary="The inclusion proof of a version (docs/proof-format.md)")
def proof(request: Request, version_id: Id) -> Response:
    principal = permit(request, Permission.VERIFY, "proofs")
    found = archive_of(request).viewing.proof(principal, version_id)
    return Response(orjson.dumps(found), media_type="application/json")
