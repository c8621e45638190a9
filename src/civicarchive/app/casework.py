"""Casework scoped to an agency: which records requests, legal holds and disposition
batches a web user may see and act on, in a deployment that serves several agencies.

The tables of requests, holds and batches carry no agency, and need none: each row names
who made it (`created_by`), and a web user's actor name is `user:USERNAME`, a user who
belongs to one agency for good. So a request, hold or batch belongs to the agency of the
staff user who made it; a request made through an agency's public portal (`public:SLUG`,
app/portal.py) to that agency; one made from the command line (any other actor name) to
the deployment's first agency, in whose name the command line already produces and
certifies. Another agency's request, hold or batch is `NotFound`, exactly as a missing id.

What a hold and a batch reach is bounded too: a hold placed here covers the agency's
accounts only (all of them registered when it is placed, unless it names some), and a
review gathers only the agency's records. The records a request collects are the ones
the user sees (their agency's, direct messages only with the permission to read them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from civicarchive.app.access import Access
from civicarchive.app.custody import Custody
from civicarchive.app.disposition import Disposition
from civicarchive.app.portal import PUBLIC_ACTOR  # a request the public made: + the slug
from civicarchive.app.registry import Registry
from civicarchive.app.requests import Requests
from civicarchive.app.users import Users
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.custody import Hold, HoldScope
from civicarchive.model.staff import Permission, Principal
from civicarchive.records import holds as hold_rules

USER_ACTOR = "user:"


class Casework:
    """Requests, holds and disposition batches as one agency's staff see them."""

    def __init__(self, registry: Registry, users: Users, access: Access, requests: Requests,
                 custody: Custody, disposition: Disposition) -> None:
        self.registry = registry
        self.users = users
        self.access = access
        self.requests = requests
        self.custody = custody
        self.disposition = disposition
        self._agency_of_actor = lru_cache(maxsize=1024)(self._lookup_actor)

    # -- whose is it --------------------------------------------------------------------

    def agency_of(self, actor: str) -> int:
        """The agency a request, hold or batch made by `actor` belongs to."""
        return self._agency_of_actor(actor)

    def _lookup_actor(self, actor: str) -> int:
        agencies = self.registry.agencies()
        if actor.startswith(USER_ACTOR):
            try:
                return self.users.by_name(actor.removeprefix(USER_ACTOR)).agency_id
            except NotFound:
                pass
        elif actor.startswith(PUBLIC_ACTOR):  # made through the agency's public portal
            slug = actor.removeprefix(PUBLIC_ACTOR)
            for agency in agencies:
                if agency.slug == slug:
                    return agency.id
        return agencies[0].id

    def _mine(self, principal: Principal, actor: str) -> bool:
        return principal.agency_id is not None and self.agency_of(actor) == principal.agency_id

    def agency_accounts(self, principal: Principal) -> frozenset[int]:
        """Every account of the principal's agency (holds and disposition reach these)."""
        agency = self.access.agency_id(principal)
        return frozenset(a.id for a in self.registry.accounts() if a.agency_id == agency)

    # -- requests -----------------------------------------------------------------------

    def request(self, principal: Principal, request_id: int) -> int:
        """The request's id, if it is the principal's agency's; NotFound otherwise."""
        self.access.require(principal, Permission.MANAGE_REQUESTS, "records requests")
        creator = self.requests.creators().get(request_id)
        if creator is None or not self._mine(principal, creator):
            raise NotFound("request", request_id)
        return request_id

    def request_list(self, principal: Principal) -> list[dict]:
        """The agency's requests with their status and next deadline."""
        self.access.require(principal, Permission.MANAGE_REQUESTS, "records requests")
        mine = {i for i, creator in self.requests.creators().items()
                if self._mine(principal, creator)}
        return self.requests.list(only=mine)

    def collect(self, principal: Principal, request_id: int, items: list[int] | None = None,
                query: str | None = None, all_versions: bool = False) -> int:
        """Collect records the principal sees into their agency's request: another
        agency's item is NotFound; a search finds only the records they see."""
        self.request(principal, request_id)
        for item in items or []:
            self.access.item(principal, item)
        visible = frozenset(a.id for a in self.access.accounts(principal))
        return self.requests.collect(request_id, principal.name, items=items, query=query,
                                     all_versions=all_versions, accounts=visible,
                                     public=not principal.can(Permission.READ_MESSAGES))

    # -- holds --------------------------------------------------------------------------

    def holds(self, principal: Principal) -> list[Hold]:
        """The agency's holds, active and released."""
        self.access.require(principal, Permission.MANAGE_HOLDS, "legal holds")
        return [h for h in self.custody.holds() if self._mine(principal, h.created_by)]

    def hold(self, principal: Principal, hold_id: int) -> Hold:
        """The agency's hold; NotFound as for a missing id otherwise."""
        found = next((h for h in self.holds(principal) if h.id == hold_id), None)
        if found is None:
            raise NotFound("hold", hold_id)
        return found

    def add_hold(self, principal: Principal, name: str, matter: str, reason: str,
                 query: str | None = None, items: list[int] | None = None,
                 accounts: list[int] | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> int:
        """Place a hold over the agency's records: named accounts and items must be the
        agency's (NotFound otherwise); with no accounts named, every account of the
        agency registered now."""
        self.access.require(principal, Permission.MANAGE_HOLDS, "placing a legal hold")
        own = self.agency_accounts(principal)
        for account in accounts or []:
            if account not in own:
                raise NotFound("account", account)
        for item in items or []:
            if self.access.reading.item(item).account_id not in own:
                raise NotFound("item", item)
        try:
            hold_rules.parse_query(query)
        except InvalidInput as error:
            error.parameter = "query"
            raise
        start, end = (_utc(start), _utc(end))
        if start and end and end <= start:
            raise InvalidInput("the hold's end must come after its start", parameter="end")
        scope = HoldScope(accounts=frozenset(accounts or own), start=start, end=end,
                          query=(query or "").strip() or None,
                          items=frozenset(items) if items else None)
        return self.custody.add_hold(name, matter, reason, scope, principal.name)

    def release_hold(self, principal: Principal, hold_id: int, reason: str) -> None:
        """Release the agency's hold, with the reason."""
        self.hold(principal, hold_id)
        self.custody.release_hold(hold_id, reason, principal.name)

    def active(self, hold: Hold, now: datetime | None = None) -> bool:
        """Whether the hold is in force now (placed and not released)."""
        return hold_rules.active(hold, now or self.custody.context.clock.now())

    # -- retention and disposition ------------------------------------------------------

    def retention_status(self, principal: Principal) -> list[dict]:
        """Retention per series over the agency's records."""
        self.access.require(principal, Permission.MANAGE_RETENTION, "retention")
        return self.disposition.retention_status(accounts=self.agency_accounts(principal))

    def held(self, principal: Principal, limit: int = 200) -> list[dict]:
        """The agency's records a hold keeps from disposition (at most `limit`), with
        the holds: what a review leaves out, and why."""
        self.access.require(principal, Permission.MANAGE_RETENTION, "retention")
        own = self.agency_accounts(principal)
        found = []
        for facts, result in self.disposition.eligibilities():
            if facts.account_id in own and result.held_by and not facts.purged:
                found.append({"item": facts.item_id, "series": result.series,
                              "holds": sorted(result.held_by)})
                if len(found) >= limit:
                    break
        return found

    def batches(self, principal: Principal) -> list[dict]:
        """The agency's disposition batches, oldest first."""
        self.access.require(principal, Permission.MANAGE_RETENTION, "disposition")
        found = [self.disposition.batch(i) for i in self.disposition.batch_ids()]
        return [b for b in found if self._mine(principal, b["created_by"])]

    def batch(self, principal: Principal, batch_id: int) -> dict:
        """The agency's disposition batch; NotFound as for a missing id otherwise."""
        self.access.require(principal, Permission.MANAGE_RETENTION, "disposition")
        if batch_id not in self.disposition.batch_ids():
            raise NotFound("disposition batch", batch_id)
        found = self.disposition.batch(batch_id)
        if not self._mine(principal, found["created_by"]):
            raise NotFound("disposition batch", batch_id)
        return found

    def review(self, principal: Principal, series: str) -> int | None:
        """A batch of the series' eligible records of the agency (None: none eligible)."""
        self.access.require(principal, Permission.MANAGE_RETENTION, "disposition review")
        return self.disposition.review(series, principal.name,
                                       accounts=self.agency_accounts(principal))

    def approve(self, principal: Principal, batch_id: int) -> None:
        """Approve the agency's batch (by a second person when the policy asks)."""
        self.batch(principal, batch_id)
        self.disposition.approve(batch_id, principal.name)

    def transfer(self, principal: Principal, batch_id: int) -> dict:
        """The transfer package of the agency's approved batch, for the State Archives."""
        self.batch(principal, batch_id)
        return self.disposition.transfer(batch_id, principal.name)

    def execute(self, principal: Principal, batch_id: int, receipt: str | None = None
                ) -> dict:
        """Dispose of the agency's approved batch (`receipt`: the State Archives' for its
        transfer package, when the series is theirs); its certificate."""
        self.batch(principal, batch_id)
        return self.disposition.execute(batch_id, principal.name,
                                        agency_id=principal.agency_id, receipt=receipt)


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC (so that it compares with the archive's)."""
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment
