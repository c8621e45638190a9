"""Productions: the records of a request, reviewed and redacted, given to the requester.

Mixed into `Archive`. `produce` builds the `Production` (model/production.py), where
redacted words are already replaced by `Redaction` markers, and writes from it a PDF with
a production number on every page, CSV, JSONL and a manifest, inside a BagIt evidence
package whose WARC and records carry a redacted rendering, never the captured bytes, for
every version of a redacted record; the inclusion proofs still tie each version's hashes
to a signed checkpoint.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import orjson
import sqlalchemy as sa

from civicarchive import exports
from civicarchive.errors import InvalidInput
from civicarchive.model.production import (ProducedItem, ProducedMedia, ProducedVersion,
                                           Production, WithheldRecord, plain,
                                           production_number)
from civicarchive.clock import format_time
from civicarchive.model.record import Event, Item, text_of
from civicarchive.records.redaction import apply, span_of
from civicarchive.records.requests import Action, Mark, MediaRedaction, RequestState
from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json

PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,30}$")
IMAGE_LIMIT = 8 * 2**20  # larger images are named, not embedded


class Producing:
    """Productions of a request; needs Casework and the archive's readers."""

    def produce(self, request_id: int, actor: str, folder: Path | str | None = None,
                prefix: str | None = None) -> dict:
        """Produce every record marked responsive (withheld ones go in the withholding
        log). Refuses while records of the collection are still unreviewed."""
        with self.store.read() as conn:
            row = self._request_row(conn, request_id)
            state = self._state(conn, request_id)
        if state.unreviewed():
            raise InvalidInput(f"{len(state.unreviewed())} record(s) of request {row.number} "
                               "are not reviewed yet: mark them with `civicarchive requests "
                               "mark` before producing")
        responsive = state.with_mark(Mark.RESPONSIVE)
        if not responsive:
            raise InvalidInput(f"no record of request {row.number} is marked responsive: "
                               "nothing to produce")
        agency = self.agencies()[0]
        prefix = (prefix or re.sub(r"[^A-Z0-9]+", "-", agency.slug.upper()).strip("-")[:24]
                  + "-")
        if not PREFIX.match(prefix):
            raise InvalidInput(f"production number prefix {prefix!r}: use capital letters, "
                               "digits, - and _ (at most 31), e.g. CITY-")
        with self.store.read() as conn:
            last = conn.execute(sa.select(sa.func.max(t.productions.c.last_number)).where(
                t.productions.c.prefix == prefix)).scalar()
            sequence = conn.execute(sa.select(sa.func.count()).where(
                t.productions.c.request_id == request_id)).scalar_one() + 1
        folder = Path(folder) if folder else \
            self.settings.exports_dir / f"{row.number}-production-{sequence}"
        built = _Builder(self, state)
        production = Production(
            agency=agency.name, title=f"Request {row.number}, production {sequence}",
            prefix=prefix, first_number=(last or 0) + 1,
            produced_at=format_time(self.clock.now()),
            items=built.tree(responsive), withheld=built.withheld_log())
        rendered = exports.render_production(production)
        first, last_number = production.first_number, production.first_number + \
            rendered.pages - 1
        numbers = (production_number(prefix, first), production_number(prefix, last_number))
        csv_text, jsonl = io.StringIO(), io.BytesIO()
        exports.write_csv(production, rendered.ranges, csv_text)
        exports.write_jsonl(production, rendered.ranges, jsonl)
        manifest = canonical_json(_manifest(production, rendered, numbers, built))
        exports.write_evidence_package(
            self, built.version_ids, folder, redacted=built.redacted,
            extra={"production.pdf": rendered.pdf,
                   "production.csv": csv_text.getvalue().encode(),
                   "production.jsonl": jsonl.getvalue(), "manifest.json": manifest},
            description=f"{production.title} for {row.requester}: {len(built.produced)} "
                        f"record(s) on {rendered.pages} page(s) numbered "
                        f"{numbers[0]}-{numbers[1]}; {len(production.withheld)} "
                        "record(s) withheld (see the withholding log in production.pdf and "
                        "manifest.json).")
        digest = hashlib.sha256(manifest).hexdigest()
        with self._write() as tx:
            production_id = tx.next_id("productions")
            tx.conn.execute(t.productions.insert(), [{
                "id": production_id, "request_id": request_id, "prefix": prefix,
                "first_number": first, "last_number": last_number,
                "items": len(built.produced), "withheld": len(production.withheld),
                "folder": str(folder), "manifest_sha256": digest, "produced_at": tx.now,
                "produced_by": actor}])
            self._add_event(tx, request_id, Action.PRODUCED, {
                "production": production_id, "first": first, "last": last_number,
                "items": len(built.produced), "withheld": len(production.withheld),
                "manifest_sha256": digest}, actor)
        return {"id": production_id, "folder": str(folder), "pages": rendered.pages,
                "numbers": list(numbers), "items": len(built.produced),
                "withheld": len(production.withheld), "redacted_versions": len(built.redacted),
                "manifest_sha256": digest}


