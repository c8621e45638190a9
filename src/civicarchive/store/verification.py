"""Re-derive everything the archive claims and collect what does not hold.

Checks, streaming: every blob re-hashed; every version, audit event and tombstone turned
back into its ledger entry, hashed and compared with its stored leaf; the tree root
recomputed at each checkpoint's size (successive checkpoints are consistent because each
root is recomputed from the same leaves); every checkpoint signature checked; every
version's content and raw bytes present, or purged by a recorded tombstone; each item's
first sighting matching its first version; every other row that carries meaning
re-derived from the audit event that wrote it (provenance.py); and on SQLite, the
database file's own structure (quick_check). A damaged value is a problem that names its
row, never a crash; a value stored as another type than its column's (SQLite keeps any)
or a missing table stops the checks, and the report names each.

Blob scans run in worker processes while this one walks the ledger: all of it is bound
by Python per-row work, and hashing 1 KB pieces holds the GIL.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.store import schema as t
from civicarchive.store.checkpoint import CheckpointBody, signature_valid
from civicarchive.store.continuity import continuity_problems
from civicarchive.store.entries import REBUILDERS, EntryKind, version_entry_of, version_rows
from civicarchive.store.merkle import Frontier
from civicarchive.store.provenance import check_provenance
from civicarchive.store.sql import SqlRecordStore, head_revision

Progress = Callable[[str, int], None]
PROGRESS_EVERY = 50_000


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class VerifyReport:
    entries: int = 0
    versions: int = 0
    audit_events: int = 0
    tombstones: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    checkpoints: int = 0
    purged_versions: int = 0
    unsealed_entries: int = 0
    root: str = ""
    problems: list[Problem] = field(default_factory=list)
    complete: bool = True  # False when damage stopped the checks: the problems say where
    # The checkpoint files the ledger was found to extend or not: file, checkpoint
    # (number), size, timestamped_at (the authority's time, or None) and
    # timestamp_signature_checked (against the authority's CA)
    checkpoint_files: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "versions": self.versions,
                "audit_events": self.audit_events, "tombstones": self.tombstones,
                "blobs": self.blobs, "blob_bytes": self.blob_bytes,
                "checkpoints": self.checkpoints, "purged_versions": self.purged_versions,
                "unsealed_entries": self.unsealed_entries, "root": self.root,
                "complete": self.complete, "checkpoint_files": self.checkpoint_files,
                "problems": [{"where": p.where, "what": p.what} for p in self.problems]}


def verify_store(store: SqlRecordStore, public_key: Ed25519PublicKey, origin: str,
                 progress: Progress | None = None, parallel: bool = True,
                 witnesses: Sequence[tuple] = ()) -> VerifyReport:
    """Check everything the archive claims; the report lists every problem found.
    `witnesses` are (where, CheckpointFile) the ledger must extend."""
    try:
        return _verify(store, public_key, origin, progress, parallel, witnesses)
    except Exception as error:  # noqa: BLE001 - only damage is turned into a report
        damage = store.damage(error)
        if damage is None:
            return _mistyped(store, error)
    if "decode" in damage:
        return _verify_leniently(store, public_key, origin, progress, witnesses)
    return _damaged(store, damage)


def _verify_leniently(store: SqlRecordStore, public_key: Ed25519PublicKey, origin: str,
                      progress: Progress | None, witnesses: Sequence[tuple]) -> VerifyReport:
    """Text that is not UTF-8 stops a fast scan: name each such value, then check the rest
    with that text read leniently (it then matches nothing it should)."""
    cells = store.undecodable_cells()
    store.lenient_text = True
    try:
        report = _verify(store, public_key, origin, progress, False, witnesses)
    except Exception as error:  # noqa: BLE001 - a value of the wrong type too
        report = _mistyped(store, error)
    finally:
        store.lenient_text = False
    report.problems[:0] = [Problem(where, what) for where, what in cells]
    return report


def _mistyped(store: SqlRecordStore, error: Exception) -> VerifyReport:
    """A check raised `error`: when values are stored as another type than their column's
    (SQLite keeps any), that was the cause, and each is named; otherwise it is raised."""
    cells = store.mistyped_cells()
    if not cells:
        raise error
    return VerifyReport(complete=False, problems=[Problem(where, what) for where, what in cells]
                        + [Problem("database", "the checks stopped at a value of the wrong "
                                   "type; restore the database from a backup and verify it")])


def _schema_problems(conn: sa.Connection) -> list[Problem]:
    """Tables or columns of the schema the database lacks: the checks cannot run without
    them."""
    inspector = sa.inspect(conn)
    names = set(inspector.get_table_names())
    problems = []
    for table in t.metadata.sorted_tables:
        if table.name not in names:
            problems.append(Problem("database", f"the table {table.name} is missing"))
            continue
        held = {column["name"] for column in inspector.get_columns(table.name)}
        problems += [Problem("database", f"the table {table.name} lacks the column "
                             f"{column.name}") for column in table.columns
                     if column.name not in held]
    return problems


def _revision_problems(recorded: list[str]) -> list[Problem]:
    """A schema revision other than this civicarchive's is named; the checks go on when
    the tables they read are all there."""
    head = head_revision()
    if recorded == [head]:
        return []
    held = f"records revision {', '.join(map(repr, recorded))}" if recorded else \
        "records no revision"
    return [Problem("alembic_version", f"{held}, where this civicarchive's schema is at "
                    f"{head}: the database was altered outside the archive, or written by "
                    "another civicarchive")]


def _damaged(store: SqlRecordStore, damage: str) -> VerifyReport:
    """The database file cannot be read through: say where the engine sees damage."""
    report = VerifyReport(complete=False,
                          problems=[Problem("database", f"cannot be read: {damage}")])
    try:
        with store.read() as conn:
            report.problems += [Problem("database", found)
                                for found in store.structure_problems(conn)]
    except Exception as error:  # noqa: BLE001 - too damaged for the check itself
        if store.damage(error) is None:
            raise
    return report


def _verify(store: SqlRecordStore, public_key: Ed25519PublicKey, origin: str,
            progress: Progress | None, parallel: bool, witnesses: Sequence[tuple]
            ) -> VerifyReport:
    with store.read() as conn:
        missing = _schema_problems(conn)
        revision = _revision_problems(store.revisions(conn))
    if missing:
        return VerifyReport(complete=False, problems=revision + missing)
    report = VerifyReport(problems=revision)
    with store.read() as conn:
        first, last = conn.execute(sa.select(sa.func.min(t.versions.c.id),
                                             sa.func.max(t.versions.c.id))).one()
        blob_parts = store.blob_partitions(conn, 4)
    # The heavy checks (blob re-hashing, rebuilding version entries in id ranges, blob
    # presence) run in worker processes while this one walks the ledger and its roots.
    # The longest first; once the walk is done, this process takes the tasks no worker has
    # started, instead of waiting for them.
    tasks: list[tuple] = [(_check_presence,)] + [(_check_blobs, part) for part in blob_parts]
    if first is not None:
        step = max(1000, (last - first + 1) // 6 + 1)
        tasks += [(_check_versions, low, min(low + step, last + 1))
                  for low in range(first, last + 1, step)]
    tasks += [(_check_structure,), (_check_rows,)]
    pool = _pool() if parallel else None
    try:
        futures = [pool.submit(_elsewhere, store.recipe(), *task) for task in tasks] \
            if pool else []
        with store.scanning() as conn:
            ledger_versions = _walk_ledger(store, conn, report, public_key, origin, progress)
            if pool:
                here = {n: task[0](store, conn, *task[1:]) for n, task in
                        reversed(list(enumerate(tasks))) if futures[n].cancel()}
                results = [here[n] if n in here else f.result()
                           for n, f in enumerate(futures)]
            else:
                results = [task[0](store, conn, *task[1:]) for task in tasks]
    finally:
        if pool:
            pool.shutdown()
    late: list[tuple[int, int]] = []
    for result in results:
        report.blobs += result.blobs
        report.blob_bytes += result.blob_bytes
        report.versions += result.versions
        report.problems[:0] = result.problems
        late += result.late
    report.problems += _check_items(store, late)
    if report.versions != ledger_versions:
        report.problems.append(Problem("ledger", f"holds {ledger_versions} version entries for "
                                       f"{report.versions} versions"))
    with store.read() as conn:  # the chain, unsealed entries, witnesses (continuity.py)
        report.problems += [Problem(*p) for p in continuity_problems(
            conn, report.entries, report.entries - report.unsealed_entries, public_key,
            origin, witnesses)]
    return report


@dataclass
class _Partial:
    blobs: int = 0
    blob_bytes: int = 0
    versions: int = 0
    problems: list[Problem] = field(default_factory=list)
    # (item, version): the item's first version in this partition was not observed when
    # the item says it was first seen (a problem if that is its first version overall)
    late: list[tuple[int, int]] = field(default_factory=list)


def _pool() -> ProcessPoolExecutor | None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))


_worker_stores: dict[tuple, SqlRecordStore] = {}


def _elsewhere(recipe: tuple, check: Callable, *args: object) -> _Partial:
    """Run a check in a worker process, on a store with its own engine (one per worker:
    opening a database costs more than a small check)."""
    own = _worker_stores.get(recipe)
    if own is None:
        kind, location, blob_store = recipe
        own = _worker_stores[recipe] = kind.at(location, blob_store)
    with own.scanning() as conn:
        return check(own, conn, *args)


def _check_blobs(store: SqlRecordStore, conn: sa.Connection, part: tuple) -> _Partial:
    """Re-hash every blob in one partition of the table."""
    result = _Partial()
    problems = result.problems
    sha256 = hashlib.sha256
    count = size = 0
    b = t.blobs.c
    query = sa.select(b.sha256, b.size, b.data).where(store.blob_range(part))
    for rows in store.chunks(conn, query):
        count += len(rows)
        for name, stored_size, data in rows:
            if data is None:  # in the blob store: hashed as it is read, never held whole
                digest, length = sha256(), 0
                try:
                    with store.blob_store.open(bytes(name).hex()) as stream:
                        for chunk in iter(lambda: stream.read(1 << 20), b""):
                            digest.update(chunk)
                            length += len(chunk)
                except (FileNotFoundError, ValueError):
                    problems.append(Problem(f"blob {bytes(name).hex()}", "file is missing "
                                            "from the blob store"))
                    count -= 1
                    continue
            else:
                digest, length = sha256(data), len(data)
            size += length
            if digest.digest() != name:
                problems.append(Problem(f"blob {bytes(name).hex()}", "content does not "
                                        "match its hash"))
            elif length != stored_size:
                problems.append(Problem(f"blob {bytes(name).hex()}", f"its recorded size is "
                                        f"{stored_size} bytes, but it holds {length}"))
    result.blobs, result.blob_bytes = count, size
    return result


def _check_structure(store: SqlRecordStore, conn: sa.Connection) -> _Partial:
    return _Partial(problems=[Problem("database", f"structure check: {found}")
                              for found in store.structure_problems(conn)])


def _check_rows(store: SqlRecordStore, conn: sa.Connection) -> _Partial:
    return _Partial(problems=[Problem(where, what) for where, what in check_provenance(conn)])


def _check_items(store: SqlRecordStore, late: list[tuple[int, int]]) -> list[Problem]:
    """Each item has a version, and was first seen when its first one was observed."""
    i, v = t.items.c, t.versions.c
    with store.read() as conn:
        firsts = dict(conn.execute(sa.select(v.item_id, sa.func.min(v.id))
                                   .where(store.member_of(v.item_id, {i for i, _ in late}))
                                   .group_by(v.item_id)).all()) if late else {}
        items = conn.execute(sa.select(sa.func.count()).select_from(t.items)).scalar_one()
        with_versions = conn.execute(sa.select(sa.func.count(sa.distinct(v.item_id)))
                                     ).scalar_one()
        problems = [Problem(f"items row {item_id}", f"first_seen_at differs from the time "
                            f"its first version {version_id} was observed")
                    for item_id, version_id in sorted(late) if firsts.get(item_id) == version_id]
        if items != with_versions:
            problems += [Problem(f"items row {item_id}", "has no version")
                         for (item_id,) in conn.execute(sa.select(i.id).where(
                             ~sa.exists().where(v.item_id == i.id)))]
    return problems


def _check_presence(store: SqlRecordStore, conn: sa.Connection) -> _Partial:
    """Every version's content and raw blobs exist, unless a tombstone purged them."""
    v, b, ts = t.versions.c, t.blobs.c, t.tombstones.c
    missing = conn.execute(
        sa.select(v.id).where(sa.or_(~sa.exists().where(b.sha256 == v.content_sha256),
                                     ~sa.exists().where(b.sha256 == v.raw_sha256)),
                              ~sa.exists().where(ts.version_id == v.id))
        .order_by(v.id).limit(100))
    return _Partial(problems=[Problem(f"version {version_id}", "its content or raw blob is "
                                      "missing and no tombstone records a purge")
                              for (version_id,) in missing])


