"""Viewing a record the way its platform showed it: the app-side assembly of the native
renderer's view-model (model/view.py, rendered by exports/native.py) from the archive,
for the staff record view; its thread and history a page at a time for the API; its
media files; and where it stands in the ledger.

Everything is read for a principal through `Access`: the record itself is `Access.item`
(another agency's, or a direct message without the permission, is NotFound), and its
thread leaves out what no thread shows: direct messages never appear under a post, and
media records are shown as the files of the record they belong to. Each read is by an
index (store/viewing.py), so a record page costs a few queries however large the
archive is; only an inclusion proof reads the ledger whole, and is built on request.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from dataclasses import dataclass
from functools import lru_cache

from civicarchive.app.access import Access
from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.evidence import Evidence
from civicarchive.app.reading import Reading
from civicarchive.errors import NotFound
from civicarchive.model.account import Account
from civicarchive.model.media import inline_media, media_essence
from civicarchive.model.record import (Event, Item, Kind, Version, audience,
                                       audience_restricted)
from civicarchive.model.staff import Permission, Principal
from civicarchive.model.view import Fact, MediaView, PostView, VersionView
from civicarchive.store import accounts as accounts_sql
from civicarchive.store import records as records_sql
from civicarchive.store import viewing as sql
from civicarchive.store.checkpoint import load_public_key, signature_valid

#: Kinds a thread never shows: messages are nobody's replies; media are files of a record.
NOT_IN_THREADS = frozenset({Kind.MESSAGE, Kind.MEDIA, Kind.PROFILE})
THREAD_DEPTH = 4          # post, comments, replies, replies to replies
THREAD_LIMIT = 200        # records of one level shown in the record view


@dataclass(frozen=True)
class Standing:
    """Where a version stands in the ledger: its entry, and the newest checkpoint."""

    ledger_index: int
    checkpoint_id: int | None        # None: no checkpoint signed yet
    tree_size: int | None
    checkpoint_time: str | None
    covered: bool                    # the checkpoint's tree includes the entry
    signature_valid: bool            # the checkpoint's Ed25519 signature checks


@dataclass(frozen=True)
class RecordPage:
    """What the record view shows."""

    item: Item
    account: Account
    post: PostView                   # the card, its media and its thread
    history: tuple[VersionView, ...]
    versions: tuple[Version, ...]
    standing: Standing | None        # of the latest version
    thread_cut: bool                 # some level held more than THREAD_LIMIT records
    files: tuple[MediaView, ...] = ()  # the record's own media, to download


@dataclass(frozen=True)
class MediaFile:
    name: str
    media_type: str
    data: bytes
    inline: bool                     # an image, video or audio file (never SVG)


class Viewing:
    """Records as the staff record view and its API show them."""

    def __init__(self, context: ArchiveContext, access: Access, reading: Reading,
                 evidence: Evidence, custody: Custody) -> None:
        self.context = context
        self.access = access
        self.reading = reading
        self.evidence = evidence
        self.custody = custody
        self._checked_proof = lru_cache(maxsize=256)(self._check_proof)
        self._accounts: dict[int, Account] = {}

    # -- the record view ------------------------------------------------------------------

    def record(self, principal: Principal, item_id: int) -> RecordPage:
        """The record, its media, its thread and its history, as the principal may see
        them; NotFound as `Access.item`. One read: a handful of indexed queries."""
        with self.context.read() as conn:
            item = records_sql.item(conn, item_id)
            account = self._account(conn, item.account_id) if item else None
            if item is None or account is None or \
                    not self.access.shows_item(principal, item, account):
                raise NotFound("item", item_id)
            # Versions come with their contents (small blobs) and purge marks.
            rows = sql.histories(conn, [item_id]).get(item_id, [])
            under, cut, latest_rows = _thread(conn, item)
            checkpoint = sql.newest_checkpoint(conn)
        versions = tuple(version for version, _, _ in rows)
        read = [*rows, *latest_rows]
        contents = {v.content_sha256: data for v, data, _ in read if data is not None}
        media = [v.id for kids in under.values() for i, v in kids
                 if v is not None and i.kind is Kind.MEDIA]
        if item.kind is Kind.MEDIA and versions:
            media.append(versions[-1].id)
        purged = {v.id for v, _, gone in read if gone} & set(media)
        loaded = _Loaded(self.reading, contents, purged)
        post = _view(loaded, item, account, versions, under, depth=0)
        history = tuple(_version_view(loaded, v) for v in versions)
        standing = self._standing(versions[-1], checkpoint) if versions else None
        own = [(i, v) for i, v in under.get(item.native_id, []) if i.kind is Kind.MEDIA]
        if item.kind is Kind.MEDIA and versions:
            own.insert(0, (item, versions[-1]))
        files = tuple(_download(loaded, item, media, version) for media, version in own
                      if version is not None and version.id not in purged)
        return RecordPage(item, account, post, history, versions, standing, cut, files)

    # -- the API's pages --------------------------------------------------------------------

    def thread(self, principal: Principal, item_id: int, limit: int, offset: int
               ) -> tuple[list[tuple[Item, dict | None]], int]:
        """One page of the records directly under a record (comments under a post,
        replies under a comment), oldest first, with their latest content; no direct
        message, media or profile record."""
        item = self.access.item(principal, item_id)
        with self.context.read() as conn:
            shown, total = sql.replies_page(conn, item.account_id, item.native_id,
                                            NOT_IN_THREADS, limit, offset)
            latest = sql.latest_versions(conn, [i.id for i in shown])
        return [(i, self.reading.content(latest[i.id]) if i.id in latest else None)
                for i in shown], total

    def history(self, principal: Principal, item_id: int, limit: int, offset: int
                ) -> tuple[list[tuple[Version, dict | None]], int]:
        """One page of a record's versions in observed order, each with its content
        (None once purged)."""
        self.access.item(principal, item_id)
        with self.context.read() as conn:
            versions, total = sql.history_page(conn, item_id, limit, offset)
        return [(v, self.reading.content(v)) for v in versions], total

    def account_records(self, principal: Principal, account_id: int, limit: int,
                        offset: int) -> tuple[list[tuple[Item, dict | None]], int]:
        """One page of an account's records, newest first, with their latest content;
        direct messages, and what was sent in them, only for those who read them."""
        account = self.access.account(principal, account_id)
        messages = not principal.can(Permission.READ_MESSAGES)
        leave_out = (Kind.MESSAGE,) if messages else ()
        sent = self.access.sent_in_messages() if messages else ()
        with self.context.read() as conn:
            items, total = sql.account_items(conn, account.id, leave_out, limit, offset,
                                             sent)
            latest = sql.latest_versions(conn, [i.id for i in items])
        return [(i, self.reading.content(latest[i.id]) if i.id in latest else None)
                for i in items], total

    # -- media ------------------------------------------------------------------------------

    def media(self, principal: Principal, item_id: int, name: str) -> MediaFile:
        """A media file of a record, as archived, with its archived media type."""
        self.access.item(principal, item_id)
        media_id = self.reading.media_of(item_id).get(name)
        if media_id is None:
            raise NotFound("media file", name)
        latest = self.reading.history(media_id)[-1]
        content = self.reading.content(latest) or {}
        data = self.reading.raw(latest)
        if data is None:
            raise NotFound("media file", name)
        media_type = media_essence(content.get("media_type"))
        return MediaFile(name, media_type, data, inline=inline_media(media_type))

    # -- the ledger ---------------------------------------------------------------------------

    def standing(self, version: Version) -> Standing:
        """The version's ledger entry and the newest checkpoint, its signature checked."""
        with self.context.read() as conn:
            checkpoint = sql.newest_checkpoint(conn)
        return self._standing(version, checkpoint)

    def _standing(self, version: Version, checkpoint) -> Standing:  # noqa: ANN001
        if checkpoint is None:
            return Standing(version.ledger_index, None, None, None, False, False)
        return Standing(version.ledger_index, checkpoint.id, checkpoint.tree_size,
                        checkpoint.created_at, version.ledger_index < checkpoint.tree_size,
                        self._signature(checkpoint.id, checkpoint.body,
                                        bytes(checkpoint.signature)))

    def _account(self, conn, account_id: int) -> Account | None:  # noqa: ANN001
        """An account, read once (account rows are append-only)."""
        found = self._accounts.get(account_id)
        if found is None:
            found = accounts_sql.account(conn, account_id)
            if found is not None:
                self._accounts[account_id] = found
        return found

    @lru_cache(maxsize=64)  # noqa: B019 - one archive per process; checkpoints never change
    def _signature(self, checkpoint_id: int, body: str, signature: bytes) -> bool:
        key = load_public_key(self.context.public_key_b64.encode())
        return signature_valid(key, body, signature)

    def policy(self) -> PolicyDocument | None:
        """The adopted policy as a structured document (None while none is adopted)."""
        return policy_document(self.custody)

    def proof(self, principal: Principal, version_id: int) -> dict:
        """The inclusion proof of a version the principal may see (`Evidence.proof`)."""
        self.access.version_item(principal, version_id)
        return self.evidence.proof(version_id)

    def checked_proof(self, principal: Principal, version_id: int):  # noqa: ANN201
        """The proof checked as a third party would, offline (app/offline.py):
        a ProofResult, or ProofError naming the rule it breaks. Kept per checkpoint."""
        self.access.version_item(principal, version_id)
        with self.context.read() as conn:
            checkpoint = sql.newest_checkpoint(conn)
        return self._checked_proof(version_id, checkpoint.id if checkpoint else None)

    def _check_proof(self, version_id: int, checkpoint_id: int | None):  # noqa: ANN202
        from civicarchive.app.offline import check_proof
        return check_proof(self.evidence.proof(version_id),
                           self.context.public_key_b64.encode())


