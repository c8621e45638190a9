"""What a capturer is: one platform's live API turned into observations, a pass at a time.

A pass is a plain job, `CaptureJob(account, since cursor, settings)`, so that a queue can
carry it later. The capturer is handed an `httpx.Client` (tests inject a MockTransport or
a loopback server) and the account's token, and returns a `Pass`: the observations, the
new cursor, the problems it stepped over, which kinds it saw completely, and per post how
many replies the platform says exist against how many it captured. It writes nothing:
the capture service ingests the observations (idempotently, so a pass run twice adds
nothing) and decides what is absent.

An item absent from a complete listing is not taken as deleted: the service hands it back
to `recheck`, which looks it up on its own and answers `Recheck.GONE` only on a 404, a
tombstone or a deletion event; a transient error is `Recheck.UNKNOWN`, and the item
stays as it was.

    class MastodonCapturer:
        platform = "mastodon"
        def capture(self, job, client: httpx.Client, token: str | None, known) -> Pass
        def recheck(self, job, client, token, absent: Absent) -> Checked
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx

from civicarchive.capture.failures import CaptureFailed
from civicarchive.model.record import Kind, Observation


Known = Callable[[Iterable[str]], set[str]]   # of these native ids, those the archive holds


@dataclass(frozen=True)
class CaptureSettings:
    """How one account is captured (set with `capture configure`)."""

    url: str | None = None            # the server (Mastodon, a Bluesky PDS) or the feed's address
    stream_url: str | None = None     # Bluesky: the event stream (a relay, or the PDS's own)
    plc_url: str | None = None        # Bluesky: the PLC directory that resolves did:plc
    interval: int = 900               # seconds between passes
    jitter: float = 0.1               # +- this share of the interval, so passes spread out
    full_every: int = 12              # every Nth pass lists everything (finds deletions)
    media_max_bytes: int = 50 * 1024 * 1024
    enabled: bool = True
    pages: tuple[str, ...] = ()       # the web pages a "web" account captures in a browser

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", tuple(self.pages))   # stored as a JSON list

    def as_dict(self) -> dict:
        return {"url": self.url, "stream_url": self.stream_url, "plc_url": self.plc_url,
                "interval": self.interval, "jitter": self.jitter,
                "full_every": self.full_every, "media_max_bytes": self.media_max_bytes,
                "enabled": self.enabled, "pages": list(self.pages)}


@dataclass(frozen=True)
class CaptureJob:
    """One pass to run: which account, from where, how. Plain data (a queue can carry it);
    the token is not part of it."""

    account_id: int
    platform: str
    handle: str
    platform_id: str | None
    cursor: dict
    settings: CaptureSettings
    observed_at: datetime

    @property
    def full(self) -> bool:
        """Whether this pass lists everything: the first one, then every `full_every`."""
        return not self.cursor or \
            self.cursor.get("passes_since_full", 0) + 1 >= self.settings.full_every


@dataclass(frozen=True)
class CaptureProblem:
    where: str   # the request or item
    what: str    # what went wrong, and what was done about it

    def as_dict(self) -> dict:
        return {"where": self.where, "what": self.what}


@dataclass(frozen=True)
class Thread:
    """What the platform says a post has, against what was captured of it."""

    native_id: str
    expected: int
    captured: int


@dataclass(frozen=True)
class TokenExpiry:
    """What the platform itself said of the token's lifetime (Meta's /debug_token)."""

    expires_at: datetime | None   # None: it does not expire


@dataclass
class Pass:
    """What one pass saw."""

    observations: list[Observation] = field(default_factory=list)
    history: list[Observation] = field(default_factory=list)  # from the platform's edit history
    cursor: dict = field(default_factory=dict)
    problems: list[CaptureProblem] = field(default_factory=list)
    complete_kinds: set[Kind] = field(default_factory=set)
    threads: list[Thread] = field(default_factory=list)
    requests: int = 0
    token_expiry: TokenExpiry | None = None   # when the platform said, to record

    def problem(self, where: str, what: str) -> None:
        self.problems.append(CaptureProblem(where, what))


@dataclass(frozen=True)
class Absent:
    """An item the archive holds that a complete listing no longer showed."""

    item_id: int
    native_id: str
    kind: Kind
    content: dict | None   # its latest content, for the platform's own id where it differs


class Recheck(enum.StrEnum):
    PRESENT = "present"   # still there: the observation says how it looks now
    GONE = "gone"         # a 404, a tombstone or a deletion event
    UNKNOWN = "unknown"   # a transient error: nothing is recorded


@dataclass(frozen=True)
class Checked:
    outcome: Recheck
    evidence: dict = field(default_factory=dict)
    observation: Observation | None = None


class Capturer(Protocol):
    platform: str

    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known) -> Pass:
        """One pass over the account. Raises CaptureFailed when it cannot finish.
        `known` says which native ids the archive already holds (media are fetched once)."""

    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """Look up one item on its own."""


# What reading an answer of a shape the capturer does not know raises: a field missing or
# of another type, a body that is not JSON, JSON nested past Python's recursion limit.
ODD_ANSWERS = (ValueError, LookupError, TypeError, AttributeError, RecursionError)


def answers_checked(method: Callable) -> Callable:
    """A capturer's `capture` or `recheck` that, on an answer it cannot read, raises
    CaptureFailed naming the account and what was wrong, never a traceback: the
    capture service records it (a failed run; for a re-check a problem of the run, the
    item kept as it was), and the other accounts are still captured."""
    from civicarchive.capture.http import Scrubber

    @functools.wraps(method)
    def checked(self, job: CaptureJob, client: httpx.Client, token: str | None,  # noqa: ANN001
                *args: object, **kwargs: object) -> object:
        try:
            return method(self, job, client, token, *args, **kwargs)
        except CaptureFailed:
            raise
        except ODD_ANSWERS as error:
            said = Scrubber([token])(f"{type(error).__name__}: {error}")[:300]
            raise CaptureFailed(f"account {job.account_id} ({job.handle}): the platform's "
                                f"answer is not what the {job.platform} capturer reads "
                                f"({said}); nothing of it was kept. If it persists, the "
                                "platform's API changed and capture needs updating",
                                {"error": type(error).__name__}) from None
    return checked