def _check_versions(store: SqlRecordStore, conn: sa.Connection, low: int, high: int
                    ) -> _Partial:
    """Rebuild the entries of versions with ids in [low, high) and match their leaves."""
    le, v = t.ledger_entries.c, t.versions.c
    query = version_rows(platform=False).add_columns(le.kind, le.leaf_hash,
                                                     t.items.c.first_seen_at) \
        .outerjoin(t.ledger_entries, le.idx == v.ledger_index) \
        .where(v.id >= low, v.id < high)
    platforms = dict(conn.execute(sa.select(t.accounts.c.id, t.accounts.c.platform)).all())
    result = _Partial()
    problems = result.problems
    sha256 = hashlib.sha256
    previous = -1
    count = 0
    # Items are numbered as first seen, with their first version: in version order an
    # item appears first when its id passes every id before it.
    top = 0
    late = result.late
    version_kind = EntryKind.VERSION.value
    for rows in store.chunks(conn, query):
        count += len(rows)
        for row in rows:
            kind, leaf = row[16], row[17]
            if row[2] > top:
                top = row[2]
                if row[4] != row[18]:
                    late.append((row[2], row[1]))
            try:
                entry = version_entry_of(row, platforms.get(row[9]))
            except (ValueError, TypeError):  # too damaged to rebuild: cannot match its leaf
                entry = b""
            if kind != version_kind:
                problems.append(Problem(f"version {row[1]}", f"its ledger entry {row[0]} is "
                                        f"{'missing' if kind is None else 'not a version entry'}"))
            elif row[0] <= previous:
                problems.append(Problem(f"version {row[1]}", "ledger positions are out of "
                                        "order"))
            elif sha256(b"\x00" + entry).digest() != leaf:
                problems.append(Problem(f"ledger entry {row[0]}", f"version {row[1]} no longer "
                                        "matches its ledger leaf: the record or the leaf "
                                        "changed"))
            previous = row[0]
    result.versions = count
    return result


