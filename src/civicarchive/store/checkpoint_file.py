"""A signed checkpoint as a file of its own (`civicarchive-checkpoint/1`, docs/checkpoint-file.md).

The same JSON serves three readers: the signer's own record of the last checkpoint it
signed (`keys/last-checkpoint`, outside the database), a checkpoint published for anyone
to keep (`civicarchive checkpoint export`), and `verify --checkpoint`, which checks that
an archive's ledger extends one obtained earlier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.errors import InvalidInput, ProofError
from civicarchive.store.checkpoint import CheckpointBody, public_raw, signature_valid
from civicarchive.store.merkle import Frontier
from civicarchive.store.proofcheck import parse_body

FORMAT = "civicarchive-checkpoint/1"
MEMBERS = ("format", "checkpoint", "public_key", "frontier", "timestamp")


@dataclass(frozen=True)
class CheckpointFile:
    """One signed checkpoint, with the frontier of its tree and, once a time-stamping
    authority has answered, its RFC 3161 time-stamp response (DER)."""

    body_text: str
    signature: bytes
    public_key: bytes  # the 32 raw Ed25519 bytes
    frontier: tuple[bytes, ...]
    timestamp: bytes | None = None

    @property
    def body(self) -> CheckpointBody:
        return CheckpointBody.parse(self.body_text)

    def with_timestamp(self, token: bytes | None) -> CheckpointFile:
        return replace(self, timestamp=token)

    def to_json(self) -> bytes:
        doc = {"format": FORMAT,
               "checkpoint": {"body": self.body_text,
                              "signature": base64.b64encode(self.signature).decode()},
               "public_key": base64.b64encode(self.public_key).decode(),
               "frontier": [h.hex() for h in self.frontier],
               "timestamp": base64.b64encode(self.timestamp).decode()
               if self.timestamp is not None else None}
        return (json.dumps(doc, indent=2) + "\n").encode()

    @classmethod
    def read(cls, data: bytes, where: str) -> CheckpointFile:
        """Read a checkpoint file strictly; InvalidInput naming `where` and the fault."""
        def fail(what: str) -> InvalidInput:
            return InvalidInput(f"{where}: {what}", parameter="checkpoint")

        def unique(pairs: list[tuple[str, object]]) -> dict:
            if len({name for name, _ in pairs}) != len(pairs):
                raise fail("a member is named twice")
            return dict(pairs)

        try:
            doc = json.loads(data.decode("utf-8"), object_pairs_hook=unique)
        except (UnicodeDecodeError, ValueError) as error:
            raise fail(f"not a checkpoint file: {error}") from None
        except RecursionError:
            raise fail("not a checkpoint file: its JSON is nested too deeply") from None
        if not isinstance(doc, dict) or set(doc) != set(MEMBERS):
            raise fail(f"a checkpoint file is an object with exactly {', '.join(MEMBERS)}")
        if doc["format"] != FORMAT:
            raise fail(f"format is {doc['format']!r}, not {FORMAT!r}")
        checkpoint = doc["checkpoint"]
        if not isinstance(checkpoint, dict) or set(checkpoint) != {"body", "signature"} or \
                not all(isinstance(v, str) for v in checkpoint.values()):
            raise fail("checkpoint must be an object with exactly the strings body and "
                       "signature")
        try:
            parse_body(checkpoint["body"])
        except ProofError as error:
            raise fail(str(error)) from None
        frontier = doc["frontier"]
        if not isinstance(frontier, list) or not all(
                isinstance(h, str) and len(h) == 64 and h == h.lower() for h in frontier):
            raise fail("frontier must be an array of 64 lower-case hex digits each")
        timestamp = doc["timestamp"]
        try:
            return cls(checkpoint["body"], _base64(checkpoint["signature"]),
                       _base64(doc["public_key"]), tuple(bytes.fromhex(h) for h in frontier),
                       None if timestamp is None else _base64(timestamp))
        except (TypeError, ValueError, binascii.Error) as error:
            raise fail(f"a hex or base64 member is malformed: {error}") from None

    def problems(self, trusted: Ed25519PublicKey, origin: str) -> list[str]:
        """What keeps this file from being a checkpoint of archive `origin` signed with
        `trusted`: key, signature, origin, and a frontier that leads to the signed root."""
        body = self.body
        if self.public_key != public_raw(trusted):
            return ["it is signed with another key than the archive's (key sha256 "
                    f"{hashlib.sha256(self.public_key).hexdigest()})"]
        if not signature_valid(trusted, self.body_text, self.signature):
            return ["its signature does not verify with the archive's public key"]
        if body.origin != origin:
            return [f"it is a checkpoint of archive {body.origin}, not {origin}"]
        try:
            root = Frontier(body.size, self.frontier).root()
        except ValueError:
            root = None
        if root != body.root:
            return ["its frontier does not lead to the signed root"]
        return []


def _base64(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("base64 members are strings")
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise ValueError("base64 is not canonical")
    return raw


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` (mode 0600) so that a crash leaves the old file or the
    new one, never a part."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
