"""Live capture: one pass for an account, recorded as a run, with its gaps and alerts.

A pass is `(account, since cursor)`: the capturer reads the platform and returns
observations (capture/), which are ingested like any others, so that running a pass
twice adds no version. When the pass listed a kind completely, the archive's items of
that kind it did not see are re-checked one by one, and only those the platform confirms
gone (a 404, a tombstone, a deletion event) go to `mark_absent`; a transient error
leaves an item as it was. Every run is a row and an audit event; a failure that stops
capture opens a gap in the ledger, closed when a pass succeeds again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import orjson

from civicarchive.app.capture_status import AccountStatus, account_statuses
from civicarchive.app.context import ArchiveContext
from civicarchive.app.credentials import Credentials
from civicarchive.app.ingesting import Ingesting
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry
from civicarchive.capture import (CAPTURERS, Absent, CaptureFailed, CaptureJob, CaptureSettings,
                                  Pass, Recheck, capturer_for)
from civicarchive.capture import health
from civicarchive.capture.http import open_client
from civicarchive.capture.schedule import Daemon, Outcome
from civicarchive.clock import format_time, parse_time
from civicarchive.errors import InvalidInput
from civicarchive.model.account import Account
from civicarchive.model.record import Event, Kind
from civicarchive.store.itemset import ItemSet
from civicarchive.store import capture as sql
from civicarchive.store import records as record_sql
from civicarchive.store.ingest import IngestReport

log = logging.getLogger("civicarchive.capture")
COUNTED = (Event.CREATED, Event.EDITED, Event.DELETED, Event.HIDDEN)
DAEMON_CACHE_MIB = 8   # a pass writes little; a bulk import's 64 MiB would only fill up


@dataclass
class RunReport:
    """What one pass did."""

    account_id: int
    run_id: int
    ok: bool
    full: bool = False
    counts: dict = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    failure: dict | None = None
    retry_after: float | None = None
    gap_opened: int | None = None
    gap_closed: int | None = None
    alerts: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The report as plain JSON-ready data, as `--json` prints it."""
        return {"account_id": self.account_id, "run_id": self.run_id,
                "outcome": "ok" if self.ok else "failed", "full": self.full, **self.counts,
                "problems": self.problems, "failure": self.failure,
                "gap_opened": self.gap_opened, "gap_closed": self.gap_closed,
                "alerts": self.alerts}