class _Builder:
    """Turns a request's marked records into produced items, collecting the versions the
    package must prove and the redacted renderings that replace their payloads."""

    def __init__(self, archive, state: RequestState) -> None:  # noqa: ANN001
        self.archive = archive
        self.state = state
        self.responsive = set(state.with_mark(Mark.RESPONSIVE))
        self.withheld = set(state.with_mark(Mark.WITHHELD))
        self.produced: list[int] = []
        self.version_ids: list[int] = []
        self.redacted: dict[int, bytes] = {}
        self.items: dict[int, Item] = {i: archive.item(i) for i in
                                       self.responsive | self.withheld}

    def tree(self, responsive: list[int]) -> tuple[ProducedItem, ...]:
        by_key = {(item.account_id, item.native_id): item_id
                  for item_id, item in self.items.items()}
        children: dict[int, list[int]] = {}
        top = []
        for item_id in sorted(self.items):
            item = self.items[item_id]
            parent = by_key.get((item.account_id, item.parent_native_id))
            if parent is not None and parent != item_id and parent in self.responsive:
                children.setdefault(parent, []).append(item_id)
            elif item_id in self.responsive:
                top.append(item_id)
        return tuple(self._item(i, children) for i in top)

    def withheld_log(self) -> tuple[WithheldRecord, ...]:
        return tuple(self._withheld(i) for i in sorted(self.withheld))

    def _withheld(self, item_id: int) -> WithheldRecord:
        item, mark = self.items[item_id], self.state.marks[item_id]
        return WithheldRecord(item_id=item_id, kind=str(item.kind), created_at=item.created_at,
                              exemption=mark.exemption or "", citation=mark.citation or "")

    def _item(self, item_id: int, children: dict[int, list[int]]) -> ProducedItem:
        archive, item = self.archive, self.items[item_id]
        self.produced.append(item_id)
        account = archive.account(item.account_id)
        redactions = self.state.redactions_of(item_id)
        phrases = [(r.phrase, r.reason) for r in redactions if not isinstance(r, MediaRedaction)]
        media_redactions = {r.media: r.reason for r in redactions
                            if isinstance(r, MediaRedaction)}
        versions = []
        for version in archive.history(item_id):
            if archive.purged(version.id):
                continue
            text = text_of(archive.content(version))
            spans = [(s, e, reason) for phrase, reason in phrases
                     for s, e in span_of(text, phrase)]
            shown = apply(text, spans)
            versions.append(ProducedVersion(
                version_id=version.id, event=version.event.value,
                observed_at=version.observed_at, recorded_at=version.recorded_at,
                text=shown, content_sha256=version.content_sha256,
                raw_sha256=version.raw_sha256, ledger_index=version.ledger_index,
                source=version.source))
            self.version_ids.append(version.id)
            if redactions:
                self.redacted[version.id] = orjson.dumps(
                    {"item": item_id, "version": version.id, "event": version.event.value,
                     "text": plain(shown), "redacted": True}, option=orjson.OPT_SORT_KEYS)
        events = [Event(v.event) for v in versions]
        visibility = [e for e in events if e in (Event.HIDDEN, Event.UNHIDDEN)]
        thread = tuple(self._item(c, children) if c in self.responsive else self._withheld(c)
                       for c in children.get(item_id, []))
        return ProducedItem(
            item_id=item_id, platform=account.platform, account=account.handle,
            kind=str(item.kind), native_id=item.native_id, url=item.url, author=item.author,
            created_at=item.created_at, first_seen_at=item.first_seen_at,
            versions=tuple(versions), deleted=bool(events) and events[-1] is Event.DELETED,
            hidden=bool(visibility) and visibility[-1] is Event.HIDDEN,
            media=self._media(item_id, media_redactions), thread=thread)

    def _media(self, item_id: int, withheld: dict[str, str]) -> tuple[ProducedMedia, ...]:
        archive, found = self.archive, []
        for name, media_id in sorted(archive._media_names(item_id).items()):
            history = [v for v in archive.history(media_id) if not archive.purged(v.id)]
            if not history:
                continue
            latest = history[-1]
            content = archive.content(latest) or {}
            media_type = str(content.get("media_type") or "application/octet-stream")
            if name in withheld:
                found.append(ProducedMedia(name, media_type, None, withheld[name]))
                rendering = {"item": media_id, "withheld": withheld[name], "redacted": True}
            else:
                raw = archive.raw(latest) if media_type.startswith("image/") else None
                found.append(ProducedMedia(name, media_type,
                                           raw if raw and len(raw) <= IMAGE_LIMIT else None))
                rendering = None
            for version in history:
                if media_id != item_id:  # a media record of its own: prove its versions too
                    self.version_ids.append(version.id)
                if rendering is not None:
                    self.redacted[version.id] = orjson.dumps(
                        {**rendering, "version": version.id}, option=orjson.OPT_SORT_KEYS)
        return tuple(found)


def _manifest(production: Production, rendered, numbers: tuple[str, str],  # noqa: ANN001
              built: _Builder) -> dict:
    def entry(item: ProducedItem) -> dict:
        first, last = rendered.ranges.get(item.item_id, (None, None))
        return {"item": item.item_id, "kind": item.kind, "platform": item.platform,
                "native_id": item.native_id, "first_number": first, "last_number": last,
                "redacted": item.redacted,
                "versions": [{"version": v.version_id, "event": v.event,
                              "content_sha256": v.content_sha256, "raw_sha256": v.raw_sha256,
                              "ledger_index": v.ledger_index,
                              "payload": "redacted rendering" if v.version_id in
                              built.redacted else "captured bytes"} for v in item.versions],
                "thread": [entry(c) if isinstance(c, ProducedItem) else {"withheld": c.item_id}
                           for c in item.thread]}
    return {"title": production.title, "agency": production.agency,
            "produced_at": production.produced_at, "prefix": production.prefix,
            "first_number": numbers[0], "last_number": numbers[1],
            "pages": rendered.pages, "items": [entry(i) for i in production.items],
            "withheld": [{"item": w.item_id, "kind": w.kind, "created_at": w.created_at,
                          "exemption": w.exemption, "citation": w.citation}
                         for w in production.withheld]}
