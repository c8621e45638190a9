"""Evidence packages: a clean package verifies; each kind of tampering is reported."""

from __future__ import annotations

import base64
import json
import shutil

import bagit
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicarchive.exports import verify_evidence_package, write_evidence_package
from tests.conftest import observe


@pytest.fixture
def package(archive, account, tmp_path):
    archive.ingest([observe(account.id, "1", "hello", 0),
                    observe(account.id, "1", "hello, edited", 5),
                    observe(account.id, "2", "second post", 1)], source="t")
    ids = [v.id for item in (1, 2) for v in archive.history(item)]
    return write_evidence_package(archive, ids, tmp_path / "package"), ids


def _rebag(folder) -> None:
    """Recompute the manifests, as a forger would, so only the deeper checks can catch it."""
    bagit.Bag(str(folder)).save(manifests=True)


def _has(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_package_clean_verifies(archive, package):
    folder, ids = package
    data = folder / "data"
    assert sorted(p.name for p in data.iterdir()) == [
        "CERTIFICATE.md", "proofs", "public-key.pem", "records.jsonl", "records.warc.gz"]
    assert len((data / "records.jsonl").read_text().splitlines()) == len(ids)
    assert archive.public_key_fingerprint in (data / "CERTIFICATE.md").read_text()
    assert (folder / "manifest-sha256.txt").exists()
    assert verify_evidence_package(folder) == []
    assert verify_evidence_package(folder, archive.public_key_pem()) == []


def test_package_byte_flip_in_records_is_reported(package):
    folder, _ = package
    path = folder / "data" / "records.jsonl"
    path.write_bytes(path.read_bytes().replace(b"hello, edited", b"hello, edites"))
    assert _has(verify_evidence_package(folder), "bag:", "records.jsonl")
    _rebag(folder)
    assert _has(verify_evidence_package(folder), "content does not hash")


def test_package_swapped_proof_is_reported(package):
    folder, ids = package
    first, second = (folder / "data" / "proofs" / f"version-{v}.json" for v in ids[:2])
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b), second.write_bytes(a)
    assert _has(verify_evidence_package(folder), "bag:")
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, f"version-{ids[0]}.json", "not the version its name says")


def test_package_removed_proof_is_reported(package):
    folder, ids = package
    (folder / "data" / "proofs" / f"version-{ids[0]}.json").unlink()
    assert _has(verify_evidence_package(folder), "bag:")
    _rebag(folder)
    assert _has(verify_evidence_package(folder), f"version {ids[0]} has no proof")


def test_package_forged_checkpoint_fails_against_the_trusted_key(archive, package):
    folder, _ = package
    forger = Ed25519PrivateKey.generate()
    raw = forger.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    for path in (folder / "data" / "proofs").glob("*.json"):
        doc = json.loads(path.read_text())
        doc["checkpoint"]["signature"] = base64.b64encode(
            forger.sign(doc["checkpoint"]["body"].encode())).decode()
        doc["public_key"] = base64.b64encode(raw).decode()
        path.write_text(json.dumps(doc))
    (folder / "data" / "public-key.pem").write_bytes(forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _rebag(folder)
    assert verify_evidence_package(folder) == []  # self-consistent, hence the trusted key
    problems = verify_evidence_package(folder, archive.public_key_pem())
    assert _has(problems, "public-key.pem is not the trusted key")
    assert _has(problems, "different key than the one you trust")


def test_package_version_missing_from_records_is_reported(package):
    folder, ids = package
    path = folder / "data" / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[1:]))
    _rebag(folder)
    assert _has(verify_evidence_package(folder), f"version {ids[0]} has a proof but no line")


def test_package_tampered_raw_capture_is_reported(archive, package, tmp_path):
    folder, ids = package
    path = folder / "data" / "records.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines[0]["raw_sha256"] = "0" * 64
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    _rebag(folder)
    problems = verify_evidence_package(folder)
    assert _has(problems, "raw_sha256 differs from the signed ledger entry")
    assert _has(problems, "records.warc.gz", f"version {ids[0]}")


def test_package_refuses_a_folder_that_is_not_empty(archive, package):
    folder, ids = package
    with pytest.raises(Exception, match="not empty"):
        write_evidence_package(archive, ids, folder)


def test_package_purged_version_still_verifies(archive, account, tmp_path):
    archive.ingest([observe(account.id, "1", "hello", 0)], source="t")
    version = archive.history(1)[0].id
    archive.purge([version], reason="schedule GS-1 approved", actor="clerk")
    folder = write_evidence_package(archive, [version], tmp_path / "purged")
    assert verify_evidence_package(folder, archive.public_key_pem()) == []
    shutil.rmtree(folder)


def test_cli_export_and_verify_package(tmp_path):
    from click.testing import CliRunner

    from civicarchive.cli import main
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()
    runner.invoke(main, [*home, "init", "--agency", "Town"])
    runner.invoke(main, [*home, "accounts", "add", "--platform", "x", "--handle", "t",
                         "--classification", "agency"])
    feed = tmp_path / "posts.jsonl"
    feed.write_text('{"native_id": "1", "kind": "post", "created_at": "2025-01-01T00:00:00Z",'
                    ' "observed_at": "2025-01-02T00:00:00Z", "author": "t", "text": "hello"}\n')
    assert runner.invoke(main, [*home, "ingest-jsonl", str(feed), "--account", "1"]).exit_code == 0
    package = tmp_path / "package"
    result = runner.invoke(main, [*home, "export", "--item", "1", "--format", "bagit", "-o",
                                  str(package)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["verify-package", str(package)]).exit_code == 0
    (package / "data" / "public-key.pem").write_text("not a key")
    result = runner.invoke(main, ["verify-package", str(package)])
    assert result.exit_code == 1 and "FAILED" in result.output
    warc = tmp_path / "records.warc.gz"
    assert runner.invoke(main, [*home, "export", "--version", "1", "--format", "warc", "-o",
                                str(warc)]).exit_code == 0
    assert warc.read_bytes()[:2] == b"\x1f\x8b"
    assert runner.invoke(main, [*home, "export", "--format", "warc", "-o",
                                str(warc)]).exit_code == 1
