"""Public records requests: intake with due dates, the collection, review marks,
redactions (with suggestions for personal information) and status. Mixed into `Archive`;
productions are in `producing.py`.

Every action is a `request_events` row (the request's state is those rows folded, see
records/requests.py) and an audit event in the ledger. Redacted words are kept only in
the request's own events, never in the audit log.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import orjson
import sqlalchemy as sa

from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.record import Kind, text_of
from civicarchive.records import deadlines as due, pii
from civicarchive.records.redaction import span_of
from civicarchive.records.requests import (Action, Mark, RequestState, RequestStatus,
                                           deadline_status, fold, review_mark, suggestion_key)
from civicarchive.store import schema as t

MAX_COLLECTED = 100_000
THIRD_PARTY_KINDS = frozenset({Kind.COMMENT, Kind.REPLY, Kind.MESSAGE})


class Casework:
    """Records requests; needs `store`, `clock`, `_write`, `policy`, `search`, `item`."""

    # -- intake -------------------------------------------------------------------------

    def new_request(self, requester: str, received_at: datetime, description: str,
                    actor: str, contact: str | None = None) -> int:
        """Log a request; its due dates come from the adopted policy's deadlines and
        calendar, counted from `received_at` in the agency's local time (give its offset)."""
        if not (requester.strip() and description.strip()):
            raise InvalidInput("a request needs the requester and a description of the "
                               "records asked for")
        if received_at.tzinfo is None:
            raise InvalidInput("give the time the request was received with its UTC offset, "
                               "e.g. 2026-11-04T10:30-08:00")
        policy_id, adopted = self.policy()
        dates = [{"name": d.name, "due": d.due.isoformat(), "days": d.days,
                  "count": d.count.value, "citation": d.citation, "uncertain": d.uncertain}
                 for d in due.due_dates(received_at, adopted.requests)]
        with self._write() as tx:
            request_id = tx.next_id("requests")
            year = received_at.year
            count = tx.conn.execute(sa.select(sa.func.count()).where(
                t.requests.c.number.like(f"R-{year}-%"))).scalar_one()
            number = f"R-{year}-{count + 1:04d}"
            tx.conn.execute(t.requests.insert(), [{
                "id": request_id, "number": number, "requester": requester.strip(),
                "contact": contact, "description": description.strip(),
                "received_at": received_at.isoformat(), "deadlines": orjson.dumps(dates).decode(),
                "policy_id": policy_id, "created_at": tx.now, "created_by": actor}])
            tx.audit(actor, "request.new", f"request {request_id}",
                     {"number": number, "received_at": received_at.isoformat(),
                      "due": [d["due"] for d in dates]})
        return request_id

    # -- reading ------------------------------------------------------------------------

    def _request_row(self, conn: sa.Connection, request_id: int) -> sa.Row:
        row = conn.execute(sa.select(t.requests).where(t.requests.c.id == request_id)).first()
        if row is None:
            raise NotFound("request", request_id)
        return row

    def request_state(self, request_id: int) -> RequestState:
        with self.store.read() as conn:
            self._request_row(conn, request_id)
            return self._state(conn, request_id)

    def _state(self, conn: sa.Connection, request_id: int) -> RequestState:
        e = t.request_events.c
        return fold((row.action, orjson.loads(row.details)) for row in conn.execute(
            sa.select(e.action, e.details).where(e.request_id == request_id).order_by(e.id)))

    def request(self, request_id: int, today: date | None = None) -> dict:
        """A request's details: deadlines (business days left), collection, productions."""
        with self.store.read() as conn:
            row = self._request_row(conn, request_id)
            state = self._state(conn, request_id)
            productions = conn.execute(sa.select(t.productions).where(
                t.productions.c.request_id == request_id).order_by(t.productions.c.id)).all()
        return {"id": row.id, "number": row.number, "requester": row.requester,
                "contact": row.contact, "description": row.description,
                "received_at": row.received_at, "status": state.status.value,
                "deadlines": self._deadlines(row, state, today),
                "items": len(state.items), "unreviewed": len(state.unreviewed()),
                "marks": {m.value: len(state.with_mark(m)) for m in Mark},
                "redactions": len(state.redactions),
                "productions": [{"id": p.id, "numbers": f"{p.prefix}{p.first_number:06d}-"
                                 f"{p.prefix}{p.last_number:06d}", "items": p.items,
                                 "withheld": p.withheld, "folder": p.folder,
                                 "produced_at": p.produced_at, "produced_by": p.produced_by}
                                for p in productions]}

    def _deadlines(self, row: sa.Row, state: RequestState, today: date | None) -> list[dict]:
        _, adopted = self.policy()
        offset = datetime.fromisoformat(row.received_at).tzinfo
        today = today or self.clock.now().astimezone(offset).date()
        return deadline_status(orjson.loads(row.deadlines), today, adopted.requests.holidays,
                               state.status)

    def requests(self, today: date | None = None) -> list[dict]:
        """Every request with its status and the next deadline still open."""
        with self.store.read() as conn:
            ids = [i for (i,) in conn.execute(sa.select(t.requests.c.id).order_by(
                t.requests.c.id))]
        listing = []
        for request_id in ids:
            detail = self.request(request_id, today)
            upcoming = [d for d in detail["deadlines"] if d["business_days_left"] is not None]
            listing.append({key: detail[key] for key in (
                "id", "number", "requester", "received_at", "status", "items", "unreviewed")}
                | {"next_deadline": min(upcoming, key=lambda d: d["due"]) if upcoming
                   else None})
        return listing

    def request_log(self, request_id: int) -> list[dict]:
        """What happened to a request, in order (redacted words are left out)."""
        e = t.request_events.c
        with self.store.read() as conn:
            self._request_row(conn, request_id)
            rows = conn.execute(sa.select(t.request_events).where(e.request_id == request_id)
                                .order_by(e.id)).all()
        log = []
        for row in rows:
            details = orjson.loads(row.details)
            details.pop("phrase", None)
            log.append({"at": row.at, "actor": row.actor, "action": row.action,
                        "details": details})
        return log

    # -- changing -----------------------------------------------------------------------

    def _event(self, request_id: int, action: Action, details: dict, actor: str,
               audit: dict | None = None) -> None:
        with self._write() as tx:
            self._request_row(tx.conn, request_id)
            self._add_event(tx, request_id, action, details, actor, audit)

    def _add_event(self, tx, request_id: int, action: Action, details: dict,  # noqa: ANN001
                   actor: str, audit: dict | None = None) -> None:
        tx.conn.execute(t.request_events.insert(), [{
            "id": tx.next_id("request_events"), "request_id": request_id, "at": tx.now,
            "actor": actor, "action": action.value,
            "details": orjson.dumps(details).decode()}])
        tx.audit(actor, f"request.{action.value}", f"request {request_id}",
                 details if audit is None else audit)

    def collect(self, request_id: int, actor: str, items: list[int] | None = None,
                query: str | None = None, all_versions: bool = False) -> int:
        """Add records to a request's collection: named items, or every record a search
        finds (the search is saved with the request). Returns how many were new."""
        self.request_state(request_id)  # it exists
        found: list[int] = []
        if query:
            offset = 0
            while True:
                page = self.search(query, all_versions=all_versions, limit=1000,
                                   offset=offset, facets=False)
                found += [hit.item for hit in page.hits]
                offset += 1000
                if offset >= page.total:
                    break
                if offset >= MAX_COLLECTED:
                    raise InvalidInput(f"the search finds {page.total:,} records: narrow it "
                                       f"(at most {MAX_COLLECTED:,} per request)")
        for item in items or []:
            self.item(item)
        state = self.request_state(request_id)
        wanted = list(dict.fromkeys(found + list(items or [])))
        new = [i for i in wanted if i not in state.items]
        source = f"search: {query}" + (" (all versions)" if all_versions else "") if query \
            else "item"
        self._event(request_id, Action.ADD, {"items": new, "source": source}, actor)
        return len(new)

    def mark(self, request_id: int, items: list[int], mark: Mark | str, actor: str,
             exemption: str | None = None, citation: str | None = None) -> None:
        """Review marks: responsive, non-responsive, or withheld under an exemption."""
        checked = review_mark(mark, exemption, citation)
        state = self.request_state(request_id)
        outside = sorted(set(items) - set(state.items))
        if outside:
            raise InvalidInput(f"item(s) {', '.join(map(str, outside))} are not in request "
                               f"{request_id}'s collection: add them first")
        self._event(request_id, Action.MARK, {"items": sorted(set(items)),
                                              "mark": checked.mark.value,
                                              "exemption": checked.exemption,
                                              "citation": checked.citation}, actor)

    def redact(self, request_id: int, item: int, reason: str, actor: str,
               phrase: str | None = None, version: int | None = None,
               span: tuple[int, int] | None = None, media: str | None = None) -> int:
        """Redact words (a phrase, or a span of one version's text: either way every
        occurrence in every version of the record) or a whole media file, with a reason."""
        if not reason.strip():
            raise InvalidInput("a redaction needs a reason: the exemption and its citation")
        state = self.request_state(request_id)
        if item not in state.items:
            raise InvalidInput(f"item {item} is not in request {request_id}'s collection")
        if span is not None:
            if version is None:
                raise InvalidInput("a span is counted in one version's text: give --version")
            text = self._version_text(item, version)
            start, end = span
            if not 0 <= start < end <= len(text):
                raise InvalidInput(f"span {start}:{end} is outside version {version}'s text "
                                   f"({len(text)} characters)")
            phrase = text[start:end]
        details: dict = {"item": item, "reason": reason.strip()}
        if media is not None:
            if media not in self._media_names(item):
                raise InvalidInput(f"item {item} has no media file by that name: see "
                                   f"`civicarchive show {item}`")
            details["media"] = media
        elif phrase:
            texts = [text_of(c) for c in self._contents(item)]
            if not any(span_of(text, phrase) for text in texts):
                raise InvalidInput(f"item {item}'s text does not contain that phrase")
            details["phrase"] = phrase
        else:
            raise InvalidInput("say what to redact: a phrase, a span of a version, or a media "
                               "file")
        with self._write() as tx:
            self._request_row(tx.conn, request_id)
            redaction_id = tx.next_id("request_events")
            details["id"] = redaction_id
            audit = {k: v for k, v in details.items() if k != "phrase"}
            if phrase and media is None:
                audit["phrase_sha256"] = hashlib.sha256(phrase.encode()).hexdigest()
            self._add_event(tx, request_id, Action.REDACT, details, actor, audit)
        return redaction_id

    def unredact(self, request_id: int, redaction_id: int, why: str, actor: str) -> None:
        if not why.strip():
            raise InvalidInput("removing a redaction needs a reason")
        if redaction_id not in self.request_state(request_id).redactions:
            raise NotFound("redaction", redaction_id)
        self._event(request_id, Action.UNREDACT, {"id": redaction_id, "why": why}, actor)

    def set_status(self, request_id: int, status: RequestStatus | str, actor: str,
                   note: str = "") -> None:
        try:
            status = RequestStatus(str(status).replace("-", "_"))
        except ValueError:
            raise InvalidInput(f"{status} is not a request status: use one of "
                               + ", ".join(s.value for s in RequestStatus)) from None
        self._event(request_id, Action.STATUS, {"status": status.value, "note": note}, actor)

    # -- suggested redactions -----------------------------------------------------------

    def suggestions(self, request_id: int) -> list[dict]:
        """Personal information found in third-party records of the collection (those
        not withheld or non-responsive), with the decision taken on each so far."""
        state = self.request_state(request_id)
        redacted = {(r.item, getattr(r, "phrase", None)) for r in state.redactions.values()}
        found: dict[str, dict] = {}
        for item_id in sorted(state.items):
            mark = state.marks.get(item_id)
            if mark is not None and mark.mark is not Mark.RESPONSIVE:
                continue
            item = self.item(item_id)
            if not self._third_party(item):
                continue
            for content in self._contents(item_id):
                for s in pii.suggest(text_of(content)):
                    key = suggestion_key(item_id, s.text)
                    if key in found or (item_id, s.text) in redacted:
                        continue
                    found[key] = {"key": key, "item": item_id, "category": s.category.value,
                                  "phrase": s.text, "decision": {True: "accepted",
                                                                 False: "rejected"}.get(
                                      state.decisions.get(key), "pending")}
        return list(found.values())

    def decide(self, request_id: int, keys: list[str], accepted: bool, actor: str,
               reason: str | None = None) -> int:
        """Accept suggestions (each becomes a redaction with `reason`) or reject them."""
        if accepted and not (reason and reason.strip()):
            raise InvalidInput("accepting a suggested redaction needs the reason: the "
                               "exemption and its citation, e.g. 'RCW 42.56.230'")
        pending = {s["key"]: s for s in self.suggestions(request_id)}
        unknown = [k for k in keys if k not in pending]
        if unknown:
            raise InvalidInput(f"no suggestion {unknown[0]} in request {request_id}: see "
                               "`civicarchive requests suggestions`")
        for key in keys:
            suggestion = pending[key]
            if accepted:
                self.redact(request_id, suggestion["item"], reason, actor,
                            phrase=suggestion["phrase"])
            self._event(request_id, Action.DECIDE,
                        {"key": key, "item": suggestion["item"], "accepted": accepted,
                         "category": suggestion["category"]}, actor)
        return len(keys)

    # -- record details -----------------------------------------------------------------

    def _third_party(self, item) -> bool:  # noqa: ANN001
        if Kind(item.kind) not in THIRD_PARTY_KINDS:
            return False
        account = self.account(item.account_id)
        author = (item.author or "").lower().removeprefix("@")
        return author != account.handle.lower().removeprefix("@")

    def _contents(self, item_id: int) -> list[dict]:
        contents = []
        for version in self.history(item_id):
            content = self.content(version)
            if isinstance(content, dict):
                contents.append(content)
        return contents

    def _version_text(self, item_id: int, version_id: int) -> str:
        version = self.version(version_id)
        if version.item_id != item_id:
            raise InvalidInput(f"version {version_id} is not a version of item {item_id}")
        return text_of(self.content(version))

    def _media_names(self, item_id: int) -> dict[str, int]:
        """The item's media files (media records under it, or itself when it is one):
        name -> media item id."""
        item = self.item(item_id)
        i = t.items.c
        with self.store.read() as conn:
            rows = conn.execute(sa.select(i.id).where(
                i.account_id == item.account_id, i.kind == Kind.MEDIA.value,
                sa.or_(i.parent_native_id == item.native_id, i.id == item_id))).all()
        names = {}
        for (media_id,) in rows:
            history = self.history(media_id)
            content = self.content(history[-1]) or {}
            names[str(content.get("file") or self.item(media_id).native_id)] = media_id
        return names
