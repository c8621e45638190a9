"""The open archive: what the public sees of each agency's records, decided on read.

Nothing is copied or rewritten for the public. Each read applies the policy's
`public_archive` rules (records/publication.py) and what staff decided in records
requests: a record withheld under an exemption in any request is withheld here too, and
words, names, handles and URLs redacted in any request are redacted here too, wherever a
production would redact them.

Nothing under a record shown only as a marker (withheld, or a hidden comment) or not at
all (deleted, under `deleted: hide`) shows anywhere, as its thread shows nothing under it
(`_buried`). Nor does anything under a record that never shows (a photo sent in a direct
message), under a comment when comments are not published, or under a record still
under embargo (app/lineage.py).

Search and listings leave out, besides what does not show at all, every record a
redaction touches (its own text or fields, its author's or account's name, or a mention
of a redacted name): a word search would otherwise reveal the redacted words by what it
finds. Such a record is still shown, redacted, in its thread and at its permalink.
Totals and facet counts are those of what shows, so they reveal nothing either.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from civicarchive.app import overlays
from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.finding import MAX_LIMIT, Finding, SearchResults
from civicarchive.app.lineage import Lineages
from civicarchive.app.overlays import Overlay
from civicarchive.app.productions import build_items
from civicarchive.app.reading import ReadAhead, Reading
from civicarchive.app.registry import Registry
from civicarchive.clock import parse_time
from civicarchive.errors import NotFound
from civicarchive.model.account import Account, Agency
from civicarchive.model.production import ProducedItem, Redaction
from civicarchive.model.record import Event, Item, Kind, audience_restricted
from civicarchive.policy.model import DeletedShown, PublicArchive
from civicarchive.records import publication
from civicarchive.records.requests import Mark, RequestState, ReviewMark, fold
from civicarchive.search.plan import Flag
from civicarchive.store import accounts as accounts_sql
from civicarchive.store import viewing as viewing_sql
from civicarchive.store import requests as request_sql
from civicarchive.store import timestamps
from civicarchive.store.proof import build_proof


THREAD_LIMIT = 500  # comments and replies shown under one record
HIDDEN_EXEMPTION = "hidden under the agency's moderation policy"


@dataclass(frozen=True)
class PublicRecord:
    item: Item
    account: Account
    showing: publication.Showing


@dataclass(frozen=True)
class PublicPage:
    """A record's page in the open archive: its agency, the record and how it shows,
    and the record with its thread as a production would give it."""

    agency: Agency
    record: PublicRecord
    produced: ProducedItem


@dataclass(frozen=True)
class _Snapshot:
    """What one answer of the open archive goes by, read together once for it."""

    rules: PublicArchive
    agencies: tuple[Agency, ...]     # the published ones
    overlay: Overlay
    now: datetime
    accounts: tuple[Account, ...]    # every account
    marks: tuple                     # the newest ids it was read at (`_buried` follows them)

    def agency(self, slug: str) -> Agency:
        for agency in self.agencies:
            if agency.slug == slug:
                return agency
        raise NotFound("agency", slug)


class Publishing:
    """The open archive's reads: agencies, records, listings and search."""

    def __init__(self, context: ArchiveContext, registry: Registry, reading: Reading,
                 custody: Custody, finding: Finding, lineages: Lineages) -> None:
        self.context = context
        self.lineages = lineages
        self.registry = registry
        self.reading = reading
        self.custody = custody
        self.finding = finding
        self._overlay: tuple[object, Overlay] | None = None
        self._buried_kept: tuple[tuple, frozenset[int], publication.Lineage] | None = None
        # Agencies and accounts, kept with the newest id they were read at: their rows are
        # append-only (the store refuses an UPDATE), so a new id is the only change.
        self._kept: dict[str, tuple[object, tuple]] = {}
        self._lock = threading.Lock()

    def rules(self) -> PublicArchive:
        """The adopted policy's rules; nothing is published before a policy is adopted."""
        return self._snapshot().rules

    def _rules(self, policy_id: int | None) -> PublicArchive:
        if policy_id is None:
            return PublicArchive()
        return self.custody.adopted(policy_id).public_archive  # parsed once

    def agencies(self) -> list[Agency]:
        """The agencies whose open archive is published."""
        return list(self._snapshot().agencies)

    def agency(self, slug: str) -> Agency:
        """A published agency by slug; NotFound otherwise."""
        return self._snapshot().agency(slug)

    def any_agency(self, slug: str) -> Agency:
        """An agency by slug, its open archive published or not: a requester's tracking
        link keeps working when the agency stops publishing its records."""
        for agency in self.registry.agencies():
            if agency.slug == slug:
                return agency
        raise NotFound("agency", slug)

    def accounts(self, slug: str) -> list[Account]:
        """The agency's accounts whose records the open archive shows."""
        return self._shown_accounts(self._snapshot(), slug)

    def _shown_accounts(self, snapshot: _Snapshot, slug: str) -> list[Account]:
        """The agency's accounts the rules publish, but for those whose handle a request
        redacts (their records are left out of listings and search, see `overlays.condition`; a
        list of accounts would show the handle itself)."""
        agency, rules = snapshot.agency(slug), snapshot.rules
        return [a for a in snapshot.accounts
                if a.agency_id == agency.id and a.classification.value in rules.accounts
                and a.id not in snapshot.overlay.accounts]

    def overlay(self) -> Overlay:
        """Every withholding and redaction in force across requests, kept until a request
        records another event."""
        return self._snapshot().overlay

    def _snapshot(self) -> _Snapshot:
        """What an answer goes by, as it is now: one statement when nothing it follows
        changed since the last answer (store/viewing.open_archive_marks)."""
        with self.context.read() as conn:
            marks = viewing_sql.open_archive_marks(conn)
            policy_id, agencies, accounts, requests, events, _ = marks
            agencies = self._kept_since("agencies", agencies, accounts_sql.agencies, conn)
            accounts = self._kept_since("accounts", accounts, accounts_sql.accounts, conn)
            overlay = self._overlay_in(conn, (requests, events))
        if not isinstance(overlay, Overlay):
            overlay = self._keep(*overlay)
        rules = self._rules(policy_id)
        return _Snapshot(rules, agencies if rules.published else (), overlay,
                         self.context.clock.now(), accounts, marks)

    def _buried(self, snapshot: _Snapshot) -> frozenset[int]:
        """The records under a record the open archive shows only as a marker (withheld
        in a request, or a comment hidden under the moderation policy) or not at all (one
        deleted, under `deleted: hide`; a direct message or profile; one its platform
        showed only to some; a comment, when the policy shows none; one under embargo),
        to any depth: a thread shows nothing under them, so neither do search, listings,
        the feed or their own pages (a reply often quotes what was withheld; a photo sent
        in a message is the message). Kept until a version, request event or policy is
        added, but for the embargo."""
        kept = self._buried_kept
        if kept is None or kept[0] != snapshot.marks:
            markers = set(snapshot.overlay.withheld) | self._flagged("hidden") | \
                self._flagged("restricted")
            if snapshot.rules.deleted is DeletedShown.HIDE:  # shown nowhere, nor replies
                markers |= self._flagged("deleted")
            with self.context.read() as conn:
                found = viewing_sql.descendants(conn, markers)
            lineage = self.lineages.current()
            found |= lineage.under_never()
            if not snapshot.rules.comments:
                found |= lineage.under_comment()
            # The lineage is kept with it: a new record comes with a new version, which
            # changes the marks, so an answer with the same marks needs no look for one.
            kept = (snapshot.marks, frozenset(found), lineage)
            self._buried_kept = kept  # one assignment: readers see either
        held = kept[2].held_back(snapshot.rules, snapshot.now)
        return kept[1] | held if held else kept[1]

    def _flagged(self, flag: str) -> set[int]:
        """Every record hidden under the moderation policy now, or deleted, by the search
        index's flag (a few, in most archives: read a page of the most at a time)."""
        found: set[int] = set()
        while True:
            page = self.finding.search("", limit=MAX_LIMIT, offset=len(found),
                                       where=Flag(flag), count=False)
            found.update(hit.item for hit in page.hits)
            if len(page.hits) < MAX_LIMIT:
                return found

    def _kept_since(self, name: str, mark: object, read, conn) -> tuple:  # noqa: ANN001
        kept = self._kept.get(name)
        if kept is None or kept[0] != mark:
            kept = (mark, tuple(read(conn)))
            with self._lock:
                self._kept[name] = kept
        return kept[1]

    def _account(self, account_id: int, snapshot: _Snapshot) -> Account:
        for account in snapshot.accounts:
            if account.id == account_id:
                return account
        raise NotFound("account", account_id)

    def _overlay_in(self, conn, key: object) -> Overlay | tuple[object, list[RequestState]]:  # noqa: ANN001
        """The kept overlay if no request changed since (requests and their events are
        append-only: `key` is their newest ids); else the key and the requests' states,
        to fold once the read is over (`_keep`)."""
        cached = self._overlay
        if cached is not None and cached[0] == key:
            return cached[1]
        return key, [fold((e["action"], e["details"]) for e in request_sql.events(conn, i))
                     for i in request_sql.request_ids(conn)]

    def _keep(self, key: object, states: list[RequestState]) -> Overlay:
        overlay = overlays.fold(states, self.reading, self.registry)
        with self._lock:
            self._overlay = (key, overlay)
        return overlay

    def facts(self, item: Item, account: Account, overlay: Overlay,
              reading: Reading | None = None) -> publication.Facts:
        """What the rules look at about `item` now."""
        reading = reading or self.reading
        history = reading.history(item.id)
        latest = history[-1] if history else None
        visibility = [v.event for v in history if v.event in (Event.HIDDEN, Event.UNHIDDEN)]
        created = parse_time(item.created_at) if item.created_at else None
        return publication.Facts(
            kind=item.kind, classification=account.classification.value,
            created_at=created, first_seen_at=parse_time(item.first_seen_at),
            deleted_at=latest.observed_at if latest and latest.event is Event.DELETED
            else None,
            hidden=bool(visibility) and visibility[-1] is Event.HIDDEN,
            withheld=item.id in overlay.withheld,
            restricted=_restricted(history, reading))

    def record(self, slug: str, item_id: int) -> PublicRecord:
        """A record the open archive shows; NotFound, the same for every reason it does
        not (missing, another agency's, a direct message, withheld, embargoed...)."""
        return self._record(self._snapshot(), slug, item_id, self.reading)

    def checkable(self, slug: str, item_id: int) -> PublicRecord:
        """A record whose page shows (`record`, less a hidden comment, which shows only as
        a marker in its thread): what "check this record" may be asked of."""
        found = self.record(slug, item_id)
        if not found.showing.text_shown:
            raise NotFound("record", item_id)
        return found

    def _record(self, snapshot: _Snapshot, slug: str, item_id: int, reading: Reading
                ) -> PublicRecord:
        agency = snapshot.agency(slug)
        try:
            item = reading.item(item_id)
            account = self._account(item.account_id, snapshot)
        except NotFound:
            raise NotFound("record", item_id) from None
        shown = publication.showing(self.facts(item, account, snapshot.overlay, reading),
                                    snapshot.rules, snapshot.now) \
            if account.agency_id == agency.id else publication.Showing(False)
        if not shown.shown or item.id in self._buried(snapshot):
            raise NotFound("record", item_id)
        return PublicRecord(item, account, shown)

    def view(self, slug: str, item_id: int) -> ProducedItem:
        """A record as the open archive shows it: as a production would, with its thread
        of what shows (a comment withheld by staff, or hidden with a notice, as a marker
        with its reason) and every redaction in force applied."""
        return self.page(slug, item_id).produced

    def page(self, slug: str, item_id: int) -> PublicPage:
        """A record's page: the agency, the record as `record` gives it, and as `view`
        gives it, from one look at the rules and a few reads for the whole thread."""
        snapshot = self._snapshot()
        reading = ReadAhead(self.context)
        reading.load_ids([item_id])
        shown = self._record(snapshot, slug, item_id, reading)
        overlay, rules, now = snapshot.overlay, snapshot.rules, snapshot.now
        state = RequestState(redactions=dict(overlay.state.redactions))
        hidden = ReviewMark(Mark.WITHHELD, HIDDEN_EXEMPTION, "")
        state.items[item_id] = "open archive"
        state.marks[item_id] = ReviewMark(Mark.RESPONSIVE)
        if not shown.showing.text_shown:
            state.marks[item_id] = hidden
        queue = [shown.item]
        while queue and len(state.items) < THREAD_LIMIT:
            parent = queue.pop(0)
            if state.marks[parent.id].mark is not Mark.RESPONSIVE:
                continue  # nothing is shown under a marker
            if not reading.knows_replies(parent.id):  # this level's replies at once
                reading.load_replies([parent, *(q for q in queue if state.marks[q.id].mark
                                                is Mark.RESPONSIVE)])
            for reply in reading.replies(parent.id):
                decision = publication.showing(
                    self.facts(reply, shown.account, overlay, reading), rules, now)
                if reply.id in overlay.withheld:
                    mark = overlay.withheld[reply.id]
                elif not decision.shown:
                    continue
                elif not decision.text_shown:
                    mark = hidden
                else:
                    mark = ReviewMark(Mark.RESPONSIVE)
                state.items[reply.id] = "open archive"
                state.marks[reply.id] = mark
                queue.append(reply)
        if state.marks[item_id] is hidden:
            raise NotFound("record", item_id)  # a hidden comment's own page shows nothing
        (produced,) = build_items(_Accounts(lambda i: self._account(i, snapshot)), reading,
                                  state, [item_id])
        return PublicPage(snapshot.agency(slug), shown, produced)

    def checkpoint(self) -> dict | None:
        """The newest signed checkpoint, as the open archive shows it: its number, tree
        size, root, signing time and, once witnessed, the time-stamping authority's time."""
        with self.context.read() as conn:
            signed = timestamps.newest_checkpoint_file(conn, self.context.public_key_raw)
        if signed is None:
            return None
        body = signed.body
        return {"number": body.number, "size": body.size, "root": body.root.hex(),
                "time": body.time,
                "timestamped_at": timestamps.token_time(signed.timestamp)
                if signed.timestamp else None}

    def proof(self, slug: str, item_id: int) -> dict:
        """The inclusion proof of the newest version of a record the open archive shows.
        Its content is left out when a redaction touches the text; a record whose author,
        handle or address is redacted has no public proof, since the ledger entry names
        them (NotFound, as for a record that is not shown)."""
        produced = self.view(slug, item_id)
        fields = (produced.author, produced.handle, produced.url)
        if any(isinstance(f, tuple) and any(isinstance(s, Redaction) for s in f)
               for f in fields) or "[REDACTED" in produced.native_id:
            raise NotFound("record", item_id)
        latest = produced.versions[-1]
        proof = build_proof(self.context.store, latest.version_id, self.context.public_key_raw)
        if any(isinstance(s, Redaction) for v in produced.versions for s in v.text) or \
                overlays.names_in(proof.get("content"), self.overlay()):
            proof["content"] = None
        return proof

    def search(self, slug: str, query: str = "", limit: int = 20, offset: int = 0,
               facets: bool = False, account_id: int | None = None,
               count: bool = True) -> SearchResults:
        """Search (or, with no query, list newest first) what the open archive shows of
        the agency's records, leaving out every record a redaction touches; `count`
        as `Finding.search`."""
        snapshot = self._snapshot()
        accounts = frozenset(a.id for a in self._shown_accounts(snapshot, slug)
                             if account_id is None or a.id == account_id)
        if account_id is not None and not accounts:
            raise NotFound("account", account_id)
        return self.finding.search(query, limit=limit, offset=offset, facets=facets,
                                   public=True, accounts=accounts,
                                   where=overlays.condition(snapshot.rules, snapshot.overlay,
                                                            snapshot.now,
                                                            self._buried(snapshot)),
                                   count=count)


class _Accounts:
    """The registry as `build_items` reads it (`account`), from the accounts Publishing
    keeps."""

    def __init__(self, account) -> None:  # noqa: ANN001
        self.account = account


def _restricted(history: list, reading: Reading) -> bool:
    """Whether the latest content still held (a deletion keeps the one before it; a purge
    removes it) was shown by its platform only to some people."""
    for version in reversed(history):
        content = reading.content(version)
        if content is not None:
            return audience_restricted(content)
    return False


def kinds_shown(rules: PublicArchive) -> frozenset[Kind]:
    """The kinds of record the open archive can show under these rules."""
    kinds = {Kind.POST, Kind.MEDIA, Kind.COMMENT, Kind.REPLY}
    return frozenset(kinds if rules.comments else kinds - publication.COMMENTS)
