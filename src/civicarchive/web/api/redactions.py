"""Redactions of a request's records (words, a span of a version's text, media files,
the author's name, the handle, URLs) and undoing them; productions and their downloads.
Scoped as every request route is (casework.py): Permission.MANAGE_REQUESTS and the
caller's agency's requests only."""

from __future__ import annotations

import enum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Principal
from civicarchive.web import downloads
from civicarchive.web.api.casework import (MAX_ID, PROBLEMS, PathId, ProductionOut, RecordId,
                                           scoped)
from civicarchive.web.deps import archive_of
from civicarchive.web.paging import Page, Paging, page

router = APIRouter(tags=["requests"], responses=PROBLEMS)


class What(enum.StrEnum):
    TEXT = "text"            # a phrase, or start/end offsets of one version's text
    MEDIA = "media"          # a whole media file, by name
    AUTHOR = "author"        # the author's name, wherever the production shows it
    HANDLE = "handle"        # the handle the record is shown under
    PERMALINK = "permalink"  # the record's own URL
    URL = "url"              # one URL wherever the record holds it
    URLS = "urls"            # every URL in its text, and its permalink


class RedactionIn(BaseModel):
    item: RecordId
    what: What = What.TEXT
    reason: str = Field(min_length=1, max_length=1000,
                        description="The exemption and its citation.")
    phrase: str | None = Field(None, max_length=10_000)
    version: RecordId | None = None
    start: int | None = Field(None, ge=0, le=MAX_ID)
    end: int | None = Field(None, ge=0, le=MAX_ID)
    media: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=4000)


class RedactionOut(BaseModel):
    id: int
    item: int
    reason: str
    kind: str
    phrase: str | None = None
    media: str | None = None
    field: str | None = None
    url: str | None = None


class Created(BaseModel):
    id: int


class UnredactIn(BaseModel):
    why: str = Field(min_length=1, max_length=1000)


class ProduceIn(BaseModel):
    prefix: str | None = Field(None, max_length=31, description="Production number prefix, "
                               "e.g. CITY- (default: from the agency's name).")


class Produced(BaseModel):
    id: int
    pages: int
    numbers: list[str]
    items: int
    withheld: int
    redacted_versions: int
    unproven_versions: int
    capture_gaps: int
    manifest_sha256: str


def redact(archive, principal: Principal, request_id: int, body: RedactionIn) -> int:  # noqa: ANN001
    """Apply one redaction as the form or body asks; the redaction's id."""
    requests, actor, item, reason = archive.requests, principal.name, body.item, body.reason
    archive.access.item(principal, item)
    if body.what is What.AUTHOR:
        return requests.redact_author(request_id, item, reason, actor)
    if body.what is What.HANDLE:
        return requests.redact_handle(request_id, item, reason, actor)
    if body.what in (What.PERMALINK, What.URL, What.URLS):
        if body.what is What.URL and not (body.url or "").strip():
            raise InvalidInput("give the URL to redact", parameter="url")
        return requests.redact_url(request_id, item, reason, actor,
                                   url=body.url if body.what is What.URL else None,
                                   every=body.what is What.URLS)
    if body.what is What.MEDIA:
        if not body.media:
            raise InvalidInput("name the media file to withhold", parameter="media")
        return requests.redact(request_id, item, reason, actor, media=body.media)
    if body.start is not None or body.end is not None:
        if body.start is None or body.end is None or body.version is None:
            raise InvalidInput("a span needs the version and both its start and end",
                               parameter="start")
        return requests.redact(request_id, item, reason, actor, version=body.version,
                               span=(body.start, body.end))
    if not (body.phrase or "").strip():
        raise InvalidInput("give the words to redact, or select them in a version's text",
                           parameter="phrase")
    return requests.redact(request_id, item, reason, actor, phrase=body.phrase)


@router.get("/requests/{request_id}/redactions", response_model=Page[RedactionOut],
            summary="The redactions in force (they show the redacted words: staff only)")
def redactions_list(request: Request, request_id: PathId, paging: Annotated[Paging, Depends()],
                    item: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> dict:
    scoped(request, request_id)
    return page(request, paging, archive_of(request).requests.redactions(request_id, item))


@router.post("/requests/{request_id}/redactions", response_model=Created, status_code=201,
             summary="Redact words, a span, a media file, the author, the handle or URLs")
def redactions_add(request: Request, request_id: PathId, body: RedactionIn) -> Created:
    principal = scoped(request, request_id)
    return Created(id=redact(archive_of(request), principal, request_id, body))


@router.post("/requests/{request_id}/redactions/{redaction_id}/withdrawal",
             status_code=204, summary="Undo a redaction, with the reason (kept in the log)")
def redactions_undo(request: Request, request_id: PathId, redaction_id: PathId,
                    body: UnredactIn) -> Response:
    principal = scoped(request, request_id)
    archive_of(request).requests.unredact(request_id, redaction_id, body.why, principal.name)
    return Response(status_code=204)


@router.get("/requests/{request_id}/productions", response_model=Page[ProductionOut],
            summary="The request's productions")
def productions_list(request: Request, request_id: PathId,
                     paging: Annotated[Paging, Depends()]) -> dict:
    scoped(request, request_id)
    found = archive_of(request).requests.show(request_id)["productions"]
    return page(request, paging, [ProductionOut(**{k: p[k] for k in ProductionOut.model_fields})
                                  for p in found])


def produce(archive, principal: Principal, request_id: int, prefix: str | None) -> dict:  # noqa: ANN001
    return archive.productions.produce(request_id, principal.name, prefix=prefix or None,
                                       agency_id=principal.agency_id)


@router.post("/requests/{request_id}/productions", response_model=Produced, status_code=201,
             summary="Produce the responsive records: PDF, CSV, JSONL, WARC, BagIt")
def productions_add(request: Request, request_id: PathId, body: ProduceIn) -> Produced:
    principal = scoped(request, request_id, "producing records")
    result = produce(archive_of(request), principal, request_id, body.prefix)
    return Produced(**{k: result[k] for k in Produced.model_fields})


_PDF = {200: {"content": {"application/pdf": {}}, "description": "The production's PDF."}}
_ZIP = {200: {"content": {"application/zip": {}},
              "description": "The production folder, files as produced."}}


@router.get("/requests/{request_id}/productions/{production_id}/pdf",
            response_class=Response, responses=_PDF, summary="The production's PDF")
def productions_pdf(request: Request, request_id: PathId, production_id: PathId) -> Response:
    scoped(request, request_id)
    archive = archive_of(request)
    found = downloads.production(archive, request_id, production_id)
    return downloads.pdf_response(found, archive.requests.show(request_id)["number"])


@router.get("/requests/{request_id}/productions/{production_id}/zip",
            response_class=Response, responses=_ZIP,
            summary="The whole production folder as a zip")
def productions_zip(request: Request, request_id: PathId, production_id: PathId) -> Response:
    scoped(request, request_id)
    archive = archive_of(request)
    found = downloads.production(archive, request_id, production_id)
    return downloads.zip_response(found, archive.requests.show(request_id)["number"])