@dataclass(frozen=True)
class PolicyDocument:
    """The adopted policy as the document `policy render` writes, in structured form:
    sections of blocks, each a dict with its `kind` (paragraph, bullets, definitions,
    table) and plain text only, for a template to mark up with escaping."""

    policy_id: int
    title: str
    sections: list[dict]


def policy_document(custody: Custody) -> PolicyDocument | None:
    """The adopted policy as a structured document; None while none is adopted."""
    from civicarchive.policy.document import policy_sections, title
    from civicarchive.policy.prose import Bullets, Definitions, Paragraph
    if not custody.adopted_any():
        return None
    policy_id, policy = custody.policy()
    sections = []
    for section in policy_sections(policy):
        blocks = []
        for block in section.blocks:
            if isinstance(block, Paragraph):
                blocks.append({"kind": "paragraph", "text": block.text})
            elif isinstance(block, Bullets):
                blocks.append({"kind": "bullets", "items": list(block.items)})
            elif isinstance(block, Definitions):
                blocks.append({"kind": "definitions", "items": [list(i) for i in block.items]})
            else:
                blocks.append({"kind": "table", "header": list(block.header),
                               "rows": [list(r) for r in block.rows]})
        sections.append({"title": section.title, "blocks": blocks})
    return PolicyDocument(policy_id, title(policy), sections)


