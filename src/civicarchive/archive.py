"""The application service: the one entry point the CLI, the API and scripts call."""

from __future__ import annotations

import base64
import functools
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
import sqlalchemy as sa

from civicarchive.clock import Clock, SystemClock, format_time
from civicarchive import exports, policy
from civicarchive.connectors import registry
from civicarchive.connectors.base import ImportContext, ImportProblem
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.jsonl import check_jsonl, read_jsonl
from civicarchive.casework import Casework
from civicarchive.custody import Custody
from civicarchive.discovery import Discovery, SearchResults
from civicarchive.producing import Producing
from civicarchive.errors import (AlreadyInitialised, ArchiveError, InvalidInput, NotFound,
                                 NotInitialised)
from civicarchive.model.account import Account, Agency, Classification
from civicarchive.model.record import Event, Item, Kind, Observation, Version
from civicarchive.policy import PolicyProblem
from civicarchive.records.model import HoldScope
from civicarchive.settings import Settings
from civicarchive.store import SqlRecordStore, open_store
from civicarchive.store import schema as t
from civicarchive.store.checkpoint import (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, ArchiveKey,
                                           fingerprint, load_public_key, public_pem,
                                           public_raw)
from civicarchive.store.entries import EntryKind, tombstone_entry
from civicarchive.store.ingest import IngestReport, Prepared, ingest_batch
from civicarchive.store.pipeline import WorkerStream, prepare_inline
from civicarchive.store.proof import ProofResult, build_proof, build_proofs, verify_proof
from civicarchive.store.verification import Problem, Progress, VerifyReport, verify_store

__all__ = ["DEFAULT_BATCH", "FORMATS", "Archive", "HoldScope", "ImportReport", "SearchResults",
           "check_proof",
           "diff_policy_files", "policy_problems", "render_policy", "verify_package"]

DEFAULT_BATCH = 2000
FORMATS = list(registry.IMPORTERS)


@dataclass
class ImportReport:
    """What an import did: versions by kind, problems stepped over, evidence checked."""

    ingest: IngestReport
    entries: int  # read from the export (the ingest report also counts absent items)
    format: str
    source: str
    problems: list[ImportProblem]
    complete_kinds: list[str]
    absent_marked_deleted: int
    evidence: dict

    def as_dict(self) -> dict:
        counts = self.ingest.as_dict()
        return {"format": self.format, "source": self.source, "entries": self.entries,
                **{name: counts[name] for name in ("versions", "created",
                                                   "edited", "deleted", "hidden", "unhidden",
                                                   "restored", "unchanged")},
                "by_kind": counts["by_kind"], "complete_kinds": self.complete_kinds,
                "absent_marked_deleted": self.absent_marked_deleted,
                "problems": [{"where": p.where, "what": p.what} for p in self.problems],
                "evidence": self.evidence}


