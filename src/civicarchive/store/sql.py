"""The archive store over SQLAlchemy Core: one implementation, two dialects.

`SqliteRecordStore` is the embedded default (WAL, one file); `PostgresRecordStore` is the
scale path. Writers are serialised (SQLite `BEGIN IMMEDIATE`, a PostgreSQL advisory lock)
because ledger positions must be contiguous; each write transaction ends with a signed
checkpoint, so the ledger on disk is always sealed and a crash loses at most the open batch.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from importlib.resources import files
from operator import itemgetter
from pathlib import Path
from urllib.parse import quote

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from civicarchive.errors import AppendOnlyViolation, NotInitialised, StoreUnavailable
from civicarchive.store import schema as t
from civicarchive.store.blobs import BlobStore
from civicarchive.store.canonical import canonical_json
from civicarchive.store import continuity
from civicarchive.store.checkpoint import ArchiveKey
from civicarchive.store.entries import EntryKind, audit_entry
from civicarchive.store.ledger import LedgerWriter, frontier_from_row
from civicarchive.store.merkle import Frontier

INLINE_BLOB_LIMIT = 64 * 1024
# The write-ahead log is copied into the database file by the commit that leaves it
# holding this many pages (64 MiB), and the next write starts it afresh.
WAL_CHECKPOINT_PAGES = 16384
BULK_ROWS = 500  # rows of one table in one write from which SQLite inserts them in bulk
_LOCK_KEY = 0x63697669  # "civi": the PostgreSQL advisory lock that serialises writers


def migrations() -> dict[str, str | None]:
    """Each migration's revision and the one it follows (None for the first), read from
    the migration files."""
    found = {}
    for path in (files("civicarchive.store") / "migrations" / "versions").iterdir():
        if path.name.endswith(".py"):
            text = path.read_text()
            parents = _DOWN_REVISION.findall(text)
            for revision in _REVISION.findall(text):
                found[revision] = parents[0] if parents else None
    return found


def head_revision() -> str:
    """The newest migration's revision (the one no other migration follows)."""
    known = migrations()
    (head,) = set(known) - set(known.values())
    return head


_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.M)
_DOWN_REVISION = re.compile(r'^down_revision\s*=\s*["\']([^"\']+)["\']', re.M)


