"""Check a civicarchive inclusion proof without civicarchive (see docs/proof-format.md).

Usage: python verify_proof.py PROOF.json [PUBLIC_KEY.pem]
Prints OK and exits 0, or prints why the proof fails and exits 1.
Needs only the standard library and `cryptography` (for Ed25519).
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_pem_public_key)


class Invalid(Exception):
    pass


def check(condition, reason):
    if not condition:
        raise Invalid(reason)


def sha256(data):
    return hashlib.sha256(data).digest()


def root_from_audit_path(index, size, leaf, path):  # RFC 9162 section 2.1.3.2
    check(0 <= index < size, "leaf_index is outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        check(sn != 0, "audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    check(sn == 0, "audit path is shorter than the tree is deep")
    return r


def verify(doc, trusted_pem=None):
    check(doc["format"] == "civicarchive-inclusion-proof/1", "not an inclusion proof v1")
    entry_text, index, size = doc["entry"], doc["leaf_index"], doc["tree_size"]
    check(type(index) is int and type(size) is int, "leaf_index/tree_size must be integers")
    entry = json.loads(entry_text)
    check(entry["type"] == "version" and entry["version"] == doc["version_id"],
          "the entry is not for the version the proof names")
    if doc.get("content") is not None:
        check(sha256(doc["content"].encode()).hex() == entry["content_sha256"],
              "content does not match the entry's content_sha256")
    path = [bytes.fromhex(h) for h in doc["audit_path"]]
    check(all(len(p) == 32 for p in path), "audit path elements must be 32 bytes")
    root = root_from_audit_path(index, size, sha256(b"\x00" + entry_text.encode()), path)
    body = doc["checkpoint"]["body"]
    lines = body.split("\n")
    check(len(lines) == 6 and lines[0] == "civicarchive checkpoint v1" and lines[5] == ""
          and [line.split(" ")[0] for line in lines[1:5]] == ["origin", "size", "root", "time"],
          "checkpoint body is malformed")
    fields = dict(line.split(" ", 1) for line in lines[1:5])
    check(fields["size"] == str(size), f"tree_size {size} is not the signed size {fields['size']}")
    check(fields["root"] == root.hex(), "audit path does not lead to the signed root")
    key_raw = base64.b64decode(doc["public_key"], validate=True)
    try:
        Ed25519PublicKey.from_public_bytes(key_raw).verify(
            base64.b64decode(doc["checkpoint"]["signature"], validate=True), body.encode())
    except InvalidSignature:
        raise Invalid("checkpoint signature does not verify") from None
    if trusted_pem is not None:
        trusted = load_pem_public_key(trusted_pem).public_bytes(Encoding.Raw, PublicFormat.Raw)
        check(trusted == key_raw, "signed with a different key than the published one")
    return (f"OK: version {entry['version']} is ledger entry {index} of {size}, signed at "
            f"{fields['time']} by key sha256 {hashlib.sha256(key_raw).hexdigest()}")


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2])
        return 2
    try:
        with open(argv[1], "rb") as f:
            doc = json.load(f)
        trusted_pem = None
        if len(argv) == 3:
            with open(argv[2], "rb") as f:
                trusted_pem = f.read()
        print(verify(doc, trusted_pem))
        return 0
    except Invalid as error:
        print(f"FAILED: {error}")
    except (OSError, KeyError, TypeError, ValueError, AttributeError) as error:
        print(f"FAILED: the proof is malformed: {error!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
