"""Production downloads, shared by the API and the UI: the production's PDF and its whole
folder as a zip, streamed.

No path from the user ever reaches the filesystem: the production is looked up by id
among its request's productions (the request already scoped to the user's agency), and
only files under the folder the archive recorded for it are served, each path resolved
and checked to stay inside that folder; symbolic links are skipped."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from fastapi.responses import FileResponse, StreamingResponse

from civicarchive.archive import Archive
from civicarchive.errors import NotFound

PDF = "data/production.pdf"
CHUNK = 256 * 1024


def production(archive: Archive, request_id: int, production_id: int) -> dict:
    """A production of the (already scoped) request, by id; NotFound otherwise."""
    for found in archive.requests.show(request_id)["productions"]:
        if found["id"] == production_id:
            return found
    raise NotFound("production", production_id)


def _root(found: dict) -> Path:
    root = Path(found["folder"]).resolve()
    if not root.is_dir():
        raise NotFound("production", found["id"])
    return root


def _inside(root: Path, path: Path) -> bool:
    try:
        resolved = path.resolve(strict=True)
    except OSError:
        return False
    return resolved.is_relative_to(root) and resolved.is_file() and not path.is_symlink()


def files_of(found: dict) -> list[tuple[Path, str]]:
    """The production's files as (path, name inside the folder), sorted."""
    root = _root(found)
    listed = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
        for name in sorted(names):
            path = Path(folder) / name
            if _inside(root, path):
                listed.append((path, path.relative_to(root).as_posix()))
    return listed


def pdf_response(found: dict, number: str) -> FileResponse:
    root = _root(found)
    path = root / PDF
    if not _inside(root, path):
        raise NotFound("production", found["id"])
    return FileResponse(path, media_type="application/pdf",
                        filename=f"{number}-production-{found['id']}.pdf")


class _Sink:
    """A write-only file object whose bytes are taken out as they are written."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _zip_stream(top: str, files: list[tuple[Path, str]]) -> Iterator[bytes]:
    sink = _Sink()
    # An unseekable sink: zipfile writes data descriptors, so nothing is held whole.
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        for path, name in files:
            with path.open("rb") as source, archive.open(f"{top}/{name}", "w") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    yield sink.take()


def zip_response(found: dict, number: str) -> StreamingResponse:
    """The production folder, files as produced, as a zip made while it is sent."""
    top = f"{number}-production-{found['id']}"
    files = files_of(found)
    return StreamingResponse(_zip_stream(top, files), media_type="application/zip",
                             headers={"content-disposition":
                                      f'attachment; filename="{top}.zip"'})
