"""The public records request portal: a request made without an account, and followed by
its tracking link the way a parcel is tracked.

A request made here is an ordinary records request (app/requests.py): staff see it among
the agency's requests and work it as any other. The requester gets a tracking link whose
secret is kept only as its sha256. What the link shows is public by design: the request's
number, status, statutory clock with "explain this date", the public events of its log
(status changes and productions, never staff notes or what was redacted) and, once a
production is released, its PDF.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from civicarchive.app.context import ArchiveContext
from civicarchive.app.publishing import Publishing
from civicarchive.app.requests import Requests
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.records.explanation import explanation_lines
from civicarchive.records.requests import Action, RequestStatus
from civicarchive.store import requests as sql

PUBLIC_ACTOR = "public:"       # the actor of a request made through the portal: + slug
RELEASED = frozenset({RequestStatus.PRODUCED, RequestStatus.PARTIALLY_PRODUCED,
                      RequestStatus.CLOSED})
LIMITS = {"requester": 200, "contact": 300, "description": 5000}


@dataclass(frozen=True)
class Tracking:
    request_id: int
    number: str
    agency_id: int
    status: str
    received_at: str
    description: str
    deadlines: list[dict]       # due, business days left (negative: overdue), citation
    explanation: list[str]      # "explain this date", line by line
    events: list[dict]          # at, what
    productions: list[dict]     # id, produced_at, released


class Portal:
    """Requests made by the public, and their tracking links."""

    def __init__(self, context: ArchiveContext, requests: Requests,
                 publishing: Publishing) -> None:
        self.context = context
        self.requests = requests
        self.publishing = publishing

    def submit(self, slug: str, requester: str, contact: str, description: str
               ) -> tuple[int, str]:
        """Log a request to the agency, received now; returns its id and the secret of
        its tracking link (shown once: only its sha256 is kept)."""
        agency = self.publishing.agency(slug)
        fields = {"requester": requester, "contact": contact, "description": description}
        for name, value in fields.items():
            if len(value or "") > LIMITS[name]:
                raise InvalidInput(f"the {name} is longer than {LIMITS[name]} characters: "
                                   "shorten it", parameter=name)
        if not (requester.strip() and description.strip() and contact.strip()):
            raise InvalidInput("give your name, how to reach you, and the records you ask "
                               "for", parameter="description")
        actor = PUBLIC_ACTOR + agency.slug
        # Received now, in the agency's local time: its date is the day received.
        received = self.context.clock.now().astimezone(
            ZoneInfo(self.publishing.rules().timezone))
        request_id = self.requests.new(requester.strip(), received, description.strip(),
                                       actor, contact=contact.strip())
        secret = secrets.token_urlsafe(24)
        with self.context.write() as tx:
            sql.add_tracker(tx, request_id, _digest(secret), agency.id, actor)
        return request_id, secret

    def track(self, slug: str, secret: str) -> Tracking:
        """What the tracking link shows; NotFound for a link that is not this agency's.
        It works whether or not the agency publishes its open archive."""
        agency = self.publishing.any_agency(slug)
        with self.context.read() as conn:
            found = sql.tracked(conn, _digest(secret)) if 16 <= len(secret) <= 100 else None
        if found is None or found[1] != agency.id:
            raise NotFound("request", "of that tracking link")
        request_id = found[0]
        detail = self.requests.show(request_id)
        status = RequestStatus(detail["status"])
        productions = [{"id": p["id"], "produced_at": p["produced_at"],
                        "released": status in RELEASED}
                       for p in detail.get("productions", [])]
        return Tracking(
            request_id=request_id, number=detail["number"], agency_id=agency.id,
            status=status.value, received_at=detail["received_at"],
            description=detail["description"], deadlines=detail["deadlines"],
            explanation=explanation_lines(self.requests.explain(request_id)),
            events=self._public_events(request_id, detail["received_at"]),
            productions=productions)

    def _public_events(self, request_id: int, received_at: str) -> list[dict]:
        shown = [{"at": received_at, "what": "Request received"}]
        for event in self.requests.log(request_id):
            if event["action"] == Action.STATUS.value:
                status = event["details"].get("status", "")
                shown.append({"at": event["at"],
                              "what": "Status: " + status.replace("_", " ")})
            elif event["action"] == Action.PRODUCED.value:
                shown.append({"at": event["at"], "what": "Records produced"})
        return shown

    def production_pdf(self, slug: str, secret: str, production_id: int) -> Path:
        """The PDF of a released production of the tracked request."""
        tracking = self.track(slug, secret)
        chosen = next((p for p in tracking.productions if p["id"] == production_id), None)
        if chosen is None or not chosen["released"]:
            raise NotFound("production", production_id)
        with self.context.read() as conn:
            rows = sql.productions(conn, tracking.request_id)
        row = next(r for r in rows if r.id == production_id)
        pdf = Path(row.folder) / "data" / "production.pdf"
        if not pdf.is_file():
            raise NotFound("production", production_id)
        return pdf

    def agency_of(self, request_id: int) -> int | None:
        """The agency a portal request was made to; None for one staff logged."""
        with self.context.read() as conn:
            return sql.tracker_agencies(conn).get(request_id)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