class Archive(Custody, Discovery, Casework, Producing):
    """An agency archive: registry, versioned records, ledger and audit log. Retention,
    holds and disposition come from `Custody`, search from `Discovery`, records requests
    from `Casework` and their productions from `Producing`."""

    def __init__(self, settings: Settings, store: SqlRecordStore, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._key: ArchiveKey | None = None
        with store.read() as conn:
            info = conn.execute(sa.select(t.archive_info)).one()
        self.archive_id: str = info.id
        self._public_key_b64: str = info.public_key

    # -- lifecycle ----------------------------------------------------------------------

    @classmethod
    def init(cls, agency: str, home: str | Path | None = None, database_url: str | None = None,
             clock: Clock | None = None, actor: str = "system") -> Archive:
        """Create a new archive with its first agency and signing key."""
        settings = Settings.resolve(home, database_url)
        clock = clock or SystemClock()
        if not agency.strip():
            raise InvalidInput("the agency needs a name: --agency 'City of Example'")
        if (settings.keys_dir / PRIVATE_KEY_FILE).exists():
            raise AlreadyInitialised(str(settings.home))
        settings.home.mkdir(parents=True, exist_ok=True)
        store = open_store(settings)
        if store.is_initialised():
            raise AlreadyInitialised(store.where)
        store.migrate()
        key = ArchiveKey.generate(settings.keys_dir)
        for folder in (settings.blobs_dir, settings.exports_dir):
            folder.mkdir(exist_ok=True)
        archive_id = str(uuid.uuid4())
        now = format_time(clock.now())
        try:
            with store.write(key, archive_id, now) as tx:
                tx.conn.execute(t.archive_info.insert(), [{
                    "id": archive_id, "created_at": now,
                    "public_key": base64.b64encode(key.public_raw()).decode()}])
                agency_id = tx.next_id("agencies")
                tx.add("agencies", {"id": agency_id, "slug": slugify(agency),
                                    "name": agency.strip(), "created_at": now})
                tx.audit(actor, "archive.init", f"archive {archive_id}",
                         {"agency": agency.strip(),
                          "public_key_sha256": fingerprint(key.public_raw())})
        except BaseException:
            # Nothing was archived: drop the key, so that `init` can simply be run again.
            for name in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE):
                (settings.keys_dir / name).unlink(missing_ok=True)
            store.dispose()
            raise
        archive = cls(settings, store, clock)
        archive._key = key
        return archive

    @classmethod
    def open(cls, home: str | Path | None = None, database_url: str | None = None,
             clock: Clock | None = None) -> Archive:
        settings = Settings.resolve(home, database_url)
        if settings.database_url is None and not settings.sqlite_path.exists():
            raise NotInitialised(str(settings.home))  # and do not create an empty database
        store = open_store(settings)
        store.require_initialised()
        store.migrate()
        return cls(settings, store, clock or SystemClock())

    def close(self) -> None:
        if self._search_index is not None:
            self._search_index.close()
        self.store.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keys ---------------------------------------------------------------------------

    @property
    def key(self) -> ArchiveKey:
        if self._key is None:
            keys = self.settings.keys_dir
            if not (keys / PRIVATE_KEY_FILE).exists():
                raise ArchiveError(f"the archive's signing key is missing from {keys}: restore "
                                   f"{PRIVATE_KEY_FILE} from your backup to write to this archive")
            self._key = ArchiveKey.load(keys)
            if public_raw(self._key.public) != self.public_key_raw:
                raise ArchiveError(f"the key in {keys} is not this archive's key")
        return self._key

    @property
    def public_key_fingerprint(self) -> str:
        """sha256 of the raw public key: what a third party compares with the published key."""
        return fingerprint(self.public_key_raw)

    @property
    def public_key_raw(self) -> bytes:
        return base64.b64decode(self._public_key_b64)

    def public_key_pem(self) -> bytes:
        return public_pem(load_public_key(self._public_key_b64.encode()))

    def _write(self):  # noqa: ANN202
        return self.store.write(self.key, self.archive_id, format_time(self.clock.now()))

    # -- registry -----------------------------------------------------------------------

    def agencies(self) -> list[Agency]:
        with self.store.read() as conn:
            return [Agency(**row._asdict()) for row in
                    conn.execute(sa.select(t.agencies).order_by(t.agencies.c.id))]

    def add_account(self, platform: str, handle: str, classification: Classification | str,
                    owner: str | None = None, platform_id: str | None = None,
                    agency: str | None = None, actor: str = "system") -> Account:
        """Register an account that does agency business."""
        classification = _enum(Classification, classification, "classification")
        platform = platform.strip().lower()
        if not platform or not handle.strip():
            raise InvalidInput("an account needs a platform and a handle")
        agency_row = self._agency(agency)
        with self._write() as tx:
            exists = tx.conn.execute(sa.select(t.accounts.c.id).where(
                t.accounts.c.agency_id == agency_row.id, t.accounts.c.platform == platform,
                t.accounts.c.handle == handle)).first()
            if exists:
                raise InvalidInput(f"{platform} account {handle!r} is already registered as "
                                   f"account {exists.id}")
            account_id = tx.next_id("accounts")
            row = {"id": account_id, "agency_id": agency_row.id, "platform": platform,
                   "handle": handle, "platform_id": platform_id, "owner": owner,
                   "classification": classification.value, "registered_at": tx.now,
                   "registered_by": actor}
            tx.add("accounts", row)
            tx.audit(actor, "account.register", f"account {account_id}",
                     {k: v for k, v in row.items() if k != "id"})
        return self.account(account_id)

    def _agency(self, slug: str | None) -> Agency:
        agencies = self.agencies()
        if slug is None:
            if len(agencies) == 1:
                return agencies[0]
            raise InvalidInput("this archive holds several agencies: name one with --agency "
                               f"({', '.join(a.slug for a in agencies)})")
        for agency in agencies:
            if slug in (agency.slug, agency.name):
                return agency
        raise NotFound("agency", slug)

    def accounts(self) -> list[Account]:
        with self.store.read() as conn:
            rows = conn.execute(sa.select(t.accounts).order_by(t.accounts.c.id)).all()
        return [_account(row) for row in rows]

    def account(self, account_id: int) -> Account:
        with self.store.read() as conn:
            row = conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id)).first()
        if row is None:
            raise NotFound("account", account_id)
        return _account(row)

    # -- records ------------------------------------------------------------------------

    def ingest(self, observations: Iterable[Observation], source: str, actor: str = "system",
               batch_size: int = DEFAULT_BATCH,
               progress: Callable[[IngestReport], None] | None = None) -> IngestReport:
        """Add what the observations show; idempotent, one transaction per batch."""
        return self._ingest(prepare_inline(observations, batch_size), source, actor, progress)

    def ingest_jsonl(self, path: Path, account_id: int, actor: str = "system",
                     batch_size: int = DEFAULT_BATCH,
                     progress: Callable[[IngestReport], None] | None = None) -> IngestReport:
        """Ingest a JSONL file (docs/jsonl-format.md), checking every line before writing.

        A malformed line stops the ingest before anything is written, naming file and line.
        Lines are parsed and hashed in a worker process while this one writes.
        """
        self.account(account_id)
        problems = check_jsonl(path, account_id)
        if problems:
            more = " (showing the first 20)" if len(problems) >= 20 else ""
            listing = "\n  ".join(str(p) for p in problems)
            raise InvalidInput(f"{len(problems)} malformed line(s){more}; nothing was "
                               f"ingested. Fix them and run again:\n  {listing}")
        batches = WorkerStream(functools.partial(read_jsonl, path, account_id), batch_size)
        return self._ingest(batches, f"jsonl:{Path(path).name}", actor, progress)

    def import_export(self, path: Path | str, account_id: int, format: str | None = None,
                      actor: str = "system", batch_size: int = DEFAULT_BATCH,
                      progress: Callable[[IngestReport], None] | None = None,
                      public_key: str | None = None, partial: bool = False) -> ImportReport:
        """Import a platform's own export (zip, tar.gz, folder or file) of one account.

        The format is detected unless named. Entries are read and hashed in a worker
        process while this one writes, a batch per transaction: an interrupted import is
        finished by running it again. Items of a kind the export holds completely that
        are absent from it are recorded as deleted, unless the export is `partial` (a date
        range, a selection). `public_key` is the account's key where a format can check
        signatures (Bluesky: a did:key).
        """
        account = self.account(account_id)
        path = Path(path)
        with ExportFiles.open(path) as files:
            importer = registry.importer(format) if format else registry.detect(files)
            if importer.platform not in (account.platform, "feed"):
                raise InvalidInput(f"{path} is a {importer.platform} export, but account "
                                   f"{account_id} is on {account.platform}: pick the "
                                   "account it belongs to")
            observed_at = self.clock.now()
            context = ImportContext(account_id, observed_at,
                                    evidence={"public_key": public_key} if public_key else {})
            stream = WorkerStream(lambda: importer.read(files, context), batch_size,
                                  finish=lambda: (context.problems, context.complete_kinds,
                                                  context.evidence))
            seen: set[tuple[str, str]] = set()

            def batches() -> Iterator[list[Prepared]]:
                for batch in stream:
                    seen.update((p.kind, p.native_id) for p in batch)
                    yield batch

            source = f"import:{importer.format}:{path.name}"
            report = self._ingest(batches(), source, actor, progress)
            problems, complete, evidence = stream.result
            evidence.pop("public_key", None)
            if partial:
                complete = set()
            absent = self._mark_absent(account_id, complete, seen, observed_at,
                                       f"{source} (absent from this export)", actor)
        entries = report.observations
        report.add(absent)
        result = ImportReport(report, entries, importer.format, str(path), problems,
                              sorted(k.value for k in complete), absent.versions, evidence)
        with self._write() as tx:  # the import itself, with its evidence, in the ledger
            tx.audit(actor, "import", source, {
                "format": importer.format, "entries": entries, "versions": report.versions,
                "absent_marked_deleted": absent.versions, "problems": len(problems),
                "complete_kinds": result.complete_kinds, "evidence": evidence})
        return result

    def _mark_absent(self, account_id: int, kinds: set[Kind], seen: set[tuple[str, str]],
                     observed_at: datetime, source: str, actor: str) -> IngestReport:
        """Deleted versions for items of fully exported kinds that the export lacks."""
        if not kinds:
            return IngestReport()
        i = t.items.c
        with self.store.read() as conn:
            rows = conn.execute(sa.select(i.native_id, i.kind).where(
                i.account_id == account_id, i.kind.in_(sorted(k.value for k in kinds)))).all()
        gone = [Observation(account_id=account_id, native_id=native_id, kind=Kind(kind),
                            observed_at=observed_at, content=None, raw=None,
                            event=Event.DELETED)
                for native_id, kind in rows if (kind, native_id) not in seen]
        return self.ingest(gone, source=source, actor=actor) if gone else IngestReport()

    def _ingest(self, batches: Iterable[list[Prepared]], source: str, actor: str,
                progress: Callable[[IngestReport], None] | None) -> IngestReport:
        accounts = self.accounts()
        platforms = {a.id: a.platform for a in accounts}
        total = IngestReport()
        feed = self.search_feed({a.id: (a.platform, a.handle) for a in accounts})
        try:
            for prepared in batches:
                unknown = {p.account_id for p in prepared} - platforms.keys()
                if unknown:
                    raise NotFound("account", min(unknown))
                with self._write() as tx:
                    report = ingest_batch(tx, prepared, platforms, source, actor)
                feed.add(report.fresh, report.touched)  # after the commit, never before
                total.add(report)
                if progress:
                    progress(total)
        except BaseException:
            feed.abandon()
            raise
        if total.versions:
            self.finish_feed(feed)
        else:
            feed.abandon()
        return total

    def item(self, item_id: int) -> Item:
        with self.store.read() as conn:
            row = conn.execute(sa.select(t.items).where(t.items.c.id == item_id)).first()
        if row is None:
            raise NotFound("item", item_id)
        return Item(**{**row._asdict(), "kind": Kind(row.kind)})

    def history(self, item_id: int) -> list[Version]:
        """Every version of an item, in observed order."""
        self.item(item_id)
        v = t.versions.c
        with self.store.read() as conn:
            rows = conn.execute(sa.select(t.versions).where(v.item_id == item_id)
                                .order_by(v.observed_at, v.id)).all()
        return [_version(row) for row in rows]

    def version(self, version_id: int) -> Version:
        with self.store.read() as conn:
            row = conn.execute(sa.select(t.versions).where(t.versions.c.id == version_id)).first()
        if row is None:
            raise NotFound("version", version_id)
        return _version(row)

    def content(self, version: Version) -> dict | None:
        """A version's normalised content, or None once purged by disposition."""
        data = self.store.blob(bytes.fromhex(version.content_sha256))
        return orjson.loads(data) if data is not None else None

    def raw(self, version: Version) -> bytes | None:
        return self.store.blob(bytes.fromhex(version.raw_sha256))

    def purged(self, version_id: int) -> bool:
        with self.store.read() as conn:
            return conn.execute(sa.select(t.tombstones.c.version_id).where(
                t.tombstones.c.version_id == version_id)).first() is not None

    def purge(self, version_ids: Iterable[int], reason: str, actor: str) -> list[int]:
        """Remove versions' content and blobs, keeping their hashes, with tombstones.

        The only way content ever leaves the archive; disposition calls it once a batch is
        approved. Blobs still used by a version that is kept stay. Returns ledger indexes.
        """
        if not reason.strip():
            raise InvalidInput("a purge needs a reason (the approved disposition it executes)")
        ids = sorted(set(version_ids))
        v, ts = t.versions.c, t.tombstones.c
        indexes: list[int] = []
        orphans: list[str] = []
        with self._write() as tx:
            rows = tx.conn.execute(sa.select(v.id, v.content_sha256, v.raw_sha256)
                                   .where(v.id.in_(ids))).all()
            missing = set(ids) - {row.id for row in rows}
            if missing:
                raise NotFound("version", min(missing))
            already = {r for (r,) in tx.conn.execute(sa.select(ts.version_id)
                                                     .where(ts.version_id.in_(ids)))}
            for row in rows:
                if row.id in already:
                    continue
                index = tx.ledger.append(EntryKind.TOMBSTONE, tombstone_entry(
                    version_id=row.id, content_sha256=row.content_sha256.hex(),
                    raw_sha256=row.raw_sha256.hex(), reason=reason, purged_at=tx.now))
                tx.add("tombstones", {"version_id": row.id, "ledger_index": index,
                                      "reason": reason, "purged_at": tx.now})
                indexes.append(index)
            tx.flush()
            shas = {sha for row in rows for sha in (row.content_sha256, row.raw_sha256)}
            kept = sa.select(v.id).where(v.id.not_in(sa.select(ts.version_id)))
            still_used = {sha for (c, r) in tx.conn.execute(
                sa.select(v.content_sha256, v.raw_sha256).where(
                    v.id.in_(kept), sa.or_(v.content_sha256.in_(shas), v.raw_sha256.in_(shas))))
                for sha in (c, r)}
            orphans = sorted(shas - still_used)
            if orphans:
                tx.conn.execute(t.blobs.delete().where(t.blobs.c.sha256.in_(orphans)))
            tx.audit(actor, "records.purge", f"{len(indexes)} versions",
                     {"versions": [row.id for row in rows if row.id not in already],
                      "reason": reason, "blobs_removed": len(orphans)})
        for sha in orphans:  # after commit: a crash before this leaves only unused files
            self.store.blob_store.delete(sha.hex())
        self.sync_search()  # purged text must stop being found
        return indexes

    # -- proof --------------------------------------------------------------------------

    def verify(self, progress: Progress | None = None, trusted_key_pem: bytes | None = None
               ) -> VerifyReport:
        """Re-derive every hash, entry, root and signature; see store/verification.py."""
        public = load_public_key(trusted_key_pem) if trusted_key_pem else \
            load_public_key(self._public_key_b64.encode())
        report = verify_store(self.store, public, self.archive_id, progress)
        key_file = self.settings.keys_dir / PUBLIC_KEY_FILE
        if key_file.exists() and public_raw(load_public_key(key_file.read_bytes())) != \
                self.public_key_raw:
            report.problems.insert(0, Problem(str(key_file), "differs from the public key "
                                              "recorded in the archive"))
        return report

    def export(self, version_ids: list[int], fmt: str, target: Path) -> Path:
        """Write versions as a WARC file or a BagIt evidence package (folder)."""
        if not version_ids:
            raise InvalidInput("nothing to export: name versions or items")
        for version_id in version_ids:
            self.version(version_id)
        if fmt == "warc":
            with open(target, "wb") as out:
                exports.write_warc(self, version_ids, out)
        elif fmt == "bagit":
            exports.write_evidence_package(self, version_ids, target)
        else:
            raise InvalidInput(f"unknown export format {fmt!r}: use warc or bagit")
        return target

    def proof(self, version_id: int) -> dict:
        return build_proof(self.store, version_id, self.public_key_raw)

    def proofs(self, version_ids: Iterable[int]) -> Iterator[dict]:
        """Proofs of many versions, in order, from one pass over the ledger."""
        return build_proofs(self.store, version_ids, self.public_key_raw)

    def stats(self) -> dict[str, int]:
        return self.store.counts()


