"""Platform credentials: stored encrypted (Fernet) under a key kept outside the database,
rotated on demand, never shown. Every change is a new row and an audit event that names
the key by its fingerprint and the ciphertext by its sha256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from civicarchive.app.context import ArchiveContext
from civicarchive.app.registry import Registry
from civicarchive.capture.credentials import MAX_TOKEN_BYTES, Keyring, read_token
from civicarchive.capture.health import expires_at
from civicarchive.clock import format_time, parse_time
from civicarchive.errors import InvalidInput
from civicarchive.store import capture as sql


@dataclass(frozen=True)
class CredentialInfo:
    """What may be shown about an account's credentials: never the token."""

    account_id: int
    set_at: str
    set_by: str
    expires_at: str | None
    key_fingerprint: str

    def as_dict(self) -> dict:
        """Plain JSON-ready data, as `--json` prints it."""
        return {"account_id": self.account_id, "set_at": self.set_at, "set_by": self.set_by,
                "expires_at": self.expires_at, "key_fingerprint": self.key_fingerprint}


class Credentials:
    """Store, read and rotate the tokens live capture uses."""

    def __init__(self, context: ArchiveContext, registry: Registry) -> None:
        self.context = context
        self.registry = registry

    def store(self, account_id: int, token_file: Path, expires: datetime | None = None,
              actor: str = "system") -> CredentialInfo:
        """Encrypt the token in `token_file` and keep it as the account's credentials.
        Without `expires`, a platform with fixed-lifetime tokens (Meta: 60 days) gets its
        lifetime from now."""
        return self.store_token(account_id, read_token(token_file), expires, actor)

    def store_token(self, account_id: int, token: str, expires: datetime | None = None,
                    actor: str = "system") -> CredentialInfo:
        """As `store`, with the token itself (from the API: never from a command line)."""
        account = self.registry.account(account_id)
        token = token.strip()
        if not token or "\n" in token or len(token.encode()) > MAX_TOKEN_BYTES:
            raise InvalidInput(f"a token is one line of at most {MAX_TOKEN_BYTES} bytes",
                               parameter="token")
        keyring = Keyring.load(self.context.settings.keys_dir, create=True)
        expiry = expires_at(account.platform, self.context.clock.now(), expires)
        with self.context.write() as tx:
            sql.add_credential(tx, account_id, keyring.encrypt(token), keyring.fingerprint,
                               format_time(expiry) if expiry else None, actor)
        return self.info(account_id)

    def note_expiry(self, account_id: int, expires: datetime | None,
                    actor: str = "system") -> bool:
        """Record when the platform says the token expires (None: never), if that is not
        what is recorded; the token itself is kept as it is. Returns whether it changed."""
        with self.context.read() as conn:
            row = sql.credentials(conn).get(account_id)
        stated = format_time(expires) if expires else None
        if row is None or row.expires_at == stated:
            return False
        with self.context.write() as tx:
            sql.add_credential(tx, account_id, row.ciphertext, row.key_fingerprint, stated,
                               actor, action="credentials.expiry")
        return True

    def info(self, account_id: int) -> CredentialInfo | None:
        """The account's credentials in force, without the token; None when it has none."""
        return self.all().get(account_id)

    def all(self) -> dict[int, CredentialInfo]:
        """Account id -> its credentials in force, without the tokens."""
        with self.context.read() as conn:
            rows = sql.credentials(conn)
        return {a: CredentialInfo(a, r.set_at, r.set_by, r.expires_at, r.key_fingerprint)
                for a, r in rows.items()}

    def token(self, account_id: int) -> str | None:
        """The account's token, decrypted, for a capture pass only: never print or log it."""
        with self.context.read() as conn:
            row = sql.credentials(conn).get(account_id)
        if row is None:
            return None
        keyring = Keyring.load(self.context.settings.keys_dir)
        return keyring.decrypt(row.ciphertext, account_id)

    def rotate(self, actor: str = "system") -> dict:
        """A new credentials key: every token re-encrypted under it, in one transaction,
        then the old keys dropped from the key file. Returns how many were re-encrypted
        and the new key's fingerprint."""
        keyring = Keyring.load(self.context.settings.keys_dir, create=True)
        with self.context.read() as conn:
            rows = sql.credentials(conn)
        for account_id, row in rows.items():
            keyring.decrypt(row.ciphertext, account_id)  # every one readable, before a change
        old = keyring.fingerprint
        keyring = keyring.rotated()
        with self.context.write() as tx:
            for account_id, row in sorted(rows.items()):
                sql.add_credential(tx, account_id, keyring.reencrypt(row.ciphertext),
                                   keyring.fingerprint, row.expires_at, actor,
                                   action="credentials.rotate")
            tx.audit(actor, "keys.rotate", "credentials key",
                     {"from": old, "to": keyring.fingerprint, "credentials": len(rows)})
        keyring.drop_old_keys()
        return {"reencrypted": len(rows), "key_fingerprint": keyring.fingerprint,
                "previous_fingerprint": old}

    def expiry(self, account_id: int) -> datetime | None:
        """When the account's credentials expire, if they do."""
        found = self.info(account_id)
        return parse_time(found.expires_at) if found and found.expires_at else None