class WriteTx:
    """One serialised write: buffered rows, ledger appends, a checkpoint at commit."""

    def __init__(self, store: SqlRecordStore, conn: Connection, now: str) -> None:
        self.store = store
        self.conn = conn
        self.now = now
        self.ledger = LedgerWriter(store._frontier(conn))
        self._next_ids: dict[str, int] = {}
        self.rows: dict[str, list[dict]] = {name: [] for name in (
            "agencies", "accounts", "items", "blobs", "versions", "audit_events", "tombstones")}
        self.bulk_rows: dict[str, tuple[tuple[str, ...], list[tuple]]] = {}
        self.large_blobs: dict[bytes, bytes] = {}
        self._blob_shas: set[bytes] = set()
        self.sealed = None  # the CheckpointFile signed at commit, if any

    def next_id(self, table: str) -> int:
        if table not in self._next_ids:
            column = t.metadata.tables[table].c.id
            self._next_ids[table] = self.conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(column), 0))).scalar_one() + 1
        ident = self._next_ids[table]
        self._next_ids[table] = ident + 1
        return ident

    def skip_ids(self, table: str, next_free: int) -> None:
        """Ids below `next_free` were taken by a caller counting on from `next_id`."""
        self._next_ids[table] = next_free

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def bulk(self, table: str, columns: tuple[str, ...]) -> list[tuple]:
        """A list to append rows of `table` to as tuples of `columns` (the hot path's
        rows: no dict per row); written with the table's other rows."""
        if table not in self.bulk_rows:
            self.bulk_rows[table] = (columns, [])
        known, rows = self.bulk_rows[table]
        assert known == columns, (table, known, columns)
        return rows

    def set_identity(self, archive_id: str, public_key_b64: str) -> None:
        """Record a new archive's id and public key (once, at `init`)."""
        self.conn.execute(t.archive_info.insert(), [{
            "id": archive_id, "created_at": self.now, "public_key": public_key_b64}])

    def put_blob(self, sha256: bytes, data: bytes, media_type: str) -> None:
        """Store a blob once; small ones go inline, large ones to the BlobStore."""
        if sha256 in self._blob_shas:
            return
        self._blob_shas.add(sha256)
        inline = len(data) <= INLINE_BLOB_LIMIT
        if not inline:
            self.large_blobs[sha256] = data
        self.rows["blobs"].append({"sha256": sha256, "size": len(data), "media_type": media_type,
                                   "data": data if inline else None, "created_at": self.now})

    def audit(self, actor: str, action: str, subject: str, details: dict | None = None) -> int:
        """Record an audit event and its ledger entry; returns the audit event's id."""
        audit_id = self.next_id("audit_events")
        details_text = canonical_json(details or {}).decode()
        index = self.ledger.append(EntryKind.AUDIT, audit_entry(
            audit_id=audit_id, at=self.now, actor=actor, action=action, subject=subject,
            details=details_text))
        self.add("audit_events", {"id": audit_id, "at": self.now, "actor": actor,
                                  "action": action, "subject": subject, "details": details_text,
                                  "ledger_index": index})
        return audit_id

    def flush(self) -> None:
        conn = self.conn
        for sha256, data in self.large_blobs.items():
            self.store.blob_store.put(sha256.hex(), data)  # durable before the row that names it
        self.large_blobs.clear()
        if self.rows["blobs"]:
            self.store._insert_many(conn, t.blobs, self.rows["blobs"], ignore_existing=True)
        for name in ("agencies", "accounts", "items", "versions", "audit_events", "tombstones"):
            if self.rows[name]:
                self.store._insert_many(conn, t.metadata.tables[name], self.rows[name])
            columns, rows = self.bulk_rows.pop(name, ((), ()))
            if rows:
                self.store._insert_tuples(conn, t.metadata.tables[name], columns, rows)
        ledger_rows = self.ledger.take_rows()
        if ledger_rows:
            self.store._insert_many(conn, t.ledger_entries, ledger_rows)
        for name in self.rows:
            self.rows[name] = []
        self._blob_shas.clear()

    def seal(self, key: ArchiveKey, origin: str) -> None:
        self.flush()
        conn = self.conn
        last = conn.execute(sa.select(sa.func.max(t.checkpoints.c.tree_size))).scalar()
        if last != self.ledger.size:  # continuity.py refuses to sign a rewritten ledger
            row, self.sealed = continuity.next_checkpoint(conn, self.ledger, key, origin,
                                                          self.now)
            conn.execute(t.checkpoints.insert(), [row])


DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def _read_only_copy(path: Path) -> bool:
    """Whether the database file lies in a folder this process may not write (and so is
    read as an immutable file); StoreUnavailable when its write-ahead log holds changes
    not yet in it, which such a reading would miss."""
    if not path.exists() or os.access(path.parent, os.W_OK):
        return False
    log = Path(f"{path}-wal")
    if log.exists() and log.stat().st_size > 0:
        raise StoreUnavailable(f"the archive at {path} is on a read-only file system, and "
                               f"its write-ahead log ({log.name}) holds changes not yet in "
                               "the database file: it was copied while in use. Copy its "
                               "folder somewhere writable to read it whole")
    return True


def _disk_full(error: BaseException) -> bool:
    """Whether the database refused a write for want of room: SQLite's SQLITE_FULL, or
    PostgreSQL's disk_full (SQLSTATE 53100)."""
    return getattr(error, "sqlite_errorname", None) == "SQLITE_FULL" or \
        getattr(error, "sqlstate", None) == "53100" or "database or disk is full" in str(error)


