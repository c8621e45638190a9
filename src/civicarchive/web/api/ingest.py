"""Importing a platform's export, or a JSONL capture, for one account: uploaded, kept in
a temporary folder under the archive's home (never at a path the caller names), under
the uploaded file's name made safe, imported as `civicarchive import` would, then
removed. A Takeout split into numbered parts is uploaded whole: every part, as the same
field repeated, into one folder, where the import finds them all."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from civicarchive.errors import ArchiveError, InvalidInput
from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit

router = APIRouter(tags=["ingest"])
FORMATS = ("bluesky", "facebook", "feed", "instagram", "mastodon", "x", "youtube")
# Suffixes the importers recognise: an upload's safe name keeps its own (format detection
# reads it).
SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar", ".car", ".json", ".js", ".jsonl", ".xml",
            ".rss", ".atom")
CHUNK = 1 << 20


def _safe_name(name: str | None) -> str:
    """The uploaded file's name, as the import's source and its messages show it: its
    last part, letters, digits and . @ - kept, a suffix the importers recognise kept too
    (format detection reads it)."""
    base = re.split(r"[/\\]", name or "")[-1]
    safe = re.sub(r"[^\w.@-]", "_", base).strip("._")[:200] or "upload"
    lowered = (name or "").lower()
    suffix = next((s for s in SUFFIXES if lowered.endswith(s)), "")
    return safe if safe.lower().endswith(suffix) else safe + suffix


@contextlib.contextmanager
def _spooled(request: Request, *uploads: UploadFile) -> Iterator[Path]:
    """The uploaded files in a folder of their own under the archive's home, each under
    its own (safe) name, removed afterwards; the path of the first. An error names the
    files as the caller knows them, never the server's folders."""
    home = archive_of(request).context.settings.home / "uploads"
    home.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=home))
    try:
        paths = []
        for upload in uploads:
            path = folder / _safe_name(upload.filename)
            if path in paths:
                raise InvalidInput(f"{path.name} is uploaded twice", parameter="file")
            with open(path, "wb") as out:
                shutil.copyfileobj(upload.file, out, CHUNK)
            paths.append(path)
        yield paths[0]
    except ArchiveError as error:
        error.args = tuple(arg.replace(f"{folder}{os.sep}", "").replace(
            str(folder), "the upload") if isinstance(arg, str) else arg for arg in error.args)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/accounts/{account_id}/imports", response_model=dict,
             summary="Import a platform's own export of this account (zip, tar.gz, CAR, "
             "feed...); the answer is the import report")
def import_export(request: Request, account_id: int,
                  file: Annotated[list[UploadFile], File(
                      description="The export; of a Takeout split into numbered parts, "
                      "every part (the field repeated).")],
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
    with _spooled(request, *file) as path:
        report = archive.ingesting.import_export(path, account_id, format=format,
                                                 actor=principal.name, partial=partial)
        result = report.as_dict()
    result["source"] = path.name
    return result


@router.post("/accounts/{account_id}/jsonl", response_model=dict,
             summary="Ingest a JSONL capture (docs/jsonl-format.md) for this account")
def ingest_jsonl(request: Request, account_id: int,
                 file: Annotated[UploadFile, File(description="The JSONL file.")]) -> dict:
    principal = permit(request, Permission.MANAGE_REGISTRY, "ingesting captures")
    archive = archive_of(request)
    archive.access.account(principal, account_id)
    with _spooled(request, file) as path:
        return archive.ingesting.ingest_jsonl(path, account_id,
                                              actor=principal.name).as_dict()
