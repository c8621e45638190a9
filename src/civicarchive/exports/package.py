"""Evidence packages: a BagIt bag of versions (records.jsonl, in ascending version id),
their raw captures (WARC), inclusion proofs, the newest signed checkpoint with the
consistency proofs that link every proof to it, the gaps in capture that overlap the
records (each proven by its ledger entries), the archive's public key, a certificate
of authenticity and, for a production, the files produced with the records (PDF, CSV, a
withholding log); the whole signed by the archive's key (exports/signature.py).

A redacted version's raw bytes and content are written nowhere in the package (records,
WARC and proof alike): its redacted rendering stands in, and the certificate lists it.
`verify_evidence_package` (exports/verification.py) needs only the folder.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import bagit
import orjson

from civicarchive.errors import InvalidInput
from civicarchive.exports.certificate import (CERTIFICATE, CHECKPOINT, KEY, PROOFS, RECORDS,
                                              WARC, CertifiedFile, render_certificate)
from civicarchive.exports.consistency import write_checkpoint_link
from civicarchive.exports.gaps import GAPS, write_gaps
from civicarchive.exports.records import write_records
from civicarchive.exports.signature import bag_info_fields, sign_bag
from civicarchive.exports.verification import (PackageReport, check_evidence_package,
                                               verify_evidence_package)
from civicarchive.exports.versions import ExportSource, Payload, Rendering, renderings
from civicarchive.exports.warc import write_warc
from civicarchive.store.checkpoint import CheckpointBody

__all__ = ["PackageReport", "check_evidence_package", "discard", "verify_evidence_package",
           "write_evidence_package"]

RESERVED = frozenset(name.lower() for name in (RECORDS, WARC, KEY, CERTIFICATE, PROOFS,
                                                CHECKPOINT, GAPS))
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\`|]|^[A-Za-z]:")


def write_evidence_package(source: ExportSource, version_ids: Iterable[int],
                           folder: Path | str, *, redacted: Mapping[int, bytes] | None = None,
                           extra: Mapping[str, bytes] | None = None,
                           description: str | None = None, gaps: dict | None = None) -> Path:
    """Write a signed BagIt bag (sha256 manifests) of the versions into `folder` (new or
    empty), in ascending version id whatever the order given. Needs the archive's key.

    `redacted` maps version ids to their redacted renderings (JSON bytes free of the
    redacted words), which stand in for those versions' raw bytes and content. `extra`
    files are written under data/ at their relative names and listed, with their
    SHA-256, in the certificate; `description` opens the certificate (e.g. "Production 1
    of request R-2026-0007"); `gaps` is `source.capture_gaps(version_ids)` when the
    caller already has it. On any error the folder is left as it was found.
    """
    folder = Path(folder)
    ids = sorted(set(version_ids))  # ledger order: the order verification holds them to
    if not ids and not extra:  # a production may prove none (docs/requests.md)
        raise InvalidInput("an evidence package needs at least one version: name them "
                           "by version or by item", parameter="versions")
    produced = _produced_files(extra)
    stand_ins = renderings(redacted, set(ids))
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder: choose a new folder for the package")
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInput(f"{folder} is not empty: choose a new folder for the package")
    created = not folder.exists()
    try:
        _write(source, ids, folder, stand_ins, redacted, produced, description,
               gaps if gaps is not None else source.capture_gaps(ids))
    except BaseException:
        discard(folder, remove=created)
        raise
    return folder


def _write(source: ExportSource, ids: list[int], folder: Path,
           stand_ins: dict[int, Rendering], redacted: Mapping[int, bytes] | None,
           produced: dict[str, bytes], description: str | None, gaps: dict) -> None:
    (folder / PROOFS).mkdir(parents=True, exist_ok=True)
    listed, sources = write_records(source, ids, stand_ins, folder / RECORDS)
    with open(folder / WARC, "wb") as out:
        write_warc(source, ids, out, redacted=redacted)
    sizes = set()
    for version, proof in zip(listed, source.proofs([v.version for v in listed])):
        if version.payload is not Payload.INCLUDED:
            proof["content"] = None  # a redacted version's content is what is withheld
        sizes.add(proof["tree_size"])
        (folder / PROOFS / f"version-{version.version}.json").write_bytes(
            orjson.dumps(proof, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    if gaps["checkpoint"] is not None:
        sizes.add(CheckpointBody.parse(gaps["checkpoint"]["body"]).size)
    write_gaps(folder / GAPS, gaps)
    link = source.checkpoint_link(sizes)  # read after the proofs: never older than theirs
    write_checkpoint_link(folder / CHECKPOINT, link)
    (folder / KEY).write_bytes(source.public_key_pem())
    files = []
    for name, data in produced.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files.append(CertifiedFile(name, len(data), hashlib.sha256(data).hexdigest()))
    (folder / CERTIFICATE).write_text(render_certificate(
        source, listed, sources, files, description,
        CheckpointBody.parse(link["checkpoint"]["body"]), gaps["gaps"]), encoding="utf-8")
    agency = ", ".join(source.agency_names())
    bagit.make_bag(str(folder), {
        "Source-Organization": agency,
        "External-Description": f"Evidence package of {len(ids)} archived version(s) "
                                f"from civicarchive archive {source.archive_id}",
        "External-Identifier": f"urn:civicarchive:{source.archive_id}",
        **bag_info_fields(source.public_key_fingerprint),
    }, checksums=["sha256"])
    sign_bag(folder, source.sign)


def _produced_files(extra: Mapping[str, bytes] | None) -> dict[str, bytes]:
    """The extra files by name, once every name is checked to stay inside data/."""
    files: dict[str, bytes] = {}
    folded: set[str] = set()
    for name, data in (extra or {}).items():
        hint = "give a relative name such as production.pdf or exhibits/1.pdf"
        if not isinstance(name, str) or not name or name.startswith("/") or ".." in name \
                or _UNSAFE.search(name):
            raise InvalidInput(f"extra file name {name!r} could land outside the package or "
                               f"break its manifests (absolute, '..', a backslash, a control "
                               f"character, ` or |): {hint}")
        parts = name.split("/")
        if any(part in ("", ".") or part.startswith(".") for part in parts):
            raise InvalidInput(f"extra file name {name!r} has an empty or hidden part: {hint}")
        if parts[0].lower() in RESERVED:
            raise InvalidInput(f"extra file name {name!r} is one the package uses itself: "
                               "choose another name")
        prefixes = {"/".join(parts[:n]).lower() for n in range(1, len(parts))}
        if name.lower() in folded or prefixes & folded or any(
                other.startswith(name.lower() + "/") for other in folded):
            raise InvalidInput(f"extra file name {name!r} clashes with another extra file "
                               "(names differ only in case, or one is the other's folder)")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInput(f"extra file {name!r} must be bytes")
        folded.add(name.lower())
        files[name] = bytes(data)
    return files


def discard(folder: Path, remove: bool) -> None:
    """Undo a write: the folder was new (remove it) or empty (empty it again)."""
    if remove:
        shutil.rmtree(folder, ignore_errors=True)
    elif folder.is_dir():
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
