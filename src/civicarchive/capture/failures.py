"""Why a capture pass could not finish, as data a scheduler and the gap ledger can use.

    ArchiveError
    └── CaptureFailed            the pass stopped; nothing it read is lost (see `evidence`)
        ├── CredentialsRejected  401/403, or no usable token: a gap opens at once
        ├── RateLimited          429: wait `retry_after` seconds, not a failure of the account
        └── PlatformUnavailable  5xx, a timeout or a refused connection: transient

`evidence` holds what the platform answered (status code, a bounded excerpt of the body,
the rate-limit headers) with every secret the capturer was given scrubbed out, so that it
can go into the ledger as it is.
"""

from __future__ import annotations

from civicarchive.errors import ArchiveError


class CaptureFailed(ArchiveError):
    """A pass that could not be completed."""

    cause = "error"

    def __init__(self, message: str, evidence: dict | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.evidence = evidence or {}
        self.retry_after = retry_after  # seconds the platform asked us to wait, if it did


class CredentialsRejected(CaptureFailed):
    """The platform refused the token (expired, revoked, missing permission)."""

    cause = "credentials"


class RateLimited(CaptureFailed):
    """The platform asked us to slow down."""

    cause = "rate_limited"


class PlatformUnavailable(CaptureFailed):
    """The platform could not be reached or answered with a server error."""

    cause = "unavailable"
