"""The forked worker that prepares observations."""

from __future__ import annotations

import fcntl
import os
import time

from civicarchive.store.ingest import Prepared
from civicarchive.store.pipeline import WorkerStream
from tests.conftest import observe



def test_pipeline_worker_does_not_keep_a_lock_held_at_the_fork(tmp_path):
    """A thread of the ingesting process (tantivy's, reloading the search index) may hold
    a lock file at the moment of the fork; the worker must not keep it locked, or the
    indexer process waiting for it never starts while the worker waits for the ingest."""
    lock = tmp_path / ".tantivy-meta.lock"
    lock.touch()
    held = os.open(lock, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)

    def slow():
        for n in range(3):
            time.sleep(0.3)
            yield observe(1, f"n{n}", "text")

    stream = iter(WorkerStream(slow, 1))
    assert Prepared._make(next(stream)[0]).native_id == "n0"  # the worker runs
    os.close(held)  # the thread is done with the lock
    other = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if still held
    finally:
        os.close(other)
    assert [Prepared._make(batch[0]).native_id for batch in stream] == ["n1", "n2"]