def policy_problems(path: Path | str, platforms: Iterable[str] = ()) -> list[PolicyProblem]:
    """Every problem in an agency policy file, with file:line:column; with `platforms`,
    also the records on those platforms that no series, or more than one, would cover."""
    problems = policy.check_policy(path)
    if platforms and not any(p.severity is policy.Severity.ERROR for p in problems):
        overlaps, gaps = policy.assignment_report(policy.load_policy(path), tuple(platforms))
        problems += [PolicyProblem(str(path), 1, 1, f"no record series covers {gap}")
                     for gap in gaps]
        problems += [PolicyProblem(str(path), 1, 1, f"{overlap.combination} falls into "
                                   f"several series: {', '.join(overlap.series)}")
                     for overlap in overlaps]
    return problems


def render_policy(path: Path | str, fmt: str) -> bytes:
    """The agency's social media policy document (md, html or pdf) from its policy file."""
    return policy.render(policy.load_policy(path), fmt)


def diff_policy_files(old: Path | str, new: Path | str) -> str:
    """A policy change as a diff of both the file and the rendered document."""
    return policy.diff_policies(old, new)


def verify_package(folder: Path | str, trusted_key: bytes | None = None) -> list[str]:
    """Every problem in an evidence package (empty when sound), checked offline."""
    return exports.verify_evidence_package(Path(folder), trusted_key)


def check_proof(doc: object, trusted_key: bytes | None = None) -> ProofResult:
    """Verify an inclusion proof offline; `trusted_key` (PEM or base64) pins the signer."""
    try:
        key = load_public_key(trusted_key) if trusted_key else None
    except ValueError as error:
        raise InvalidInput(f"the trusted public key is not an Ed25519 key: {error}") from None
    return verify_proof(doc, key)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "agency"


def _enum(kind: type, value: object, what: str):  # noqa: ANN202
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"unknown {what} {value!r}: use one of "
                           f"{', '.join(m.value for m in kind)}") from None


def _account(row: sa.Row) -> Account:
    return Account(**{**row._asdict(), "classification": Classification(row.classification)})


def _version(row: sa.Row) -> Version:
    return Version(**{**row._asdict(), "event": Event(row.event),
                      "content_sha256": row.content_sha256.hex(),
                      "raw_sha256": row.raw_sha256.hex()})
