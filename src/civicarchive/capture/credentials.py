"""Platform tokens, encrypted at rest with Fernet, under a key kept outside the database.

The key is `CIVICARCHIVE_CREDENTIALS_KEY` (one or more Fernet keys, comma-separated, the
newest first) or, without it, the file `keys/credentials.key` in the archive's home (one
key per line, newest first, mode 0600), created on first use. A database dump holds only
ciphertext; without the key it reveals nothing. Rotation puts a new key first, re-encrypts
every stored token under it (new rows: the old ones stay, unreadable once the old key is
dropped) and then drops the old keys from the file.

Tokens are never printed, logged or put into evidence: capturers scrub them out of
everything they keep (capture/http.py, `Scrubber`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from civicarchive.errors import ArchiveError, InvalidInput

KEY_FILE = "credentials.key"
ENV_KEY = "CIVICARCHIVE_CREDENTIALS_KEY"
MAX_TOKEN_BYTES = 16 * 1024


class CredentialsKeyError(ArchiveError):
    """The credentials key is missing, malformed or not the one tokens were stored under."""


class Keyring:
    """The Fernet keys, newest first, and where they came from."""

    def __init__(self, keys: list[bytes], path: Path | None) -> None:
        if not keys:
            raise CredentialsKeyError("no credentials key: set CIVICARCHIVE_CREDENTIALS_KEY "
                                      "or let the archive create keys/credentials.key")
        self.keys = keys
        self.path = path  # None when the keys come from the environment
        try:
            self.fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise CredentialsKeyError("the credentials key is not a Fernet key (32 url-safe "
                                      "base64-encoded bytes)") from None

    @classmethod
    def load(cls, keys_dir: Path, create: bool = False) -> Keyring:
        """The keys from the environment, else from the key file (made when `create`)."""
        env = os.environ.get(ENV_KEY)
        if env:
            return cls([k.strip().encode() for k in env.split(",") if k.strip()], None)
        path = keys_dir / KEY_FILE
        if not path.exists():
            if not create:
                raise CredentialsKeyError(f"no credentials key at {path}: restore it from your "
                                          f"backup, or set {ENV_KEY}")
            _write_keys(path, [Fernet.generate_key()])
        return cls([line.strip().encode() for line in path.read_text().splitlines()
                    if line.strip()], path)

    @property
    def fingerprint(self) -> str:
        """Which key encrypts now (sha256 of it, shortened): safe to log and audit."""
        return hashlib.sha256(self.keys[0]).hexdigest()[:16]

    def encrypt(self, token: str) -> str:
        return self.fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str, account_id: int) -> str:
        try:
            return self.fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CredentialsKeyError(f"the credentials of account {account_id} cannot be "
                                      "decrypted with this key: restore the key they were "
                                      "stored under, or store them again") from None

    def rotated(self) -> Keyring:
        """A keyring with a new key first and the old ones after it (to read with)."""
        if self.path is None:
            raise CredentialsKeyError(f"the credentials key comes from {ENV_KEY}: to rotate, "
                                      "put the new key first in it (comma-separated), then "
                                      "run the rotation again")
        keyring = Keyring([Fernet.generate_key(), *self.keys], self.path)
        _write_keys(self.path, keyring.keys)
        return keyring

    def reencrypt(self, ciphertext: str) -> str:
        """The token under the newest key."""
        return self.fernet.rotate(ciphertext.encode("ascii")).decode("ascii")

    def drop_old_keys(self) -> None:
        """Keep only the newest key (after every token was re-encrypted under it)."""
        if self.path is not None:
            self.keys = self.keys[:1]
            _write_keys(self.path, self.keys)
            self.fernet = MultiFernet([Fernet(self.keys[0])])


def read_token(path: Path) -> str:
    """A token from a file (never from the command line, which shell history keeps)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read the token file ({error.strerror})",
                           parameter="token_file") from None
    if len(data) > MAX_TOKEN_BYTES:
        raise InvalidInput(f"{path}: over {MAX_TOKEN_BYTES} bytes, not a token file",
                           parameter="token_file")
    try:
        token = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text", parameter="token_file") from None
    if not token or "\n" in token:
        raise InvalidInput(f"{path}: the file must hold the token alone, on one line",
                           parameter="token_file")
    return token


def _write_keys(path: Path, keys: list[bytes]) -> None:
    """Write the key file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write("".join(k.decode() + "\n" for k in keys))
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(partial, 0o600)
    os.replace(partial, path)