def _walk_ledger(store: SqlRecordStore, conn: sa.Connection, report: VerifyReport,
                 public_key: Ed25519PublicKey, origin: str, progress: Progress | None) -> int:
    """Walk every leaf in order: positions, roots at each checkpoint, audit and tombstone
    entries. Returns how many entries are version entries (checked by _check_versions)."""
    problems = report.problems
    checkpoints = conn.execute(sa.select(t.checkpoints).order_by(t.checkpoints.c.id)).all()
    previous = 0
    for cp in checkpoints:
        if cp.tree_size < previous:
            problems.append(Problem(f"checkpoint {cp.id}", f"tree size {cp.tree_size} is "
                                    f"smaller than the previous checkpoint's {previous}"))
        previous = max(previous, cp.tree_size)
    pending = sorted(checkpoints, key=lambda cp: (cp.tree_size, cp.id))
    cursor = 0
    frontier = Frontier()
    while cursor < len(pending) and pending[cursor].tree_size == 0:
        _check_checkpoint(pending[cursor], frontier, public_key, origin, report)
        cursor += 1
    next_size = pending[cursor].tree_size if cursor < len(pending) else -1

    sources = {kind: (iter(store.stream(conn, rows())), entry_of, name)
               for kind, (rows, entry_of, name) in REBUILDERS.items()
               if kind != EntryKind.VERSION}
    counts = dict.fromkeys(REBUILDERS, 0)
    sha256 = hashlib.sha256
    le = t.ledger_entries.c
    expected_idx = size = 0
    version_kind = str(EntryKind.VERSION)
    batch: list[bytes] = []   # leaves not yet in the frontier: it takes them a run at a time
    query = sa.select(le.idx, le.kind, le.leaf_hash).order_by(le.idx)
    for chunk in store.chunks(conn, query):
        for idx, kind, leaf in chunk:
            if idx != expected_idx:
                problems.append(Problem(f"ledger entry {idx}", f"expected entry {expected_idx}:"
                                        " the ledger has a gap or a duplicate"))
            expected_idx = idx + 1
            if kind == version_kind:
                counts[EntryKind.VERSION] += 1
            elif kind in sources:
                rows, entry_of, name = sources[kind]
                row = next(rows, None)
                if row is None:
                    problems.append(Problem(f"ledger entry {idx}", f"no {kind} record backs it"))
                else:
                    counts[kind] += 1
                    if row[0] != idx:
                        problems.append(Problem(f"ledger entry {idx}", f"{name(row)} claims "
                                                f"ledger entry {row[0]}"))
                    elif sha256(b"\x00" + _entry(entry_of, row)).digest() != leaf:
                        problems.append(Problem(f"ledger entry {idx}", f"{name(row)} no longer "
                                                "matches its ledger leaf: the record or the "
                                                "leaf changed"))
            else:
                problems.append(Problem(f"ledger entry {idx}", f"unknown entry kind {kind!r}"))
            batch.append(bytes(leaf))
            size += 1
            if size == next_size:
                frontier.extend(batch)
                batch.clear()
                while cursor < len(pending) and pending[cursor].tree_size == frontier.size:
                    _check_checkpoint(pending[cursor], frontier, public_key, origin, report)
                    cursor += 1
                next_size = pending[cursor].tree_size if cursor < len(pending) else -1
            if progress and size % PROGRESS_EVERY == 0:
                progress("ledger", size)
        frontier.extend(batch)
        batch.clear()
    report.entries = frontier.size
    report.audit_events = counts[EntryKind.AUDIT]
    report.tombstones = report.purged_versions = counts[EntryKind.TOMBSTONE]
    for kind, (rows, _, name) in sources.items():
        problems += [Problem(f"{name(row)} (ledger entry {row[0]})", "has no ledger entry")
                     for row in rows]
    for cp in pending[cursor:]:
        problems.append(Problem(f"checkpoint {cp.id}", f"covers {cp.tree_size} entries but the "
                                f"ledger holds {frontier.size}: entries are missing"))
    sealed = max((cp.tree_size for cp in checkpoints), default=0)
    report.unsealed_entries = max(0, frontier.size - sealed)  # a problem: continuity.py
    report.root = frontier.root().hex()
    return counts[EntryKind.VERSION]


