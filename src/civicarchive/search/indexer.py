"""Indexing in a second process while an ingest writes the store.

An ingest is CPU-bound in this process (versioning, hashing, SQL); turning records into
index documents costs about half as much again. Sent to a child process as each batch
commits, that work overlaps the ingest instead of following it. The child holds the
index's writer; on `finish` it re-reads the records the batches could not describe alone
(edited, deleted, purged, or touched by another process), and publishes everything with
the new ledger mark in one commit. If either process dies, nothing is published and the
index stays at its old mark: the next search catches up (search/sync.py).

The child is a fresh interpreter (running `indexer.main`) fed pickles on
its stdin: not a fork (tantivy's threads here may hold locks a fork would inherit held),
and not multiprocessing's spawn (which re-runs the caller's main script).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
from pathlib import Path

from civicarchive.errors import ArchiveError
from civicarchive.search.documents import fresh_document, read_documents
from civicarchive.search.index import IndexBusy

CHILD = "from civicarchive.search.indexer import main; main()"
READER_CACHE_MIB = 4   # the child only reads the records a batch could not describe
BEHIND_BYTES = 40 * 1024**2  # how far (pickled) the child may fall behind before the ingest waits
NICENESS = 5
STOPPED = ("the search indexer stopped unexpectedly; the archive is complete, and the next "
           "search catches up")


class IndexerProcess:
    """The child process; `send` batches of fresh records, then `finish` or `abandon`."""

    def __init__(self, recipe: tuple, folder: Path, accounts: dict[int, tuple[str, str]]
                 ) -> None:
        import civicarchive
        env = dict(os.environ)
        source = str(Path(civicarchive.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
        # -c, not -m: the package imports this module, and runpy would warn of running it
        # twice.
        self.process = subprocess.Popen([sys.executable, "-c", CHILD],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.folder = Path(folder)
        self.started = False
        # Batches go to the child through a thread, up to BEHIND_BYTES behind (whatever
        # the batch size): the ingest only waits when the child falls that far behind,
        # not whenever the pipe is full.
        self._outbox: queue.Queue = queue.Queue()
        self._queued = 0  # bytes in the outbox
        self._room = threading.Condition()
        self._failed = False
        self._feeder = threading.Thread(target=self._feed, name="civicarchive-indexer-feed",
                                        daemon=True)
        self._feeder.start()
        self._send(("start", (recipe, self.folder, accounts)))

    def ready(self, wait: bool = True) -> bool:
        """Whether the child has started and holds the index's writer; False while it is
        still starting, unless `wait`. The ingest goes on meanwhile (a start costs a new
        interpreter's imports). IndexBusy when another process holds the writer."""
        if not self.started:
            if not wait and not select.select([self.process.stdout], [], [], 0)[0]:
                return False
            kind, _ = self._reply()
            if kind == "busy":
                self.process.wait()
                raise IndexBusy(str(self.folder))
            self.started = True
        return True

    def send(self, fresh: list) -> None:
        self._send(("fresh", fresh))

    def finish(self, redo: list[int], through: int) -> int:
        self._send(("finish", (redo, through)))
        self._drain()
        kind, payload = self._reply()
        self.process.wait()
        if kind == "error":
            raise ArchiveError(f"indexing for search failed: {payload}; the archive is "
                               "complete, and `civicarchive search-index rebuild` recreates "
                               "the index")
        return payload

    def abandon(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._outbox.put(None)  # (the feeder stops on the broken pipe if not before)

    def _send(self, message: tuple) -> None:
        """Pickled here, written by the feeder thread (the write waits for the child
        without holding Python's lock)."""
        if self._failed:
            raise ArchiveError(STOPPED)
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._room:
            while self._queued and self._queued + len(data) > BEHIND_BYTES:
                if self._failed or self.process.poll() is not None:
                    raise ArchiveError(STOPPED)
                self._room.wait(timeout=1)
            self._queued += len(data)
        self._outbox.put(data)

    def _drain(self) -> None:
        """Wait until the feeder has written everything sent."""
        self._outbox.put(None)
        self._feeder.join()
        if self._failed:
            raise ArchiveError(STOPPED)

    def _feed(self) -> None:
        stdin = self.process.stdin
        while (data := self._outbox.get()) is not None:
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._failed = True
                with self._room:
                    self._room.notify_all()
                return
            with self._room:
                self._queued -= len(data)
                self._room.notify_all()

    def _reply(self) -> tuple:
        try:
            return pickle.load(self.process.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            raise ArchiveError(STOPPED) from None


def _lower_priority() -> None:
    """The child runs a little behind the ingest that feeds it (its work is published
    only at the end): where the cores are all busy, the ingest and its reading worker
    go first, and the child takes what they leave, then the cores once they are done."""
    with contextlib.suppress(OSError):
        os.nice(NICENESS)


def main() -> None:
    """The child: read pickles from stdin, write replies to stdout."""
    _lower_priority()
    from civicarchive.search.tantivy_index import TantivyIndex
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer

    def reply(message: tuple) -> None:
        pickle.dump(message, outbox)
        outbox.flush()

    try:
        _, (recipe, folder, accounts) = pickle.load(inbox)
        kind, location, blob_store = recipe
        store = kind.at(location, blob_store, cache_mib=READER_CACHE_MIB)
        try:
            session = TantivyIndex(folder).session(wait=0)
        except IndexBusy:
            reply(("busy", None))
            return
        reply(("ready", None))
        fresh_items = 0
        while True:
            kind, payload = pickle.load(inbox)  # EOFError: the ingest died; publish nothing
            if kind == "fresh":
                session.add(fresh_document(record, accounts) for record in payload)
                fresh_items += len(payload)
            elif kind == "finish":
                redo, through = payload
                session.replace(redo, read_documents(store, redo, None))
                session.commit(through)
                reply(("done", fresh_items + len(redo)))
                return
    except EOFError:
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - reported to the parent
        reply(("error", str(error)))


if __name__ == "__main__":
    main()
