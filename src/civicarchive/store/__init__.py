"""The append-only archive: records, versions, blobs, ledger, checkpoints and audit log."""

from __future__ import annotations

from pathlib import Path

from civicarchive.errors import InvalidInput
from civicarchive.settings import Settings
from civicarchive.store.blobs import BlobStore, FileBlobStore
from civicarchive.store.sql import PostgresRecordStore, SqliteRecordStore, SqlRecordStore

__all__ = ["BlobStore", "FileBlobStore", "PostgresRecordStore", "SqliteRecordStore",
           "SqlRecordStore", "open_store"]


def open_store(settings: Settings) -> SqlRecordStore:
    """The store the settings name: PostgreSQL for a URL, else SQLite under the home."""
    blob_store = FileBlobStore(settings.blobs_dir)
    url = settings.database_url
    if url and url.startswith(("postgresql", "postgres:")):
        return PostgresRecordStore.at(url, blob_store)
    if url and url.startswith("sqlite:///"):
        return SqliteRecordStore.at(Path(url.removeprefix("sqlite:///")), blob_store)
    if url:
        raise InvalidInput(f"unsupported database URL {url.split(':', 1)[0]}:...; use "
                           "postgresql://... or leave CIVICARCHIVE_DATABASE_URL unset for SQLite")
    return SqliteRecordStore.at(settings.sqlite_path, blob_store)
