"""Bringing records in: observations, JSONL files and the platforms' own exports.

Every path ends in `store.ingest.ingest_batch`, a transaction per batch that ends in a
signed checkpoint, so an interrupted ingest is finished by running it again. The search
index follows each ingest (see `Finding.feed`). `mark_absent` records as deleted what a
complete source no longer holds; a full export uses it, and live capture will too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from civicarchive.app.context import ArchiveContext
from civicarchive.app.finding import Finding
from civicarchive.app.registry import Registry
from civicarchive.clock import parse_time
from civicarchive.connectors import registry as importers
from civicarchive.connectors.base import ImportContext, ImportProblem
from civicarchive.connectors.files import DEFAULT_LIMITS, ExportFiles
from civicarchive.connectors.jsonl import check_jsonl, read_jsonl
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.record import Event, Kind, Observation
from civicarchive.store import records as record_sql
from civicarchive.store.ingest import IngestReport, ingest_batch
from civicarchive.store.itemset import ItemSet
from civicarchive.store.pipeline import WorkerStream, collector_paused, prepare_inline

DEFAULT_BATCH = 8000  # observations per transaction
# The unit of work inside a transaction: prepared, sent from the worker and versioned this
# many at a time, its rows handed to the database before the next. A large transaction is
# cheaper per record (the pages a commit writes include index pages that every batch
# touches: the blobs' sha256 index above all, whose inserts land anywhere), while Python
# holds one chunk's rows (and, until the commit, the batch's new records for the index).
CHUNK = 2000
FORMATS = list(importers.IMPORTERS)
# Platforms with an export format of their own: a feed is imported into any other account
# (a website's, a blog's) or one on the feed platform.
EXPORT_PLATFORMS = frozenset(FORMATS) - {"feed"}

Progress = Callable[[IngestReport], None]


# The largest upload worth receiving: what an import reads of an export (connectors/files).
UPLOAD_LIMIT = DEFAULT_LIMITS.max_total_bytes


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
        """The report as plain JSON-ready data, as `--json` prints it."""
        counts = self.ingest.as_dict()
        return {"format": self.format, "source": self.source, "entries": self.entries,
                **{name: counts[name] for name in ("versions", "created",
                                                   "edited", "deleted", "hidden", "unhidden",
                                                   "restored", "unchanged")},
                "by_kind": counts["by_kind"], "complete_kinds": self.complete_kinds,
                "absent_marked_deleted": self.absent_marked_deleted,
                "problems": [{"where": p.where, "what": p.what} for p in self.problems],
                "evidence": self.evidence}


class Ingesting:
    """Ingest observations, JSONL and exports."""

    def __init__(self, context: ArchiveContext, registry: Registry, finding: Finding) -> None:
        self.context = context
        self.registry = registry
        self.finding = finding

    def ingest(self, observations: Iterable[Observation], source: str, actor: str = "system",
               batch_size: int = DEFAULT_BATCH, progress: Progress | None = None,
               seen: ItemSet | None = None) -> IngestReport:
        """Add what the observations show; idempotent, one transaction per batch. `seen`
        collects the ids of the items observed (for `mark_absent`)."""
        return self._ingest(prepare_inline(observations, min(batch_size, CHUNK)), source,
                            actor, progress, seen, batch_size)

    def ingest_jsonl(self, path: Path, account_id: int, actor: str = "system",
                     batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
                     ) -> IngestReport:
        """Ingest a JSONL file (docs/jsonl-format.md), checking every line before writing.

        A malformed line stops the ingest before anything is written, naming file and line.
        Lines are parsed and hashed in a worker process while this one checks, then writes.
        """
        self.registry.account(account_id)
        batches = WorkerStream(functools.partial(read_jsonl, path, account_id, checked=True),
                               min(batch_size, CHUNK))
        batches.start()  # its first batches are ready when the check is done
        try:
            problems = check_jsonl(path, account_id)
        except BaseException:
            batches.stop()
            raise
        if problems:
            batches.stop()
            more = " (showing the first 20)" if len(problems) >= 20 else ""
            listing = "\n  ".join(str(p) for p in problems)
            raise InvalidInput(f"{len(problems)} malformed line(s){more}; nothing was "
                               f"ingested. Fix them and run again:\n  {listing}",
                               parameter="file")
        return self._ingest(batches, f"jsonl:{Path(path).name}", actor, progress,
                            batch_size=batch_size)

    def import_export(self, path: Path | str, account_id: int, format: str | None = None,
                      actor: str = "system", batch_size: int = DEFAULT_BATCH,
                      progress: Progress | None = None, public_key: str | None = None,
                      partial: bool = False) -> ImportReport:
        """Import a platform's own export (zip, tar.gz, folder or file) of one account.

        The format is detected unless named. Entries are read and hashed in a worker
        process while this one writes, a batch per transaction: an interrupted import is
        finished by running it again. Items of a kind the export holds completely that
        are absent from it are recorded as deleted, unless the export is `partial` (a date
        range, a selection). `public_key` is the account's key where a format can check
        signatures (Bluesky: a did:key).
        """
        account = self.registry.account(account_id)
        path = Path(path)
        with ExportFiles.open(path) as files:
            importer = importers.importer(format) if format else importers.detect(files)
            if importer.platform == "feed" and account.platform in EXPORT_PLATFORMS:
                # Its entries would be other records of the same posts, under other ids,
                # and the account's next full export would record them all deleted.
                raise InvalidInput(f"{path} is a feed, but account {account_id} is on "
                                   f"{account.platform}, whose records come from its own "
                                   "export or capture: register the feed as an account of "
                                   "its own (platform feed, or the site it belongs to)",
                                   parameter="account_id")
            if importer.platform not in (account.platform, "feed"):
                raise InvalidInput(f"{path} is a {importer.platform} export, but account "
                                   f"{account_id} is on {account.platform}: pick the "
                                   "account it belongs to", parameter="account_id")
            observed_at = self.context.clock.now()
            evidence = {"public_key": public_key} if public_key else {}
            if files.part_paths:
                evidence["parts"] = ", ".join(part.name for part in files.part_paths)
            context = ImportContext(account_id, observed_at, evidence=evidence,
                                    handle=account.handle,
                                    platform_id=account.platform_id)
            stream = WorkerStream(lambda: importer.read(files, context), min(batch_size, CHUNK),
                                  finish=lambda: (context.problems, context.complete_kinds,
                                                  context.evidence))
            seen = ItemSet()
            source = f"import:{importer.format}:{path.name}"
            report = self._ingest(stream, source, actor, progress, seen, batch_size)
            problems, complete, evidence = stream.result
            evidence.pop("public_key", None)
            if "export_generated_at" in evidence:  # the export's own time, where it says
                observed_at = parse_time(evidence["export_generated_at"])
            if partial:
                complete = set()
            absent = self.mark_absent(account_id, complete, seen, observed_at,
                                      f"{source} (absent from this export)", actor)
        entries = report.observations
        report.add(absent)
        result = ImportReport(report, entries, importer.format, str(path), problems,
                              sorted(k.value for k in complete),
                              absent.versions, evidence)
        with self.context.write() as tx:  # the import itself, with its evidence, in the ledger
            tx.audit(actor, "import", source, {
                "format": importer.format, "entries": entries, "versions": report.versions,
                "absent_marked_deleted": absent.versions, "problems": len(problems),
                "complete_kinds": result.complete_kinds, "evidence": evidence})
        return result

    def mark_absent(self, account_id: int, kinds: set[Kind], seen: ItemSet,
                    observed_at: datetime, source: str, actor: str) -> IngestReport:
        """Deleted versions, at `observed_at`, for the account's items of `kinds` that are
        not in `seen`: what a complete source (a full export, a full capture pass) no
        longer holds. Items already deleted are left as they are."""
        if not kinds:
            return IngestReport()

        def gone() -> Iterator[Observation]:
            after = 0
            while True:
                with self.context.read() as conn:
                    page = record_sql.item_keys(conn, account_id, kinds, after)
                if not page:
                    return
                after = page[-1][0]
                yield from (Observation(account_id=account_id, native_id=native_id,
                                        kind=Kind(kind), observed_at=observed_at, content=None,
                                        raw=None, event=Event.DELETED)
                            for item_id, native_id, kind in page if item_id not in seen)

        return self.ingest(gone(), source=source, actor=actor)

    def _ingest(self, chunks: Iterable[list[tuple]], source: str, actor: str,
                progress: Progress | None, seen: ItemSet | None = None,
                batch_size: int = DEFAULT_BATCH) -> IngestReport:
        accounts = self.registry.accounts()
        platforms = {a.id: a.platform for a in accounts}
        total = IngestReport()
        feed = self.finding.feed(accounts)
        try:
            for batch in _Batches(chunks, batch_size):
                reports = []
                with collector_paused():
                    with self.context.write() as tx:
                        for chunk in batch:
                            unknown = {p[0] for p in chunk} - platforms.keys()  # account ids
                            if unknown:
                                raise NotFound("account", min(unknown))
                            if reports:
                                tx.flush()  # the rows so far to the database, not held here
                            reports.append(ingest_batch(tx, chunk, platforms, source, actor))
                    for report in reports:  # after the commit, never before
                        feed.add(report.fresh, report.touched, report.entries)
                for report in reports:
                    if seen is not None:
                        seen.update(report.item_ids)
                    total.add(report)
                total.batches += 1
                if progress:
                    progress(total)
        except BaseException:
            feed.abandon()
            raise
        if total.versions:
            self.finding.finish(feed)
        else:
            feed.abandon()
        return total


class _Batches:
    """Chunks regrouped into transactions of `size` observations (the last one smaller),
    a chunk split where a transaction ends within it. Each transaction is an iterator of
    chunks, drawn from the chunks only as it is written: never a whole transaction held at
    once. Consume each before asking for the next."""

    def __init__(self, chunks: Iterable[list[tuple]], size: int) -> None:
        self.source = iter(chunks)
        self.size = size
        self.carry: list[tuple] = []

    def __iter__(self) -> Iterator[Iterator[list[tuple]]]:
        while self.carry or self._refill():
            yield self._batch()

    def _refill(self) -> bool:
        self.carry = next((chunk for chunk in self.source if chunk), [])
        return bool(self.carry)

    def _batch(self) -> Iterator[list[tuple]]:
        room = self.size
        while room and (self.carry or self._refill()):
            part, self.carry = self.carry[:room], self.carry[room:]
            room -= len(part)
            yield part
