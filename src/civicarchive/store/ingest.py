"""Turning a batch of observations into versions, blobs and ledger entries.

Runs inside one write transaction: the batch lands whole or not at all, and re-running
it adds nothing that is already there, so an interrupted ingest is finished by running it
again.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
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
    batches: int = 0
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


def ingest_batch(tx: WriteTx, batch: list[Prepared], platforms: dict[int, str], source: str,
                 actor: str) -> IngestReport:
    """Record the versions a batch adds; `platforms` maps each account id to its platform."""
    report = IngestReport(observations=len(batch), batches=1)
    items, histories = _load_items(tx, batch)
    # The hot loop of bulk ingest: names bound once, counts kept flat and folded at the
    # end, ledger entries hashed together after the loop (nothing else appends meanwhile).
    firsts: dict[int, tuple] = {}  # item -> its one version so far, when first seen here
    outcomes: Counter = Counter()  # (kind, event or None for unchanged)
    entries: list[bytes] = []
    first_index = tx.ledger.size
    now, next_id, add, put_blob = tx.now, tx.next_id, tx.add, tx.put_blob
    item_ids, fresh, touched = report.item_ids, report.fresh, report.touched
    for p in batch:
        key = (p.account_id, p.native_id)
        item = items.get(key)
        if item is None:
            item_id = next_id("items")
            items[key] = item = {
                "id": item_id, "account_id": p.account_id, "native_id": p.native_id,
                "kind": p.kind, "parent_native_id": p.parent_native_id, "author": p.author,
                "url": p.url, "created_at": p.created_at, "first_seen_at": p.observed_at}
            add("items", item)
        else:
            item_id = item["id"]
        item_ids.append(item_id)
        history = histories.get(item_id)
        if history is None and item_id in firsts:  # seen before in this batch
            histories[item_id] = history = History()
            history.insert(*firsts.pop(item_id))
        if history is None:  # first sighting: the common case in a bulk import
            predecessor = None
            event = decide(None, p.event, p.content_sha256)
        else:
            predecessor = history.predecessor(p.observed_at)
            event = None if history.seen(p.observed_at, p.content_sha256, p.event) else \
                decide(predecessor, p.event, p.content_sha256)
        if event is None:
            outcomes[p.kind, None] += 1
            continue
        if p.content is not None and p.raw is not None:  # (as _hashes does, inline)
            content_sha256, raw_sha256 = p.content_sha256, p.raw_sha256
            put_blob(content_sha256, p.content, "application/json")
            put_blob(raw_sha256, p.raw, p.raw_media_type)
        else:
            content_sha256, raw_sha256 = _hashes(tx, p, predecessor)
        version_id = next_id("versions")
        event_text = _EVENT_TEXT[event]
        entries.append(version_entry_of((
            None, version_id, item_id, event_text, p.observed_at, now, content_sha256,
            raw_sha256, source, p.account_id, p.native_id, item["kind"],
            item["parent_native_id"], item["author"], item["url"], item["created_at"],
            platforms[p.account_id])))
        add("versions", {
            "id": version_id, "item_id": item_id, "event": event_text,
            "observed_at": p.observed_at, "recorded_at": now,
            "content_sha256": content_sha256, "raw_sha256": raw_sha256, "source": source,
            "ledger_index": first_index + len(entries) - 1})
        if history is None:
            firsts[item_id] = (p.observed_at, version_id, event, content_sha256, raw_sha256)
            if event is Event.CREATED and p.content is not None:
                fresh.append((version_id, item_id, p))
            else:
                touched.add(item_id)
        else:
            touched.add(item_id)
            history.insert(p.observed_at, version_id, event, content_sha256, raw_sha256)
        outcomes[p.kind, event] += 1
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


def _hashes(tx: WriteTx, p: Prepared, predecessor) -> tuple[bytes, bytes]:  # noqa: ANN001
    """Store the observation's content and raw bytes; absent ones carry over."""
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


def _load_items(tx: WriteTx, batch: list[Prepared]) -> tuple[dict, dict]:
    wanted: dict[int, set[str]] = defaultdict(set)
    for p in batch:
        wanted[p.account_id].add(p.native_id)
    items: dict[tuple[int, str], dict] = {}
    for account_id, native_ids in wanted.items():
        rows = tx.conn.execute(sa.select(t.items).where(
            t.items.c.account_id == account_id,
            tx.store.member_of(t.items.c.native_id, native_ids)))
        for row in rows:
            items[(account_id, row.native_id)] = row._asdict()
    rows_by_item: dict[int, list] = defaultdict(list)
    ids = sorted(item["id"] for item in items.values())
    if ids:
        v = t.versions.c
        for row in tx.conn.execute(sa.select(v.item_id, v.observed_at, v.id, v.event,
                                             v.content_sha256, v.raw_sha256)
                                   .where(tx.store.member_of(v.item_id, ids))):
            rows_by_item[row.item_id].append((row.observed_at, row.id, Event(row.event),
                                              row.content_sha256, row.raw_sha256))
    histories = {i: History.replay(rows_by_item.get(i, [])) for i in ids}
    return items, histories
