"""The standalone verifier in docs/examples/verify_proof.py accepts real proofs and rejects
tampered ones, without importing civicarchive (docs/proof-format.md)."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicarchive import Archive, Event, Kind, Observation
from civicarchive.clock import FixedClock
from civicarchive.store.proof import verify_proof

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "verify_proof.py"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def _observation(account_id: int, n: int, text: str, minutes: int,
                 event: Event | None = None) -> Observation:
    return Observation(account_id=account_id, native_id=f"post-{n}", kind=Kind.POST,
                       observed_at=T0 + timedelta(minutes=minutes), created_at=T0,
                       content={"author": "city", "text": text}, raw=text.encode(),
                       author="city", url=f"https://x.example/city/{n}", event=event)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    home = tmp_path_factory.mktemp("proof-example") / "h"
    archive = Archive.init("City", home=home,
                           clock=FixedClock(datetime(2024, 3, 2, tzinfo=timezone.utc)))
    account = archive.registry.add_account("x", "city", "agency")
    observations = [_observation(account.id, n, f"post {n}", n) for n in range(20)]
    observations += [_observation(account.id, 3, "post 3, corrected", 100),
                     _observation(account.id, 7, "post 7", 101, Event.DELETED)]
    report = archive.ingesting.ingest(observations, source="test", batch_size=7)
    assert report.versions == 22
    yield archive
    archive.close()


def _versions(archive: Archive) -> list[int]:
    return [v.id for item_id in range(1, 21) for v in archive.reading.history(item_id)]


def _run(tmp_path: Path, doc: dict, *key: Path) -> subprocess.CompletedProcess:
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(doc, indent=2))
    return subprocess.run([sys.executable, str(SCRIPT), str(proof_file), *map(str, key)],
                          capture_output=True, text=True, timeout=60)


def _load_script():
    spec = importlib.util.spec_from_file_location("verify_proof_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def proof(archive: Archive) -> dict:
    doc = archive.evidence.proof(10)
    assert len(doc["audit_path"]) >= 4 and doc["tree_size"] > 20
    return doc


def test_script_does_not_import_civicarchive() -> None:
    source = SCRIPT.read_text()
    assert "civicarchive import" not in source and "import civicarchive" not in source


def test_a_real_proof_verifies(tmp_path: Path, proof: dict) -> None:
    result = _run(tmp_path, proof)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")


def test_with_the_published_key(tmp_path: Path, archive: Archive, proof: dict) -> None:
    published = tmp_path / "agency.pem"
    published.write_bytes(archive.evidence.public_key_pem())
    assert _run(tmp_path, proof, published).returncode == 0

    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = _run(tmp_path, proof, other)
    assert result.returncode == 1
    assert "different key" in result.stdout


def _flip(hex_text: str, position: int) -> str:
    digit = hex_text[position]
    return hex_text[:position] + ("0" if digit != "0" else "1") + hex_text[position + 1:]


@pytest.mark.parametrize("element", [0, -1])
def test_a_flipped_audit_path_digit_is_rejected(tmp_path: Path, proof: dict,
                                                element: int) -> None:
    doc = copy.deepcopy(proof)
    doc["audit_path"][element] = _flip(doc["audit_path"][element], 17)
    result = _run(tmp_path, doc)
    assert result.returncode == 1
    assert "signed root" in result.stdout


@pytest.mark.parametrize("delta", [1, -1])
def test_a_changed_tree_size_is_rejected(tmp_path: Path, proof: dict, delta: int) -> None:
    doc = copy.deepcopy(proof)
    doc["tree_size"] += delta
    result = _run(tmp_path, doc)
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED")


def test_a_changed_entry_character_is_rejected(tmp_path: Path, proof: dict) -> None:
    doc = copy.deepcopy(proof)
    assert '"native_id":"post-' in doc["entry"]
    doc["entry"] = doc["entry"].replace('"native_id":"post-', '"native_id":"pust-')
    result = _run(tmp_path, doc)
    assert result.returncode == 1
    assert "signed root" in result.stdout


@pytest.mark.parametrize("tamper", ["content", "signature", "body", "leaf_index",
                                    "version_id", "public_key", "missing"])
def test_other_tampering_is_rejected(tmp_path: Path, proof: dict, tamper: str) -> None:
    doc = copy.deepcopy(proof)
    if tamper == "content":
        doc["content"] = doc["content"].replace("post", "pots")
    elif tamper == "signature":
        doc["checkpoint"]["signature"] = ("B" if doc["checkpoint"]["signature"][0] != "B"
                                          else "C") + doc["checkpoint"]["signature"][1:]
    elif tamper == "body":
        doc["checkpoint"]["body"] = doc["checkpoint"]["body"].replace("time 2", "time 1")
    elif tamper == "leaf_index":
        doc["leaf_index"] += 1
    elif tamper == "version_id":
        doc["version_id"] += 1
    elif tamper == "public_key":
        # a random key starts with "A" one time in 64: always pick another first letter
        doc["public_key"] = ("B" if doc["public_key"][0] == "A" else "A") + doc["public_key"][1:]
    else:
        del doc["checkpoint"]
    assert doc != proof
    result = _run(tmp_path, doc)
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("FAILED")


def test_every_version_verifies_and_agrees_with_the_reference(archive: Archive) -> None:
    script = _load_script()
    for version_id in _versions(archive):
        doc = json.loads(json.dumps(archive.evidence.proof(version_id)))
        assert script.verify(doc).startswith("OK"), version_id
        assert verify_proof(doc).version_id == version_id


def test_a_purged_version_still_verifies(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("purged") / "h"
    with Archive.init("City", home=home,
                      clock=FixedClock(datetime(2024, 3, 2, tzinfo=timezone.utc))) as archive:
        account = archive.registry.add_account("x", "city", "agency")
        archive.ingesting.ingest([_observation(account.id, n, f"post {n}", n) for n in range(20)],
                                 source="test")
        before = archive.evidence.proof(5)
        archive.disposition.purge([5], reason="schedule GS-1 item 2, approved", actor="clerk")
        after = archive.evidence.proof(5)
    assert before["content"] is not None and after["content"] is None
    assert after["entry"] == before["entry"] and after["tree_size"] > before["tree_size"]
    script = _load_script()
    assert script.verify(before).startswith("OK")
    assert script.verify(after).startswith("OK")
