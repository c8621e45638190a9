"""Preparing observations (parse, canonicalise, hash) in a worker process.

Bulk ingest has two halves of about equal cost: Python work on each observation, and
database work on each batch. A forked worker runs the first half while this process runs
the second, so an import uses both cores. Where fork is unavailable, or the observations
come from an iterator that cannot cross processes, the same batches are prepared inline.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import queue
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from civicarchive.errors import ArchiveError, InvalidInput
from civicarchive.model.record import Observation
from civicarchive.store.ingest import Prepared

DEPTH = 3  # batches the worker may run ahead


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one batch's work. A batch allocates tens of
    thousands of dicts and tuples that reference counting frees when it is done; the
    collections they would set off (now and then one that scans the whole heap) cost
    about a tenth of an ingest. It is on again between batches, so cycles are still
    collected and memory stays flat. Nested pauses leave it to the outermost."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def prepare_inline(observations: Iterable[Observation], size: int) -> Iterator[list[Prepared]]:
    iterator = iter(observations)
    while True:
        with collector_paused():  # (never across the yield: the consumer's own work)
            batch = [Prepared.of(obs) for obs in islice(iterator, size)]
        if not batch:
            return
        yield batch


class WorkerStream:
    """Batches prepared by a forked worker that calls `make_observations` itself.

    Iterate it for the batches; afterwards `result` holds what `finish()` returned in the
    worker (e.g. problems an importer collected there), or None.
    """

    def __init__(self, make_observations: Callable[[], Iterable[Observation]], size: int,
                 finish: Callable[[], object] | None = None) -> None:
        self.make_observations = make_observations
        self.size = size
        self.finish = finish or (lambda: None)
        self.result: object = None
        self._worker: multiprocessing.Process | None = None
        self._channel: multiprocessing.Queue | None = None

    def start(self) -> None:
        """Fork the worker now (iterating does it otherwise), so that it prepares its
        first batches while this process does something else, such as checking the
        input. Nothing it prepares is used unless the batches are iterated; `stop` ends
        it."""
        if self._worker is not None or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self._channel = context.Queue(maxsize=DEPTH)
        self._worker = context.Process(target=_produce, args=(self, self._channel, os.getpid()),
                                       daemon=True)
        self._worker.start()

    def stop(self) -> None:
        """End the worker, if it runs."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.is_alive():
            worker.terminate()
        worker.join()
        self._channel.close()
        self._channel.cancel_join_thread()

    def __iter__(self) -> Iterator[list[tuple]]:
        self.start()
        if self._worker is None:  # no fork here
            yield from prepare_inline(self.make_observations(), self.size)
            self.result = self.finish()
            return
        worker, channel = self._worker, self._channel
        try:
            while True:
                try:
                    kind, payload = channel.get(timeout=1)
                except queue.Empty:
                    if not worker.is_alive():
                        raise ArchiveError("the worker preparing observations stopped "
                                           f"unexpectedly (exit code {worker.exitcode}); "
                                           "run the same command again: it resumes") from None
                    continue
                if kind == "done":
                    self.result = payload
                    return
                if kind == "error":
                    raise payload
                yield list(zip(*payload))  # tuples in Prepared's order
        finally:
            self.stop()


def _produce(stream: WorkerStream, channel: multiprocessing.Queue, parent: int) -> None:
    _close_inherited_locks()
    try:
        for batch in prepare_inline(stream.make_observations(), stream.size):
            # By column: a namedtuple pickles with a Python call each way, a list of
            # plain values with none (half the worker's pickling, a third of ours).
            _send(channel, ("batch", list(zip(*batch))), parent)
        _send(channel, ("done", stream.finish()), parent)
    except Exception as error:  # noqa: BLE001 - raised again in the parent
        _send(channel, ("error", _portable(error)), parent)
    channel.close()
    channel.join_thread()
    # Leave without running finalizers: objects inherited from the parent (database
    # connections among them) belong to the parent.
    os._exit(0)


def _close_inherited_locks() -> None:
    """Close the worker's copies of lock files the parent had open at the fork. A thread
    there (tantivy's, reloading the search index) may hold one at that moment, and an
    flock lasts as long as any copy of its descriptor: the worker would keep the search
    index locked, and the indexer process the ingest waits for would wait for the worker.
    (Where /proc is missing, nothing is closed.)"""
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{name}").endswith(".lock"):
                os.close(int(name))
        except OSError:
            continue


def _portable(error: Exception) -> Exception:
    """The error itself when it survives pickling, else an ArchiveError with its message."""
    try:
        clone = pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any failure means: send the message instead
        clone = None
    if type(clone) is type(error) and str(clone) == str(error):
        return error
    return (InvalidInput if isinstance(error, InvalidInput) else ArchiveError)(str(error))


def _send(channel: multiprocessing.Queue, message: tuple, parent: int) -> None:
    while True:
        try:
            channel.put(message, timeout=1)
            return
        except queue.Full:
            if os.getppid() != parent:  # the parent is gone (killed): nobody will read
                os._exit(1)