class Capturing:
    """Capture passes, their runs, gaps and alerts, and each account's capture health."""

    def __init__(self, context: ArchiveContext, registry: Registry, reading: Reading,
                 ingesting: Ingesting, credentials: Credentials) -> None:
        self.context = context
        self.registry = registry
        self.reading = reading
        self.ingesting = ingesting
        self.credentials = credentials

    # -- settings ------------------------------------------------------------------------

    def settings(self, account_id: int) -> CaptureSettings:
        """The account's capture settings (packaged defaults until configured)."""
        self.registry.account(account_id)
        return self.all_settings().get(account_id, CaptureSettings())

    def all_settings(self) -> dict[int, CaptureSettings]:
        """Account id -> capture settings, for every configured account."""
        with self.context.read() as conn:
            return {a: CaptureSettings(**s) for a, s in sql.settings(conn).items()}

    def configure(self, account_id: int, actor: str = "system", **changes: object
                  ) -> CaptureSettings:
        """Change some of an account's capture settings (url, interval, jitter,
        full_every, media_max_bytes, enabled, pages); the others keep their value."""
        account = self.registry.account(account_id)
        capturer_for(account.platform)
        current = self.settings(account_id).as_dict()
        unknown = set(changes) - set(current)
        if unknown:
            raise InvalidInput(f"unknown capture setting(s) {', '.join(sorted(unknown))}: "
                               f"use {', '.join(current)}")
        merged = CaptureSettings(**{**current, **{k: v for k, v in changes.items()
                                                  if v is not None}})
        _check(merged)
        with self.context.write() as tx:
            sql.add_settings(tx, account_id, merged.as_dict(), actor)
        return merged

    # -- passes --------------------------------------------------------------------------

    def capturable(self) -> list[Account]:
        """Accounts on a platform with a capturer whose capture is configured and enabled."""
        settings = self.all_settings()
        return [a for a in self.registry.accounts() if a.platform in CAPTURERS
                and a.id in settings and settings[a.id].enabled]

    def run(self, account_id: int | None = None, actor: str = "system",
            client: httpx.Client | None = None) -> list[RunReport]:
        """One pass for the account, or for every capturable account; a failing account
        is reported and the others still run."""
        accounts = [self.registry.account(account_id)] if account_id is not None \
            else self.capturable()
        own = client is None
        client = client or open_client(
            allow_loopback=self.context.settings.capture_allow_loopback)
        try:
            return [self.run_account(a, actor, client) for a in accounts]
        finally:
            if own:
                client.close()

    def run_account(self, account: Account, actor: str, client: httpx.Client) -> RunReport:
        """One pass for one account, recorded as a run."""
        capturer = capturer_for(account.platform)
        started = self.context.clock.now()
        with self.context.read() as conn:
            cursor = sql.cursor(conn, account.id)
        job = CaptureJob(account.id, account.platform, account.handle, account.platform_id,
                         cursor, self.settings(account.id), started)
        source = f"capture:{account.platform}:{format_time(started)}"
        try:
            token = self.credentials.token(account.id)
            result = capturer.capture(job, client, token, self._known(account.id))
        except CaptureFailed as failure:
            return self._failed(account, job, source, failure, actor)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            # an answer of a shape the capturer does not know: the API changed
            failure = CaptureFailed(f"the platform's answer is not what the {account.platform} "
                                    f"capturer reads ({type(error).__name__}: {error}); capture"
                                    " needs updating", {"error": type(error).__name__})
            return self._failed(account, job, source, failure, actor)
        return self._succeeded(account, job, source, result, capturer, client, token, actor)

    def _known(self, account_id: int):  # noqa: ANN202
        def known(native_ids) -> set[str]:  # noqa: ANN001
            with self.context.read() as conn:
                return sql.known_native_ids(self.context.store, conn, account_id, native_ids)
        return known

    def _succeeded(self, account: Account, job: CaptureJob, source: str, result: Pass,
                   capturer, client: httpx.Client, token: str | None,  # noqa: ANN001
                   actor: str) -> RunReport:
        total = IngestReport()
        seen = ItemSet()
        if result.history:
            total.add(self.ingesting.ingest(result.history, f"{source} (edit history)", actor,
                                            seen=seen))
        total.add(self.ingesting.ingest(result.observations, source, actor, seen=seen))
        if result.complete_kinds:
            total.add(self._absent(account, job, source, result, capturer, client, token,
                                   seen, actor))
        if result.token_expiry is not None:   # what the platform said of the token
            self.credentials.note_expiry(account.id, result.token_expiry.expires_at, actor)
        quality = health.completeness(result.threads)
        counts = {event.value: total.events.get(event, 0) for event in COUNTED}
        counts["unchanged"] = total.unchanged
        ended = self.context.clock.now()
        report = RunReport(account.id, 0, True, job.full, counts,
                           [p.as_dict() for p in result.problems])
        with self.context.read() as conn:
            previous = sql.last_success(conn, account.id)
            open_gaps = sql.gaps(conn, account.id, open_only=True)
        with self.context.write() as tx:
            report.run_id = sql.add_run(tx, {
                "account_id": account.id, "source": source,
                "started_at": format_time(job.observed_at), "ended_at": format_time(ended),
                "outcome": "ok", "full": int(job.full), **counts, "requests": result.requests,
                "expected_replies": quality.expected, "captured_replies": quality.captured,
                "problems": report.problems, "cursor": result.cursor, "failure": None}, actor)
            for gap in open_gaps:
                sql.close_gap(tx, gap["id"], account.id, format_time(job.observed_at), actor)
                report.gap_closed = gap["id"]
            if not open_gaps and previous and health.was_not_running(
                    parse_time(previous["ended_at"]), job.observed_at, job.settings.interval):
                gap_id = sql.add_gap(tx, account.id, previous["ended_at"], "not_running",
                                     {"interval": job.settings.interval}, actor)
                sql.close_gap(tx, gap_id, account.id, format_time(job.observed_at), actor)
                report.gap_opened = report.gap_closed = gap_id
            report.alerts += self._quality_alerts(tx, account, quality, actor)
            report.alerts += self._expiry_alerts(tx, account, job.observed_at, actor)
        log.info("account %s captured: %s", account.id, counts)
        return report

    def _absent(self, account: Account, job: CaptureJob, source: str, result: Pass,
                capturer, client: httpx.Client, token: str | None,  # noqa: ANN001
                seen: ItemSet, actor: str) -> IngestReport:
        """Re-check, one by one, the live items a complete listing did not show; those
        the platform confirms gone are marked deleted, every other one is left alone."""
        candidates = self._unseen(account.id, result.complete_kinds, seen)
        present, gone = [], []
        for absent in candidates:
            try:
                checked = capturer.recheck(job, client, token, absent)
            except CaptureFailed as failure:
                result.problem(absent.native_id, f"could not be re-checked ({failure}); "
                               "kept as it was")
                checked = None
            if checked is not None and checked.outcome is Recheck.GONE:
                gone.append({"native_id": absent.native_id, **checked.evidence})
                continue
            seen.add(absent.item_id)   # present, or not known: never recorded deleted
            if checked is not None and checked.observation is not None:
                present.append(checked.observation)
            elif checked is not None and checked.outcome is Recheck.UNKNOWN:
                result.problem(absent.native_id, "absent from the listing but could not be "
                               f"re-checked ({checked.evidence.get('reason', 'unknown')}); "
                               "kept as it was")
        total = IngestReport()
        if present:
            total.add(self.ingesting.ingest(present, f"{source} (re-checked)", actor))
        if gone:
            result.cursor.setdefault("confirmed_gone", 0)
            result.cursor["confirmed_gone"] += len(gone)
            total.add(self.ingesting.mark_absent(
                account.id, result.complete_kinds, seen, job.observed_at,
                f"{source} (gone: confirmed by the platform)", actor))
            with self.context.write() as tx:
                tx.audit(actor, "capture.deletions", f"account {account.id}",
                         {"source": source, "confirmed": gone})
        return total

    def _unseen(self, account_id: int, kinds: set[Kind], seen: ItemSet) -> list[Absent]:
        """Items of `kinds` not in `seen` whose latest version is not a deletion."""
        found, after = [], 0
        while True:
            with self.context.read() as conn:
                page = record_sql.item_keys(conn, account_id, kinds, after)
                if not page:
                    return found
                after = page[-1][0]
                unseen = [row for row in page if row[0] not in seen]
                latest = sql.latest_versions(self.context.store, conn,
                                             [row[0] for row in unseen]) if unseen else {}
            for item_id, native_id, kind in unseen:
                event, content_sha = latest.get(item_id, ("deleted", b""))
                if event == Event.DELETED.value:
                    continue
                blob = self.context.store.blob(content_sha)
                content = orjson.loads(blob) if blob else None
                found.append(Absent(item_id, native_id, Kind(kind), content))

    def _failed(self, account: Account, job: CaptureJob, source: str, failure: CaptureFailed,
                actor: str) -> RunReport:
        ended = self.context.clock.now()
        details = {"cause": health.gap_cause(failure), "message": str(failure),
                   "evidence": failure.evidence}
        report = RunReport(account.id, 0, False, job.full, failure=details,
                           retry_after=failure.retry_after)
        with self.context.read() as conn:
            previous = sql.last_success(conn, account.id)
            in_a_row = sql.failures_since(conn, account.id, previous["id"] if previous else 0)
            open_gaps = sql.gaps(conn, account.id, open_only=True)
            recent = [r["failure"] for r in sql.runs(conn, account.id, health.GAP_AFTER_FAILURES)
                      if r["failure"]]
        with self.context.write() as tx:
            report.run_id = sql.add_run(tx, {
                "account_id": account.id, "source": source,
                "started_at": format_time(job.observed_at), "ended_at": format_time(ended),
                "outcome": "failed", "full": int(job.full),
                **{event.value: 0 for event in COUNTED}, "unchanged": 0, "requests": 0,
                "expected_replies": 0, "captured_replies": 0, "problems": [],
                "cursor": None, "failure": details}, actor)
            if not open_gaps and health.opens_gap(failure, in_a_row + 1):
                gap_from = previous["ended_at"] if previous else format_time(job.observed_at)
                evidence = {"failures": [details, *recent][:health.GAP_AFTER_FAILURES],
                            "run_id": report.run_id}
                report.gap_opened = sql.add_gap(tx, account.id, gap_from, details["cause"],
                                                evidence, actor)
                report.alerts.append(sql.add_alert(
                    tx, "capture.gap", account.id,
                    f"account {account.id} ({account.handle}) is not being captured since "
                    f"{gap_from}: {details['cause']}", {"gap_id": report.gap_opened,
                                                        "cause": details["cause"]}, actor))
        log.warning("account %s not captured: %s", account.id, failure)
        return report

    def serve(self, wait: Callable[[float], bool], actor: str = "system",
              client: httpx.Client | None = None,
              monotonic: Callable[[], float] = time.monotonic) -> int:
        """Capture every capturable account on its own schedule until `wait` says stop
        (it sleeps up to the seconds given and returns True on shutdown). Returns the
        number of passes run."""
        own = client is None
        client = client or open_client(
            allow_loopback=self.context.settings.capture_allow_loopback)
        self.context.store.limit_cache(DAEMON_CACHE_MIB)

        def run_pass(account_id: int) -> Outcome:
            report = self.run_account(self.registry.account(account_id), actor, client)
            return Outcome(report.ok, report.retry_after)
        daemon = Daemon(lambda: {a.id: self.settings(a.id) for a in self.capturable()},
                        run_pass, monotonic, wait)
        try:
            daemon.run()
        finally:
            if own:
                client.close()
        return daemon.passes

    # -- alerts --------------------------------------------------------------------------

    def _quality_alerts(self, tx, account: Account, quality: health.Completeness,  # noqa: ANN001
                        actor: str) -> list[int]:
        if not quality.short:
            return []
        short = sorted([t.native_id, t.expected, t.captured] for t in quality.short)
        last = sql.alerts(tx.conn, account.id, "completeness.shortfall", limit=1)
        if last and last[0]["details"].get("threads") == short:
            return []   # the same shortfall, already reported
        return [sql.add_alert(tx, "completeness.shortfall", account.id,
                              f"account {account.id}: {len(short)} thread(s) with fewer replies "
                              "captured than the platform counts", {"threads": short}, actor)]

    def _expiry_alerts(self, tx, account: Account, now: datetime,  # noqa: ANN001
                       actor: str) -> list[int]:
        row = sql.credentials(tx.conn).get(account.id)
        if row is None or not row.expires_at or \
                not health.expiring(parse_time(row.expires_at), now):
            return []
        last = sql.alerts(tx.conn, account.id, "credentials.expiring", limit=1)
        if last and last[0]["details"].get("credential_id") == row.id:
            return []
        return [sql.add_alert(tx, "credentials.expiring", account.id,
                              f"account {account.id} ({account.handle}): credentials expire "
                              f"{row.expires_at}; store new ones before then",
                              {"credential_id": row.id, "expires_at": row.expires_at}, actor)]

    def status(self) -> list[AccountStatus]:
        """Per captured account: last success, lag, failures in a row, open gap,
        credentials expiry and completeness."""
        settings = self.all_settings()
        accounts = [a for a in self.registry.accounts()
                    if a.platform in CAPTURERS and a.id in settings]
        return account_statuses(self.context, accounts, settings, self.credentials.all(),
                                self.context.clock.now())

    def alerts(self, account_id: int | None = None, kind: str | None = None,
               limit: int = 100) -> list[dict]:
        """Stored alerts, newest first."""
        with self.context.read() as conn:
            return sql.alerts(conn, account_id, kind, limit)

    def runs(self, account_id: int, limit: int = 20) -> list[dict]:
        """The account's latest runs, newest first."""
        with self.context.read() as conn:
            return sql.runs(conn, account_id, limit)

    def gaps(self, account_id: int | None = None) -> list[dict]:
        """Capture gaps, oldest first; `gap_to` is None while a gap is open."""
        with self.context.read() as conn:
            return sql.gaps(conn, account_id)


def _check(settings: CaptureSettings) -> None:
    addresses = [(settings.url, "url"), (settings.stream_url, "stream_url"),
                 (settings.plc_url, "plc_url"), *((page, "pages") for page in settings.pages)]
    for value, name in addresses:
        schemes = ("http://", "https://") + (("ws://", "wss://") if name == "stream_url" else ())
        if value is not None and not value.startswith(schemes):
            raise InvalidInput(f"{value!r}: the address must start with https:// "
                               "(or http://)", parameter=name)
    if settings.interval < 1 or settings.full_every < 1 or settings.media_max_bytes < 0 or \
            not 0 <= settings.jitter < 1:
        raise InvalidInput("interval and full_every must be at least 1, jitter between 0 and "
                           "1, media_max_bytes not negative", parameter="interval")
