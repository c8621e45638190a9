"""One consistent copy of a SQLite archive's database, taken while others write, and the
blobs such a copy keeps as files (app/backup.py puts them together)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def copy_database(path: Path, target: Path, immutable: bool = False) -> None:
    """SQLite's online backup of the database at `path` into `target`, one snapshot of
    everything committed, synced to disk; `immutable` for a file on read-only media."""
    uri = f"file:{path}?mode=ro" + ("&immutable=1" if immutable else "")
    source = sqlite3.connect(uri, uri=True, timeout=60)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
    finally:
        copy.close()
        source.close()
    with open(target, "rb") as stream:
        os.fsync(stream.fileno())


def file_blobs(database: Path) -> list[str]:
    """The blobs the database at `database` keeps as files (not inline), by sha256 hex,
    in the order they were stored."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return [bytes(sha).hex() for (sha,) in
                conn.execute("SELECT sha256 FROM blobs WHERE data IS NULL ORDER BY rowid")]
    finally:
        conn.close()
