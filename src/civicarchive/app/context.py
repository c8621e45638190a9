"""What every application service shares: where the archive lives, its store and clock,
its identity and signing key, and the write transaction that ends in a signed checkpoint."""

from __future__ import annotations

import base64
from contextlib import AbstractContextManager
from dataclasses import dataclass, field


from civicarchive.clock import Clock, format_time
from civicarchive.errors import ArchiveError, StoreUnavailable
from civicarchive.settings import Settings
from civicarchive.store import SqlRecordStore
from civicarchive.store.checkpoint import (PRIVATE_KEY_FILE, ArchiveKey, fingerprint,
                                           load_public_key, public_pem, public_raw)
from civicarchive.store.sql import WriteTx


@dataclass
class ArchiveContext:
    """One archive's settings, store, clock, identity and key, shared by its services.

    The private key is loaded on the first write, so that reading an archive never needs
    it (a read-only replica, an auditor's copy)."""

    settings: Settings
    store: SqlRecordStore
    clock: Clock
    archive_id: str
    public_key_b64: str
    _key: ArchiveKey | None = field(default=None, repr=False)

    @property
    def key(self) -> ArchiveKey:
        """The archive's signing key; an error that says how to restore it when missing."""
        if self._key is None:
            keys = self.settings.keys_dir
            if not (keys / PRIVATE_KEY_FILE).exists():
                raise ArchiveError(f"the archive's signing key is missing from {keys}: restore "
                                   f"{PRIVATE_KEY_FILE} from your backup to write to this archive")
            try:
                key = ArchiveKey.load(keys)
            except ValueError as error:
                raise ArchiveError(str(error)) from None
            if public_raw(key.public) != self.public_key_raw:
                raise ArchiveError(f"the key in {keys} is not this archive's key")
            self._key = key
        return self._key

    @property
    def public_key_raw(self) -> bytes:
        """The raw 32-byte Ed25519 public key; StoreUnavailable when the database records
        something else."""
        try:
            raw = base64.b64decode(self.public_key_b64, validate=True)
        except (TypeError, ValueError):
            raw = b""
        if len(raw) != 32:
            raise StoreUnavailable(f"the public key the database at {self.store.where} "
                                   "records (archive_info) is not the base64 of an Ed25519 "
                                   "public key: it was altered outside the archive; restore "
                                   "it from a backup and verify it")
        return raw

    @property
    def public_key_fingerprint(self) -> str:
        """sha256 of the raw public key: what a third party compares with the published key."""
        return fingerprint(self.public_key_raw)

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of `data` by the archive's key (an evidence package's tag
        manifest). The key also signs checkpoints, so bytes that start like a checkpoint
        body are refused: a signature made here can never pass for a checkpoint's."""
        return self.key.sign_bytes(data)

    def public_key_pem(self) -> bytes:
        """The public key as PEM, to publish."""
        return public_pem(load_public_key(base64.b64encode(self.public_key_raw)))

    def now_text(self) -> str:
        """The clock's time in the archive's one text form (UTC, `Z`)."""
        return format_time(self.clock.now())

    def write(self) -> AbstractContextManager[WriteTx]:
        """A serialised write transaction that ends with a signed checkpoint."""
        return self.store.write(self.key, self.archive_id, self.now_text())

    def read(self):  # noqa: ANN201 - a connection, opaque to the services
        """A read transaction: pass its connection to the store's query functions."""
        return self.store.read()
