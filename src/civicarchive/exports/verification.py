"""Offline verification of an evidence package: every problem collected into a report.

It needs only the folder (and, ideally, the agency's published key). It checks the bag
manifests; every inclusion proof against the key; every record against its signed
ledger entry and, where the payload is included, the content and raw bytes against
their hashes; and the records, the WARC and the produced files against the tables of
the certificate.

A redacted version has no payload to hash: its proof still holds, and its rendering is
checked against the SHA-256 the certificate lists for it; the report counts it. Every
version whose payload is absent (redacted or purged) must be listed so in the certificate,
a WARC record of captured bytes for such a version is reported, and so is a rendering,
a content or a file that differs from what the certificate states.

What this cannot show offline: the archive's key signs the ledger, not the package. The
certificate, which the custodian signs, is what attests which versions are redacted and
what their renderings are. A forger who rewrites the records, the WARC, the certificate
and the bag manifests consistently can still pass off a version as redacted with a
rendering of their own making (though never alter a hash the ledger signed): compare the
certificate with the copy the custodian signed. Nor can a rendering be shown to be a
faithful redaction of the original, whose bytes the package deliberately lacks; only
the archive, which holds them, can match them to the hashes in the proof.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import bagit
import orjson
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from civicarchive.errors import ProofError
from civicarchive.exports.certificate import (CERTIFICATE, KEY, PROOFS, RECORDS, WARC,
                                              Certified, read_certificate)
from civicarchive.exports.versions import Payload
from civicarchive.exports.warc import REDACTED_HEADER
from civicarchive.store.canonical import canonical_json, sha256_hex
from civicarchive.store.checkpoint import fingerprint, load_public_key, public_raw
from civicarchive.store.proof import parse_proof, verify_proof

__all__ = ["PackageReport", "check_evidence_package", "verify_evidence_package"]

PROOF_NAME = re.compile(r"^version-(\d+)\.json$")
# Entry members a records.jsonl line restates; each must agree with the signed entry.
ENTRY_FIELDS = ("version", "item", "event", "observed_at", "recorded_at", "content_sha256",
                "raw_sha256", "ledger_index")


@dataclass
class PackageReport:
    """What verification found: the problems, and how many versions it could check how."""

    problems: list[str] = field(default_factory=list)
    proven: int = 0  # versions whose inclusion proof verifies
    included: int = 0  # versions whose content and raw bytes are in the package
    redacted: int = 0  # proven, but their payload is withheld: no hash to recompute
    purged: int = 0
    files: int = 0  # produced files listed in the certificate

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line for people: what was checked, and what could not be."""
        text = (f"{self.proven} version(s) proven in the signed ledger: {self.included} with "
                f"their content and raw bytes checked against the ledger's hashes")
        if self.redacted:
            text += (f", {self.redacted} redacted (payload withheld: their renderings are "
                     "checked against the certificate, not against the ledger)")
        if self.purged:
            text += f", {self.purged} purged (payload gone by disposition)"
        if self.files:
            text += f"; {self.files} produced file(s) checked against the certificate"
        return text


@dataclass(frozen=True, slots=True)
class _Record:
    payload: Payload | None
    content_sha256: str | None
    raw_sha256: str | None
    rendering_sha256: str | None


def verify_evidence_package(folder: Path | str, trusted_key_pem: bytes | None = None
                            ) -> list[str]:
    """Every problem with a package; an empty list means it is sound.

    Without `trusted_key_pem` the package's own key is used, which shows only that the
    package is self-consistent: pass the agency's published key to pin the signer.
    See the module docstring for what a redacted version leaves unchecked.
    """
    return check_evidence_package(folder, trusted_key_pem).problems


def check_evidence_package(folder: Path | str, trusted_key_pem: bytes | None = None
                           ) -> PackageReport:
    """The problems of a package and the counts of versions checked, redacted, purged."""
    folder = Path(folder)
    report = PackageReport()
    problems = report.problems
    try:
        bagit.Bag(str(folder)).validate()
    except bagit.BagValidationError as error:
        details = [str(d) for d in error.details] or [str(error.message)]
        problems += [f"bag: {detail}" for detail in details]
    except bagit.BagError as error:
        problems.append(f"{folder} is not a BagIt bag ({error}): give the package's top "
                        "folder")
        return report
    data = folder / "data"
    key_pem = _read_key(data / KEY, problems)
    if trusted_key_pem is not None:
        try:
            load_public_key(trusted_key_pem)
        except (ValueError, TypeError) as error:
            problems.append(f"the trusted key is not an Ed25519 public key ({error}): give "
                            "the agency's published PEM file")
            return report
        if key_pem is not None and _raw(key_pem) != _raw(trusted_key_pem):
            problems.append(f"data/{KEY} is not the trusted key you gave: the package was "
                            "signed by someone else or its key was replaced")
        key_pem = trusted_key_pem
    certified = _read_certified(data / CERTIFICATE, key_pem, problems)
    entries = _check_proofs(data / PROOFS, key_pem, problems)
    report.proven = len(entries)
    records = _check_records(data / RECORDS, entries, certified, report)
    _check_warc(data / WARC, records, problems)
    _check_files(data, certified, report)
    return report


