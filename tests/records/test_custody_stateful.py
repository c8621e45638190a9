"""Correctness under any sequence: Hypothesis drives random ingests, holds, releases,
reviews, approvals, executions and the passing of time, and after every step checks that
a held record is never purged, nothing is purged before its retention ends, the ledger
always verifies, and every purge belongs to an approved, executed batch with a
certificate."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from civicarchive import Archive, ArchiveError, Kind, Observation
from civicarchive.policy import EXAMPLES, Retention
from civicarchive.model.custody import HoldScope
from civicarchive.records.retention import add_period
from civicarchive.store import schema as t
from civicarchive.store import verification

START = datetime(2025, 1, 1, tzinfo=timezone.utc)
RETENTION = {"GR1000-26a": (4, 0), "GR1000-26b": (2, 0)}
PEOPLE = ["clerk", "officer", "attorney"]


class Clock:
    """Moves a second on every reading, so that steps happen in a visible order."""

    def __init__(self, moment: datetime = START) -> None:
        self.moment = moment

    def now(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@functools.cache
def template() -> tuple[Path, datetime, list[int]]:
    """The archive every example starts from, built once: initialised, the policy adopted,
    two accounts registered (about a second of work, which each example copies instead).
    Returns its home, the clock's reading after building it, and the account ids."""
    folder = Path(tempfile.mkdtemp(prefix="custody-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    clock = Clock()
    with Archive.init("Stateful City", home=folder / "home", clock=clock) as archive:
        archive.custody.adopt_policy(EXAMPLES / "texas-local.yaml", "clerk")
        accounts = [archive.registry.add_account("x", "staff", "employee", owner="Staff").id,
                    archive.registry.add_account("x", "city", "agency", owner="City").id]
    return folder / "home", clock.moment, accounts


class CustodyMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        home, moment, self.accounts = template()
        self.folder = Path(tempfile.mkdtemp(prefix="custody-"))
        shutil.copytree(home, self.folder / "home")
        self.clock = Clock(moment)  # on from the template's last reading
        # Archive.verify's checks, all in this process: forking its two workers for an
        # archive this small costs more than the checks, after every one of 450 steps.
        # The workers are exercised by tests/test_tamper.py and tests/test_crash.py.
        self.serial = mock.patch.object(verification, "_pool", lambda: None)
        self.serial.start()
        self.archive = Archive.open(self.folder / "home", clock=self.clock)
        self.created: dict[int, datetime] = {}  # item id -> created_at
        self.series: dict[int, str] = {}
        self.next_native = 0
        self.batches: list[int] = []

    def teardown(self) -> None:
        self.archive.close()
        self.serial.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- actions ----------------------------------------------------------------------

    # Ages and steps of time straddle the retention periods (2 and 4 years); plain integer
    # strategies would mostly draw small numbers, and nothing would ever come due.
    @rule(which=st.integers(0, 1), count=st.integers(1, 3),
          age_days=st.sampled_from([0, 200, 700, 740, 1500, 3000]))
    def ingest(self, which: int, count: int, age_days: int) -> None:
        created = self.clock.moment - timedelta(days=age_days)
        observations = []
        for _ in range(count):
            self.next_native += 1
            observations.append(Observation(
                account_id=self.accounts[which], native_id=str(self.next_native),
                kind=Kind.POST, observed_at=self.clock.moment, created_at=created,
                content={"text": f"post {self.next_native} about topic{self.next_native % 3}",
                         "author": "city"}, raw=f"raw {self.next_native}".encode()))
        self.archive.ingesting.ingest(observations, source="machine")
        with self.archive.context.store.read() as conn:
            rows = conn.execute(sa.select(t.items.c.id, t.items.c.native_id)).all()
        for item_id, native in rows:
            if item_id not in self.created:
                self.created[item_id] = created
                self.series[item_id] = "GR1000-26b" if which == 0 else "GR1000-26a"

    @rule(days=st.sampled_from([1, 30, 365, 729, 800]))
    def time_passes(self, days: int) -> None:
        self.clock.moment += timedelta(days=days)

    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        choice = data.draw(st.sampled_from(["items", "account", "query"]))
        if choice == "items" and self.created:
            scope = HoldScope(items=frozenset(data.draw(st.lists(
                st.sampled_from(sorted(self.created)), min_size=1, max_size=3))))
        elif choice == "account":
            scope = HoldScope(accounts=frozenset({data.draw(st.sampled_from(self.accounts))}))
        else:
            scope = HoldScope(query=f"topic{data.draw(st.integers(0, 2))}")
        self.archive.custody.add_hold("hold", "matter", "reason", scope, "attorney")

    @precondition(lambda self: any(h.released_at is None for h in self.archive.custody.holds()))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        active = [h.id for h in self.archive.custody.holds() if h.released_at is None]
        self.archive.custody.release_hold(data.draw(st.sampled_from(active)), "done", "attorney")

    @rule(series=st.sampled_from(sorted(RETENTION)), who=st.sampled_from(PEOPLE))
    def review(self, series: str, who: str) -> None:
        batch = self.archive.disposition.review(series, who)
        if batch is not None:
            self.batches.append(batch)

    @precondition(lambda self: self.batches)
    @rule(data=st.data(), who=st.sampled_from(PEOPLE))
    def approve(self, data: st.DataObject, who: str) -> None:
        try:
            self.archive.disposition.approve(data.draw(st.sampled_from(self.batches)), who)
        except ArchiveError:
            pass  # refused: the creator, a second approval by one person, or executed

    @precondition(lambda self: self.batches)
    @rule(data=st.data(), who=st.sampled_from(PEOPLE))
    def execute(self, data: st.DataObject, who: str) -> None:
        self._execute(data.draw(st.sampled_from(self.batches)), who)

    @rule(series=st.sampled_from(sorted(RETENTION)), creator=st.sampled_from(PEOPLE),
          approver=st.sampled_from(PEOPLE))
    def dispose(self, series: str, creator: str, approver: str) -> None:
        """The whole workflow in one step, so that short runs reach execution too."""
        batch = self.archive.disposition.review(series, creator)
        if batch is None:
            event("nothing eligible to review")
            return
        self.batches.append(batch)
        try:
            self.archive.disposition.approve(batch, approver)
        except ArchiveError:
            event("approval refused")
            return
        self._execute(batch, creator)

    def _execute(self, batch: int, who: str) -> None:
        try:
            certificate = self.archive.disposition.execute(batch, who)
            event(f"executed a batch of {min(certificate['record_count'], 3)}+ records")
        except ArchiveError:
            event("execution refused")  # not approved, executed already, or nothing left

    # -- invariants -----------------------------------------------------------------------

    def purges(self) -> list[tuple[int, str, int]]:
        """(item id, purged at, ledger index) for every purged version."""
        with self.archive.context.store.read() as conn:
            return conn.execute(sa.select(t.versions.c.item_id, t.tombstones.c.purged_at,
                                          t.tombstones.c.reason)
                                .join(t.versions, t.versions.c.id == t.tombstones.c.version_id)
                                ).all()

    @invariant()
    def nothing_purged_early_or_while_held(self) -> None:
        if not hasattr(self, "archive"):
            return
        holds = self.archive.custody.holds()
        for item_id, purged_at, reason in self.purges():
            when = datetime.fromisoformat(purged_at)
            years, months = RETENTION[self.series[item_id]]
            due = add_period(self.created[item_id], Retention(years=years, months=months))
            assert when >= due, f"item {item_id} purged {when} before {due}"
            for hold in holds:
                covering = hold.created_at <= when and (
                    hold.released_at is None or hold.released_at > when)
                if covering and hold.scope.items is not None:
                    assert item_id not in hold.scope.items, f"held item {item_id} purged"
                if covering and hold.scope.accounts is not None:
                    account = self.archive.reading.item(item_id).account_id
                    assert account not in hold.scope.accounts, f"held item {item_id} purged"

    @invariant()
    def every_purge_has_an_approved_executed_batch_with_certificate(self) -> None:
        if not hasattr(self, "archive"):
            return
        for item_id, _, reason in self.purges():
            batch_id = int(reason.split()[2])
            batch = self.archive.disposition.batch(batch_id)
            assert item_id in batch["items"] and batch["approvals"]
            assert batch["certificate"] is not None
            assert item_id in {r["item_id"] for r in batch["certificate"]["records"]}
            assert (self.archive.context.settings.exports_dir /
                    f"certificate-batch-{batch_id}.pdf").exists()

    @invariant()
    def ledger_verifies(self) -> None:
        if hasattr(self, "archive"):
            report = self.archive.evidence.verify()
            assert report.ok, report.problems[:3]


CustodyMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_custody_under_any_sequence = CustodyMachine.TestCase
