"""Where the archive lives and who witnesses it: resolved once from flags, then
environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from civicarchive.errors import InvalidInput

DEFAULT_HOME = "civicarchive-data"
DEFAULT_TSA_TIMEOUT = 5.0


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None  # None: SQLite at home/archive.db
    # Capture may fetch from loopback (tests, a local development server); never private
    # or metadata addresses. Off unless CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK=1.
    capture_allow_loopback: bool = False
    # An RFC 3161 time-stamping authority that timestamps checkpoints (docs/continuity.md)
    tsa_url: str | None = None
    tsa_ca_file: Path | None = None  # its CA certificate (PEM), to check each token with
    tsa_timeout: float = DEFAULT_TSA_TIMEOUT  # seconds per request

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None,
                database_url: str | None = None) -> Settings:
        home = home or os.environ.get("CIVICARCHIVE_HOME") or DEFAULT_HOME
        database_url = database_url or os.environ.get("CIVICARCHIVE_DATABASE_URL") or None
        ca_file = os.environ.get("CIVICARCHIVE_TSA_CA_FILE")
        timeout = os.environ.get("CIVICARCHIVE_TSA_TIMEOUT") or DEFAULT_TSA_TIMEOUT
        try:
            timeout = float(timeout)
        except ValueError:
            raise InvalidInput(f"CIVICARCHIVE_TSA_TIMEOUT must be a number of seconds, not "
                             f"{timeout!r}") from None
        loopback = os.environ.get("CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK", "") == "1"
        return cls(Path(home).expanduser().resolve(), database_url, loopback,
                   os.environ.get("CIVICARCHIVE_TSA_URL") or None,
                   Path(ca_file).expanduser().resolve() if ca_file else None, timeout)

    @property
    def sqlite_path(self) -> Path:
        return self.home / "archive.db"

    @property
    def blobs_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"