class SqlRecordStore:
    """The archive's records, versions, blobs, ledger and audit log in one database."""

    dialect: str
    readonly = False  # a SQLite file in a folder nobody may write: read as it is

    def __init__(self, engine: Engine, blob_store: BlobStore, where: str) -> None:
        self.engine = engine
        self.blob_store = blob_store
        self.where = where
        self._location: object = None  # what `at` was given, so `reopen` can repeat it
        self._sealed_listeners: list = []

    def on_sealed(self, listener) -> None:  # noqa: ANN001
        """Call `listener()` after each write that signed a checkpoint has committed."""
        self._sealed_listeners.append(listener)

    def recipe(self) -> tuple[type, object, BlobStore]:
        """What another process needs to open this store with its own engine: `cls.at(...)`."""
        return type(self), self._location, self.blob_store

    # -- schema -------------------------------------------------------------------------

    def revisions(self, conn: Connection) -> list[str]:
        """The schema revisions the database records (Alembic's alembic_version: one)."""
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return [str(revision) for (revision,) in
                conn.execute(sa.text("SELECT version_num FROM alembic_version"))]

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is current). Alembic
        loads only when there is something to do: every command opens the archive."""
        with self.engine.begin() as conn:
            recorded = self.revisions(conn)
            if recorded == [head_revision()]:
                return
            if recorded and (len(recorded) > 1 or recorded[0] not in migrations()):
                raise StoreUnavailable(
                    f"the database at {self.where} records schema revision "
                    f"{', '.join(map(repr, recorded))} (alembic_version), which this "
                    "civicarchive does not know: it was written by a newer civicarchive, or "
                    "altered outside the archive; use that civicarchive, or restore the "
                    "database from a backup and verify it")
            if not recorded and sa.inspect(conn).has_table("archive_info"):
                raise StoreUnavailable(
                    f"the database at {self.where} records no schema revision "
                    "(alembic_version): it was altered outside the archive; restore it from "
                    "a backup and verify it")
            self.refuse_writes()  # (an older schema on a read-only copy)
            from alembic import command
            from alembic.config import Config
            config = Config()
            config.set_main_option("script_location",
                                   str(files("civicarchive.store") / "migrations"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def refuse_older_schema(self) -> None:
        """Refuse, without writing, a schema an older civicarchive wrote: reading it as the
        current one would misread it. One this civicarchive does not know is left to
        verify to report."""
        with self.read() as conn:
            recorded = self.revisions(conn)
        head = head_revision()
        if len(recorded) == 1 and recorded[0] != head and recorded[0] in migrations():
            raise StoreUnavailable(
                f"the database at {self.where} has the schema of an older civicarchive "
                f"(revision {recorded[0]}, older than this one's {head}), and verifying "
                "only reads, so it does not upgrade it: back the database up and open it "
                "once with any other command, which upgrades it, then verify")

    def is_initialised(self) -> bool:
        try:
            with self.engine.connect() as conn:
                if not sa.inspect(conn).has_table("archive_info"):
                    return False
                return conn.execute(sa.select(t.archive_info.c.id)).first() is not None
        except sa.exc.DatabaseError as error:
            damage = self.damage(error)
            if damage is not None:  # a truncated file, or one that is no database at all
                raise StoreUnavailable(f"the database at {self.where} cannot be read "
                                       f"({damage}): it is damaged, or not an archive's "
                                       "database; check the path, or restore the file from "
                                       "a backup") from None
            if self.no_room():
                raise StoreUnavailable(f"cannot open the database at {self.where} "
                                       f"({error.orig}): the disk holding it is full; free "
                                       "some space and try again") from None
            raise StoreUnavailable(f"cannot open the database at {self.where}: "
                                   f"{error.orig}; check the path or URL") from error

    def no_room(self) -> bool:
        """Whether the disk holding the database file is full (never, for a server's)."""
        return False

    def require_initialised(self) -> None:
        if not self.is_initialised():
            raise NotInitialised(self.where)

    # -- writing ------------------------------------------------------------------------

    def refuse_writes(self) -> None:
        if self.readonly:
            raise StoreUnavailable(f"the archive at {self.where} is on a read-only file "
                                   "system: it can be read, searched, exported and verified, "
                                   "not written; copy its folder somewhere writable to "
                                   "change it")

    @contextlib.contextmanager
    def write(self, key: ArchiveKey, origin: str, now: str) -> Iterator[WriteTx]:
        """A serialised write transaction that ends with a signed checkpoint."""
        self.refuse_writes()
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(civicarchive_write=True)
                with conn.begin():
                    self._lock(conn)
                    tx = WriteTx(self, conn, now)
                    yield tx
                    tx.seal(key, origin)
        except sa.exc.IntegrityError as error:
            if "append-only" in str(error.orig):
                raise AppendOnlyViolation(str(error.orig).splitlines()[0]) from error
            raise
        except sa.exc.OperationalError as error:
            cause = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() \
                else type(error.orig).__name__
            if _disk_full(error.orig):
                raise self._full(cause, committed=False) from None
            raise StoreUnavailable(
                f"the database at {self.where} failed during a write ({cause}): the write "
                "under way was undone, unless the connection was lost as it committed; "
                "everything written before it is kept. Check the database, then run the "
                "same command again: an ingest, import or capture resumes where it "
                "stopped and adds nothing twice") from None
        except OSError as error:  # a blob file in the blob store
            if error.errno in DISK_FULL:
                raise self._full(f"{error.strerror}: {error.filename}", committed=False) \
                    from None
            raise
        if tx.sealed is not None:
            try:
                continuity.remember(key, tx.sealed)  # outside the database, once committed
            except OSError as error:
                if error.errno not in DISK_FULL:
                    raise
                raise self._full(f"{error.strerror}: {error.filename}", committed=True) \
                    from None
            for listener in self._sealed_listeners:
                listener()

    def _full(self, cause: str, committed: bool) -> StoreUnavailable:
        """The error for a write the disk had no room for, saying what was kept."""
        done = ("the write under way was committed (the note of its checkpoint kept "
                "beside the key could not be updated, which the next write makes good)"
                if committed else "the write under way was undone")
        return StoreUnavailable(f"the disk holding the archive at {self.where} is full "
                                f"({cause}): {done}, and everything written before it is "
                                "kept. Free some space, then run the same command again: "
                                "an ingest, import or capture resumes where it stopped")

    def _lock(self, conn: Connection) -> None:
        """Serialise writers (SQLite takes its lock at BEGIN IMMEDIATE)."""

    placeholder = "?"
    ignore_clause = ("INSERT OR IGNORE INTO", "")

    def _insert_many(self, conn: Connection, table: sa.Table, rows: list[dict],
                     ignore_existing: bool = False) -> None:
        """executemany straight to the driver: bulk ingest is the hot path, and SQLAlchemy's
        per-row parameter processing would cost more than the insert itself."""
        names = list(rows[0])
        pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
        self._insert_tuples(conn, table, names, list(map(pick, rows)), ignore_existing)

    def _insert_tuples(self, conn: Connection, table: sa.Table, names: Iterable[str],
                       rows: list[tuple], ignore_existing: bool = False) -> None:
        names = list(names)
        head, tail = self.ignore_clause if ignore_existing else ("INSERT INTO", "")
        sql = (f"{head} {table.name} ({', '.join(names)}) VALUES "
               f"({', '.join([self.placeholder] * len(names))}){tail}")
        conn.exec_driver_sql(sql, rows)

    def _frontier(self, conn: Connection) -> Frontier:
        row = conn.execute(sa.select(t.checkpoints.c.tree_size, t.checkpoints.c.frontier)
                           .order_by(t.checkpoints.c.tree_size.desc(), t.checkpoints.c.id.desc())
                           .limit(1)).first()
        frontier = frontier_from_row(row.tree_size, row.frontier) if row else Frontier()
        # Entries past the last checkpoint cannot exist (each write seals), but replaying
        # them keeps numbering right even if one day they do.
        for (leaf,) in conn.execute(sa.select(t.ledger_entries.c.leaf_hash)
                                    .where(t.ledger_entries.c.idx >= frontier.size)
                                    .order_by(t.ledger_entries.c.idx)):
            frontier.append(bytes(leaf))
        return frontier

    # -- reading ------------------------------------------------------------------------

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def blob(self, sha256: bytes) -> bytes | None:
        """A blob's bytes, or None when it is absent (purged, or never stored)."""
        with self.read() as conn:
            row = conn.execute(sa.select(t.blobs.c.data).where(t.blobs.c.sha256 == sha256)).first()
        if row is None:
            return None
        if row.data is not None:
            return bytes(row.data)
        try:
            with self.blob_store.open(sha256.hex()) as stream:
                return stream.read()
        except FileNotFoundError:
            return None

    def identity(self) -> tuple[str, str]:
        """The archive's id and its public key (base64), as `init` recorded them."""
        with self.read() as conn:
            rows = conn.execute(sa.select(t.archive_info)).all()
        if len(rows) != 1:  # written once by init, and append-only since
            raise StoreUnavailable(f"the database at {self.where} records {len(rows)} archive "
                                   "identities instead of one: it was altered outside the "
                                   "archive; restore it from a backup and verify it")
        return rows[0].id, rows[0].public_key

    def counts(self) -> dict[str, int]:
        names = {"agencies": t.agencies, "accounts": t.accounts, "items": t.items,
                 "versions": t.versions, "blobs": t.blobs, "ledger_entries": t.ledger_entries,
                 "checkpoints": t.checkpoints, "audit_events": t.audit_events,
                 "tombstones": t.tombstones}
        with self.read() as conn:
            return {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                    for name, table in names.items()}

    def stream(self, conn: Connection, query: sa.Select, chunk: int = 5000
               ) -> Iterator[tuple]:
        """Plain tuples of a large query, a chunk at a time, straight from the driver:
        verification reads every row, and per-row wrapping would dominate. Bound values
        are rendered inline, so pass only the archive's own constants, never user input."""
        for rows in self.chunks(conn, query, chunk):
            yield from rows

    def chunks(self, conn: Connection, query: sa.Select, chunk: int = 5000
               ) -> Iterator[list[tuple]]:
        """`stream`'s rows a list at a time, for loops that would rather not pay a
        generator step per row."""
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = self._scan_cursor(conn.connection.dbapi_connection)
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(chunk):
                yield rows
        finally:
            # A scan an error abandoned is closed once collected, after its connection:
            # the cursor closed with it.
            with contextlib.suppress(conn.dialect.loaded_dbapi.Error):
                cursor.close()

    def _scan_cursor(self, dbapi_connection):  # noqa: ANN001, ANN202
        return dbapi_connection.cursor()

    def limit_cache(self, mib: int) -> None:
        """Give this process's connections a page cache of `mib` (SQLite; PostgreSQL's
        cache is the server's, and this does nothing)."""

    def member_of(self, column: sa.ColumnElement, values: Iterable) -> sa.ColumnElement:
        """`column IN values` as one bound parameter: a batch looks up thousands of names,
        and a parameter each would cost more to compile than to run."""
        raise NotImplementedError

    @contextlib.contextmanager
    def scanning(self) -> Iterator[Connection]:
        """A read transaction tuned for reading everything once (verification)."""
        with self.read() as conn:
            yield conn

    def structure_problems(self, conn: Connection) -> list[str]:
        """What the database engine finds wrong with its own files (SQLite: quick_check;
        PostgreSQL checks its pages as it reads them)."""
        return []

    def damage(self, error: BaseException) -> str | None:
        """Why `error` means the stored bytes are damaged (an unreadable file or value),
        or None when it is some other failure."""
        return None

    def undecodable_cells(self) -> list[tuple[str, str]]:
        """(where, what) for every text value the driver cannot decode."""
        return []

    def mistyped_cells(self) -> list[tuple[str, str]]:
        """(where, what) for every value stored as another type than its column's
        (PostgreSQL refuses them; SQLite keeps what it is given)."""
        return []

    def blob_partitions(self, conn: Connection, parts: int) -> list[tuple]:
        """Plain (picklable) bounds that split the blobs table into about `parts` scans;
        `blob_range` turns one into a condition. Here: ranges of the first hash byte."""
        edges = [256 * i // parts for i in range(parts + 1)]
        return list(zip(edges, edges[1:]))

    def blob_range(self, bounds: tuple) -> sa.ColumnElement:
        first_byte = sa.func.get_byte(t.blobs.c.sha256, 0)
        return sa.and_(first_byte >= bounds[0], first_byte < bounds[1])

    def dispose(self) -> None:
        self.engine.dispose()


class SqliteRecordStore(SqlRecordStore):
    dialect = "sqlite"
    # Set while verify re-reads an archive holding text that is not UTF-8: such values
    # come back with surrogate escapes (and so match nothing) instead of stopping a scan.
    lenient_text = False

    def member_of(self, column: sa.ColumnElement, values: Iterable) -> sa.ColumnElement:
        members = sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam("members", orjson.dumps(list(values)).decode())))
        return column.in_(members.scalar_subquery())

    @contextlib.contextmanager
    def scanning(self) -> Iterator[Connection]:
        # Memory-mapped reads skip a syscall and a copy per page: a fifth of verify's time.
        # Only while scanning, so that ingest's resident memory stays flat.
        with self.read() as conn:
            conn.exec_driver_sql("PRAGMA mmap_size=4294967296")
            dbapi_connection = conn.connection.dbapi_connection
            if self.lenient_text:
                dbapi_connection.text_factory = _lenient_text
            try:
                yield conn
            finally:
                dbapi_connection.text_factory = str
                conn.exec_driver_sql("PRAGMA mmap_size=0")

    def _insert_tuples(self, conn: Connection, table: sa.Table, names: Iterable[str],
                       rows: list[tuple], ignore_existing: bool = False) -> None:
        """A large insert runs with the table's refuse-replace trigger (migrations 0004,
        0007) set aside: the trigger looks each new row's keys up, which costs two fifths
        of a bulk ingest's inserts, and refuses only REPLACE, which these plain INSERTs
        never are (a clash still fails on the table's own keys). It is created again,
        from its own text, before the transaction ends: no other connection can write
        meanwhile, and none ever sees the table without it."""
        if len(rows) < BULK_ROWS:
            super()._insert_tuples(conn, table, names, rows, ignore_existing)
            return
        name = f"{table.name}_no_replace"
        found = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                     "AND name = ?", (name,)).first()
        if found is None:
            super()._insert_tuples(conn, table, names, rows, ignore_existing)
            return
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        super()._insert_tuples(conn, table, names, rows, ignore_existing)
        conn.exec_driver_sql(found[0])

    def structure_problems(self, conn: Connection) -> list[str]:
        # Table by table, all but blobs: verify reads every page of the blobs table and
        # of its index anyway (a damaged one stops that read, and is reported), and
        # checking its 90% of the file twice would cost a sixth of verify's time.
        tables = [name for (name,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'blobs'")]
        return [line for name in tables
                for (text,) in conn.exec_driver_sql(f'PRAGMA quick_check("{name}")')
                for line in text.splitlines() if line != "ok" and not line.startswith("***")]

    def no_room(self) -> bool:
        try:  # (a page's worth, in case the file system keeps some for itself)
            return shutil.disk_usage(Path(self._location).parent).free < 65536
        except (OSError, TypeError):
            return False

    def damage(self, error: BaseException) -> str | None:
        error = getattr(error, "orig", None) or error
        text = str(error)
        if isinstance(error, sqlite3.DatabaseError) and (
                "Could not decode" in text or "malformed" in text or "not a database" in text):
            return text.split(" with text ")[0]  # not the undecodable bytes themselves
        return None

    def undecodable_cells(self) -> list[tuple[str, str]]:
        found = []
        with self.read() as conn:
            for table in t.metadata.sorted_tables:
                keys = ", ".join(f"CAST({c.name} AS BLOB)" for c in table.primary_key)
                for column in table.columns:
                    if not isinstance(column.type, sa.String):
                        continue
                    for *key, value in conn.exec_driver_sql(
                            f"SELECT {keys}, CAST({column.name} AS BLOB) FROM {table.name} "
                            f"WHERE typeof({column.name}) = 'text'"):
                        try:
                            bytes(value).decode()
                        except UnicodeDecodeError:
                            name = "/".join(bytes(k).decode(errors="backslashreplace")
                                            for k in key)
                            found.append((f"{table.name} row {name}",
                                          f"{column.name} is not valid UTF-8 text"))
        return found

    def mistyped_cells(self) -> list[tuple[str, str]]:
        found = []
        with self.read() as conn:
            for table in t.metadata.sorted_tables:
                kinds = {c.name: kind for c in table.columns
                         if (kind := _storage_class(c.type)) is not None}
                keys = [c.name for c in table.primary_key]
                wrong = " OR ".join(f"typeof({name}) NOT IN ('{kind}', 'null')"
                                    for name, kind in kinds.items())
                query = (f"SELECT {', '.join(keys)}, "
                         f"{', '.join(f'typeof({name})' for name in kinds)} "
                         f"FROM {table.name} WHERE {wrong}")
                for row in conn.exec_driver_sql(query):
                    key = "/".join(k.hex() if isinstance(k, bytes) else str(k)
                                   for k in row[:len(keys)])
                    for (name, kind), stored in zip(kinds.items(), row[len(keys):]):
                        if stored not in (kind, "null"):
                            found.append((f"{table.name} row {key}", f"{name} is stored as "
                                          f"{stored}, where the schema keeps {_WORDS[kind]}"))
        return found

    def blob_partitions(self, conn: Connection, parts: int) -> list[tuple]:
        # The blobs table keeps SQLite's rowid: ranges of it read the table in file order,
        # where ranges of the sha256 key would hop through the index.
        low, high = conn.execute(sa.text("SELECT min(rowid), max(rowid) FROM blobs")).one()
        if low is None:
            return [(0, 1)]
        step = (high - low) // parts + 1
        return [(start, start + step) for start in range(low, high + 1, step)]

    def blob_range(self, bounds: tuple) -> sa.ColumnElement:
        rowid = sa.literal_column("rowid")
        return sa.and_(rowid >= bounds[0], rowid < bounds[1])

    @classmethod
    def at(cls, path: Path, blob_store: BlobStore, cache_mib: int = 64) -> SqliteRecordStore:
        """The store in the database file at `path`. `cache_mib` is SQLite's page cache
        per connection: the writer's default suits sha256 keys inserted at random; a
        process that only reads (the search indexer) needs far less, and its resident
        memory would otherwise grow with the archive up to that size."""
        readonly = _read_only_copy(Path(path))
        # A folder nobody may write (a read-only mount: a copy handed to an auditor) is
        # read as it is, which SQLite's write-ahead mode could not otherwise do.
        engine = sa.create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&immutable=1"
                                  "&uri=true" if readonly else f"sqlite:///{path}",
                                  hide_parameters=True)  # (records' bytes: never in errors)

        @sa.event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record):  # noqa: ANN001
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            if not readonly:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Else REPLACE deletes the row it collides with without firing DELETE triggers
            # (the BEFORE INSERT triggers of migration 0004 refuse it on any connection).
            cursor.execute("PRAGMA recursive_triggers=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            # SQLite's own checkpoint, in the commit that crosses WAL_CHECKPOINT_PAGES:
            # it leaves the log copied whole, so the next write starts it afresh. (A copy
            # behind the writer, in a thread, never caught up with a bulk ingest: the log
            # grew to the ingest's size, and writing ever new file pages cost twice the
            # kernel time of rewriting the same few; the ingest went a fifth slower.)
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA cache_size=-{int(store.cache_mib) * 1024}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            write = conn.get_execution_options().get("civicarchive_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        store = cls(engine, blob_store, str(path))
        store._location = path
        store.cache_mib = cache_mib
        store.readonly = readonly
        return store

    def limit_cache(self, mib: int) -> None:
        """Give this process's connections a page cache of `mib` from now on (those open
        are closed): a long-running process of small writes, such as the capture daemon,
        would otherwise see its resident memory grow with the archive up to the bulk
        writer's cache."""
        self.cache_mib = mib
        self.engine.dispose()


def _storage_class(kind: sa.types.TypeEngine) -> str | None:
    """The SQLite storage class every value of a column of `kind` has."""
    if isinstance(kind, sa.LargeBinary):
        return "blob"
    if isinstance(kind, sa.Integer | sa.Boolean):
        return "integer"
    if isinstance(kind, sa.String):
        return "text"
    return None


_WORDS = {"blob": "bytes (blob)", "integer": "an integer", "text": "text"}


def _lenient_text(data: bytes) -> str:
    return data.decode(errors="surrogateescape")


class PostgresRecordStore(SqlRecordStore):
    dialect = "postgresql"

    @classmethod
    def at(cls, url: str, blob_store: BlobStore, cache_mib: int | None = None
           ) -> PostgresRecordStore:
        """The store in the PostgreSQL database at `url` (the server keeps the cache:
        `cache_mib` is SQLite's and ignored here)."""
        parsed = sa.engine.make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        store = cls(engine, blob_store, parsed.render_as_string(hide_password=True))
        store._location = url
        return store

    def _lock(self, conn: Connection) -> None:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})

    def _scan_cursor(self, dbapi_connection):  # noqa: ANN001, ANN202
        self._cursors = getattr(self, "_cursors", 0) + 1  # a server-side cursor per scan
        return dbapi_connection.cursor(name=f"civicarchive_scan_{self._cursors}")

    placeholder = "%s"
    ignore_clause = ("INSERT INTO", " ON CONFLICT DO NOTHING")

    def member_of(self, column: sa.ColumnElement, values: Iterable) -> sa.ColumnElement:
        from sqlalchemy.dialects import postgresql
        return column == sa.any_(sa.bindparam("members", list(values),
                                              type_=postgresql.ARRAY(column.type)))

