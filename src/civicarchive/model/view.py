"""What the native-look renderer shows of one record: a post, its media and its comment
thread, already reviewed. No I/O here.

The staff record view and the production PDF both build these and hand them to
`civicarchive.exports.native`. Text arrives as `RedactedText` (strings and `Redaction`
markers), so the renderer never holds redacted words. The author, the handle and the URL
take a plain string or a `RedactedText` too, since a commenter's name or a link can be the
personal information.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicarchive.model.production import Redaction, RedactedText

#: A field that may be redacted in part or whole: plain text, segments, or absent.
Field = str | RedactedText | None


def unredacted(value: Field) -> str | None:
    """The field as one string when nothing in it is redacted, else None (also when it is
    absent)."""
    if value is None or isinstance(value, str):
        return value
    if any(isinstance(s, Redaction) for s in value):
        return None
    return "".join(value)

#: The platforms the renderer knows; anything else renders as a generic web page.
PLATFORMS = ("x", "facebook", "instagram", "mastodon", "bluesky", "youtube", "feed", "web")


@dataclass(frozen=True, slots=True)
class MediaView:
    """One attached file. `src` is a URL the caller serves (or a `data:` URI it wrote),
    never the platform's own URL: showing that would fetch third-party content."""

    name: str
    media_type: str
    src: str | None = None              # None: not captured, withheld, or not displayable
    alt: str | None = None              # the archive's alt text, when the platform had one
    withheld_reason: str | None = None  # set when a person redacted the whole file
    note: str | None = None             # e.g. "6 bytes, sha256 ..." or "not captured"


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of metadata under a card (e.g. "first seen", "2025-03-01T09:00:30Z")."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class VersionView:
    """One observation of the record, for the version history."""

    event: str                          # created, edited, deleted, hidden, unhidden, restored
    observed_at: str                    # ISO 8601
    text: RedactedText
    facts: tuple[Fact, ...] = ()        # e.g. sha256 and ledger index


@dataclass(frozen=True, slots=True)
class WithheldView:
    """A reply kept out of what is shown, with the exemption that keeps it out."""

    kind: str
    exemption: str
    citation: str


@dataclass(frozen=True, slots=True)
class PostView:
    """A post, comment or reply as its platform showed it."""

    platform: str                       # one of PLATFORMS; others render as "web"
    display_name: Field                 # the author's name as shown
    handle: Field = None                # the author's handle, without "@"
    created_at: str | None = None       # ISO 8601
    text: RedactedText = ()
    html: str | None = None             # archived HTML (feeds, pages): shown sanitised
    title: str | None = None            # feed entries and videos have one
    kind: str = "post"
    url: Field = None                   # the record on the platform, shown as a text link
    media: tuple[MediaView, ...] = ()
    deleted: bool = False
    hidden: bool = False
    edited: bool = False
    replies: tuple[PostView | WithheldView, ...] = ()
    facts: tuple[Fact, ...] = ()        # metadata shown under the card (ids, hashes)
    history: tuple[VersionView, ...] = ()  # shown under the card when given
    anchor: str | None = None           # an id for the card's header (links, PDF ranges)
