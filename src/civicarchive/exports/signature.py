"""The signature of an evidence package: Ed25519, by the archive's key, over the bag's
tag manifest.

`tagmanifest-sha256.txt` lists the SHA-256 of `bagit.txt`, `bag-info.txt` and
`manifest-sha256.txt`, and `manifest-sha256.txt` lists every file under `data/` (the
certificate, the records, the WARC, the proofs, the checkpoint, the produced files), so
one signature over the tag manifest's bytes covers the whole package. The signature is
`tagmanifest-sha256.txt.sig`, the 64 raw bytes as RFC 8032 defines them: bagit never lists
a file named `tagmanifest-*` in a tag manifest (not even when it re-saves a bag), so the
bag stays valid, and OpenSSL checks it without civicarchive:

    openssl pkeyutl -verify -pubin -inkey agency.pem -rawin \\
        -in tagmanifest-sha256.txt -sigfile tagmanifest-sha256.txt.sig

`bag-info.txt` names the algorithm, the signature file and the key's fingerprint; being
covered by the signature, those statements are signed too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["BAG_INFO_FIELDS", "SIGNATURE", "TAG_MANIFEST", "check_signature", "sign_bag"]

TAG_MANIFEST = "tagmanifest-sha256.txt"
SIGNATURE = TAG_MANIFEST + ".sig"
MANIFEST = "manifest-sha256.txt"
SIGNED_TAG_FILES = ("bagit.txt", "bag-info.txt", MANIFEST)
ALGORITHM = "Ed25519"


def bag_info_fields(key_fingerprint: str) -> dict[str, str]:
    """What bag-info.txt states of the signature (signed with the rest of bag-info)."""
    return {"Signature-Algorithm": ALGORITHM, "Signature-File": SIGNATURE,
            "Signing-Key-SHA256": key_fingerprint}


BAG_INFO_FIELDS = tuple(bag_info_fields(""))


def sign_bag(folder: Path, sign: Callable[[bytes], bytes]) -> None:
    """Write the signature of the bag's tag manifest, once the bag is complete."""
    (folder / SIGNATURE).write_bytes(sign((folder / TAG_MANIFEST).read_bytes()))


def check_signature(folder: Path, key: Ed25519PublicKey | None, key_fingerprint: str | None,
                    bag_info: dict, problems: list[str]) -> bool:
    """Append what is wrong with the signature and what it covers; True when it holds.

    It holds when the signature verifies over the tag manifest with `key`, the tag
    manifest lists the three signed tag files with their true SHA-256, every file under
    data/ is in the payload manifest (whose hashes bagit validation checks), and no other
    file sits beside them unsigned."""
    try:
        signature = (folder / SIGNATURE).read_bytes()
        signed = (folder / TAG_MANIFEST).read_bytes()
    except OSError as error:
        problems.append(f"the package is not signed: {error.filename} cannot be read "
                        f"({error.strerror}); it must hold {SIGNATURE}, the archive key's "
                        f"signature of {TAG_MANIFEST}")
        return False
    holds = True
    if key is None:
        problems.append(f"{SIGNATURE}: there is no key to check it against")
        holds = False
    else:
        try:
            key.verify(signature, signed)
        except InvalidSignature:
            problems.append(f"{SIGNATURE} does not verify over {TAG_MANIFEST} with the key "
                            "checked against: the certificate, bag-info or manifests were "
                            "changed after signing, or another key signed them")
            holds = False
    stated = {name: bag_info.get(name) for name in BAG_INFO_FIELDS}
    if key_fingerprint is not None and stated != bag_info_fields(key_fingerprint):
        problems.append(f"bag-info.txt states the signature as {stated}, not as "
                        f"{bag_info_fields(key_fingerprint)}")
        holds = False
    listed = _manifest(signed)
    for name in SIGNED_TAG_FILES:
        path = folder / name
        if listed.get(name) is None or not path.is_file() or \
                hashlib.sha256(path.read_bytes()).hexdigest() != listed[name]:
            problems.append(f"{TAG_MANIFEST} does not list {name} with its SHA-256, so the "
                            "signature does not cover it")
            holds = False
    return _check_coverage(folder, problems) and holds


def _check_coverage(folder: Path, problems: list[str]) -> bool:
    """Every file of the package is signed: data/ files through the payload manifest,
    the tag files through the tag manifest."""
    holds = True
    try:
        payload = _manifest((folder / MANIFEST).read_bytes())
    except OSError:
        payload = {}
    data = folder / "data"
    for path in sorted(p for p in data.rglob("*") if p.is_file()) if data.is_dir() else []:
        name = path.relative_to(folder).as_posix()
        if name not in payload:
            problems.append(f"{name} is not in {MANIFEST}: the signature does not cover it")
            holds = False
    known = {*SIGNED_TAG_FILES, TAG_MANIFEST, SIGNATURE, "data"}
    for path in sorted(folder.iterdir()):
        if path.name not in known:
            problems.append(f"{path.name} is not part of a signed package: the signature "
                            f"does not cover it")
            holds = False
    return holds


def _manifest(text: bytes) -> dict[str, str]:
    """A BagIt manifest's lines, `<hash> <path>`, by path, read as bagit reads them."""
    entries = {}
    for line in text.decode("utf-8", "replace").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            entries[_ESCAPED.sub(lambda m: _UNESCAPED[m.group().upper()], parts[1])] = \
                parts[0].lower()
    return entries


# BagIt 1.0 section 2.1.3: a path in a manifest escapes CR, LF and % only.
_ESCAPED = re.compile("%0[AaDd]|%25")
_UNESCAPED = {"%0A": "\n", "%0D": "\r", "%25": "%"}
