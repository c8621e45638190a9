"""Pure judgements over an account's capture record: when its credentials expire, whether
a failure opens a gap, how complete its threads are, how far behind it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from civicarchive.capture.base import Thread
from civicarchive.capture.failures import (CaptureFailed, CredentialsRejected,
                                           PlatformUnavailable, RateLimited)

# Meta's long-lived Page and Instagram tokens last 60 days; warn two weeks ahead.
TOKEN_LIFETIMES = {"facebook": timedelta(days=60), "instagram": timedelta(days=60)}
EXPIRY_WARNING = timedelta(days=14)
GAP_AFTER_FAILURES = 3      # transient failures in a row before the account counts as uncaptured
NOT_RUNNING_INTERVALS = 3   # a pass this many intervals late shows capture was not running


def expires_at(platform: str, set_at: datetime, stated: datetime | None) -> datetime | None:
    """When a token expires: as stated when stored, else the platform's token lifetime."""
    if stated is not None:
        return stated
    lifetime = TOKEN_LIFETIMES.get(platform)
    return set_at + lifetime if lifetime else None


def expiring(expiry: datetime | None, now: datetime) -> bool:
    """Whether credentials expire within the warning period (or already have)."""
    return expiry is not None and expiry - now <= EXPIRY_WARNING


def gap_cause(failure: CaptureFailed) -> str:
    """The cause a gap records, in words a records officer reads."""
    if isinstance(failure, CredentialsRejected):
        status = failure.evidence.get("status")
        # a platform that names the permission missing (Meta) says so whatever its status
        revoked = status == 403 or bool(failure.evidence.get("permission"))
        return "permission_revoked" if revoked else "credentials_expired"
    if isinstance(failure, RateLimited):
        return "rate_limited"
    if isinstance(failure, PlatformUnavailable):
        return "outage"
    return "repeated_errors"


def opens_gap(failure: CaptureFailed, failures_in_a_row: int) -> bool:
    """Refused credentials stop capture at once; anything else after a few failures."""
    return isinstance(failure, CredentialsRejected) or failures_in_a_row >= GAP_AFTER_FAILURES


def was_not_running(last_success_end: datetime | None, started: datetime,
                    interval_seconds: int) -> bool:
    """Whether the time since the last capture shows that no pass ran when one was due."""
    return last_success_end is not None and \
        (started - last_success_end).total_seconds() > NOT_RUNNING_INTERVALS * interval_seconds


@dataclass(frozen=True)
class Completeness:
    expected: int
    captured: int
    short: tuple[Thread, ...]

    @property
    def ratio(self) -> float | None:
        """Captured replies over the replies the platform counts (None: none counted)."""
        return None if not self.expected else min(self.captured, self.expected) / self.expected


def completeness(threads: list[Thread]) -> Completeness:
    """Replies captured against the platform's counts, and the threads that fall short."""
    return Completeness(sum(t.expected for t in threads),
                        sum(min(t.captured, t.expected) for t in threads),
                        tuple(t for t in threads if t.captured < t.expected))
