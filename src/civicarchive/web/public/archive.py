"""The open archive's pages: agencies, an agency's newest records, search with facets,
an account's records, a record with its thread and history, "check this record", its
proof, the agency's key and checkpoint, and an Atom feed."""

from __future__ import annotations

import math
import re
from typing import Annotated
from urllib.parse import urlencode
from xml.etree import ElementTree

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicarchive.exports import native
from civicarchive.exports.produced import view_of
from civicarchive.web.deps import archive_of
from civicarchive.web.public import MAX_AGE, cached, page, reading

router = APIRouter(prefix="/public")
PER_PAGE = 20
FEED_SIZE = 50
# What XML 1.0 cannot hold, even escaped (a NUL, most C0 controls, U+FFFE, a lone
# surrogate): archived text may carry any of them, and one would make the whole feed
# unreadable to every reader. Each becomes U+FFFD, as an HTML parser shows it.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FACET_AT_ONCE = 2000  # matches counted by facet without being asked


def _agency(request: Request, slug: str):  # noqa: ANN202
    return archive_of(request).publishing.agency(slug)


@reading(router, "/")
def agencies(request: Request) -> Response:
    found = archive_of(request).publishing.agencies()
    return page(request, "agencies.html", {"title": "Open archives", "agencies": found,
                                           "agency": None})


@reading(router, "/native.css")
def native_css(request: Request) -> Response:
    return cached(request, native.stylesheet().encode(), "text/css", max_age=3600)


def _results(request: Request, slug: str, q: str, page_number: int, account_id=None,  # noqa: ANN001
             facets: bool = False, facets_when_few: bool = False) -> dict:
    archive = archive_of(request)

    def found(facets: bool):  # noqa: ANN202
        return archive.publishing.search(slug, q, limit=PER_PAGE,
                                         offset=(page_number - 1) * PER_PAGE, facets=facets,
                                         account_id=account_id)
    results = found(facets)
    # Facets are a second pass over every match: counted at once when the matches are
    # few, on request (a link) when they are many, as in the staff search.
    if facets_when_few and not facets and 0 < results.total <= FACET_AT_ONCE:
        results, facets = found(True), True
    pages = max(1, math.ceil(results.total / PER_PAGE))
    base = {k: v for k, v in (("q", q),) if v}
    return {"results": results, "hits": [_hit(h) for h in results.hits], "q": q,
            "page": page_number, "pages": pages,
            "previous": f"?{urlencode({**base, 'page': page_number - 1})}"
            if page_number > 1 else None,
            "next": f"?{urlencode({**base, 'page': page_number + 1})}"
            if page_number < pages else None,
            "facets": _facets(results.facets, q) if facets else []}


def _hit(hit) -> dict:  # noqa: ANN001
    """A hit's snippet split into plain and matched pieces, each escaped by the template."""
    pieces, at = [], 0
    for start, end in hit.highlights:
        if start > at:
            pieces.append((hit.snippet[at:start], False))
        pieces.append((hit.snippet[start:end], True))
        at = end
    pieces.append((hit.snippet[at:], False))
    return {"hit": hit, "pieces": [p for p in pieces if p[0]]}


