"""Search and the record view.

The record view shows a record the way its platform did, through the one native-look
renderer (exports/native.py) that the production PDF uses too, with its thread, media,
version history as a diff, deleted and hidden markers, and where it stands in the
ledger. Media files are served as archived: inline only for images, video and audio
(never SVG), anything else as an attachment, never sniffed.

Search snippets are plain text; their highlights are offsets into it. The page splits
the snippet at those offsets and the template escapes every piece, so archived text
never reaches the page as markup."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from civicarchive.errors import InvalidInput, ProofError
from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit
from civicarchive.web.paging import Id, Paging
from civicarchive.web.ui import render

router = APIRouter()

FACETS = (("platform", "Platform"), ("kind", "Kind"), ("account", "Account"))
FACET_AT_ONCE = 2000  # matches counted by facet without being asked
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


# -- search ----------------------------------------------------------------------------

@router.get("/search")
def search(request: Request, paging: Annotated[Paging, Depends()],
           q: Annotated[str, Query(max_length=2000)] = "", facets: bool = False) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "searching records")
    archive = archive_of(request)
    query = q.strip()
    found, error = None, None
    if query:
        try:
            found = archive.access.search(principal, query, limit=paging.limit,
                                          offset=paging.offset, facets=facets)
            # Facets are a second pass over every match: counted on the first page, at
            # once when the matches are few, on request (a link) when they are many.
            if not facets and paging.offset == 0 and 0 < found.total <= FACET_AT_ONCE:
                found = archive.access.search(principal, query, limit=paging.limit,
                                              offset=0, facets=True)
        except InvalidInput as problem:
            error = str(problem)
    hits = [{"hit": h, "pieces": marked(h.snippet, h.highlights)}
            for h in (found.hits if found else [])]
    following = paging.offset + paging.limit
    return render(request, "search.html", {
        "title": f"Search: {query}" if query else "Search", "q": query, "error": error,
        "results": found, "hits": hits, "offset": paging.offset,
        "facets": _facet_links(query, found.facets) if found else [],
        "count_facets": "/search?" + urlencode({"q": query, "facets": "true"})
        if found and not found.facets and found.total and not paging.offset else None,
        "previous": _search_link(query, paging.offset - paging.limit, paging.limit)
        if found and paging.offset else None,
        "next": _search_link(query, following, paging.limit)
        if found and following < found.total else None},
        status_code=400 if error else 200)


def marked(snippet: str, highlights) -> list[tuple[str, bool]]:  # noqa: ANN001
    """The snippet as (text, highlighted) pieces, split at the highlight offsets;
    offsets outside the snippet or overlapping an earlier one are ignored."""
    pieces, at = [], 0
    for start, end in sorted(highlights):
        start, end = max(start, at), min(end, len(snippet))
        if start >= end:
            continue
        if start > at:
            pieces.append((snippet[at:start], False))
        pieces.append((snippet[start:end], True))
        at = end
    if at < len(snippet):
        pieces.append((snippet[at:], False))
    return pieces


def _facet_links(query: str, facets: dict[str, dict[str, int]]) -> list[dict]:
    groups = []
    for key, label in FACETS:
        values = facets.get(key) or {}
        entries = []
        for value, count in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
            term = f"{key}:{_quoted(str(value))}"
            applied = term in query.split()
            entries.append({"value": value, "count": count, "applied": applied,
                            "href": None if applied else _search_link(f"{query} {term}", 0,
                                                                      None)})
        if entries:
            groups.append({"key": key, "label": label, "entries": entries})
    return groups


def _quoted(value: str) -> str:
    return f'"{value}"' if re.search(r'[\s"]', value) else value


def _search_link(query: str, offset: int, limit: int | None) -> str:
    params = {"q": query}
    if offset > 0:
        params["offset"] = offset
    if limit:
        params["limit"] = limit
    return "/search?" + urlencode(params)


# -- the record view ---------------------------------------------------------------------

@router.get("/records/native.css")
def native_css() -> Response:
    from civicarchive.exports.native import stylesheet
    return Response(stylesheet(), media_type="text/css",
                    headers={"cache-control": "public, max-age=3600"})


@router.get("/records/{item_id}")
def record(request: Request, item_id: Id) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "records")
    archive = archive_of(request)
    found = archive.viewing.record(principal, item_id)
    from civicarchive.exports.native import render_history, render_post
    latest = found.versions[-1] if found.versions else None
    return render(request, "record.html", {
        "title": f"Record {found.item.id}: {found.account.platform} @{found.account.handle}",
        "page": found, "card": render_post(found.post, heading_level=2),
        # (shown only for a record captured more than once: a diff of every word)
        "history": render_history(found.history, heading_level=3)
        if len(found.versions) > 1 else "",
        "latest": latest, "verify": principal.can(Permission.VERIFY),
        "standing": found.standing})


@router.get("/records/{item_id}/versions/{version_id}/proof")
def proof_file(request: Request, item_id: Id, version_id: Id) -> Response:
    """The inclusion proof JSON file as `archive.evidence.proof` makes it."""
    principal = permit(request, Permission.VERIFY, "proofs")
    archive = archive_of(request)
    if archive.access.version_item(principal, version_id).id != item_id:
        archive.access.item(principal, item_id)  # a 404 for an id not theirs, or missing
        raise InvalidInput(f"version {version_id} is not a version of record {item_id}: "
                           "open the record to find its versions", parameter="version")
    found = archive.viewing.proof(principal, version_id)
    return Response(orjson.dumps(found), media_type="application/json", headers={
        "content-disposition": f'attachment; filename="proof-version-{version_id}.json"'})


@router.get("/records/{item_id}/versions/{version_id}/verify")
def verify(request: Request, item_id: Id, version_id: Id) -> Response:
    """The proof checked here as a third party would check it offline."""
    principal = permit(request, Permission.VERIFY, "proofs")
    archive = archive_of(request)
    if archive.access.version_item(principal, version_id).id != item_id:
        archive.access.item(principal, item_id)
        raise InvalidInput(f"version {version_id} is not a version of record {item_id}",
                           parameter="version")
    try:
        result, problem = archive.viewing.checked_proof(principal, version_id), None
    except ProofError as error:
        result, problem = None, str(error)
    return render(request, "verify.html", {
        "title": f"Proof of version {version_id}", "item_id": item_id,
        "version_id": version_id, "result": result, "problem": problem})


@router.get("/records/{item_id}/media/{name:path}")
def media(request: Request, item_id: Id, name: str) -> Response:
    principal = permit(request, Permission.READ_RECORDS, "records")
    found = archive_of(request).viewing.media(principal, item_id, name)
    disposition = "inline" if found.inline else "attachment"
    safe = _SAFE_FILENAME.sub("_", found.name).strip("._") or "media"
    # Anything else as bytes: with its archived type, a file here would be a script or a
    # stylesheet of this site (text/ecmascript, text/css) that script-src 'self' admits.
    media_type = found.media_type if found.inline else "application/octet-stream"
    return Response(found.data, media_type=media_type, headers={
        "content-disposition": f"{disposition}; filename=\"{safe}\"; "
                               f"filename*=UTF-8''{quote(found.name, safe='')}",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "private, max-age=300"})

