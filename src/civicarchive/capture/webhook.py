"""Meta's webhooks for a Page's `feed` field: the signature, the subscription challenge,
and what a notification says, as observations. Pure: the capture service keeps the bytes
and ingests (app/webhooks.py); the web edge answers HTTP (web/webhooks.py).

Built from Meta's documented shapes only (no real notification was received):

    POST, X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, the app secret>
    {"object": "page", "entry": [{"id": "<page-id>", "time": 1722589200, "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add",
         "post_id": "<page>_<post>", "comment_id": "<post>_<comment>",
         "parent_id": "<page>_<post>", "message": "...", "created_time": 1722589200,
         "from": {"id": "...", "name": "..."}}}]}]}

- `verb: remove` (or `delete`) of a post or comment is a deletion event;
- `hide` / `unhide` are HIDDEN / UNHIDDEN;
- a comment's `add` / `edited` carries what the comment says (message, from,
  created_time, parent, a photo): it becomes a version with the capturer's own content
  fields (capture/facebook.py), so the next pass finds it unchanged;
- a post's `add` / `edited` carries too little to stand for the post (no attachments,
  no story): it asks for a capture pass instead.

The app secret and the verify token come from the environment (or files named there),
never from the database, and are never logged or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from civicarchive.capture.facebook import comment_observation
from civicarchive.capture.graph import JSON
from civicarchive.errors import ArchiveError, InvalidInput
from civicarchive.model.record import Event, Kind, Observation

ENV_APP_SECRET = "CIVICARCHIVE_META_APP_SECRET"
ENV_VERIFY_TOKEN = "CIVICARCHIVE_META_VERIFY_TOKEN"
POST_ITEMS = frozenset({"status", "post", "photo", "video", "share", "link", "event", "note"})
REMOVE = frozenset({"remove", "delete"})
CHANGE = frozenset({"add", "edited", "edit", "update"})
MAX_SECRET_BYTES = 4096


class SignatureRejected(ArchiveError):
    """A notification whose X-Hub-Signature-256 is missing or not the app secret's."""


@dataclass(frozen=True)
class WebhookSecrets:
    """The app secret (to check signatures) and the verify token (to answer Meta's
    subscription challenge); their values never appear in a repr."""

    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> WebhookSecrets:
        """From CIVICARCHIVE_META_APP_SECRET and CIVICARCHIVE_META_VERIFY_TOKEN, or the
        files named by the same variables with `_FILE` appended."""
        return cls(_secret(environ, ENV_APP_SECRET), _secret(environ, ENV_VERIFY_TOKEN))


def _secret(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if value:
        return value
    path = environ.get(f"{name}_FILE")
    if not path:
        raise InvalidInput(f"{name} is not set: set it, or {name}_FILE to a file holding it "
                           "(docs/capture.md, Webhooks)", parameter=name.lower())
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InvalidInput(f"{name}_FILE names {path}, which cannot be read "
                           f"({error.strerror})", parameter=name.lower()) from None
    text = data.decode("utf-8", "replace").strip()
    if not text or len(data) > MAX_SECRET_BYTES or "\n" in text:
        raise InvalidInput(f"{path} must hold the secret alone, on one line",
                           parameter=name.lower())
    return text


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `X-Hub-Signature-256` is `sha256=` the HMAC-SHA256 of the exact body under
    the app secret (compared in constant time)."""
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


def challenge_answer(mode: str | None, token: str | None, challenge: str | None,
                     verify_token: str) -> str | None:
    """The challenge to echo when Meta subscribes with our verify token, else None."""
    if mode != "subscribe" or not token or challenge is None or not verify_token:
        return None
    return challenge if hmac.compare_digest(token.encode(), verify_token.encode()) else None


@dataclass(frozen=True)
class FeedChange:
    """One change of one Page's feed."""

    page_id: str
    item: str
    verb: str
    value: dict

    @property
    def native_id(self) -> str | None:
        """The comment's id for a comment, the post's for a post."""
        key = "comment_id" if self.item == "comment" else "post_id"
        found = self.value.get(key)
        return str(found) if found else None

    @property
    def kind(self) -> Kind | None:
        return Kind.COMMENT if self.item == "comment" else \
            Kind.POST if self.item in POST_ITEMS else None

    def summary(self) -> dict:
        return {"page_id": self.page_id, "item": self.item, "verb": self.verb,
                "native_id": self.native_id}


def feed_changes(body: bytes) -> list[FeedChange]:
    """The feed changes a notification holds (other fields and objects are left out)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the notification is not JSON") from None
    if not isinstance(document, dict) or document.get("object") != "page" or \
            not isinstance(document.get("entry"), list):
        raise InvalidInput("the notification is not a Page notification (object: page, "
                           "entry: [...])")
    found = []
    for entry in document["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if change.get("field") == "feed" and isinstance(value, dict):
                found.append(FeedChange(str(entry.get("id")), str(value.get("item") or ""),
                                        str(value.get("verb") or ""), value))
    return found


def observation(change: FeedChange, account_id: int, observed_at: datetime, raw: bytes,
                held: bool) -> Observation | None:
    """What a change records about an item (`held`: the archive holds it), or None when
    it records nothing itself (see `wants_capture`)."""
    kind, native_id = change.kind, change.native_id
    if kind is None or native_id is None:
        return None
    event = Event.DELETED if change.verb in REMOVE else Event.HIDDEN if change.verb == "hide" \
        else Event.UNHIDDEN if change.verb == "unhide" else None
    if event is not None:
        return Observation(account_id=account_id, native_id=native_id, kind=kind,
                           observed_at=observed_at, content=None, raw=raw,
                           raw_media_type=JSON, event=event) if held else None
    if kind is Kind.COMMENT and change.verb in CHANGE and "message" in change.value:
        return comment_observation(_as_graph_comment(change), raw, account_id, change.page_id,
                                   str(change.value.get("post_id")), observed_at)
    return None


def wants_capture(change: FeedChange, held: bool) -> bool:
    """Whether the change calls for a capture pass: a post added or edited, or a comment
    the archive does not hold yet hidden or shown again."""
    if change.kind is Kind.POST:
        return change.verb in CHANGE or change.verb in ("hide", "unhide") and not held
    if change.kind is Kind.COMMENT:
        return change.verb in ("hide", "unhide") and not held or \
            change.verb in CHANGE and "message" not in change.value
    return False


def _as_graph_comment(change: FeedChange) -> dict:
    """The notification's comment in the shape Graph's comment object has."""
    value = change.value
    comment: dict = {"id": change.native_id, "message": value.get("message") or "",
                     "created_time": value.get("created_time"), "from": value.get("from")}
    parent = value.get("parent_id")
    if parent and parent != value.get("post_id"):
        comment["parent"] = {"id": str(parent)}
    if value.get("photo"):
        comment["attachment"] = {"type": "photo", "media": {"image": {"src": value["photo"]}}}
    if value.get("is_hidden"):
        comment["is_hidden"] = True
    return comment
