"""Proving records: verification, proofs checked, WARC and BagIt exports, the public key,
the published checkpoint, counts; and running the deployment (timestamps, the search
index, agencies)."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from civicarchive.app.offline import check_proof, read_proof
from civicarchive.errors import InvalidInput
from civicarchive.model.staff import Permission
from civicarchive.web.deps import archive_of, permit, signed_in

router = APIRouter(tags=["evidence"])
MAX_EXPORT_VERSIONS = 10_000


class VerifyOut(BaseModel):
    ok: bool
    report: dict


class ProofCheckOut(BaseModel):
    version_id: int
    leaf_index: int
    tree_size: int
    root: str
    checkpoint_time: str
    checkpoint_number: int | None
    key_fingerprint: str
    content_included: bool
    signer_is_this_archive: bool


class ExportIn(BaseModel):
    format: Literal["warc", "bagit"]
    versions: list[int] = Field(default_factory=list, max_length=MAX_EXPORT_VERSIONS)
    items: list[int] = Field(default_factory=list, max_length=MAX_EXPORT_VERSIONS)


class Agency(BaseModel):
    id: int
    slug: str
    name: str


class AgencyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TimestampOut(BaseModel):
    checkpoint: int
    status: str
    detail: str


@router.post("/verify", response_model=VerifyOut,
             summary="Re-derive every hash, entry, root and signature of the deployment")
def verify(request: Request) -> VerifyOut:
    permit(request, Permission.VERIFY, "verifying the archive")
    report = archive_of(request).evidence.verify()
    return VerifyOut(ok=report.ok, report=report.as_dict())


@router.post("/proofs/check", response_model=ProofCheckOut,
             summary="Check an inclusion proof file (docs/proof-format.md) offline")
def check(request: Request, proof: Annotated[dict, Body(description="The proof file's "
                                                        "JSON.")]) -> ProofCheckOut:
    signed_in(request)
    import orjson
    archive = archive_of(request)
    try:
        data = orjson.dumps(proof)
    except orjson.JSONEncodeError:  # an integer past 64 bits: no proof holds one
        raise InvalidInput("the proof holds a number no proof file has: send the proof "
                           "file as it was downloaded", parameter="proof") from None
    result = check_proof(read_proof(data, "the proof"))
    return ProofCheckOut(**{k: getattr(result, k) for k in (
        "version_id", "leaf_index", "tree_size", "root", "checkpoint_time",
        "checkpoint_number", "key_fingerprint", "content_included")},
        signer_is_this_archive=result.key_fingerprint ==
        archive.context.public_key_fingerprint)


@router.post("/exports", summary="Export records as a WARC file or a BagIt evidence "
             "package (a zip)", response_class=Response,
             responses={200: {"content": {"application/warc": {}, "application/zip": {}}}})
def export(request: Request, wanted: ExportIn) -> Response:
    principal = permit(request, Permission.VERIFY, "exporting evidence")
    archive = archive_of(request)
    ids = set(wanted.versions)
    for version_id in wanted.versions:
        archive.access.version_item(principal, version_id)
    for item_id in wanted.items:
        archive.access.item(principal, item_id)
        ids |= {v.id for v in archive.reading.history(item_id)}
    if not ids:
        raise InvalidInput("nothing to export: name versions or items", parameter="versions")
    if len(ids) > MAX_EXPORT_VERSIONS:
        raise InvalidInput(f"at most {MAX_EXPORT_VERSIONS:,} versions per export",
                           parameter="versions")
    work = Path(tempfile.mkdtemp(prefix="civicarchive-export-"))
    cleanup = BackgroundTask(shutil.rmtree, work, ignore_errors=True)
    try:
        if wanted.format == "warc":
            target = archive.evidence.export(sorted(ids), "warc", work / "records.warc.gz")
            return FileResponse(target, media_type="application/warc",
                                filename="records.warc.gz", background=cleanup)
        folder = archive.evidence.export(sorted(ids), "bagit", work / "evidence-package")
        bundle = work / "evidence-package.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as out:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    out.write(path, Path("evidence-package") / path.relative_to(folder))
        return FileResponse(bundle, media_type="application/zip",
                            filename="evidence-package.zip", background=cleanup)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


@router.get("/public-key", response_class=Response, summary="The archive's public key "
            "(PEM), to check proofs and packages against",
            responses={200: {"content": {"application/x-pem-file": {}}}})
def public_key(request: Request) -> Response:
    signed_in(request)
    return Response(archive_of(request).evidence.public_key_pem(),
                    media_type="application/x-pem-file")


@router.get("/checkpoint", response_class=Response, summary="The newest signed checkpoint "
            "as a checkpoint file to publish (docs/checkpoint-file.md)",
            responses={200: {"content": {"application/json": {}}}})
def checkpoint(request: Request) -> Response:
    permit(request, Permission.VERIFY, "the checkpoint file")
    return Response(archive_of(request).witnessing.export().to_json(),
                    media_type="application/json")


@router.post("/checkpoint/timestamp", response_model=TimestampOut,
             summary="Have the time-stamping authority timestamp the newest checkpoint")
def timestamp(request: Request) -> TimestampOut:
    permit(request, Permission.OPERATE, "timestamping checkpoints")
    return TimestampOut(**archive_of(request).witnessing.timestamp().as_dict())


class ResetIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000,
                        description="Why, after investigation, the database's checkpoints are "
                                    "to be trusted (recorded in the audit log)")


class ResetOut(BaseModel):
    superseded: int | None = Field(description="The number of the checkpoint set aside")
    damaged: str | None = Field(description="What was wrong with a damaged note set aside")
    set_aside: str | None = Field(description="Where it was set aside, beside the key")
    now: int = Field(description="The checkpoint continuity now extends")


@router.post("/checkpoint/reset", response_model=ResetOut,
             summary="Accept the database's newest signed checkpoint after writes were "
                     "refused (docs/continuity.md)")
def reset(request: Request, wanted: ResetIn) -> ResetOut:
    principal = permit(request, Permission.OPERATE, "resetting the checkpoints")
    return ResetOut(**archive_of(request).witnessing.reset(wanted.reason, principal.name))


class RotationOut(BaseModel):
    reencrypted: int = Field(description="Credentials re-encrypted under the new key")
    key_fingerprint: str
    previous_fingerprint: str | None


@router.post("/credentials-key/rotation", response_model=RotationOut,
             summary="Re-encrypt every stored platform credential under a new key and drop "
                     "the old key (back up the keys folder afterwards)")
def rotate(request: Request) -> RotationOut:
    principal = permit(request, Permission.OPERATE, "rotating the credentials key")
    return RotationOut(**archive_of(request).credentials.rotate(principal.name))


@router.get("/stats", response_model=dict[str, int],
            summary="Counts of the records of your agency's accounts")
def stats(request: Request) -> dict[str, int]:
    principal = permit(request, Permission.READ_RECORDS, "counts")
    archive = archive_of(request)
    counts = archive.registry.item_counts(principal.can(Permission.READ_MESSAGES))
    mine = [a.id for a in archive.access.accounts(principal)]
    return {"accounts": len(mine), "items": sum(counts.get(a, 0) for a in mine)}


@router.post("/search-index/rebuild", response_model=dict[str, int],
             summary="Recreate the search index from the archive")
def rebuild(request: Request) -> dict[str, int]:
    permit(request, Permission.OPERATE, "rebuilding the search index")
    return {"records": archive_of(request).finding.rebuild()}


@router.get("/agencies", response_model=list[Agency], summary="Your agency")
def agencies(request: Request) -> list[Agency]:
    principal = signed_in(request)
    return [Agency(id=a.id, slug=a.slug, name=a.name)
            for a in archive_of(request).registry.agencies() if a.id == principal.agency_id]


@router.post("/agencies", response_model=Agency, status_code=201,
             summary="Add another agency to the deployment")
def add_agency(request: Request, agency: AgencyIn) -> Agency:
    principal = permit(request, Permission.OPERATE, "adding agencies")
    added = archive_of(request).registry.add_agency(agency.name, principal.name)
    return Agency(id=added.id, slug=added.slug, name=added.name)
