"""An ingest's transactions: `batch_size` observations each, written a chunk at a time.

The chunk is made small here (it is 2,000 in use) so that transactions span several
chunks and end inside one, on both store backends.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civicarchive.app import ingesting
from civicarchive.store import schema as t

from .conftest import observe

N, BATCH, CHUNK = 13, 5, 3


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(ingesting, "CHUNK", CHUNK)


def counted(account_id: int, drawn: list[int], fail_at: int | None = None):
    """The N observations, counting in `drawn` how many were taken; an error in place of
    observation `fail_at`."""
    for n in range(N):
        if n == fail_at:
            raise RuntimeError("the source broke")
        drawn[0] += 1
        yield observe(account_id, str(n), f"post {n}", n)


def test_each_transaction_holds_batch_size_observations(archive, account):
    before = archive.reading.stats()
    drawn, at_commit = [0], []
    report = archive.ingesting.ingest(counted(account.id, drawn), source="t", batch_size=BATCH,
                                      progress=lambda total: at_commit.append(
                                          (total.observations, drawn[0])))
    after = archive.reading.stats()
    assert report.versions == N and report.batches == 3
    assert after["checkpoints"] - before["checkpoints"] == 3  # 5 + 5 + 3: one seal each
    assert after["versions"] - before["versions"] == N
    assert [written for written, _ in at_commit] == [5, 10, 13]
    # Drawn as written: at the first commit, the chunk the transaction ended in, no more.
    assert at_commit[0][1] <= BATCH + CHUNK - 1 < N
    assert archive.evidence.verify().ok


def test_a_failure_inside_a_transaction_undoes_its_earlier_chunks(archive, account):
    drawn = [0]
    with pytest.raises(RuntimeError, match="the source broke"):
        # Observation 8 fails: chunks [5..7] of the second transaction were already handed
        # to the database when it did.
        archive.ingesting.ingest(counted(account.id, drawn, fail_at=8), source="t",
                                 batch_size=BATCH)
    assert archive.reading.stats()["versions"] == BATCH  # the first transaction only
    assert archive.evidence.verify().ok
    report = archive.ingesting.ingest(counted(account.id, [0]), source="t", batch_size=BATCH)
    assert (report.versions, report.unchanged) == (N - BATCH, BATCH)
    assert archive.evidence.verify().ok


def test_an_observation_seen_twice_across_chunks_of_one_transaction(archive, account):
    """An edit in a later chunk of the same transaction finds the version an earlier chunk
    wrote (handed to the database, not yet committed)."""
    observations = [observe(account.id, "a", "first", 1), observe(account.id, "b", "b", 2),
                    observe(account.id, "c", "c", 3), observe(account.id, "a", "edited", 4),
                    observe(account.id, "a", "edited", 5)]
    report = archive.ingesting.ingest(observations, source="t", batch_size=BATCH)
    assert report.batches == 1
    assert (report.versions, report.unchanged) == (4, 1)
    with archive.context.store.read() as conn:
        item = conn.execute(sa.select(t.items.c.id).where(t.items.c.native_id == "a")).scalar_one()
    assert [v.event.value for v in archive.reading.history(item)] == ["created", "edited"]
