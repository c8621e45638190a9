"""Where the archive lives: resolved once from flags, then environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "civicarchive-data"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None  # None: SQLite at home/archive.db
    # Capture may fetch from loopback (tests, a local development server); never private
    # or metadata addresses. Off unless CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK=1.
    capture_allow_loopback: bool = False

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None,
                database_url: str | None = None) -> Settings:
        home = home or os.environ.get("CIVICARCHIVE_HOME") or DEFAULT_HOME
        database_url = database_url or os.environ.get("CIVICARCHIVE_DATABASE_URL") or None
        loopback = os.environ.get("CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK", "") == "1"
        return cls(Path(home).expanduser().resolve(), database_url, loopback)

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