class _Loaded:
    """The contents and purge marks one record view read, by content hash."""

    def __init__(self, reading: Reading, contents: dict[str, bytes | None],
                 purged: set[int]) -> None:
        self.reading = reading
        self.contents = contents
        self.purged = purged

    def content(self, version: Version | None) -> dict:
        if version is None:
            return {}
        if version.content_sha256 in self.contents:
            data = self.contents[version.content_sha256]
            return orjson.loads(data) if data is not None else {}
        return self.reading.content(version) or {}  # a large blob, kept in the blob store


def _thread(conn, item: Item):  # noqa: ANN001, ANN202
    """Native id -> the records directly under it (with their latest version), down to
    THREAD_DEPTH levels, media records included, to be shown as files; whether a level
    was cut; and the latest versions' (version, content bytes, purged) as
    store/viewing.histories gives them."""
    leave_out = {Kind.MESSAGE, Kind.PROFILE}
    under: dict[str, list[tuple[Item, Version | None]]] = {}
    rows: list[tuple[Version, bytes | None, bool]] = []
    parents, seen, cut = {item.native_id}, {item.native_id}, False
    for _ in range(THREAD_DEPTH):
        found = sql.replies(conn, item.account_id, parents, leave_out, THREAD_LIMIT + 1)
        cut = cut or len(found) > THREAD_LIMIT
        found = [f for f in found[:THREAD_LIMIT] if f.id != item.id]
        if not found:
            break
        latest = {i: history[-1] for i, history in
                  sql.histories(conn, [f.id for f in found]).items()}
        rows += latest.values()
        for child in found:
            version = latest.get(child.id)
            under.setdefault(child.parent_native_id, []).append(
                (child, version[0] if version else None))
        parents = {f.native_id for f in found if f.kind is not Kind.MEDIA} - seen
        seen |= parents
        if not parents:
            break
    return under, cut, rows


