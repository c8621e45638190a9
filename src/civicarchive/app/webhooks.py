"""Meta's webhook notifications for the Pages the archive captures: checked, kept as
evidence, and recorded as what they say (capture/webhook.py).

A notification is verified before anything happens: a missing or wrong
`X-Hub-Signature-256` raises SignatureRejected and records nothing. A verified one is
kept as it came (its exact bytes as a blob, and an audit event naming its sha256 and
each change), then each change of a registered Page (matched by the page id, the
account's platform id) is recorded: a removal of a held post or comment is a deletion
event, a hide or unhide a hidden or unhidden version, a comment added or edited a
version with what the comment says. Whatever needs more than the notification carries
(a post added or edited) makes the account due for a capture pass: `Receipt.due`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from civicarchive.app.context import ArchiveContext
from civicarchive.app.ingesting import Ingesting
from civicarchive.app.registry import Registry
from civicarchive.capture import webhook
from civicarchive.capture.webhook import SignatureRejected, WebhookSecrets
from civicarchive.clock import format_time
from civicarchive.store import capture as sql

log = logging.getLogger("civicarchive.webhooks")
PLATFORM = "facebook"


@dataclass
class Receipt:
    """What one notification did."""

    evidence_sha256: str
    changes: int = 0
    recorded: int = 0           # versions added
    due: list[int] = field(default_factory=list)    # accounts to capture now
    unknown_pages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain JSON-ready data: what the receiver answers."""
        return {"evidence_sha256": self.evidence_sha256, "changes": self.changes,
                "recorded": self.recorded, "due": self.due, "unknown_pages": self.unknown_pages}


class Webhooks:
    """Receive Meta's Page feed notifications."""

    def __init__(self, context: ArchiveContext, registry: Registry,
                 ingesting: Ingesting) -> None:
        self.context = context
        self.registry = registry
        self.ingesting = ingesting

    def challenge(self, mode: str | None, token: str | None, challenge: str | None,
                  secrets: WebhookSecrets) -> str:
        """The challenge to echo to Meta's subscription request; SignatureRejected when
        the verify token is not ours (or the request is not a subscription)."""
        answer = webhook.challenge_answer(mode, token, challenge, secrets.verify_token)
        if answer is None:
            raise SignatureRejected("the subscription's verify token does not match: set "
                                    f"{webhook.ENV_VERIFY_TOKEN} to the token given to Meta")
        return answer

    def receive(self, body: bytes, signature: str | None, secrets: WebhookSecrets,
                actor: str = "webhook") -> Receipt:
        """Check, keep and record one notification (see the module docstring)."""
        if not webhook.signature_ok(body, signature, secrets.app_secret):
            raise SignatureRejected("the notification's X-Hub-Signature-256 is missing or not "
                                    "signed with the app secret: nothing was recorded")
        digest = hashlib.sha256(body)
        receipt = Receipt(digest.hexdigest())
        try:
            changes = webhook.feed_changes(body)
        except Exception:
            self._keep(body, digest.digest(), [], actor)
            raise
        receipt.changes = len(changes)
        pages = {a.platform_id: a for a in self.registry.accounts()
                 if a.platform == PLATFORM and a.platform_id}
        observed_at = self.context.clock.now()
        observations, outcomes = [], []
        for position, change in enumerate(changes):
            account = pages.get(change.page_id)
            if account is None:
                receipt.unknown_pages.append(change.page_id)
                outcomes.append({**change.summary(), "outcome": "not a registered page"})
                continue
            held = bool(change.native_id) and bool(self._held(account.id, change.native_id))
            # one notification's changes in their order, a microsecond apart
            found = webhook.observation(change, account.id,
                                        observed_at + timedelta(microseconds=position), body,
                                        held)
            if found is not None:
                observations.append(found)
            if webhook.wants_capture(change, held) and account.id not in receipt.due:
                receipt.due.append(account.id)
            outcomes.append({**change.summary(), "account_id": account.id, "outcome":
                             "recorded" if found is not None else
                             "capture due" if account.id in receipt.due else "nothing to record"})
        self._keep(body, digest.digest(), outcomes, actor)
        if observations:
            report = self.ingesting.ingest(
                observations, f"webhook:{PLATFORM}:{format_time(observed_at)}", actor)
            receipt.recorded = report.versions
        log.info("webhook notification %s: %d change(s), %d version(s), due %s",
                 receipt.evidence_sha256[:12], receipt.changes, receipt.recorded, receipt.due)
        return receipt

    def _held(self, account_id: int, native_id: str) -> set[str]:
        with self.context.read() as conn:
            return sql.known_native_ids(self.context.store, conn, account_id, [native_id])

    def _keep(self, body: bytes, sha256: bytes, outcomes: list[dict], actor: str) -> None:
        """The notification's exact bytes, and an audit event naming them."""
        with self.context.write() as tx:
            tx.put_blob(sha256, body, "application/json")
            tx.audit(actor, "capture.webhook", "meta webhook",
                     {"sha256": sha256.hex(), "size": len(body), "changes": outcomes})
