"""The files of an X archive: which ones hold what, and their entries read as a stream.

Data files are scripts, `window.YTD.<name>.partN = [ ... ]`; their entries are read one
at a time (see json_stream), so a `tweets.js` of any size is never held whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import PurePosixPath

from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.json_stream import ArrayReader, DamagedArray, Element
from civicarchive.errors import InvalidInput

TWEET_FILES = ("tweets", "tweet", "community-tweet")
DELETED_FILES = ("deleted-tweets", "deleted-tweet")
DM_FILES = ("direct-messages", "direct-messages-group")
READ_FILES = frozenset({*TWEET_FILES, *DELETED_FILES, *DM_FILES, "manifest", "account",
                        "note-tweet"})
MEDIA_FOLDERS = frozenset({"tweets_media", "tweet_media", "deleted_tweets_media",
                           "community_tweet_media", "direct_messages_media",
                           "direct_messages_group_media"})
# Files X writes about the account and the platform's dealings with it rather than the
# account's posts and messages: named together in one problem when they hold entries.
ACCOUNT_DATA = frozenset({
    "account-creation-ip", "account-label", "account-suspension", "account-timezone",
    "ad-engagements", "ad-free-article-visits", "ad-impressions",
    "ad-mobile-conversions-attributed", "ad-mobile-conversions-unattributed",
    "ad-online-conversions-attributed", "ad-online-conversions-unattributed",
    "ads-revenue-sharing", "ageinfo", "app", "block", "branch-links", "catalog-item",
    "commerce-catalog", "community-note", "community-note-rating",
    "community-note-tombstone", "connected-application", "contact",
    "deleted-tweet-headers", "device-token", "direct-message-group-headers",
    "direct-message-headers", "direct-message-mute", "email-address-change", "follower",
    "following", "ip-audit", "key-registry", "like", "lists-created", "lists-member",
    "lists-subscribed", "moment", "mute", "ni-devices", "periscope-account-information",
    "periscope-ban-information", "periscope-broadcast-metadata",
    "periscope-comments-made-by-user", "periscope-expired-broadcasts",
    "periscope-followers", "periscope-profile-description", "personalization",
    "phone-number", "product-drop", "product-set", "professional-data", "profile",
    "protected-history", "reply-prompt", "saved-search", "screen-name-change",
    "shop-module", "shopify-account", "smartblock", "spaces-metadata", "sso",
    "tweet-headers", "tweetdeck", "twitter-shop", "user-link-clicks", "verified",
    "verified-organization"})
ACCOUNT_FOLDERS = frozenset({"profile_media", "moments_media", "moments_tweets_media"})
PART = re.compile(r"-part(\d+)\.js$")
BOM = b"\xef\xbb\xbf"


def ytd_entries(files: ExportFiles, name: str) -> Iterator[Element]:
    """Each entry of a `window.YTD...` data file, read from a stream, with its exact bytes."""
    with files.open_file(name) as stream:
        reader = ArrayReader(stream)
        head = reader.skip_past(b"=", 4096)
        if head is None or not head.removeprefix(BOM).lstrip().startswith(b"window."):
            raise InvalidInput(f"{files.where(name)}: expected `window.<name> = <JSON>` as X "
                               "writes its archive files; is this file from an X archive?")
        try:
            yield from reader.elements()
        except DamagedArray as error:
            raise InvalidInput(f"{files.where(name)}: {error}; the file is damaged: download "
                               "the archive again and import it (batches already written stay "
                               "in the archive, the rest was not written)") from None


def holds_entries(files: ExportFiles, name: str) -> bool:
    """Whether a data file holds anything besides an empty array (read only its head)."""
    with files.open_file(name) as stream:
        head = stream.read(4096)
    return not re.fullmatch(rb"\s*(\[\s*\]|\{\s*\})?\s*;?\s*", head.partition(b"=")[2])


def stem(name: str) -> str:
    """`data/tweets-part2.js` -> `tweets`."""
    return PART.sub(".js", PurePosixPath(name).name).removesuffix(".js")


def data_files(files: ExportFiles, stems: tuple[str, ...]) -> list[str]:
    """The `data/` files of these names, `-partN` splits in part order."""
    found = {name for s in stems for name in files.find(f"{s}.js") +
             files.find(f"{s}-part*.js") if PurePosixPath(name).parent.name in ("data", "")}
    return sorted(found, key=lambda n: (stems.index(stem(n)),
                                        int(m.group(1)) if (m := PART.search(n)) else 0))


def media_index(files: ExportFiles) -> dict[str, list[str]]:
    """owner id -> paths of its media files, which are named `<tweet or message id>-...`."""
    index: dict[str, list[str]] = defaultdict(list)
    for name in files.names():
        path = PurePosixPath(name)
        owner, dash, _ = path.name.partition("-")
        if path.parent.name in MEDIA_FOLDERS and dash and owner.isdigit():
            index[owner].append(name)
    return index


def unread_files(files: ExportFiles, media: dict[str, list[str]]) -> tuple[list, list]:
    """(unknown files, files of account data) under `data/` that hold entries and that
    this importer does not read; media files are read with their owners."""
    owned = {name for names in media.values() for name in names}
    unknown, account = [], []
    for name in files.names():
        path = PurePosixPath(name)
        if "data" not in path.parts[:-1] or name in owned:
            continue
        if path.suffix == ".js" and stem(name) in READ_FILES:
            continue
        if path.suffix == ".js" and stem(name) in ACCOUNT_DATA or \
                path.parent.name in ACCOUNT_FOLDERS:
            if path.suffix != ".js" or holds_entries(files, name):
                account.append(name)
        elif path.suffix != ".js" or holds_entries(files, name):
            unknown.append(name)
    return unknown, account
