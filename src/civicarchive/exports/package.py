"""Evidence packages: a BagIt bag of versions, their raw captures (WARC), inclusion
proofs, the archive's public key and a certificate of authenticity.

`verify_evidence_package` needs only the folder (and, ideally, the agency's published
key): it collects every problem it finds instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import bagit
import orjson
from warcio.archiveiterator import ArchiveIterator

from civicarchive.errors import InvalidInput, ProofError
from civicarchive.exports.certificate import render_certificate
from civicarchive.exports.warc import write_warc
from civicarchive.store.canonical import canonical_json, sha256_hex
from civicarchive.store.checkpoint import load_public_key, public_raw
from civicarchive.store.proof import verify_proof

__all__ = ["write_evidence_package", "verify_evidence_package"]

RECORDS = "records.jsonl"
WARC = "records.warc.gz"
KEY = "public-key.pem"
CERTIFICATE = "CERTIFICATE.md"
PROOF_NAME = re.compile(r"^version-(\d+)\.json$")
# Entry members a records.jsonl line restates; each must agree with the signed entry.
ENTRY_FIELDS = {"version": "version", "item": "item", "event": "event",
                "observed_at": "observed_at", "recorded_at": "recorded_at",
                "content_sha256": "content_sha256", "raw_sha256": "raw_sha256"}


def write_evidence_package(archive, version_ids: Iterable[int], folder: Path | str) -> Path:
    """Write a BagIt bag (sha256 manifests) of the versions into `folder` (new or empty)."""
    folder = Path(folder)
    ids = list(dict.fromkeys(version_ids))
    if not ids:
        raise InvalidInput("an evidence package needs at least one version: name them "
                           "with --version or --item")
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInput(f"{folder} is not empty: choose a new folder for the package")
    (folder / "proofs").mkdir(parents=True)
    versions = [archive.version(v) for v in ids]
    with open(folder / RECORDS, "wb") as out:
        for version in versions:
            out.write(orjson.dumps(_record(archive, version), option=orjson.OPT_SORT_KEYS)
                      + b"\n")
    with open(folder / WARC, "wb") as out:
        write_warc(archive, ids, out)
    for version in versions:
        proof = archive.proof(version.id)
        (folder / "proofs" / f"version-{version.id}.json").write_bytes(
            orjson.dumps(proof, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    (folder / KEY).write_bytes(archive.public_key_pem())
    (folder / CERTIFICATE).write_text(render_certificate(archive, versions), encoding="utf-8")
    agency = ", ".join(a.name for a in archive.agencies())
    bagit.make_bag(str(folder), {
        "Source-Organization": agency,
        "External-Description": f"Evidence package of {len(ids)} archived version(s) "
                                f"from civicarchive archive {archive.archive_id}",
        "External-Identifier": f"urn:civicarchive:{archive.archive_id}",
    }, checksums=["sha256"])
    return folder


def _record(archive, version) -> dict:
    item = archive.item(version.item_id)
    return {"version": version.id, "item": item.id, "account": item.account_id,
            "native_id": item.native_id, "kind": item.kind.value, "url": item.url,
            "event": version.event.value, "observed_at": version.observed_at,
            "recorded_at": version.recorded_at, "source": version.source,
            "ledger_index": version.ledger_index, "content": archive.content(version),
            "content_sha256": version.content_sha256, "raw_sha256": version.raw_sha256}


def verify_evidence_package(folder: Path | str, trusted_key_pem: bytes | None = None
                            ) -> list[str]:
    """Every problem with a package; an empty list means it is sound.

    Without `trusted_key_pem` the package's own key is used, which shows only that the
    package is self-consistent: pass the agency's published key to pin the signer.
    """
    folder = Path(folder)
    problems: list[str] = []
    try:
        bagit.Bag(str(folder)).validate()
    except bagit.BagValidationError as error:
        details = [str(d) for d in error.details] or [str(error.message)]
        problems += [f"bag: {detail}" for detail in details]
    except bagit.BagError as error:
        return [f"{folder} is not a BagIt bag ({error}): give the package's top folder"]
    data = folder / "data"
    key_pem = _read_key(data / KEY, problems)
    if trusted_key_pem is not None:
        try:
            load_public_key(trusted_key_pem)
        except (ValueError, TypeError) as error:
            return problems + [f"the trusted key is not an Ed25519 public key ({error}): "
                               "give the agency's published PEM file"]
        if key_pem is not None and _raw(key_pem) != _raw(trusted_key_pem):
            problems.append(f"data/{KEY} is not the trusted key you gave: the package was "
                            "signed by someone else or its key was replaced")
        key_pem = trusted_key_pem
    entries = _check_proofs(data / "proofs", key_pem, problems)
    records = _check_records(data / RECORDS, entries, problems)
    _check_warc(data / WARC, records, problems)
    return problems


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


def _check_proofs(folder: Path, key_pem: bytes | None, problems: list[str]) -> dict:
    """Verified entries by version id, from every proof that holds."""
    entries: dict[int, dict] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        where = f"data/proofs/{path.name}"
        match = PROOF_NAME.match(path.name)
        try:
            doc = orjson.loads(path.read_bytes())
            if key_pem is None:
                raise ProofError("there is no key to check it against")
            result = verify_proof(doc, load_public_key(key_pem))
        except (orjson.JSONDecodeError, ProofError) as error:
            problems.append(f"{where}: {error}")
            continue
        if match is None or int(match.group(1)) != result.version_id:
            problems.append(f"{where}: proves version {result.version_id}, not the version "
                            "its name says")
            continue
        entries[result.version_id] = {**result.entry, "ledger_index": result.leaf_index}
    return entries


def _check_records(path: Path, entries: dict[int, dict], problems: list[str]) -> dict:
    """raw_sha256 by version id of the records.jsonl lines."""
    raws: dict[int, str] = {}
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
        except (orjson.JSONDecodeError, KeyError, TypeError):
            problems.append(f"{where}: not a JSON record with a version")
            continue
        raws[version] = record.get("raw_sha256")
        content = record.get("content")
        if content is not None and sha256_hex(canonical_json(content)) != \
                record.get("content_sha256"):
            problems.append(f"{where}: content does not hash to its content_sha256")
        entry = entries.get(version)
        if entry is None:
            problems.append(f"{where}: version {version} has no proof that verifies in "
                            "data/proofs")
            continue
        for field, member in {**ENTRY_FIELDS, "ledger_index": "ledger_index"}.items():
            if record.get(field) != entry.get(member):
                problems.append(f"{where}: {field} differs from the signed ledger entry")
    for version in sorted(entries.keys() - raws.keys()):
        problems.append(f"version {version} has a proof but no line in data/{RECORDS}")
    return raws


def _check_warc(path: Path, raws: dict[int, str], problems: list[str]) -> None:
    """Each resource record's bytes must hash to its version's raw_sha256."""
    try:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "resource":
                    continue
                version = int(record.rec_headers.get_header("WARC-Civicarchive-Version"))
                digest, content = hashlib.sha256(), record.content_stream()
                for chunk in iter(lambda: content.read(65536), b""):
                    digest.update(chunk)
                if raws.get(version) != digest.hexdigest():
                    problems.append(f"data/{WARC}: raw bytes of version {version} do not "
                                    "match its raw_sha256")
    except (OSError, ValueError, TypeError) as error:
        problems.append(f"data/{WARC} cannot be read: {error}")
