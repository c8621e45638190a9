"""A consistent copy of an archive on SQLite, taken while it is in use.

Copying the home folder while an ingest or the capture daemon writes can catch the
database file and its write-ahead log at different moments. Here the parts are taken in
the order that keeps the copy whole:

1. `keys/`: the signing key and the note of the last checkpoint signed. Taken first, the
   note is never newer than the database copied after it, so the copy, restored, extends
   it (a note newer than its database is what a rolled-back database looks like).
2. the database, by SQLite's online backup: one snapshot of everything committed, while
   other connections go on reading and writing.
3. the blob files the copied database names: a blob's file is written before the rows
   naming it commit, so each is there (files written since are left for the next copy).

Left out: the search index (rebuilt from the archive on first use), `exports/` and
`uploads/`, and the credentials key (`keys/credentials.key`), so that a backup holds the
platform tokens only as ciphertext, as the database does: keep that key apart
(docs/configuration.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from civicarchive.app.context import ArchiveContext
from civicarchive.capture.credentials import KEY_FILE
from civicarchive.errors import InvalidInput
from civicarchive.settings import SETTINGS_FILE
from civicarchive.store import snapshot
from civicarchive.store.blobs import FileBlobStore

Progress = Callable[[str, int, int], None]  # (what, done, of)


@dataclass
class BackupReport:
    folder: str
    database_bytes: int = 0
    blob_files: int = 0
    blob_bytes: int = 0
    missing_blob_files: int = 0   # named by the database, absent from the source too
    left_out: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """Plain JSON-ready data, as `--json` prints it."""
        return dict(vars(self), left_out=list(self.left_out))


def back_up(context: ArchiveContext, folder: Path, progress: Progress | None = None
            ) -> BackupReport:
    """Copy the archive into `folder` (new, or empty); see the module's docstring."""
    settings = context.settings
    if settings.database_url is not None:
        raise InvalidInput("this archive keeps its records in PostgreSQL: back the database "
                           "up with pg_dump, and the home folder's keys/ and blobs/ beside "
                           "it (docs/configuration.md#backups)", parameter="folder")
    folder = Path(folder).expanduser().resolve()
    if folder == settings.home or settings.home in folder.parents:
        raise InvalidInput(f"{folder} is inside the archive it would copy: choose a folder "
                           "elsewhere, on another disk at best", parameter="folder")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInput(f"{folder} exists and is not an empty folder: a backup goes into "
                           "a new one", parameter="folder")
    folder.mkdir(parents=True, exist_ok=True)
    report = BackupReport(str(folder))
    left_out = ["the search index (rebuilt on first use)"]
    keys = folder / "keys"
    keys.mkdir(mode=0o700)
    for source in sorted(settings.keys_dir.iterdir()) if settings.keys_dir.is_dir() else ():
        if source.name == KEY_FILE:
            left_out.append(f"keys/{KEY_FILE} (keep the credentials key apart)")
        elif source.is_file():
            shutil.copy2(source, keys / source.name)
            os.chmod(keys / source.name, 0o600)  # a key, whatever the source's mode
    config = settings.home / SETTINGS_FILE
    if config.is_file():
        shutil.copy2(config, folder / SETTINGS_FILE)
    database = folder / "archive.db"
    snapshot.copy_database(settings.sqlite_path, database, context.store.readonly)
    report.database_bytes = database.stat().st_size
    names = snapshot.file_blobs(database)
    blobs, copies = FileBlobStore(settings.blobs_dir), FileBlobStore(folder / "blobs")
    for n, sha in enumerate(names, 1):
        source, target = blobs.path(sha), copies.path(sha)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        except FileNotFoundError:
            report.missing_blob_files += 1
        else:
            report.blob_files += 1
            report.blob_bytes += target.stat().st_size
        if progress and (n % 500 == 0 or n == len(names)):
            progress("blob files", n, len(names))
    (folder / "blobs").mkdir(exist_ok=True)
    report.left_out = tuple(left_out)
    return report