def _entry(entry_of: Callable[[tuple], bytes], row: tuple) -> bytes:
    try:
        return entry_of(row)
    except (ValueError, TypeError, AttributeError):  # too damaged to rebuild: matches no leaf
        return b""


def _check_checkpoint(cp: sa.Row, frontier: Frontier, public_key: Ed25519PublicKey,
                      origin: str, report: VerifyReport) -> None:
    where = f"checkpoint {cp.id} (tree size {cp.tree_size})"
    report.checkpoints += 1
    try:
        signed = signature_valid(public_key, cp.body, bytes(cp.signature))
    except UnicodeEncodeError:  # text that was not UTF-8 in the database
        signed = False
    if not signed:
        report.problems.append(Problem(where, "signature does not verify with the archive's "
                                       "public key"))
        return
    try:
        body = CheckpointBody.parse(cp.body)
    except ValueError as error:
        report.problems.append(Problem(where, f"signed body is malformed: {error}"))
        return
    if body.origin != origin:
        report.problems.append(Problem(where, f"signed for archive {body.origin}, not {origin}"))
    if (body.size, body.root, body.time) != (cp.tree_size, bytes(cp.root_hash), cp.created_at):
        report.problems.append(Problem(where, "stored size, root or time differ from the "
                                       "signed body"))
    if body.root != frontier.root():
        report.problems.append(Problem(where, "signed root does not match the root recomputed "
                                       "from the ledger"))
    try:
        stored_frontier = orjson.loads(cp.frontier)
    except orjson.JSONDecodeError:
        stored_frontier = None
    if stored_frontier != [h.hex() for h in frontier.hashes()]:
        report.problems.append(Problem(where, "stored frontier does not match the ledger"))
