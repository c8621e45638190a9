"""Productions: the records of a request, reviewed and redacted, given to the requester.

`produce` builds the `Production` (model/production.py), where redacted words are already
replaced by `Redaction` markers, and writes from it a PDF with a production number on
every page, CSV, JSONL and a manifest, inside a BagIt evidence package whose WARC and
records carry a redacted rendering, never the captured bytes, for every version of a
redacted record; the inclusion proofs still tie each version's hashes to a signed
checkpoint. A version whose ledger entry names what was redacted (the author, or a URL
holding the handle) cannot be proven without showing the entry: the package leaves it
out altogether, and manifest.json lists it with its hashes and ledger index
(`ENTRY_WITHHELD`), so the archive can prove it to a court from the full ledger.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from pathlib import Path

import orjson

from civicarchive.app.context import ArchiveContext
from civicarchive.app.evidence import Evidence
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry
from civicarchive.app.requests import Requests
from civicarchive.clock import format_time
from civicarchive.errors import InvalidInput
from civicarchive.app.redacting import names_of
from civicarchive.model.production import (CaptureGap, ProducedItem, ProducedMedia,
                                           ProducedVersion, Production, Redaction,
                                           WithheldRecord, plain, production_number)
from civicarchive.model.record import Event, Item, text_of
from civicarchive.records.fields import (Field, FieldRules, RecordFields, identity_terms,
                                        redact_fields)
from civicarchive.records.requests import (Action, FieldRedaction, Mark, MediaRedaction,
                                           RequestState, TextRedaction)
from civicarchive.store import requests as sql
from civicarchive.store.canonical import canonical_json

PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,30}$")
IMAGE_LIMIT = 8 * 2**20  # larger images are named, not embedded


class Productions:
    """Productions of a request."""

    def __init__(self, context: ArchiveContext, registry: Registry, reading: Reading,
                 requests: Requests, evidence: Evidence) -> None:
        self.context = context
        self.registry = registry
        self.reading = reading
        self.requests = requests
        self.evidence = evidence

    def produce(self, request_id: int, actor: str, folder: Path | str | None = None,
                prefix: str | None = None, agency_id: int | None = None) -> dict:
        """Produce every record marked responsive (withheld ones go in the withholding
        log). Refuses while records of the collection are still unreviewed. The
        production is in the name of agency `agency_id` (default: the first). The result
        counts the suggested redactions nobody accepted or rejected (`pending_suggestions`),
        which went out unredacted."""
        from civicarchive import exports
        detail = self.requests.show(request_id)
        state = self.requests.state(request_id)
        number = detail["number"]
        if state.unreviewed():
            raise InvalidInput(f"{len(state.unreviewed())} record(s) of request {number} "
                               "are not reviewed yet: mark them before producing")
        responsive = state.with_mark(Mark.RESPONSIVE)
        if not responsive:
            raise InvalidInput(f"no record of request {number} is marked responsive: "
                               "nothing to produce")
        agency = next((a for a in self.registry.agencies() if a.id == agency_id),
                      self.registry.agencies()[0])
        prefix = (prefix or re.sub(r"[^A-Z0-9]+", "-", agency.slug.upper()).strip("-")[:24]
                  + "-")
        if not PREFIX.match(prefix):
            raise InvalidInput(f"production number prefix {prefix!r}: use capital letters, "
                               "digits, - and _ (at most 31), e.g. CITY-", parameter="prefix")
        with self.context.read() as conn:
            last = sql.last_production_number(conn, prefix)
            sequence = sql.production_count(conn, request_id) + 1
        folder = Path(folder) if folder else \
            self.context.settings.exports_dir / f"{number}-production-{sequence}"
        built = _Builder(self.registry, self.reading, state)
        items = built.tree(responsive)
        gaps = self.evidence.source.capture_gaps([*built.version_ids, *built.entry_withheld])
        handles = {a.id: a.handle if a.id not in built.accounts else
                   plain((Redaction(built.accounts[a.id]),)) for a in self.registry.accounts()}
        production = Production(
            agency=agency.name, title=f"Request {number}, production {sequence}",
            prefix=prefix, first_number=last + 1,
            produced_at=format_time(self.context.clock.now()),
            items=items, withheld=built.withheld_log(),
            gaps=tuple(CaptureGap(g["gap"], handles.get(g["account"], str(g["account"])),
                                  g["from"], g["to"], g["cause"]) for g in gaps["gaps"]))
        rendered = exports.render_production(production)
        first, last_number = production.first_number, production.first_number + \
            rendered.pages - 1
        numbers = (production_number(prefix, first), production_number(prefix, last_number))
        csv_text, jsonl = io.StringIO(), io.BytesIO()
        exports.write_csv(production, rendered.ranges, csv_text)
        exports.write_jsonl(production, rendered.ranges, jsonl)
        manifest = canonical_json(_manifest(production, rendered, numbers, built))
        existed = folder.exists()  # and empty: write_evidence_package refuses it otherwise
        exports.write_evidence_package(
            self.evidence.source, built.version_ids, folder, redacted=built.redacted,
            extra={"production.pdf": rendered.pdf,
                   "production.csv": csv_text.getvalue().encode(),
                   "production.jsonl": jsonl.getvalue(), "manifest.json": manifest},
            description=f"{production.title} for {detail['requester']}: "
                        f"{len(built.produced)} record(s) on {rendered.pages} page(s) "
                        f"numbered {numbers[0]}-{numbers[1]}; {len(production.withheld)} "
                        "record(s) withheld (see the withholding log in production.pdf and "
                        "manifest.json)" + (
                            f"; {len(built.entry_withheld)} version(s) produced but not proven "
                            "here, as their ledger entries name a redacted author, handle or "
                            "URL (their hashes are in manifest.json)"
                            if built.entry_withheld else "") + ".", gaps=gaps)
        digest = hashlib.sha256(manifest).hexdigest()
        try:
            with self.context.write() as tx:
                # The numbers were taken from the last production read before the package
                # was written; one made meanwhile with the same prefix may have used them.
                if sql.last_production_number(tx.conn, prefix) != last:
                    raise InvalidInput(f"another production numbered with {prefix} was made "
                                       f"while this one was being written, and took its "
                                       f"numbers: nothing was produced; produce again",
                                       parameter="prefix")
                production_id = sql.add_production(tx, {
                    "request_id": request_id, "prefix": prefix, "first_number": first,
                    "last_number": last_number, "items": len(built.produced),
                    "withheld": len(production.withheld), "folder": str(folder),
                    "manifest_sha256": digest}, actor)
                self.requests.record_event(tx, request_id, Action.PRODUCED, {
                    "production": production_id, "first": first, "last": last_number,
                    "items": len(built.produced), "withheld": len(production.withheld),
                    "manifest_sha256": digest, "prefix": prefix, "folder": str(folder)},
                    actor)
        except BaseException:  # a package that no production records is none: remove it
            exports.discard(folder, remove=not existed)
            raise
        return {"id": production_id, "folder": str(folder), "pages": rendered.pages,
                "numbers": list(numbers), "items": len(built.produced),
                "withheld": len(production.withheld),
                "redacted_versions": len(built.redacted) + len(built.entry_withheld),
                "unproven_versions": len(built.entry_withheld),
                "capture_gaps": len(production.gaps),
                "pending_suggestions": sum(s["decision"] == "pending" for s in
                                           self.requests.suggestions(request_id)),
                "manifest_sha256": digest}

    def preview(self, request_id: int, item_id: int) -> ProducedItem:
        """How one record of the request would be produced now, with its redactions
        applied (its thread left out); for the redaction editor."""
        state = self.requests.state(request_id)
        if item_id not in state.items:
            raise InvalidInput(f"item {item_id} is not in request {request_id}'s collection")
        return _Builder(self.registry, self.reading, state).alone(item_id)


def build_items(registry: Registry, reading: Reading, state: RequestState,
                top: list[int]) -> tuple[ProducedItem, ...]:
    """The records `top` as a production shows them: each with its thread of the records
    `state` marks (responsive ones produced, withheld ones as markers), and every
    redaction of `state` applied. The open archive builds its records this way, so that
    what it shows is what a production would."""
    return _Builder(registry, reading, state).tree(top)


class _Builder:
    """Turns a request's marked records into produced items, collecting the versions the
    package must prove and the redacted renderings that replace their payloads."""

    def __init__(self, registry: Registry, reading: Reading, state: RequestState) -> None:
        self.registry = registry
        self.reading = reading
        self.state = state
        self.responsive = set(state.with_mark(Mark.RESPONSIVE))
        self.withheld = set(state.with_mark(Mark.WITHHELD))
        self.produced: list[int] = []
        self.version_ids: list[int] = []
        self.redacted: dict[int, bytes] = {}
        self.items: dict[int, Item] = {i: reading.item(i) for i in
                                       self.responsive | self.withheld}
        self.media = {i: reading.media_of(i) for i in self.responsive}
        self.purged = reading.purged_of(set(self.items) | {
            m for names in self.media.values() for m in names.values()})
        # Versions whose ledger entry names a redacted author or URL: the package cannot
        # carry their entries, so they are listed, with their hashes, not proven in it.
        self.entry_withheld: set[int] = set()
        # Media files a reviewer withheld, by their media record, with the reason: withheld
        # wherever they would appear, under their post or as a record of the collection.
        self.withheld_media: dict[int, str] = {}
        for redaction in state.redactions.values():
            if isinstance(redaction, MediaRedaction):
                media = self.media.get(redaction.item) or reading.media_of(redaction.item)
                media_id = media.get(redaction.media)
                if media_id is not None:
                    self.withheld_media.setdefault(media_id, redaction.reason)
        self._identities()

    def _identities(self) -> None:
        """The author and handle redactions of the request, which reach every produced
        record of the same author (same platform and author) or account, and hide the
        name or handle wherever it appears in the production."""
        self.authors: dict[tuple[str, str], str] = {}   # (platform, author) -> reason
        self.accounts: dict[int, str] = {}              # account id -> reason
        terms = []
        for redaction in self.state.redactions.values():
            if not isinstance(redaction, FieldRedaction) or redaction.field not in (
                    Field.AUTHOR, Field.HANDLE):
                continue
            item = self.items.get(redaction.item) or self.reading.item(redaction.item)
            account = self.registry.account(item.account_id)
            if redaction.field == Field.AUTHOR:
                names = names_of(item.author, self._contents(redaction.item))
                if item.author:
                    self.authors.setdefault((account.platform, _who(item.author)),
                                            redaction.reason)
            else:
                names = [account.handle]
                self.accounts.setdefault(item.account_id, redaction.reason)
            terms += identity_terms(names, redaction.reason)
        self.terms = tuple(terms)

    def _contents(self, item_id: int) -> list[dict]:
        return [c for v in self.reading.history(item_id) if v.id not in self.purged
                and isinstance(c := self.reading.content(v), dict)]

    def _rules(self, item_id: int, item: Item, platform: str) -> FieldRules:
        own = self.state.redactions_of(item_id)
        fields = {r.field: r.reason for r in own if isinstance(r, FieldRedaction)}
        phrases = [(r.phrase, r.reason) for r in own if isinstance(r, TextRedaction)]
        phrases += [(r.url, r.reason) for r in own
                    if isinstance(r, FieldRedaction) and r.field == Field.URL]
        return FieldRules(
            author=self.authors.get((platform, _who(item.author))) if item.author else None,
            handle=self.accounts.get(item.account_id), permalink=fields.get(Field.PERMALINK),
            urls=fields.get(Field.URLS), terms=self.terms, phrases=tuple(phrases))

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

    def alone(self, item_id: int) -> ProducedItem:
        """One record produced by itself (its thread left out), whatever its mark."""
        self.responsive.add(item_id)
        self.items.setdefault(item_id, self.reading.item(item_id))
        self.media.setdefault(item_id, self.reading.media_of(item_id))
        self.purged = set(self.purged) | self.reading.purged_of(
            {item_id, *self.media[item_id].values()})
        return self._item(item_id, {})

    def withheld_log(self) -> tuple[WithheldRecord, ...]:
        return tuple(self._withheld(i) for i in sorted(self.withheld))

    def _withheld(self, item_id: int) -> WithheldRecord:
        item, mark = self.items[item_id], self.state.marks[item_id]
        return WithheldRecord(item_id=item_id, kind=str(item.kind), created_at=item.created_at,
                              exemption=mark.exemption or "", citation=mark.citation or "")

    def _item(self, item_id: int, children: dict[int, list[int]]) -> ProducedItem:
        reading, item = self.reading, self.items[item_id]
        self.produced.append(item_id)
        account = self.registry.account(item.account_id)
        redactions = self.state.redactions_of(item_id)
        media_redactions = {r.media: r.reason for r in redactions
                            if isinstance(r, MediaRedaction)}
        history = [v for v in reading.history(item_id) if v.id not in self.purged]
        rules = self._rules(item_id, item, account.platform)
        fields = redact_fields(RecordFields(
            item.author, account.handle, item.url, item.native_id,
            tuple(text_of(reading.content(v)) for v in history)), rules)
        if item_id in self.withheld_media:  # a withheld file's own record: its name (the
            hidden = (Redaction(self.withheld_media[item_id]),)  # native id) and alt text
            fields = replace(fields, native_id=hidden, texts=tuple(hidden for _ in history))
        # The entry restates author, url, native id and parent: none may name a redaction.
        withhold_entry = fields.fields_redacted or item_id in self.withheld_media or any(
            isinstance(s, Redaction) for s in redact_fields(RecordFields(
                None, "", None, item.parent_native_id or "", ()), rules).native_id)
        redacted = bool(redactions) or withhold_entry or any(
            isinstance(s, Redaction) for text in fields.texts for s in text)
        versions = []
        for version, shown in zip(history, fields.texts):
            versions.append(ProducedVersion(
                version_id=version.id, event=version.event.value,
                observed_at=version.observed_at, recorded_at=version.recorded_at,
                text=shown, content_sha256=version.content_sha256,
                raw_sha256=version.raw_sha256, ledger_index=version.ledger_index,
                source=version.source))
            if withhold_entry:
                self.entry_withheld.add(version.id)
                continue
            self.version_ids.append(version.id)
            if redacted:
                self.redacted[version.id] = orjson.dumps(
                    {"item": item_id, "version": version.id, "event": version.event.value,
                     "text": plain(shown), "redacted": True}, option=orjson.OPT_SORT_KEYS)
        events = [Event(v.event) for v in versions]
        visibility = [e for e in events if e in (Event.HIDDEN, Event.UNHIDDEN)]
        thread = tuple(self._item(c, children) if c in self.responsive else self._withheld(c)
                       for c in children.get(item_id, []))
        return ProducedItem(
            item_id=item_id, platform=account.platform, account=plain(fields.handle),
            kind=str(item.kind), native_id=plain(fields.native_id), url=fields.url,
            author=fields.author, handle=fields.handle,
            created_at=item.created_at, first_seen_at=item.first_seen_at,
            versions=tuple(versions), deleted=bool(events) and events[-1] is Event.DELETED,
            hidden=bool(visibility) and visibility[-1] is Event.HIDDEN,
            media=self._media(item_id, media_redactions, withhold_entry), thread=thread)

    def _media(self, item_id: int, withheld: dict[str, str], withhold_entry: bool
               ) -> tuple[ProducedMedia, ...]:
        reading, found = self.reading, []
        for number, (name, media_id) in enumerate(sorted(self.media[item_id].items()), 1):
            history = [v for v in reading.history(media_id) if v.id not in self.purged]
            if not history:
                continue
            latest = history[-1]
            content = reading.content(latest) or {}
            media_type = str(content.get("media_type") or "application/octet-stream")
            reason = withheld.get(name) or self.withheld_media.get(media_id)
            if reason:  # nor its name, which can name a person (kidphoto-jane.png)
                found.append(ProducedMedia(f"no. {number} (name withheld)", media_type,
                                           None, reason))
                if media_id != item_id:  # its entry names the file: listed, not proven
                    self.entry_withheld.update(v.id for v in history)
                continue
            raw = reading.raw(latest) if media_type.startswith("image/") else None
            found.append(ProducedMedia(name, media_type,
                                       raw if raw and len(raw) <= IMAGE_LIMIT else None))
            if media_id == item_id:  # the record itself: `_item` proves its versions
                continue
            if withhold_entry:  # its entry names the author
                self.entry_withheld.update(v.id for v in history)
            else:  # a media record of its own: prove its versions too
                self.version_ids.extend(v.id for v in history)
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
                              "payload": _payload(v.version_id, built)}
                             for v in item.versions],
                "thread": [entry(c) if isinstance(c, ProducedItem) else {"withheld": c.item_id}
                           for c in item.thread]}
    return {"title": production.title, "agency": production.agency,
            "produced_at": production.produced_at, "prefix": production.prefix,
            "first_number": numbers[0], "last_number": numbers[1],
            "pages": rendered.pages, "items": [entry(i) for i in production.items],
            "withheld": [{"item": w.item_id, "kind": w.kind, "created_at": w.created_at,
                          "exemption": w.exemption, "citation": w.citation}
                         for w in production.withheld],
            "capture_gaps": [{"gap": g.gap_id, "account": g.account, "from": g.gap_from,
                              "to": g.gap_to, "cause": g.cause} for g in production.gaps]}


ENTRY_WITHHELD = ("withheld: its ledger entry names what was redacted, so neither the entry "
                  "nor the captured bytes are in this package; the hashes above identify them")


def _payload(version_id: int, built: _Builder) -> str:
    if version_id in built.entry_withheld:
        return ENTRY_WITHHELD
    return "redacted rendering" if version_id in built.redacted else "captured bytes"


def _who(author: str | None) -> str:
    """An author as compared across records: case and a leading @ do not matter."""
    return (author or "").strip().removeprefix("@").lower()
