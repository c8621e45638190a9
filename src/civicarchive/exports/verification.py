"""Offline verification of an evidence package: every problem collected into a report.

It needs only the folder (and, ideally, the agency's published key). It checks the bag
manifests; the package's signature over its tag manifest, which covers every file
(exports/signature.py); every inclusion proof against the key; the consistency proofs
that link each proof's checkpoint to the newest one (exports/consistency.py); every
member of every records.jsonl line against its signed ledger entry, and the lines' order
(exports/records.py); the gaps in capture it lists against their ledger entries
(exports/gaps.py); where the payload is included, the content and raw bytes against
their hashes; and the records, the WARC and the produced files against the tables of the
certificate.

A redacted version has no payload to hash: its proof still holds, and its rendering is
checked against the SHA-256 the certificate lists for it; the report counts it. Every
version whose payload is absent (redacted or purged) must be listed so in the certificate,
a WARC record of captured bytes for such a version is reported, and so is a rendering,
a content or a file that differs from what the certificate states.

What this cannot show offline: the signature shows that the holder of the archive's key
wrote the package, certificate and renderings included, and the proofs that the ledger
holds each entry; neither shows that a rendering is a faithful redaction of the original,
whose bytes the package deliberately lacks. Only the archive, which holds them, can match
them to the hashes in the proof. Without the agency's published key, every check runs
against the package's own key, which shows only that the package is self-consistent.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import bagit
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from civicarchive.errors import ProofError
from civicarchive.exports.certificate import (CERTIFICATE, CHECKPOINT, GAPS, KEY, PROOFS,
                                              RECORDS, WARC, Certified, read_certificate)
from civicarchive.exports.consistency import ProvenTree, check_checkpoint_link
from civicarchive.exports.gaps import check_gaps
from civicarchive.exports.records import RecordFacts, check_records, json_equal, json_sha256
from civicarchive.exports.signature import check_signature
from civicarchive.exports.versions import Payload
from civicarchive.exports.warc import REDACTED_HEADER
from civicarchive.store.checkpoint import CheckpointBody, fingerprint, load_public_key, public_raw
from civicarchive.store.proof import parse_proof, verify_proof

__all__ = ["PackageReport", "check_evidence_package", "verify_evidence_package"]

PROOF_NAME = re.compile(r"^version-(\d+)\.json$")
# What a WARC metadata record restates of its version's ledger entry.
WARC_FACTS = ("version", "item", "event", "observed_at", "recorded_at", "source",
              "ledger_index", "content_sha256", "raw_sha256")


@dataclass
class PackageReport:
    """What verification found: the problems, and how many versions it could check how."""

    problems: list[str] = field(default_factory=list)
    proven: int = 0  # versions whose inclusion proof verifies
    included: int = 0  # versions whose content and raw bytes are in the package
    redacted: int = 0  # proven, but their payload is withheld: no hash to recompute
    purged: int = 0
    files: int = 0  # produced files listed in the certificate
    gaps: int = 0  # gaps in capture listed, each proven by its ledger entries
    signed: bool = False  # the signature over the tag manifest holds
    key_fingerprint: str | None = None  # of the key everything was checked against
    trusted_key: bool = False  # that key was the one the caller trusts, not the package's
    checkpoint_size: int | None = None  # of the newest checkpoint the proofs link to

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line for people: what was checked, against which key, and what could not."""
        text = (f"{self.proven} version(s) proven in the signed ledger: {self.included} with "
                f"their content and raw bytes checked against the ledger's hashes")
        if self.redacted:
            text += (f", {self.redacted} redacted (payload withheld: their renderings are "
                     "checked against the certificate, not against the ledger)")
        if self.purged:
            text += f", {self.purged} purged (payload gone by disposition)"
        if self.files:
            text += f"; {self.files} produced file(s) checked against the certificate"
        text += (f"; {self.gaps} gap(s) in capture listed, proven by the ledger" if self.gaps
                 else "; no gap in capture listed")
        if self.checkpoint_size is not None:
            text += f"; linked to the checkpoint of tree size {self.checkpoint_size}"
        if self.signed and self.trusted_key:
            text += f"; the package is signed by the trusted key {self.key_fingerprint}"
        elif self.signed:
            text += (f"; the package is signed by its own key {self.key_fingerprint}, which "
                     "only shows it is self-consistent: pass the agency's published key to "
                     "pin the signer")
        return text


