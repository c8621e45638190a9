"""How each captured account stands: last success, lag, failures in a row, open gap,
credentials expiry and completeness, as `capture status` shows them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from civicarchive.app.context import ArchiveContext
from civicarchive.app.credentials import CredentialInfo
from civicarchive.capture import health
from civicarchive.capture.base import CaptureSettings
from civicarchive.clock import parse_time
from civicarchive.model.account import Account
from civicarchive.store import capture as sql


@dataclass(frozen=True)
class AccountStatus:
    account_id: int
    platform: str
    handle: str
    enabled: bool
    interval: int
    last_success: str | None
    last_run: str | None
    last_outcome: str | None
    lag_seconds: float | None          # since the last success ended
    consecutive_failures: int
    open_gap: dict | None              # id, gap_from, cause
    credentials_expire: str | None
    credentials_warning: bool          # expire within 14 days (or have)
    completeness: float | None         # replies captured / replies the platform counts
    expected_replies: int
    captured_replies: int

    def as_dict(self) -> dict:
        """The status as plain JSON-ready data, as `--json` prints it."""
        return asdict(self)


def account_statuses(context: ArchiveContext, accounts: list[Account],
                     settings: dict[int, CaptureSettings],
                     credentials: dict[int, CredentialInfo], now: datetime
                     ) -> list[AccountStatus]:
    """The status of each account, in the order given."""
    found = []
    with context.read() as conn:
        for account in accounts:
            config = settings.get(account.id, CaptureSettings())
            success = sql.last_success(conn, account.id)
            latest = sql.runs(conn, account.id, limit=1)
            failures = sql.failures_since(conn, account.id, success["id"] if success else 0)
            gaps = sql.gaps(conn, account.id, open_only=True)
            measured = next((r for r in sql.runs(conn, account.id, limit=50)
                             if r["outcome"] == "ok" and r["expected_replies"]), None)
            credential = credentials.get(account.id)
            expiry = parse_time(credential.expires_at) if credential and \
                credential.expires_at else None
            quality = health.Completeness(measured["expected_replies"],
                                          measured["captured_replies"], ()) if measured else \
                health.Completeness(0, 0, ())
            found.append(AccountStatus(
                account.id, account.platform, account.handle, config.enabled, config.interval,
                success["ended_at"] if success else None,
                latest[0]["ended_at"] if latest else None,
                latest[0]["outcome"] if latest else None,
                (now - parse_time(success["ended_at"])).total_seconds() if success else None,
                failures,
                {k: gaps[-1][k] for k in ("id", "gap_from", "cause")} if gaps else None,
                credential.expires_at if credential else None,
                health.expiring(expiry, now), quality.ratio, quality.expected,
                quality.captured))
    return found
