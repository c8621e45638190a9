"""Turning a batch of observations into versions, blobs and ledger entries.

Runs inside one write transaction: the batch lands whole or not at all, and re-running
it adds nothing that is already there, so an interrupted ingest is finished by running it
again.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa

from civicarchive.clock import format_time
from civicarchive.model.record import Event, Observation
from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json
from civicarchive.store.entries import EntryKind, version_entry_of
from civicarchive.store.sql import WriteTx
from civicarchive.store.versioning import History, decide

EMPTY_CONTENT = b"{}"
_EVENT_TEXT = {event: event.value for event in Event}
ITEM_COLUMNS = ("id", "account_id", "native_id", "kind", "parent_native_id", "author", "url",
                "created_at", "first_seen_at")
VERSION_COLUMNS = ("id", "item_id", "event", "observed_at", "recorded_at", "content_sha256",
                   "raw_sha256", "source", "ledger_index")


class Prepared(NamedTuple):
    """An observation flattened, with its bytes and hashes worked out before the write
    lock (and cheap to hand from a worker process: a plain tuple)."""

    account_id: int
    native_id: str
    kind: str
    observed_at: str
    created_at: str | None
    author: str | None
    parent_native_id: str | None
    url: str | None
    event: Event | None
    content: bytes | None
    content_sha256: bytes | None
    raw: bytes | None
    raw_sha256: bytes | None
    raw_media_type: str

    @classmethod
    def of(cls, obs: Observation) -> Prepared:
        content = canonical_json(obs.content) if obs.content is not None else None
        return cls(
            obs.account_id, obs.native_id, obs.kind.value, format_time(obs.observed_at),
            format_time(obs.created_at) if obs.created_at else None, obs.author,
            obs.parent_native_id, obs.url, obs.event, content,
            hashlib.sha256(content).digest() if content is not None else None,
            obs.raw, hashlib.sha256(obs.raw).digest() if obs.raw is not None else None,
            obs.raw_media_type)


@dataclass
class IngestReport:
    observations: int = 0
    unchanged: int = 0
    events: Counter = field(default_factory=Counter)
    batches: int = 0  # transactions (counted by the caller that commits them)
    by_kind: dict[str, Counter] = field(default_factory=dict)  # kind -> event/unchanged
    # Of this batch only (not summed by `add`), for the search index to follow the ingest:
    # (version id, item id, observation) of records first seen here, created with content,
    # and the items that gained a version otherwise.
    fresh: list[tuple[int, int, Prepared]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    item_ids: list[int] = field(default_factory=list)  # every item observed, in order
    entries: range = range(0)  # the ledger positions the batch wrote

    @property
    def versions(self) -> int:
        return sum(self.events.values())

    def add(self, other: IngestReport) -> None:
        self.observations += other.observations
        self.unchanged += other.unchanged
        self.events.update(other.events)
        self.batches += other.batches
        for kind, counts in other.by_kind.items():
            self.by_kind.setdefault(kind, Counter()).update(counts)

    def as_dict(self) -> dict:
        return {"observations": self.observations, "versions": self.versions,
                "unchanged": self.unchanged, "batches": self.batches,
                **{event.value: self.events.get(event, 0) for event in Event},
                "by_kind": {kind: {outcome: counts.get(outcome, 0)
                                   for outcome in [*(e.value for e in Event), "unchanged"]}
                            for kind, counts in sorted(self.by_kind.items())}}


def ingest_batch(tx: WriteTx, batch: Sequence[tuple], platforms: dict[int, str], source: str,
                 actor: str) -> IngestReport:
    """Record the versions a batch adds; `platforms` maps each account id to its platform.
    The batch's entries are tuples in `Prepared`'s field order (Prepared or plain)."""
    report = IngestReport(observations=len(batch))
    items, histories = _load_items(tx, batch)
    # The hot loop of bulk ingest: fields unpacked, names bound once, rows kept as tuples,
    # counts kept flat and folded at the end, ledger entries hashed together after the
    # loop (nothing else appends meanwhile).
    firsts: dict[int, tuple] = {}  # item -> its one version so far, when first seen here
    outcomes: Counter = Counter()  # (kind, event or None for unchanged)
    entries: list[bytes] = []
    first_index = tx.ledger.size
    now, next_id, put_blob = tx.now, tx.next_id, tx.put_blob
    item_rows, version_rows = tx.bulk("items", ITEM_COLUMNS), tx.bulk("versions", VERSION_COLUMNS)
    item_ids, fresh, touched = report.item_ids, report.fresh, report.touched
    next_item = next_version = None
    for p in batch:
        (account_id, native_id, kind, observed_at, created_at, author, parent_native_id, url,
         p_event, content, content_sha256, raw, raw_sha256, raw_media_type) = p
        key = (account_id, native_id)
        item = items.get(key)
        if item is None:
            if next_item is None:
                next_item = next_id("items")
            item_id, next_item = next_item, next_item + 1
            items[key] = item = (item_id, kind, parent_native_id, author, url, created_at)
            item_rows.append((item_id, account_id, native_id, kind, parent_native_id, author,
                              url, created_at, observed_at))
        else:
            item_id = item[0]
        item_ids.append(item_id)
        history = histories.get(item_id)
        if history is None and item_id in firsts:  # seen before in this batch
            histories[item_id] = history = History()
            history.insert(*firsts.pop(item_id))
        if history is None:  # first sighting: the common case in a bulk import
            predecessor = None
            event = decide(None, p_event, content_sha256)
        else:
            predecessor = history.predecessor(observed_at)
            event = None if history.seen(observed_at, content_sha256, p_event) else \
                decide(predecessor, p_event, content_sha256)
        if event is None:
            outcomes[kind, None] += 1
            continue
        if content is not None and raw is not None:  # (as _hashes does, inline)
            put_blob(content_sha256, content, "application/json")
            put_blob(raw_sha256, raw, raw_media_type)
        else:
            content_sha256, raw_sha256 = _hashes(tx, p, predecessor)
        if next_version is None:
            next_version = next_id("versions")
        version_id, next_version = next_version, next_version + 1
        event_text = _EVENT_TEXT[event]
        _, item_kind, item_parent, item_author, item_url, item_created = item
        entries.append(version_entry_of((
            None, version_id, item_id, event_text, observed_at, now, content_sha256,
            raw_sha256, source, account_id, native_id, item_kind, item_parent, item_author,
            item_url, item_created, platforms[account_id])))
        version_rows.append((version_id, item_id, event_text, observed_at, now, content_sha256,
                             raw_sha256, source, first_index + len(entries) - 1))
        if history is None:
            firsts[item_id] = (observed_at, version_id, event, content_sha256, raw_sha256)
            if event is Event.CREATED and content is not None:
                fresh.append((version_id, item_id, p))
            else:
                touched.add(item_id)
        else:
            touched.add(item_id)
            history.insert(observed_at, version_id, event, content_sha256, raw_sha256)
        outcomes[kind, event] += 1
    if next_item is not None:
        tx.skip_ids("items", next_item)
    if next_version is not None:
        tx.skip_ids("versions", next_version)
    if entries:
        tx.ledger.extend(EntryKind.VERSION, entries)
    for (kind, event), n in outcomes.items():
        if event is None:
            report.unchanged += n
        else:
            report.events[event] += n
        report.by_kind.setdefault(kind, Counter())[
            "unchanged" if event is None else _EVENT_TEXT[event]] += n
    tx.audit(actor, "ingest", source, {"observations": report.observations,
                                       "versions": report.versions,
                                       "unchanged": report.unchanged})
    report.entries = range(first_index, tx.ledger.size)
    return report


def _hashes(tx: WriteTx, p: tuple, predecessor) -> tuple[bytes, bytes]:  # noqa: ANN001
    """Store the observation's content and raw bytes; absent ones carry over."""
    p = Prepared._make(p)
    if p.content is not None:
        content_sha256 = p.content_sha256
        tx.put_blob(content_sha256, p.content, "application/json")
    elif predecessor is not None:
        content_sha256 = predecessor.content_sha256
    else:  # a deletion of an item never seen before, with nothing of its content
        content_sha256 = hashlib.sha256(EMPTY_CONTENT).digest()
        tx.put_blob(content_sha256, EMPTY_CONTENT, "application/json")
    if p.raw is not None:
        raw_sha256 = p.raw_sha256
        tx.put_blob(raw_sha256, p.raw, p.raw_media_type)
    elif predecessor is not None:
        raw_sha256 = predecessor.raw_sha256
    else:
        raw_sha256 = hashlib.sha256(b"").digest()
        tx.put_blob(raw_sha256, b"", "application/octet-stream")
    return content_sha256, raw_sha256