@dataclass(frozen=True, slots=True)
class _Proven:
    entry: dict  # the signed entry's members, with its ledger_index
    entry_text: str  # the entry exactly as hashed into the leaf
    tree: ProvenTree


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
    """The problems of a package, the counts of versions checked, redacted and purged,
    and which key the signature and proofs were checked against."""
    folder = Path(folder)
    report = PackageReport()
    problems = report.problems
    try:
        bag = bagit.Bag(str(folder))
    except bagit.BagError as error:
        problems.append(f"{folder} is not a BagIt bag ({error}): give the package's top "
                        "folder")
        return report
    except (UnicodeDecodeError, ValueError) as error:  # tag files in another encoding
        problems.append(f"{folder}: a tag file of the bag (bagit.txt or bag-info.txt) is "
                        f"not UTF-8 text ({error}): it was altered after it was written")
        return report
    try:
        bag.validate()
    except bagit.BagValidationError as error:
        details = [str(d) for d in error.details] or [str(error.message)]
        problems += [f"bag: {detail}" for detail in details]
    except bagit.BagError as error:
        problems.append(f"bag: {error}")
    except (UnicodeDecodeError, ValueError) as error:
        problems.append(f"bag: a manifest is not UTF-8 text ({error})")
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
        report.trusted_key = True
    key = load_public_key(key_pem) if key_pem is not None else None
    report.key_fingerprint = fingerprint(_raw(key_pem)) if key_pem is not None else None
    report.signed = check_signature(folder, key, report.key_fingerprint, bag.info, problems)
    certified = _read_certified(data / CERTIFICATE, key_pem, problems)
    proven = _check_proofs(data / PROOFS, key, problems)
    report.proven = len(proven)
    report.gaps, gap_tree = check_gaps(data / GAPS, f"data/{GAPS}", key, problems)
    trees = [p.tree for p in proven.values()] + ([gap_tree] if gap_tree else [])
    newest = check_checkpoint_link(data / CHECKPOINT, f"data/{CHECKPOINT}", key, trees,
                                   problems)
    report.checkpoint_size = newest.size if newest is not None else None
    entries = {version: p.entry for version, p in proven.items()}
    records = check_records(data / RECORDS, entries, certified, problems)
    for facts in records.values():
        report.included += facts.payload is Payload.INCLUDED
        report.redacted += facts.payload is Payload.REDACTED
        report.purged += facts.payload is Payload.PURGED
    _check_warc(data / WARC, records, proven, problems)
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


def _check_proofs(folder: Path, key: Ed25519PublicKey | None, problems: list[str]
                  ) -> dict[int, _Proven]:
    """What every proof that holds proves, by version id."""
    proven: dict[int, _Proven] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        where = f"data/{PROOFS}/{path.name}"
        match = PROOF_NAME.match(path.name)
        try:
            doc = parse_proof(path.read_bytes(), where)
            if key is None:
                raise ProofError("there is no key to check it against")
            result = verify_proof(doc, key)
        except ProofError as error:
            problems.append(f"{where}: {error}")
            continue
        if match is None or int(match.group(1)) != result.version_id:
            problems.append(f"{where}: proves version {result.version_id}, not the version "
                            "its name says")
            continue
        origin = CheckpointBody.parse(doc["checkpoint"]["body"]).origin
        proven[result.version_id] = _Proven(
            {**result.entry, "ledger_index": result.leaf_index}, doc["entry"],
            ProvenTree(where, origin, result.tree_size, result.root))
    return proven


def _check_warc(path: Path, records: dict[int, RecordFacts], proven: dict[int, _Proven],
                problems: list[str]) -> None:
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
                    _check_metadata(where, version, warc_record, record, proven.get(version),
                                    problems)
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


def _check_metadata(where: str, version: int, warc_record: ArcWarcRecord,
                    record: RecordFacts, proven: _Proven | None, problems: list[str]) -> None:
    try:
        facts = orjson.loads(warc_record.content_stream().read())
    except orjson.JSONDecodeError:
        problems.append(f"{where}: the metadata of version {version} is not JSON")
        return
    if not isinstance(facts, dict):
        problems.append(f"{where}: the metadata of version {version} is not a JSON object")
        return
    if proven is not None:
        differ = [name for name in WARC_FACTS
                  if not json_equal(facts.get(name), proven.entry.get(name))]
        if facts.get("ledger_entry") != proven.entry_text:
            differ.append("ledger_entry")
        if differ:
            problems.append(f"{where}: the metadata of version {version} differs from its "
                            f"signed ledger entry in {', '.join(differ)}")
    if "content" not in facts:
        return
    if record.payload is not Payload.INCLUDED:
        problems.append(f"{where}: the metadata of version {version} carries content, "
                        f"but its payload is {getattr(record.payload, 'value', 'unknown')}")
    elif json_sha256(facts["content"]) != record.content_sha256:
        problems.append(f"{where}: the content in the metadata of version {version} does "
                        "not hash to its content_sha256")


def _check_files(data: Path, certified: Certified | None, report: PackageReport) -> None:
    """Produced files must be as the certificate lists them; no other file may appear."""
    problems = report.problems
    known = {RECORDS, WARC, KEY, CERTIFICATE, CHECKPOINT, GAPS}
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


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as stream:
        return _sha256(stream)
