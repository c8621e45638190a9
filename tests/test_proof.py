"""Inclusion proofs verify offline, and every kind of tampering with one is rejected."""

from __future__ import annotations

import base64
import copy

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicarchive import InvalidInput, ProofError
from civicarchive.app.offline import check_proof
from civicarchive.store.proof import parse_proof, verify_proof

from .conftest import observe


@pytest.fixture
def proof(archive, account):
    archive.ingesting.ingest([observe(account.id, str(n), f"post {n}", n) for n in range(37)],
                             source="t", batch_size=10)
    version = archive.reading.history(5)[0]
    doc = archive.evidence.proof(version.id)
    assert len(doc["audit_path"]) >= 5
    return doc


def flip_hex(text: str, position: int = 0) -> str:
    digit = text[position]
    return text[:position] + ("0" if digit != "0" else "1") + text[position + 1:]


def test_proof_verifies_and_reports_what_it_proves(proof, archive):
    result = check_proof(proof, archive.evidence.public_key_pem())
    assert result.version_id == proof["version_id"]
    assert result.tree_size == archive.reading.stats()["ledger_entries"]
    assert result.content_included and result.entry["native_id"] == "4"
    assert result.key_fingerprint == archive.context.public_key_fingerprint


def mutations(doc: dict):
    """(name, mutated proof) for every way a proof might be forged or damaged."""
    path = doc["audit_path"]
    for i in range(len(path)):
        for position in (0, 31, 63):
            bad = copy.deepcopy(doc)
            bad["audit_path"][i] = flip_hex(path[i], position)
            yield f"bit flip in path[{i}] at {position}", bad
    for i in range(len(path) - 1):
        bad = copy.deepcopy(doc)
        bad["audit_path"][i], bad["audit_path"][i + 1] = path[i + 1], path[i]
        yield f"swapped siblings {i}/{i + 1}", bad
    for keep in range(len(path)):
        bad = copy.deepcopy(doc)
        bad["audit_path"] = path[:keep]
        yield f"path truncated to {keep}", bad
    bad = copy.deepcopy(doc)
    bad["audit_path"] = path + [path[0]]
    yield "path extended", bad
    for delta in (-1, 1, 1000):
        bad = copy.deepcopy(doc)
        bad["tree_size"] += delta
        yield f"tree size {delta:+}", bad
    for delta in (-1, 1):
        bad = copy.deepcopy(doc)
        bad["leaf_index"] += delta
        yield f"leaf index {delta:+}", bad
    bad = copy.deepcopy(doc)
    bad["entry"] = doc["entry"].replace('"event":"created"', '"event":"deleted"')
    yield "entry event changed", bad
    bad = copy.deepcopy(doc)
    bad["entry"] = doc["entry"].replace('"native_id":"4"', '"native_id":"5"')
    yield "entry native id changed", bad
    bad = copy.deepcopy(doc)
    bad["content"] = doc["content"].replace("post 4", "post 5")
    yield "content changed", bad
    bad = copy.deepcopy(doc)
    bad["version_id"] += 1
    yield "version id changed", bad
    signature = base64.b64decode(doc["checkpoint"]["signature"])
    for position in (0, 32, 63):
        bad = copy.deepcopy(doc)
        forged = bytearray(signature)
        forged[position] ^= 0x01
        bad["checkpoint"]["signature"] = base64.b64encode(bytes(forged)).decode()
        yield f"signature bit flip at {position}", bad
    bad = copy.deepcopy(doc)
    bad["checkpoint"]["body"] = doc["checkpoint"]["body"].replace(
        f"size {doc['tree_size']}", f"size {doc['tree_size'] + 1}")
    bad["tree_size"] += 1
    yield "checkpoint size rewritten", bad
    bad = copy.deepcopy(doc)
    root_line = next(line for line in doc["checkpoint"]["body"].split("\n")
                     if line.startswith("root "))
    bad["checkpoint"]["body"] = doc["checkpoint"]["body"].replace(root_line, flip_hex(root_line, 5))
    yield "checkpoint root rewritten", bad
    # a forger re-signs with their own key: the proof is consistent, but not the agency's
    forger = Ed25519PrivateKey.generate()
    bad = copy.deepcopy(doc)
    bad["checkpoint"]["signature"] = base64.b64encode(
        forger.sign(doc["checkpoint"]["body"].encode())).decode()
    yield "signed by another key, old public key", bad
    for name in ("entry", "audit_path", "checkpoint", "public_key", "tree_size", "content"):
        bad = copy.deepcopy(doc)
        del bad[name]
        yield f"missing {name}", bad
    bad = copy.deepcopy(doc)
    bad["format"] = "something-else/1"
    yield "wrong format", bad