def _load_items(tx: WriteTx, batch: Sequence[tuple]) -> tuple[dict, dict]:
    """The batch's items already stored, as (account, native id) -> (id, kind, parent,
    author, url, created at), and their histories."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for p in batch:
        wanted[p[0]].add(p[1])
    items: dict[tuple[int, str], tuple] = {}
    i = t.items.c
    for account_id, native_ids in wanted.items():
        rows = tx.conn.execute(sa.select(i.native_id, i.id, i.kind, i.parent_native_id,
                                         i.author, i.url, i.created_at).where(
            i.account_id == account_id, tx.store.member_of(i.native_id, native_ids)))
        for native_id, *item in rows:
            items[(account_id, native_id)] = tuple(item)
    rows_by_item: dict[int, list] = defaultdict(list)
    ids = sorted(item[0] for item in items.values())
    if ids:
        v = t.versions.c
        for row in tx.conn.execute(sa.select(v.item_id, v.observed_at, v.id, v.event,
                                             v.content_sha256, v.raw_sha256)
                                   .where(tx.store.member_of(v.item_id, ids))):
            rows_by_item[row.item_id].append((row.observed_at, row.id, Event(row.event),
                                              row.content_sha256, row.raw_sha256))
    histories = {i: History.replay(rows_by_item.get(i, [])) for i in ids}
    return items, histories
