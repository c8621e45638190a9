"""Signed checkpoints: a tree size and root, signed with the archive's Ed25519 key.

The signed bytes are a short text, so anyone can check a signature with a few lines in
any language. Checkpoints are numbered from 1 and each names the SHA-256 of the body
before it (64 zeros for the first), so a deleted or replaced checkpoint breaks the chain:

    civicarchive checkpoint v2
    origin <archive id>
    size <tree size>
    root <root hash, lowercase hex>
    time <UTC time, ISO 8601>
    number <checkpoint number>
    previous <sha256 of the previous checkpoint's body, lowercase hex>

Archives written before the chain hold v1 bodies (the first five lines, header v1); they
stay valid, and count as numbers 1, 2, ... in the order they were written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER = "civicarchive checkpoint v1"
HEADER_V2 = "civicarchive checkpoint v2"
GENESIS = bytes(32)  # what the first checkpoint names as its previous
PRIVATE_KEY_FILE = "archive-ed25519.pem"
PUBLIC_KEY_FILE = "archive-ed25519.pub.pem"


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root: bytes
    time: str
    number: int | None = None  # None: a v1 body, which carries no chain
    previous: bytes | None = None

    def text(self) -> str:
        head = HEADER if self.number is None else HEADER_V2
        text = (f"{head}\norigin {self.origin}\nsize {self.size}\n"
                f"root {self.root.hex()}\ntime {self.time}\n")
        if self.number is not None:
            text += f"number {self.number}\nprevious {(self.previous or GENESIS).hex()}\n"
        return text

    def digest(self) -> bytes:
        """SHA-256 of the signed text: what the next checkpoint names as `previous`."""
        return hashlib.sha256(self.text().encode()).digest()

    @classmethod
    def parse(cls, text: str) -> CheckpointBody:
        lines = text.split("\n")
        names = {HEADER: ("origin", "size", "root", "time"),
                 HEADER_V2: ("origin", "size", "root", "time", "number", "previous")}
        wanted = names.get(lines[0])
        if wanted is None or len(lines) != len(wanted) + 2 or lines[-1] != "":
            raise ValueError("not a civicarchive v1 or v2 checkpoint")
        fields = {}
        for line, name in zip(lines[1:-1], wanted, strict=True):
            key, _, value = line.partition(" ")
            if key != name or not value:
                raise ValueError(f"checkpoint line {line!r} should start with {name!r}")
            fields[name] = value
        root = bytes.fromhex(fields["root"])
        if len(root) != 32 or not fields["size"].isdigit():
            raise ValueError("checkpoint size or root is malformed")
        number = previous = None
        if "number" in fields:
            previous = bytes.fromhex(fields["previous"])
            if not fields["number"].isdigit() or int(fields["number"]) < 1 or \
                    len(previous) != 32:
                raise ValueError("checkpoint number or previous is malformed")
            number = int(fields["number"])
        body = cls(fields["origin"], int(fields["size"]), root, fields["time"], number,
                   previous)
        if body.text() != text:
            raise ValueError("checkpoint is not written the one way the archive writes it")
        return body


class ArchiveKey:
    """The archive's Ed25519 signing key, kept in `keys/` with mode 0600."""

    def __init__(self, private: Ed25519PrivateKey, keys_dir: Path | None = None) -> None:
        self._private = private
        self.public = private.public_key()
        # Where the signer keeps the last checkpoint it signed, outside the database
        # (store/continuity.py); None for a key that lives nowhere (tests, vectors).
        self.keys_dir = keys_dir

    @classmethod
    def generate(cls, keys_dir: Path) -> ArchiveKey:
        keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        key = cls(Ed25519PrivateKey.generate(), keys_dir)
        pem = key._private.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        path = keys_dir / PRIVATE_KEY_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        (keys_dir / PUBLIC_KEY_FILE).write_bytes(key.public_pem())
        return key

    @classmethod
    def load(cls, keys_dir: Path) -> ArchiveKey:
        """The key in `keys_dir`; ValueError naming the file when it is not one."""
        path = keys_dir / PRIVATE_KEY_FILE
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as error:  # damaged, or a key with a password
            fault = str(error).split(". See https://", 1)[0]
            raise ValueError(f"{path} cannot be read as a key ({fault}): it is damaged; "
                             "restore it from your backup to write to this archive") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return cls(private, keys_dir)

    def sign(self, body: CheckpointBody) -> bytes:
        return self._private.sign(body.text().encode())

    def sign_bytes(self, data: bytes) -> bytes:
        """A signature of other bytes (an evidence package's tag manifest); bytes that read
        as a checkpoint body are refused, so it can never pass for a checkpoint's."""
        if data.startswith(HEADER.removesuffix("v1").encode()):  # any version's header
            raise ValueError("refusing to sign bytes that read as a checkpoint body")
        return self._private.sign(data)

    def public_raw(self) -> bytes:
        return public_raw(self.public)

    def public_pem(self) -> bytes:
        return public_pem(self.public)


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public_raw_bytes: bytes) -> str:
    """A short, stable name for a public key: sha256 of its 32 raw bytes, hex."""
    return hashlib.sha256(public_raw_bytes).hexdigest()


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key from PEM, or from the base64 of its 32 raw bytes; ValueError when
    `data` is neither."""
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except UnsupportedAlgorithm as error:
            raise ValueError(f"a key of an algorithm this reader does not know: {error}"
                             ) from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except binascii.Error as error:
        raise ValueError(f"it is neither PEM nor base64 ({error})") from None
    return Ed25519PublicKey.from_public_bytes(raw)  # ValueError unless 32 bytes


def signature_valid(public: Ed25519PublicKey, body_text: str, signature: bytes) -> bool:
    try:
        public.verify(signature, body_text.encode())
    except InvalidSignature:
        return False
    return True
