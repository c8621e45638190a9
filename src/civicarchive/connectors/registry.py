"""The importers civicarchive knows, by format name, loaded on first use."""

from __future__ import annotations

import importlib

from civicarchive.connectors.base import Importer
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput

# format name -> "module:class"; detection tries them in this order.
IMPORTERS = {
    "x": "civicarchive.connectors.x:XArchiveImporter",
    "facebook": "civicarchive.connectors.facebook:FacebookImporter",
    "instagram": "civicarchive.connectors.instagram:InstagramImporter",
    "mastodon": "civicarchive.connectors.mastodon:MastodonImporter",
    "bluesky": "civicarchive.connectors.bluesky:BlueskyCarImporter",
    "youtube": "civicarchive.connectors.youtube:YouTubeTakeoutImporter",
    "feed": "civicarchive.connectors.feed:FeedImporter",
}


def importer(name: str) -> Importer:
    if name not in IMPORTERS:
        raise InvalidInput(f"unknown export format {name!r}: use one of "
                           f"{', '.join(IMPORTERS)}")
    module, _, cls = IMPORTERS[name].partition(":")
    return getattr(importlib.import_module(module), cls)()


def available() -> list[str]:
    """Formats whose importer module is installed in this build."""
    found = []
    for name, target in IMPORTERS.items():
        try:
            importlib.import_module(target.partition(":")[0])
        except ModuleNotFoundError:
            continue
        found.append(name)
    return found


def detect(files: ExportFiles) -> Importer:
    for name in available():
        candidate = importer(name)
        if candidate.detect(files):
            return candidate
    from civicarchive.connectors import meta
    meta.refuse_html(files.names(), files.path)  # say what to do, where it is that
    raise InvalidInput(f"{files.path}: not an export format civicarchive recognises "
                       f"({', '.join(available())}); name the format if you know it",
                       parameter="format")
