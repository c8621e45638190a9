"""Importing a platform's export, or a JSONL capture, for one account: uploaded, kept in
a temporary file under the archive's home (never at a path the caller names), imported as
`civicarchive import` would, then removed."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit

router = APIRouter(tags=["ingest"])
FORMATS = ("bluesky", "facebook", "feed", "instagram", "mastodon", "x", "youtube")
# Suffixes the importers recognise, kept so that format detection works; nothing else of
# the uploaded name is used.
SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar", ".car", ".json", ".js", ".jsonl", ".xml",
            ".rss", ".atom")
CHUNK = 1 << 20


def _suffix(name: str | None) -> str:
    lowered = (name or "").lower()
    return next((s for s in SUFFIXES if lowered.endswith(s)), "")


def _spool(request: Request, upload: UploadFile) -> Path:
    uploads = archive_of(request).context.settings.home / "uploads"
    uploads.mkdir(exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=uploads, suffix=_suffix(upload.filename),
                                         delete=False)
    with handle:
        shutil.copyfileobj(upload.file, handle, CHUNK)
    return Path(handle.name)


@router.post("/accounts/{account_id}/imports", response_model=dict,
             summary="Import a platform's own export of this account (zip, tar.gz, CAR, "
             "feed...); the answer is the import report")
def import_export(request: Request, account_id: int,
                  file: Annotated[UploadFile, File(description="The export.")],
                  format: Annotated[str | None, Form(description=  # noqa: A002
                                    "One of " + ", ".join(FORMATS) + "; detected if "
                                    "not given.")] = None,
                  partial: Annotated[bool, Form()] = False) -> dict:
    principal = permit(request, Permission.MANAGE_REGISTRY, "importing exports")
    archive = archive_of(request)
    archive.access.account(principal, account_id)
    if format is not None and format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}: use one of {', '.join(FORMATS)}",
                           parameter="format")
    path = _spool(request, file)
    try:
        report = archive.ingesting.import_export(path, account_id, format=format,
                                                 actor=principal.name, partial=partial)
    finally:
        path.unlink(missing_ok=True)
    result = report.as_dict()
    result["source"] = re.sub(r"[^\w.@-]", "_", file.filename or "upload")[:200]
    return result


@router.post("/accounts/{account_id}/jsonl", response_model=dict,
             summary="Ingest a JSONL capture (docs/jsonl-format.md) for this account")
def ingest_jsonl(request: Request, account_id: int,
                 file: Annotated[UploadFile, File(description="The JSONL file.")]) -> dict:
    principal = permit(request, Permission.MANAGE_REGISTRY, "ingesting captures")
    archive = archive_of(request)
    archive.access.account(principal, account_id)
    path = _spool(request, file)
    try:
        return archive.ingesting.ingest_jsonl(path, account_id,
                                              actor=principal.name).as_dict()
    finally:
        path.unlink(missing_ok=True)