def _view(loaded: _Loaded, item: Item, account: Account, versions: Iterable[Version],
          under: dict[str, list[tuple[Item, Version | None]]], depth: int) -> PostView:
    versions = list(versions)
    latest = versions[-1] if versions else None
    content = loaded.content(latest)
    children = under.get(item.native_id, []) if depth < THREAD_DEPTH else []
    media = [_media_view(loaded, item, child, version) for child, version in children
             if child.kind is Kind.MEDIA]
    if item.kind is Kind.MEDIA and depth == 0:
        media.insert(0, _media_view(loaded, item, item, latest))
    replies = tuple(_view(loaded, child, account, [version] if version else [], under,
                          depth + 1)
                    for child, version in children if child.kind is not Kind.MEDIA)
    events = [v.event for v in versions]
    text = content.get("text")
    facts = [Fact("record", str(item.id)), Fact("native id", item.native_id)]
    if latest is not None:
        facts.append(Fact("ledger entry", str(latest.ledger_index)))
    if audience_restricted(content):  # which is why the open archive never shows it
        facts.append(Fact("visibility", f"{audience(content)}: not shown to everyone"))
    return PostView(
        platform=account.platform,
        display_name=str(content.get("author_name") or content.get("display_name")
                         or content.get("author") or item.author or account.handle),
        handle=account.handle if item.kind is Kind.POST else (item.author or None),
        created_at=item.created_at or item.first_seen_at,
        text=(str(text),) if text else (), html=_text_or_none(content.get("html")),
        title=_text_or_none(content.get("title")), kind=item.kind.value,
        url=item.url, media=tuple(media),
        deleted=bool(events) and events[-1] is Event.DELETED,
        hidden=_hidden(events), edited=Event.EDITED in events,
        replies=replies, facts=tuple(facts), anchor=f"record-{item.id}")


def _media_view(loaded: _Loaded, owner: Item, media: Item, version: Version | None
                ) -> MediaView:
    content = loaded.content(version)
    name = str(content.get("file") or media.native_id)
    media_type = str(content.get("media_type") or "application/octet-stream")
    if version is None or version.id in loaded.purged:
        return MediaView(name, media_type, note="not kept: purged or never captured")
    if media_type.lower().startswith("image/") and not inline_media(media_type):
        # An SVG can carry script: never shown in the page, only downloaded (`files`).
        return MediaView(name, media_type, note="not shown here: download it below")
    return MediaView(name, media_type, src=media_path(owner.id, name),
                     alt=_text_or_none(content.get("alt")))


def _download(loaded: _Loaded, owner: Item, media: Item, version: Version) -> MediaView:
    content = loaded.content(version)
    name = str(content.get("file") or media.native_id)
    return MediaView(name, str(content.get("media_type") or "application/octet-stream"),
                     src=media_path(owner.id, name))


def _version_view(loaded: _Loaded, version: Version) -> VersionView:
    text = loaded.content(version).get("text")
    return VersionView(version.event.value, version.observed_at,
                       (str(text),) if text else (),
                       (Fact("version", str(version.id)),
                        Fact("sha256", version.content_sha256),
                        Fact("ledger entry", str(version.ledger_index))))


def media_path(item_id: int, name: str) -> str:
    """Where the staff application serves a record's media file."""
    from urllib.parse import quote
    return f"/records/{item_id}/media/{quote(name, safe='')}"


def _hidden(events: list[Event]) -> bool:
    shown = [e for e in events if e in (Event.HIDDEN, Event.UNHIDDEN, Event.RESTORED)]
    return bool(shown) and shown[-1] is Event.HIDDEN


def _text_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
