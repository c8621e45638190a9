"""The redaction editor: one record of a request, its text per version, and forms that
redact words (a phrase, or the start and end of a selection in one version's text), a
media file, the author's name, the handle and URLs, each with an exemption from the
adopted policy (or a reason of one's own); the redactions in force with an undo; and a
preview of the record as the production will show it.

It works without JavaScript: the forms take typed words or offsets. static/app.js only
fills a version's form from a selection in its text (progressive enhancement)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.production import Redaction
from civicarchive.model.record import text_of
from civicarchive.web.api.casework import scoped
from civicarchive.web.api.redactions import RedactionIn, What, redact
from civicarchive.web.deps import archive_of
from civicarchive.web.ui import render
from civicarchive.web.ui.casework import exemptions, reason_of

router = APIRouter()


def segments(text) -> list[tuple[str, bool]]:  # noqa: ANN001
    """Redacted text as (words, redacted?) pieces, the marker standing for what is hidden."""
    return [(f"[REDACTED: {s.reason}]", True) if isinstance(s, Redaction) else (s, False)
            for s in text or ()]


def editor(request: Request, request_id: int, item_id: int,
           error: InvalidInput | None = None, status_code: int = 200) -> Response:
    principal = scoped(request, request_id)
    archive = archive_of(request)
    detail = archive.requests.show(request_id)
    state = archive.requests.state(request_id)
    if item_id not in state.items:
        raise NotFound("item", item_id)  # in the collection, or nothing to redact here
    item = archive.access.item(principal, item_id)
    account = archive.registry.account(item.account_id)
    versions = []
    for version in archive.reading.history(item_id):
        content = archive.reading.content(version)
        versions.append({"id": version.id, "event": version.event.value,
                         "observed_at": version.observed_at,
                         "text": text_of(content) if isinstance(content, dict) else None})
    urls = archive.requests.urls_in(item_id)
    preview = archive.productions.preview(request_id, item_id)
    mark = state.marks.get(item_id)
    return render(request, "redaction.html", {
        "title": f"Redact record {item_id} of request {detail['number']}",
        "detail": detail, "item": item, "account": account, "versions": versions,
        "media": sorted(archive.reading.media_of(item_id)), "urls": urls,
        "redactions": archive.requests.redactions(request_id, item_id),
        "exemptions": exemptions(archive), "mark": mark,
        "preview": {"author": segments(preview.author), "handle": segments(preview.handle),
                    "url": segments(preview.url),
                    "versions": [(v, segments(v.text)) for v in preview.versions],
                    "media": preview.media},
        "error": str(error) if error else None,
        "error_for": (error.parameter or "form") if error else None},
        status_code=status_code)


@router.get("/requests/{request_id}/items/{item_id}")
def redaction_page(request: Request, request_id: int, item_id: int) -> Response:
    return editor(request, request_id, item_id)


@router.post("/requests/{request_id}/items/{item_id}/redact")
def redaction_add(request: Request, request_id: int, item_id: int,
                  what: What = Form(What.TEXT), phrase: str = Form("", max_length=10_000),
                  version: str = Form("", max_length=20), start: str = Form("", max_length=20),
                  end: str = Form("", max_length=20), media: str = Form("", max_length=1000),
                  url: str = Form("", max_length=4000), exemption: str = Form("", max_length=20),
                  reason: str = Form("", max_length=1000),
                  citation: str = Form("", max_length=500)) -> Response:
    principal = scoped(request, request_id)
    archive = archive_of(request)
    try:
        numbers = {}
        for name, value in (("version", version), ("start", start), ("end", end)):
            try:
                numbers[name] = int(value) if value.strip() else None
            except ValueError:
                raise InvalidInput(f"the {name} must be a number", parameter=name) from None
        if numbers["start"] is None and numbers["end"] is None:
            numbers["version"] = None  # a phrase reaches every version
        body = RedactionIn(item=item_id, what=what,
                           reason=reason_of(archive, exemption, reason, citation),
                           phrase=phrase or None, media=media or None, url=url or None,
                           **numbers)
        redact(archive, principal, request_id, body)
    except InvalidInput as error:
        return editor(request, request_id, item_id, error, status_code=400)
    return RedirectResponse(f"/requests/{request_id}/items/{item_id}#redactions",
                            status_code=303)


@router.post("/requests/{request_id}/items/{item_id}/unredact")
def redaction_undo(request: Request, request_id: int, item_id: int,
                   redaction: int = Form(...), why: str = Form("", max_length=1000)) -> Response:
    principal = scoped(request, request_id)
    archive = archive_of(request)
    if redaction not in {r["id"] for r in archive.requests.redactions(request_id, item_id)}:
        return editor(request, request_id, item_id,
                      InvalidInput("that redaction is not in force on this record",
                                   parameter=f"why-{redaction}"), status_code=400)
    try:
        archive.requests.unredact(request_id, redaction, why, principal.name)
    except InvalidInput as error:
        error.parameter = f"why-{redaction}"
        return editor(request, request_id, item_id, error, status_code=400)
    return RedirectResponse(f"/requests/{request_id}/items/{item_id}#redactions",
                            status_code=303)
