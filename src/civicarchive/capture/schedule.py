"""When to run each account's next pass, and the loop that runs them.

The loop is handed everything with a side effect: which accounts to capture, how to run
one pass, the monotonic clock and a `wait` that returns early when shutdown is asked
(the CLI sets it on SIGTERM). A pass that raises is logged and backed off; it never stops
the other accounts.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from civicarchive.capture.base import CaptureSettings

log = logging.getLogger("civicarchive.capture")

BASE_BACKOFF = 30.0          # seconds after the first failure, doubling after each
MAX_BACKOFF = 6 * 3600.0
REFRESH = 60.0               # how often the list of accounts is read again


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry_after: float | None = None   # what the platform asked for (Retry-After, reset)


def next_delay(settings: CaptureSettings, failures: int, retry_after: float | None,
               rng: random.Random) -> float:
    """Seconds until the next pass: the interval with jitter after a success; after
    `failures` failures in a row, exponential backoff with jitter, never shorter than
    the platform asked for, up to MAX_BACKOFF: a Retry-After of 2099 or an epoch reset far
    off is a broken or hostile header, and obeying it would stop capture for years."""
    if failures == 0:
        delay = settings.interval * (1 + rng.uniform(-settings.jitter, settings.jitter))
    else:
        delay = min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (failures - 1))
        delay *= 1 + rng.uniform(0, max(settings.jitter, 0.1))
    return max(delay, min(retry_after or 0.0, MAX_BACKOFF), 1.0)


class Daemon:
    """Runs each account's passes on its own schedule until `stopped()`."""

    def __init__(self, accounts: Callable[[], dict[int, CaptureSettings]],
                 run_pass: Callable[[int], Outcome], monotonic: Callable[[], float],
                 wait: Callable[[float], bool], rng: random.Random | None = None) -> None:
        self.accounts = accounts
        self.run_pass = run_pass
        self.monotonic = monotonic
        self.wait = wait            # sleeps up to `seconds`; True when shutdown was asked
        self.rng = rng or random.Random()
        self.due: dict[int, float] = {}
        self.failures: dict[int, int] = {}
        self.passes = 0

    def run(self) -> None:
        """Loop until shutdown; the pass in progress finishes first."""
        log.info("capture daemon started")
        refreshed, settings = float("-inf"), {}
        while True:
            now = self.monotonic()
            if now - refreshed >= REFRESH:
                settings, refreshed = self._refresh(settings), now
            for account_id in sorted(a for a, when in self.due.items() if when <= now):
                self._one(account_id, settings[account_id])
                if self.wait(0):
                    log.info("capture daemon stopped")
                    return
            now = self.monotonic()
            sleep = min([REFRESH - (now - refreshed), *(w - now for w in self.due.values())])
            if self.wait(max(sleep, 0.0)):
                log.info("capture daemon stopped")
                return

    def _refresh(self, previous: dict[int, CaptureSettings]) -> dict[int, CaptureSettings]:
        try:
            settings = {a: s for a, s in self.accounts().items() if s.enabled}
        except Exception:  # the archive may be briefly unreachable: keep what we had
            log.exception("could not read the accounts to capture; keeping the last list")
            return previous
        now = self.monotonic()
        for account_id in settings:
            self.due.setdefault(account_id, now)
        for account_id in set(self.due) - set(settings):
            del self.due[account_id]
        return settings

    def _one(self, account_id: int, settings: CaptureSettings) -> None:
        try:
            outcome = self.run_pass(account_id)
        except Exception:  # one account's failure never stops the others
            log.exception("capture of account %s failed", account_id)
            outcome = Outcome(False)
        self.passes += 1
        failures = 0 if outcome.ok else self.failures.get(account_id, 0) + 1
        self.failures[account_id] = failures
        delay = next_delay(settings, failures, outcome.retry_after, self.rng)
        self.due[account_id] = self.monotonic() + delay
        log.info("account %s: %s; next pass in %.0f s", account_id,
                 "captured" if outcome.ok else f"failed ({failures} in a row)", delay)
