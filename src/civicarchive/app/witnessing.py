"""Witnesses of the archive's checkpoints: RFC 3161 timestamps from the time-stamping
authority named in the settings, checkpoint files to publish, and the operator's way
back after a rollback or fork was investigated (docs/continuity.md).

Timestamping never fails or holds up a write: after a write signs a checkpoint, the
newest checkpoint is sent to the authority (at most once per MIN_INTERVAL while writes
keep coming, and once more when the archive closes); an answer is stored as a token, a
fault as a miss, and after a miss the authority is left alone for BACKOFF seconds. The
checkpoints are chained, so a token on checkpoint n witnesses every checkpoint before it.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


from civicarchive.app.context import ArchiveContext
from civicarchive.errors import CheckpointNoteDamaged, InvalidInput, TimestampMissed
from civicarchive.store import timestamps
from civicarchive.store.checkpoint_file import CheckpointFile
from civicarchive.store.continuity import LAST_CHECKPOINT_FILE, last_signed

MIN_INTERVAL = 30.0  # seconds between requests while writes keep sealing checkpoints
BACKOFF = 60.0  # seconds to leave the authority alone after a miss
MAX_TOKEN = 1 << 20


@dataclass(frozen=True)
class TimestampOutcome:
    checkpoint: int  # the checkpoint's id
    status: str  # "timestamped", "already" (it had a token) or "missed"
    detail: str = ""  # the token's time, or what went wrong

    def as_dict(self) -> dict:
        """The outcome as plain data, for --json."""
        return {"checkpoint": self.checkpoint, "status": self.status, "detail": self.detail}


class Witnessing:
    """RFC 3161 timestamps on checkpoints, checkpoint files, and resetting continuity."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context
        self._last_request = float("-inf")
        self._quiet_until = float("-inf")
        self._due = False  # a checkpoint was signed here since the last request
        if context.settings.tsa_url:
            context.store.on_sealed(self._sealed)

    # -- timestamps ----------------------------------------------------------------------

    def _sealed(self) -> None:
        self._due = True
        now = time.monotonic()
        if now >= self._quiet_until and now - self._last_request >= MIN_INTERVAL:
            self._timestamp_quietly()

    def _timestamp_quietly(self) -> None:
        try:
            self.timestamp()
        except Exception:  # noqa: BLE001 - a witness's fault never fails a write
            self._quiet_until = time.monotonic() + BACKOFF

    def timestamp(self) -> TimestampOutcome:
        """Ask the authority to timestamp the newest checkpoint unless it has a token.
        A fault of the authority is recorded as a miss and returned, not raised."""
        settings = self.context.settings
        if not settings.tsa_url:
            raise InvalidInput("no time-stamping authority is configured: set "
                               "CIVICARCHIVE_TSA_URL (docs/configuration.md)")
        with self.context.read() as conn:
            newest = timestamps.newest_checkpoint(conn)
            if newest is None:
                raise InvalidInput("the archive has no checkpoint to timestamp yet")
            if timestamps.token_of(conn, newest.id) is not None:
                return TimestampOutcome(newest.id, "already")
        self._last_request, self._due = time.monotonic(), False
        requested_at = self.context.now_text()
        try:
            token, error = self._ask(newest.body), None
        except TimestampMissed as missed:
            token, error = None, str(missed)
            self._quiet_until = time.monotonic() + BACKOFF
        with self.context.write() as tx:
            timestamps.add(tx.conn, newest.id, settings.tsa_url, requested_at, token, error)
        if token is None:
            return TimestampOutcome(newest.id, "missed", error)
        return TimestampOutcome(newest.id, "timestamped", timestamps.token_time(token))

    def _ask(self, body_text: str) -> bytes:
        settings = self.context.settings
        query, nonce = timestamps.timestamp_request(body_text)
        request = urllib.request.Request(settings.tsa_url, data=query, headers={
            "Content-Type": "application/timestamp-query"})
        try:
            with urllib.request.urlopen(request, timeout=settings.tsa_timeout) as answer:
                token = answer.read(MAX_TOKEN)
        except (OSError, urllib.error.URLError, http.client.HTTPException, ValueError) as error:
            raise TimestampMissed(f"{settings.tsa_url} did not answer: {error}") from None
        roots = timestamps.load_roots(settings.tsa_ca_file)
        problem = timestamps.token_problem(token, body_text, roots, nonce)
        if problem:
            raise TimestampMissed(f"{settings.tsa_url} answered, but {problem}")
        return token

    def close(self) -> None:
        """Timestamp the newest checkpoint if it has no token, unless the authority just
        missed: a command that wrote leaves its last checkpoint witnessed."""
        if self._due and time.monotonic() >= self._quiet_until:
            self._timestamp_quietly()

    # -- checkpoint files ------------------------------------------------------------------

    def export(self) -> CheckpointFile:
        """The newest signed checkpoint with its timestamp token, for publication
        (docs/checkpoint-file.md)."""
        with self.context.read() as conn:
            signed = timestamps.newest_checkpoint_file(conn, self.context.public_key_raw)
        if signed is None:
            raise InvalidInput("the archive has no checkpoint yet")
        return signed

    def reset(self, reason: str, actor: str) -> dict:
        """Take the database's newest signed checkpoint as the one to extend, after an
        operator has investigated a refused write (a backup restored on purpose). The
        checkpoint kept until now is set aside beside the key, and an audit event records
        it and the reason. Entries beyond the newest checkpoint are never signed this way."""
        if not reason.strip():
            raise InvalidInput("say why the checkpoints are reset", parameter="reason")
        keys = self.context.settings.keys_dir
        kept = keys / LAST_CHECKPOINT_FILE
        damaged = None
        try:
            old = last_signed(keys)
        except CheckpointNoteDamaged as error:  # set aside as it is: nothing to compare
            old, damaged = None, error.fault
        aside = keys / f"{LAST_CHECKPOINT_FILE}.superseded-{self.context.now_text()}"
        moved = old is not None or damaged is not None
        if moved:
            kept.rename(aside)
        try:
            with self.context.write() as tx:
                details = {"reason": reason.strip(),
                           "superseded": old.body_text if old is not None else None}
                if damaged is not None:
                    details["damaged"] = damaged
                tx.audit(actor, "checkpoint.reset", "checkpoints", details)
        except BaseException:
            if moved:
                aside.rename(kept)
            raise
        return {"superseded": old.body.number if old is not None else None,
                "damaged": damaged, "set_aside": str(aside) if moved else None,
                "now": last_signed(keys).body.number}
