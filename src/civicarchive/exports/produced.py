"""A produced record (`ProducedItem`) as the native-look renderer's view-model, so that the
production PDF shows each record the way the staff record view does.

The facts a production must carry go under each card: item id, account, native id (unless
the URL shows it), the creation and first-seen times, and each version's capture time,
content sha256 and ledger index. An edited record also gets its version history as a word
diff. Images are embedded as `data:` URIs (the only URLs the PDF fetches); other files
are described by size and sha256.
"""

from __future__ import annotations

import base64
import hashlib

from civicarchive.model.production import ProducedItem, ProducedMedia, ProducedVersion
from civicarchive.model.view import (Fact, Field, MediaView, PostView, VersionView, WithheldView,
                                     unredacted)

__all__ = ["ANCHOR", "view_of"]

ANCHOR = "item-"


def view_of(item: ProducedItem) -> PostView:
    """The card of `item` with its thread; withheld replies become `WithheldView`s."""
    versions = item.versions
    replies = tuple(view_of(entry) if isinstance(entry, ProducedItem) else
                    WithheldView(entry.kind, entry.exemption, entry.citation)
                    for entry in item.thread)
    return PostView(
        platform=item.platform, display_name=_field(item.author) or item.account,
        # A post is shown under its account's handle; a comment's author has none here.
        handle=_field(item.handle or item.account)
        if item.kind == "post" else None,
        created_at=item.created_at, text=versions[-1].text if versions else (),
        kind=item.kind, url=_field(item.url), media=tuple(_media(m) for m in item.media),
        deleted=item.deleted, hidden=item.hidden,
        edited=any(v.event == "edited" for v in versions), replies=replies,
        facts=_facts(item), anchor=ANCHOR + str(item.item_id),
        history=tuple(VersionView(v.event, v.observed_at, v.text, (_version_fact(v, False),))
                      for v in versions) if len(versions) > 1 else ())


def _field(value) -> Field:
    """A str, None or RedactedText field (the author, handle and URL may be redacted)."""
    if value is None or isinstance(value, str):
        return value
    return tuple(value)


def _facts(item: ProducedItem) -> tuple[Fact, ...]:
    # `account` and `native_id` are plain text with markers in place of what was redacted
    facts = [Fact("Item", str(item.item_id)), Fact("", f"@{item.account}")]
    url = unredacted(_field(item.url))
    if url is None or item.native_id not in url:  # else the URL already shows it
        facts.append(Fact("native id", item.native_id))
    facts.append(Fact("first seen", item.first_seen_at))
    if len(item.versions) == 1:
        facts.append(_version_fact(item.versions[0]))
    return tuple(facts)


def _version_fact(version: ProducedVersion, event: bool = True) -> Fact:
    """The version's id, capture time, content sha256 and ledger index (and its event,
    unless the history line already leads with it)."""
    return Fact(f"v{version.version_id}",
                f"{version.event + ', ' if event else ''}captured {version.observed_at}, "
                f"sha256 {version.content_sha256}, ledger #{version.ledger_index}")


def _media(media: ProducedMedia) -> MediaView:
    if media.withheld_reason is not None:
        return MediaView(media.name, media.media_type, withheld_reason=media.withheld_reason)
    if media.data is None:
        return MediaView(media.name, media.media_type, note="not captured")
    if media.media_type.startswith("image/"):
        encoded = base64.b64encode(media.data).decode("ascii")
        return MediaView(media.name, media.media_type,
                         src=f"data:{media.media_type};base64,{encoded}")
    digest = hashlib.sha256(media.data).hexdigest()
    return MediaView(media.name, media.media_type,
                     note=f"{len(media.data):,} bytes, sha256 {digest}")