def _read_key(path: Path, problems: list[str]) -> bytes | None:
    try:
        pem = path.read_bytes()
        load_public_key(pem)
        return pem
    except (OSError, ValueError, TypeError) as error:
        problems.append(f"data/{KEY} is missing or not an Ed25519 public key: {error}")
        return None


def _raw(pem: bytes) -> bytes:
    return public_raw(load_public_key(pem))


def _read_certified(path: Path, key_pem: bytes | None, problems: list[str]
                    ) -> Certified | None:
    where = f"data/{CERTIFICATE}"
    try:
        certified = read_certificate(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        problems.append(f"{where} cannot be read as a certificate ({error}): the records "
                        "cannot be checked against what the custodian certified")
        return None
    if key_pem is not None and certified.fingerprint != fingerprint(_raw(key_pem)):
        problems.append(f"{where} names key fingerprint {certified.fingerprint}, not that of "
                        "the key the proofs are checked against")
    return certified


def _check_proofs(folder: Path, key_pem: bytes | None, problems: list[str]) -> dict:
    """Verified entries by version id, from every proof that holds."""
    entries: dict[int, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        where = f"data/{PROOFS}/{path.name}"
        match = PROOF_NAME.match(path.name)
        try:
            doc = parse_proof(path.read_bytes(), where)
            if key_pem is None:
                raise ProofError("there is no key to check it against")
            result = verify_proof(doc, load_public_key(key_pem))
        except ProofError as error:
            problems.append(f"{where}: {error}")
            continue
        if match is None or int(match.group(1)) != result.version_id:
            problems.append(f"{where}: proves version {result.version_id}, not the version "
                            "its name says")
            continue
        entries[result.version_id] = {**result.entry, "ledger_index": result.leaf_index}
    return entries


def _check_records(path: Path, entries: dict[int, dict], certified: Certified | None,
                   report: PackageReport) -> dict[int, _Record]:
    """What each records.jsonl line says of its version's payload, once checked."""
    problems = report.problems
    records: dict[int, _Record] = {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        problems.append(f"data/{RECORDS} is missing")
        lines = []
    for number, line in enumerate(lines, 1):
        where = f"data/{RECORDS} line {number}"
        try:
            record = orjson.loads(line)
            version = record["version"]
            hash(version)
        except (orjson.JSONDecodeError, KeyError, TypeError):
            problems.append(f"{where}: not a JSON record with a version")
            continue
        if version in records:
            problems.append(f"{where}: version {version} has a line already")
            continue
        records[version] = _check_record(where, record, certified, report)
        entry = entries.get(version)
        if entry is None:
            problems.append(f"{where}: version {version} has no proof that verifies in "
                            f"data/{PROOFS}")
            continue
        for name in ENTRY_FIELDS:
            if record.get(name) != entry.get(name):
                problems.append(f"{where}: {name} differs from the signed ledger entry")
        row = certified.versions.get(version) if certified else None
        if row is not None and (row.item, row.event, row.observed_at, row.ledger_index) != (
                entry.get("item"), entry.get("event"), entry.get("observed_at"),
                entry.get("ledger_index")):
            problems.append(f"data/{CERTIFICATE}: the row of version {version} differs from "
                            "its signed ledger entry")
    for version in sorted(entries.keys() - records.keys()):
        problems.append(f"version {version} has a proof but no line in data/{RECORDS}")
    if certified is not None:
        for version in sorted(certified.versions.keys() - records.keys()):
            problems.append(f"data/{CERTIFICATE} lists version {version}, which has no line "
                            f"in data/{RECORDS}")
    return records


def _check_record(where: str, record: dict, certified: Certified | None,
                  report: PackageReport) -> _Record:
    problems = report.problems
    version, content = record["version"], record.get("content")
    try:
        payload = Payload(record.get("payload"))
    except ValueError:
        problems.append(f"{where}: payload must be one of included, redacted, purged")
        payload = None
    rendering_sha256 = None
    if payload is Payload.INCLUDED:
        report.included += 1
        if content is None:
            problems.append(f"{where}: the payload is included but the content is missing")
        elif _json_sha256(content) != record.get("content_sha256"):
            problems.append(f"{where}: content does not hash to its content_sha256")
    elif payload is not None:
        if content is not None:
            problems.append(f"{where}: version {version} is {payload.value} but carries "
                            "content")
        if payload is Payload.PURGED:
            report.purged += 1
        else:
            report.redacted += 1
            rendering_sha256 = record.get("rendering_sha256")
            digest = _json_sha256(record["rendering"]) if "rendering" in record else None
            if digest is None or digest != rendering_sha256:
                problems.append(f"{where}: the redacted rendering does not hash to its "
                                "rendering_sha256")
    row = certified.versions.get(version) if certified else None
    if certified is not None and row is None:
        problems.append(f"{where}: version {version} is not listed in data/{CERTIFICATE}")
    elif row is not None and (row.payload, row.rendering_sha256) != (payload, rendering_sha256):
        problems.append(f"{where}: version {version} is {record.get('payload')}, but "
                        f"data/{CERTIFICATE} lists it as {row.payload.value}"
                        + (" with another rendering" if row.payload is payload else ""))
    return _Record(payload, record.get("content_sha256"), record.get("raw_sha256"),
                   rendering_sha256)


def _check_warc(path: Path, records: dict[int, _Record], problems: list[str]) -> None:
    """Each resource record's bytes must hash to its version's raw_sha256 (or rendering);
    a metadata record's content, to its content_sha256."""
    where = f"data/{WARC}"
    resources: set[int] = set()
    try:
        with open(path, "rb") as stream:
            for warc_record in ArchiveIterator(stream):
                if warc_record.rec_type not in ("resource", "metadata"):
                    continue
                header = warc_record.rec_headers.get_header("WARC-Civicarchive-Version")
                version = int(header) if header and header.isdigit() else None
                record = records.get(version)
                if record is None:
                    problems.append(f"{where}: holds version {version}, which has no line in "
                                    f"data/{RECORDS}")
                    continue
                if warc_record.rec_type == "metadata":
                    _check_metadata(where, version, warc_record, record, problems)
                    continue
                if version in resources:
                    problems.append(f"{where}: holds version {version} twice")
                resources.add(version)
                digest = _sha256(warc_record.content_stream())
                if warc_record.rec_headers.get_header(REDACTED_HEADER) == "true":
                    if record.payload is not Payload.REDACTED:
                        problems.append(f"{where}: marks version {version} redacted, which "
                                        f"data/{RECORDS} does not")
                    elif digest != record.rendering_sha256:
                        problems.append(f"{where}: the redacted rendering of version "
                                        f"{version} does not match its rendering_sha256")
                elif record.payload in (Payload.REDACTED, Payload.PURGED):
                    problems.append(f"{where}: holds captured bytes of version {version}, "
                                    f"whose payload is {record.payload.value}")
                elif digest != record.raw_sha256:
                    problems.append(f"{where}: raw bytes of version {version} do not match "
                                    "its raw_sha256")
    except (OSError, ValueError, TypeError, ArchiveLoadFailed) as error:
        problems.append(f"{where} cannot be read: {' '.join(str(error).split())}")
        return
    for version, record in sorted(records.items()):
        if record.payload in (Payload.INCLUDED, Payload.REDACTED) and version not in resources:
            problems.append(f"{where}: has no resource record of version {version}")


def _check_metadata(where: str, version: int, warc_record: ArcWarcRecord, record: _Record,
                    problems: list[str]) -> None:
    try:
        facts = orjson.loads(warc_record.content_stream().read())
    except orjson.JSONDecodeError:
        problems.append(f"{where}: the metadata of version {version} is not JSON")
        return
    if not isinstance(facts, dict) or "content" not in facts:
        return
    if record.payload is not Payload.INCLUDED:
        problems.append(f"{where}: the metadata of version {version} carries content, "
                        f"but its payload is {getattr(record.payload, 'value', 'unknown')}")
    elif _json_sha256(facts["content"]) != record.content_sha256:
        problems.append(f"{where}: the content in the metadata of version {version} does "
                        "not hash to its content_sha256")


def _check_files(data: Path, certified: Certified | None, report: PackageReport) -> None:
    """Produced files must be as the certificate lists them; no other file may appear."""
    problems = report.problems
    known = {RECORDS, WARC, KEY, CERTIFICATE}
    listed = certified.files if certified else {}
    report.files = len(listed)
    for name, produced in sorted(listed.items()):
        path = data / name
        if not path.is_file() or ".." in name:
            problems.append(f"data/{CERTIFICATE} lists data/{name}, which is not in the "
                            "package")
        elif (path.stat().st_size, _file_sha256(path)) != (produced.size, produced.sha256):
            problems.append(f"data/{name} differs from the SHA-256 data/{CERTIFICATE} lists")
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        name = path.relative_to(data).as_posix()
        proof = name.startswith(f"{PROOFS}/") and PROOF_NAME.match(name[len(PROOFS) + 1:])
        if name not in known and name not in listed and not proof:
            problems.append(f"data/{name} is neither part of the package nor listed in "
                            f"data/{CERTIFICATE}")


def _json_sha256(value: object) -> str | None:
    """SHA-256 of the RFC 8785 form; None for JSON it cannot take (e.g. a huge integer)."""
    try:
        return sha256_hex(canonical_json(value))
    except (ValueError, TypeError):
        return None


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as stream:
        return _sha256(stream)