def test_every_mutated_proof_is_rejected(proof, archive):
    names = []
    for name, bad in mutations(proof):
        names.append(name)
        with pytest.raises(ProofError):
            check_proof(bad)
            pytest.fail(f"accepted a proof with {name}")
    assert len(names) > 40


def test_proof_signed_by_another_key_is_rejected_when_the_key_is_pinned(proof, archive):
    forger = Ed25519PrivateKey.generate()
    forged = copy.deepcopy(proof)
    forged["checkpoint"]["signature"] = base64.b64encode(
        forger.sign(proof["checkpoint"]["body"].encode())).decode()
    from cryptography.hazmat.primitives import serialization
    forged["public_key"] = base64.b64encode(forger.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    assert check_proof(forged)  # self-consistent...
    with pytest.raises(ProofError, match="different key"):
        check_proof(forged, archive.evidence.public_key_pem())  # ...but not the agency's


def test_proof_for_unknown_version_fails_clearly(archive, account):
    from civicarchive import NotFound
    with pytest.raises(NotFound):
        archive.evidence.proof(12345)


def test_proof_file_as_the_cli_writes_it_reads_strictly_and_verifies(proof, archive):
    written = orjson.dumps(proof, option=orjson.OPT_INDENT_2)  # what `civicarchive proof` writes
    assert verify_proof(parse_proof(written)).version_id == proof["version_id"]


def test_parse_proof_names_the_file_and_the_rule():
    with pytest.raises(ProofError, match=r"^proof\.json names the member 'leaf_index' twice "
                                         r"\(rule duplicate-member\)$"):
        parse_proof(b'{"leaf_index": 1, "leaf_index": 2}', "proof.json")
    with pytest.raises(ProofError, match=r"^proof\.json is not JSON: .* at line 2 column 1 "
                                         r"\(rule json\)$"):
        parse_proof(b'{"a":\n', "proof.json")


def _key_with_unused_bits(key: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return key[:42] + alphabet[alphabet.index(key[42]) | 1] + "="


# What the verifier used to accept: each decodes or compares equal to the genuine value.
LAX = {
    "version id 1.0": ("types", lambda doc: doc.update(version_id=float(doc["version_id"]))),
    "leaf index true": ("types", lambda doc: doc.update(leaf_index=True)),
    "upper-case path hex": ("audit-path-hex",
                            lambda doc: doc["audit_path"].__setitem__(0, doc["audit_path"][0]
                                                                      .upper())),
    "non-canonical key base64": ("base64", lambda doc: doc.update(
        public_key=_key_with_unused_bits(doc["public_key"]))),
    "content missing": ("members", lambda doc: doc.pop("content")),
    "unknown member": ("members", lambda doc: doc.update(note="")),
    "negative leaf index": ("leaf-index-range", lambda doc: doc.update(leaf_index=-1)),
}


@pytest.mark.parametrize("name", LAX)
def test_proof_lax_forms_are_rejected_naming_the_rule(proof, name):
    rule, change = LAX[name]
    doc = copy.deepcopy(proof)
    change(doc)
    with pytest.raises(ProofError, match=rf"\(rule {rule}\)$"):
        check_proof(doc)


def test_an_empty_trusted_key_is_refused_not_read_as_no_key(archive, account):
    # Read as "no key", the signatures were checked against the archive's own record of its
    # key while the result read as checked against the agency's published one.
    with pytest.raises(InvalidInput, match="trusted public key"):
        archive.evidence.verify(trusted_key_pem=b"")
    with pytest.raises(InvalidInput, match="trusted public key"):
        check_proof({}, trusted_key=b"  \n")
