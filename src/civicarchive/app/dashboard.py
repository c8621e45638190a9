"""What the staff dashboard shows, for a set of accounts (one agency's, or an official's):
capture health and open gaps, and the size of the moderation queue (alerts are
app/oversight.py's, scoped as the alerts page scopes them).

Each answer reads a handful of rows, never the records: the dashboard is loaded often,
on archives of millions. The moderation queue is the exception, since it is the engine's
judgement of every comment; its size is counted in the background and kept for a minute,
and the dashboard shows the last count (None until the first is done)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Collection

from civicarchive.app.capturing import Capturing
from civicarchive.app.moderation import Moderation
from civicarchive.errors import ArchiveError

QUEUE_FRESH_SECONDS = 60.0
FRESH_SECONDS = 5.0  # capture status and gaps: a dashboard loaded often reads them at
#                     most this often per process


class Dashboard:
    """The dashboard's figures for a set of accounts."""

    def __init__(self, capturing: Capturing, moderation: Moderation) -> None:
        self.capturing = capturing
        self.moderation = moderation
        self._lock = threading.Lock()
        self._queue: tuple[float, Counter] | None = None   # (counted at, account -> size)
        self._counting = False
        self._recent: dict[str, tuple[float, object]] = {}

    def _fresh(self, key: str, read):  # noqa: ANN001, ANN202
        """`read()`, or what it answered less than FRESH_SECONDS ago."""
        now = time.monotonic()
        kept = self._recent.get(key)
        if kept is None or now - kept[0] > FRESH_SECONDS:
            kept = (now, read())
            self._recent[key] = kept
        return kept[1]

    def capture(self, accounts: Collection[int]) -> dict:
        """The accounts' capture status (those with capture set up) and their open gaps."""
        statuses = [s for s in self._fresh("status", self.capturing.status)
                    if s.account_id in accounts]
        gaps = [g for g in self._fresh("gaps", self.capturing.gaps)
                if g["account_id"] in accounts and g["gap_to"] is None]
        return {"accounts": statuses, "open_gaps": gaps,
                "failing": [s for s in statuses if s.consecutive_failures or s.open_gap]}

    def queue_size(self, accounts: Collection[int]) -> int | None:
        """Comments of the accounts waiting in the moderation queue, as last counted;
        None while the first count runs or when there is no policy to judge by."""
        with self._lock:
            queue = self._queue
            stale = queue is None or time.monotonic() - queue[0] > QUEUE_FRESH_SECONDS
            if stale and not self._counting:
                self._counting = True
                threading.Thread(target=self._count, name="moderation-queue-count",
                                 daemon=True).start()
        if queue is None:
            return None
        return sum(n for account, n in queue[1].items() if account in accounts)

    def count_queue_now(self) -> None:
        """Count the queue in this thread (tests, and a warm start)."""
        self._count()

    def _count(self) -> None:
        sizes = None
        try:
            sizes = self.moderation.pending_counts()
        except ArchiveError:
            pass  # no policy adopted yet: nothing to judge by
        finally:
            with self._lock:
                self._queue = (time.monotonic(), sizes) if sizes is not None else None
                self._counting = False
