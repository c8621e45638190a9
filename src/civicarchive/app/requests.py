"""Public records requests: intake with due dates, the collection, review marks,
redactions (with suggestions for personal information; the redaction methods are in
`redacting.py`) and status. Productions are in
`productions.py`.

Every action is a request event (the request's state is those events folded, see
records/requests.py) and an audit event in the ledger. Redacted words are kept only in
the request's own events, never in the audit log.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import orjson

from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.finding import Finding
from civicarchive.app.redacting import Redacting
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.record import Item, Kind, text_of
from civicarchive.records import deadlines as due, pii
from civicarchive.records.explanation import Explanation, explain, explanation_lines
from civicarchive.records.requests import (Action, Mark, RequestState, RequestStatus,
                                           deadline_status, fold, review_mark, suggestion_key)
from civicarchive.store import requests as sql

__all__ = ["Mark", "RequestStatus", "Requests", "explanation_lines"]

MAX_COLLECTED = 100_000
THIRD_PARTY_KINDS = frozenset({Kind.COMMENT, Kind.REPLY, Kind.MESSAGE})


class Requests(Redacting):
    """Records requests from intake to review; `Productions` produces them. The
    redaction methods (redact, redact_author, redact_handle, redact_url, redactions,
    unredact) are in app/redacting.py."""

    def __init__(self, context: ArchiveContext, registry: Registry, reading: Reading,
                 custody: Custody, finding: Finding) -> None:
        self.context = context
        self.registry = registry
        self.reading = reading
        self.custody = custody
        self.finding = finding

    # -- intake -------------------------------------------------------------------------

    def new(self, requester: str, received_at: datetime, description: str, actor: str,
            contact: str | None = None) -> int:
        """Log a request; its due dates come from the adopted policy's deadlines and
        calendar, counted from `received_at` read in the agency's local time: the policy's
        `requests.timezone` when it gives one, else the offset `received_at` carries."""
        if not (requester.strip() and description.strip()):
            raise InvalidInput("a request needs the requester and a description of the "
                               "records asked for")
        if received_at.tzinfo is None:
            raise InvalidInput("give the time the request was received with its UTC offset, "
                               "e.g. 2026-11-04T10:30-08:00", parameter="received")
        this_year = self.context.clock.now().year
        if not this_year - 20 <= received_at.year <= this_year + 1:  # a typo, such as 2062
            raise InvalidInput(f"the request cannot have been received on "
                               f"{received_at.isoformat()}: the year is not within 20 years of "
                               f"{this_year}; check the date", parameter="received")
        policy_id, adopted = self.custody.policy()
        if adopted.requests.timezone:  # 23:30 UTC is 15:30 in Seattle: the day is local
            received_at = received_at.astimezone(ZoneInfo(adopted.requests.timezone))
        dates = [{"name": d.name, "due": d.due.isoformat(), "days": d.days,
                  "count": d.count.value, "citation": d.citation, "uncertain": d.uncertain,
                  "met_by": sorted(rule.met_by)}
                 for rule, d in zip(adopted.requests.deadlines,
                                    due.due_dates(received_at, adopted.requests), strict=True)]
        with self.context.write() as tx:
            request_id, number = sql.add_request(tx, {
                "requester": requester.strip(), "contact": contact,
                "description": description.strip(), "received_at": received_at.isoformat(),
                "deadlines": orjson.dumps(dates).decode(), "policy_id": policy_id},
                received_at.year, actor)
            tx.audit(actor, "request.new", f"request {request_id}",
                     {"number": number, "received_at": received_at.isoformat(),
                      "due": [d["due"] for d in dates], "requester": requester.strip(),
                      "contact": contact, "description": description.strip(),
                      "policy": policy_id, "deadlines": dates})
        return request_id

    # -- reading ------------------------------------------------------------------------

    def state(self, request_id: int) -> RequestState:
        """A request's collection, marks, redactions and status, from its events."""
        with self.context.read() as conn:
            _row(conn, request_id)
            return _state(conn, request_id)

    def show(self, request_id: int, today: date | None = None) -> dict:
        """A request's details: deadlines (business days left), collection, productions."""
        with self.context.read() as conn:
            row = _row(conn, request_id)
            events = list(sql.events(conn, request_id))
            productions = sql.productions(conn, request_id)
        state = fold((e["action"], e["details"]) for e in events)
        entered = _statuses_entered(events)
        return {"id": row.id, "number": row.number, "requester": row.requester,
                "contact": row.contact, "description": row.description,
                "received_at": row.received_at, "status": state.status.value,
                "deadlines": self._deadlines(row, state, entered, today),
                "items": len(state.items), "unreviewed": len(state.unreviewed()),
                "marks": {m.value: len(state.with_mark(m)) for m in Mark},
                "redactions": len(state.redactions),
                "productions": [{"id": p.id, "numbers": f"{p.prefix}{p.first_number:06d}-"
                                 f"{p.prefix}{p.last_number:06d}", "items": p.items,
                                 "withheld": p.withheld, "folder": p.folder,
                                 "produced_at": p.produced_at, "produced_by": p.produced_by}
                                for p in productions]}

    def _deadlines(self, row, state: RequestState, entered: dict[str, str],  # noqa: ANN001
                   today: date | None) -> list[dict]:
        rules = self.custody.adopted(row.policy_id).requests
        # The agency's zone, not the offset stored with the time received: a request logged
        # in winter may be answered after the clocks change.
        zone = (ZoneInfo(rules.timezone) if rules.timezone
                else datetime.fromisoformat(row.received_at).tzinfo)
        today = today or self.context.clock.now().astimezone(zone).date()
        local = {status: datetime.fromisoformat(at).astimezone(zone).date()
                 for status, at in entered.items()}
        return deadline_status(orjson.loads(row.deadlines), today, rules.calendar,
                               state.status, local)

    def explain(self, request_id: int) -> Explanation:
        """How each due date of a request was computed: when counting started and why,
        every day counted and every day skipped (weekend, holiday, agency closure), under
        the policy in force when the request came in."""
        with self.context.read() as conn:
            row = _row(conn, request_id)
        rules = self.custody.adopted(row.policy_id).requests
        return explain(datetime.fromisoformat(row.received_at), rules)

    def list(self, today: date | None = None, only: set[int] | None = None) -> list[dict]:
        """Every request (or those of `only`) with its status and the next deadline
        still open."""
        with self.context.read() as conn:
            ids = [i for i in sql.request_ids(conn) if only is None or i in only]
        listing = []
        for request_id in ids:
            detail = self.show(request_id, today)
            upcoming = [d for d in detail["deadlines"] if d["business_days_left"] is not None]
            listing.append({key: detail[key] for key in (
                "id", "number", "requester", "received_at", "status", "items", "unreviewed")}
                | {"next_deadline": min(upcoming, key=lambda d: d["due"]) if upcoming
                   else None})
        return listing

    def creators(self) -> dict[int, str]:
        """Who logged each request (the web scopes a request to its creator's agency)."""
        with self.context.read() as conn:
            return sql.creators(conn)

    def log(self, request_id: int) -> list[dict]:
        """What happened to a request, in order (redacted words and URLs are left out)."""
        with self.context.read() as conn:
            _row(conn, request_id)
            events = list(sql.events(conn, request_id))
        for event in events:
            event["details"].pop("phrase", None)
            if event["action"] == Action.REDACT.value:
                event["details"].pop("url", None)
        return [{"at": e["at"], "actor": e["actor"], "action": e["action"],
                 "details": e["details"]} for e in events]

    # -- changing -----------------------------------------------------------------------

    def record_event(self, tx, request_id: int, action: Action, details: dict,  # noqa: ANN001
                     actor: str, audit: dict | None = None, event_id: int | None = None
                     ) -> int:
        """Append an event to a request in the write transaction `tx`, with its audit
        event (`audit` replaces the details there, e.g. to leave out redacted words);
        returns the event's id (`event_id`, when the caller allocated it)."""
        _row(tx.conn, request_id)
        event_id = sql.add_event(tx, request_id, action.value, details, actor, event_id)
        tx.audit(actor, f"request.{action.value}", f"request {request_id}",
                 {**(details if audit is None else audit), "event": event_id})
        return event_id

    def _event(self, request_id: int, action: Action, details: dict, actor: str) -> None:
        with self.context.write() as tx:
            self.record_event(tx, request_id, action, details, actor)

    def collect(self, request_id: int, actor: str, items: list[int] | None = None,
                query: str | None = None, all_versions: bool = False,
                accounts: frozenset[int] | None = None, public: bool = False) -> int:
        """Add records to a request's collection: named items, or every record a search
        finds (the search is saved with the request). Returns how many were new.
        `accounts` and `public` limit the search as `Finding.search` does (the web
        collects only the records the user sees)."""
        state = self.state(request_id)  # it exists; nothing below changes it
        found: list[int] = []
        if query:
            offset = 0
            while True:
                page = self.finding.search(query, all_versions=all_versions, limit=1000,
                                           offset=offset, facets=False, accounts=accounts,
                                           public=public)
                found += [hit.item for hit in page.hits]
                offset += 1000
                if offset >= page.total:
                    break
                if offset >= MAX_COLLECTED:
                    raise InvalidInput(f"the search finds {page.total:,} records: narrow it "
                                       f"(at most {MAX_COLLECTED:,} per request)",
                                       parameter="query")
        for item in items or []:
            self.reading.item(item)
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
        state = self.state(request_id)
        outside = sorted(set(items) - set(state.items))
        if outside:
            raise InvalidInput(f"item(s) {', '.join(map(str, outside))} are not in request "
                               f"{request_id}'s collection: add them first")
        self._event(request_id, Action.MARK, {"items": sorted(set(items)),
                                              "mark": checked.mark.value,
                                              "exemption": checked.exemption,
                                              "citation": checked.citation}, actor)

    def set_status(self, request_id: int, status: RequestStatus | str, actor: str,
                   note: str = "") -> None:
        """Move a request to another status (e.g. closed), with a note."""
        try:
            status = RequestStatus(str(status).replace("-", "_"))
        except ValueError:
            raise InvalidInput(f"{status} is not a request status: use one of "
                               + ", ".join(s.value for s in RequestStatus),
                               parameter="status") from None
        self._event(request_id, Action.STATUS, {"status": status.value, "note": note}, actor)

    # -- suggested redactions -----------------------------------------------------------

    def suggestions(self, request_id: int) -> list[dict]:
        """Personal information found in third-party records of the collection (those
        not withheld or non-responsive), with the decision taken on each so far."""
        state = self.state(request_id)
        redacted = {(r.item, getattr(r, "phrase", None)) for r in state.redactions.values()}
        found: dict[str, dict] = {}
        for item_id in sorted(state.items):
            mark = state.marks.get(item_id)
            if mark is not None and mark.mark is not Mark.RESPONSIVE:
                continue
            if not self._third_party(self.reading.item(item_id)):
                continue
            for content in self.contents(item_id):
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
                               "exemption and its citation, e.g. 'RCW 42.56.230'",
                               parameter="reason")
        pending = {s["key"]: s for s in self.suggestions(request_id)}
        unknown = [k for k in keys if k not in pending]
        if unknown:
            raise InvalidInput(f"no suggestion {unknown[0]} in request {request_id}: see its "
                               "suggestions")
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

    def contents(self, item_id: int) -> list[dict]:
        """The normalised content of every version of a record that is not purged."""
        found = []
        for version in self.reading.history(item_id):
            content = self.reading.content(version)
            if isinstance(content, dict):
                found.append(content)
        return found

    def _third_party(self, item: Item) -> bool:
        if Kind(item.kind) not in THIRD_PARTY_KINDS:
            return False
        account = self.registry.account(item.account_id)
        author = (item.author or "").lower().removeprefix("@")
        return author != account.handle.lower().removeprefix("@")

    def _version_text(self, item_id: int, version_id: int) -> str:
        version = self.reading.version(version_id)
        if version.item_id != item_id:
            raise InvalidInput(f"version {version_id} is not a version of item {item_id}",
                               parameter="version")
        return text_of(self.reading.content(version))


def _row(conn, request_id: int):  # noqa: ANN001, ANN202
    row = sql.request(conn, request_id)
    if row is None:
        raise NotFound("request", request_id)
    return row


def _statuses_entered(events: list[dict]) -> dict[str, str]:
    """When the request first entered each status it has had, from its events."""
    entered: dict[str, str] = {}
    for event in events:
        if event["action"] == Action.STATUS:
            entered.setdefault(event["details"]["status"], event["at"])
    return entered


def _state(conn, request_id: int) -> RequestState:  # noqa: ANN001
    return fold((e["action"], e["details"]) for e in sql.events(conn, request_id))