def _facets(counts: dict, q: str) -> list[tuple[str, list[tuple[str, int, str]]]]:
    names = {"platform": "Platform", "kind": "Kind", "account": "Account"}
    shown = []
    for key, label in names.items():
        values = sorted(counts.get(key, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        shown.append((label, [(value, n, "?" + urlencode(
            {"q": f"{q} {key}:{value}".strip()})) for value, n in values]))
    return [f for f in shown if f[1]]


@reading(router, "/{slug}")
def agency_home(request: Request, slug: str,
                page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
                ) -> Response:
    archive = archive_of(request)
    agency = _agency(request, slug)
    return page(request, "agency.html", {
        "title": agency.name, "agency": agency,
        "accounts": archive.publishing.accounts(slug),
        "checkpoint": archive.publishing.checkpoint(),
        "rules": archive.publishing.rules(),
        **_results(request, slug, "", page_number, facets=False)})


@reading(router, "/{slug}/search")
def search(request: Request, slug: str,
           q: Annotated[str, Query(max_length=500)] = "",
           page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
           facets: bool = False) -> Response:
    agency = _agency(request, slug)
    shown = _results(request, slug, q, page_number, facets=facets, facets_when_few=True)
    counts = {"q": q, "facets": "true", **({"page": page_number} if page_number > 1 else {})}
    return page(request, "search.html", {
        "title": f"Search {agency.name}", "agency": agency, **shown,
        "count_facets": f"?{urlencode(counts)}"
        if not shown["facets"] and shown["results"].total else None})


@reading(router, "/{slug}/accounts/{account_id}")
def account(request: Request, slug: str, account_id: int,
            page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
            ) -> Response:
    agency = _agency(request, slug)
    shown = next((a for a in archive_of(request).publishing.accounts(slug)
                  if a.id == account_id), None)
    if shown is None:
        from civicarchive.errors import NotFound
        raise NotFound("account", account_id)
    return page(request, "account.html", {
        "title": f"{shown.handle} ({shown.platform})", "agency": agency, "account": shown,
        **_results(request, slug, "", page_number, account_id=account_id, facets=False)})


@reading(router, "/{slug}/records/{item_id}")
def record(request: Request, slug: str, item_id: int) -> Response:
    found = archive_of(request).publishing.page(slug, item_id)
    return page(request, "record.html", {
        "title": f"Record {item_id}", "agency": found.agency, "item_id": item_id,
        "card": native.render_post(view_of(found.produced), heading_level=2),
        "notice": found.record.showing.notice, "account": found.record.account,
        "source": found.produced.account})  # the handle, with any redaction in force


@reading(router, "/{slug}/records/{item_id}/check")
def check(request: Request, slug: str, item_id: int) -> Response:
    archive = archive_of(request)
    agency = _agency(request, slug)
    archive.publishing.checkable(slug, item_id)
    return page(request, "check.html", {
        "title": f"Check record {item_id}", "agency": agency, "item_id": item_id,
        "key": archive.context.public_key_b64,
        "fingerprint": archive.context.public_key_fingerprint,
        "checkpoint": archive.publishing.checkpoint()})


@reading(router, "/{slug}/records/{item_id}/proof.json")
def proof(request: Request, slug: str, item_id: int) -> Response:
    document = archive_of(request).publishing.proof(slug, item_id)
    response = cached(request, orjson.dumps(document, option=orjson.OPT_INDENT_2),
                      "application/json")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="record-{item_id}-proof.json"'
    return response


@reading(router, "/{slug}/key.pem")
def key(request: Request, slug: str) -> Response:
    _agency(request, slug)
    return cached(request, archive_of(request).evidence.public_key_pem(),
                  "application/x-pem-file", max_age=3600)


@reading(router, "/{slug}/checkpoint.json")
def checkpoint(request: Request, slug: str) -> Response:
    _agency(request, slug)
    return cached(request, archive_of(request).witnessing.export().to_json(),
                  "application/json")


@reading(router, "/{slug}/feed.atom")
def feed(request: Request, slug: str) -> Response:
    """The newest records as an Atom feed (RFC 4287): text only, escaped by the XML
    writer, each entry linking to its page."""
    archive = archive_of(request)
    agency = _agency(request, slug)
    results = archive.publishing.search(slug, "", limit=FEED_SIZE, count=False)
    site = request.app.state.public_url or str(request.base_url).rstrip("/")
    home = f"{site}/public/{slug}"
    atom = "http://www.w3.org/2005/Atom"
    ElementTree.register_namespace("", atom)
    root = ElementTree.Element(f"{{{atom}}}feed")

    def add(parent, name, text=None, **attributes):  # noqa: ANN001, ANN003, ANN202
        element = ElementTree.SubElement(parent, f"{{{atom}}}{name}",
                                         {k: NOT_XML.sub("\ufffd", v) for k, v in
                                          attributes.items()})
        if text is not None:
            element.text = NOT_XML.sub("\ufffd", text)
        return element

    add(root, "id", f"{home}/feed.atom")
    add(root, "title", f"{agency.name}: open archive")
    add(root, "link", href=home)
    add(root, "link", rel="self", href=f"{home}/feed.atom")
    newest = max((h.observed_at for h in results.hits), default=agency.created_at)
    add(root, "updated", newest)
    add(add(root, "author"), "name", agency.name)
    for hit in results.hits:
        entry = add(root, "entry")
        link = f"{home}/records/{hit.item}"
        add(entry, "id", link)
        add(entry, "title", f"{hit.account} on {hit.platform}: {hit.snippet[:80]}")
        add(entry, "link", href=link)
        add(entry, "updated", hit.observed_at)
        if hit.created_at:
            add(entry, "published", hit.created_at)
        add(entry, "summary", hit.snippet)
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return cached(request, body, "application/atom+xml", max_age=MAX_AGE)
