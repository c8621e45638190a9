"""Items (the identity of one record on a platform), observations and versions."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Kind(enum.StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    MESSAGE = "message"
    MEDIA = "media"
    PROFILE = "profile"


class Event(enum.StrEnum):
    CREATED = "created"
    EDITED = "edited"
    DELETED = "deleted"
    HIDDEN = "hidden"
    UNHIDDEN = "unhidden"
    RESTORED = "restored"


# What an observation may claim about the item; the archive derives the rest.
OBSERVED_EVENTS = frozenset({Event.DELETED, Event.HIDDEN, Event.UNHIDDEN})


@dataclass(frozen=True, slots=True)
class Observation:
    """One sighting of an item, from a capture or an import.

    `content` is the normalised form (a JSON object); `raw` the exact bytes received.
    A deletion may carry no content (None): the version keeps the last content.
    """

    account_id: int
    native_id: str
    kind: Kind
    observed_at: datetime
    content: dict | None
    raw: bytes | None
    created_at: datetime | None = None
    author: str | None = None
    parent_native_id: str | None = None
    url: str | None = None
    event: Event | None = None
    raw_media_type: str = "application/octet-stream"

    def __post_init__(self) -> None:
        if self.event is not None and self.event not in OBSERVED_EVENTS:
            raise ValueError(f"an observation may only claim {sorted(OBSERVED_EVENTS)}, "
                             f"not {self.event!s}")
        if self.observed_at.tzinfo is None:
            raise ValueError("observed_at needs a timezone")


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    account_id: int
    native_id: str
    kind: Kind
    parent_native_id: str | None
    author: str | None
    url: str | None
    created_at: str | None
    first_seen_at: str


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    item_id: int
    event: Event
    observed_at: str
    recorded_at: str
    content_sha256: str
    raw_sha256: str
    source: str
    ledger_index: int


LARGEST_ID = 2**63 - 1  # what the store's integer ids hold: a larger one cannot be looked up


def id_of(text: str) -> int | None:
    """The id `text` writes in ASCII digits, from 1 to LARGEST_ID; None for anything else.
    (str.isdigit() alone takes "²", which int() refuses, and any number of digits, which
    the database refuses.)"""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LARGEST_ID)):
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None


TEXT_FIELDS = ("title", "content_warning", "text", "alt", "description")


def text_of(content: object) -> str:
    """The words a person reads in a record's content, in the order they are shown: title,
    content warning (Mastodon's, above the text), text, alt text, description, and a
    poll's options."""
    if not isinstance(content, dict):
        return ""
    parts = [value for key in TEXT_FIELDS if isinstance(value := content.get(key), str) and value]
    poll = content.get("poll")
    if isinstance(poll, dict) and isinstance(options := poll.get("options"), list):
        parts += [title for option in options if isinstance(option, dict)
                  and isinstance(title := option.get("title"), str) and title]
    return "\n".join(parts)


# What the platforms call an audience of everyone, in a record's `visibility` ("unlisted",
# on Mastodon and YouTube, is anyone's to see, only left out of discovery). Any other stated
# audience is narrower: Mastodon's "private" (followers only), "limited" and "direct",
# YouTube's "private", Facebook's "ALL_FRIENDS" or "SELF", and names not known here.
PUBLIC_AUDIENCES = frozenset({"public", "unlisted", "everyone"})


def audience(content: object) -> str | None:
    """The audience the content states: its `visibility`, or that object's `value` (as
    Facebook gives privacy); None when it states none."""
    visibility = content.get("visibility") if isinstance(content, dict) else None
    if isinstance(visibility, dict):
        visibility = visibility.get("value")
    stated = "" if visibility is None else str(visibility).strip()
    return stated or None


def audience_restricted(content: object) -> bool:
    """Whether the platform showed this content only to some people, not to everyone: the
    audience it states is any but everyone. No audience stated says nothing."""
    stated = audience(content)
    return stated is not None and stated.lower() not in PUBLIC_AUDIENCES
