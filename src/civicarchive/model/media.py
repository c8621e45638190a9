"""Archived media types as the archive serves them: third-party input, reduced to one
well-formed type before any browser sees it."""

from __future__ import annotations

import re

INLINE = ("image/", "video/", "audio/")
_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")  # RFC 6838


def media_essence(archived: object) -> str:
    """An archived media type as one well-formed `type/subtype` in lower case, its
    parameters dropped; application/octet-stream when it is anything else:
    "image/png,text/html" would be read as HTML by a browser (the last of several types
    wins), and a line break cannot go into a header at all."""
    essence = str(archived or "").split(";")[0].strip().lower()
    return essence if _TYPE.fullmatch(essence) else "application/octet-stream"


def inline_media(media_type: str) -> bool:
    """Whether a browser may show the file in the page: images, video and audio, never
    SVG (it can carry script) nor anything else."""
    media_type = media_essence(media_type)
    return media_type.startswith(INLINE) and "svg" not in media_type and \
        "xml" not in media_type
