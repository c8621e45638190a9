"""The registry: agencies and the accounts that do agency business, with their closures
and tags. Every change is an audit event in the ledger."""

from __future__ import annotations

import re
from datetime import datetime

from civicarchive.app.context import ArchiveContext
from civicarchive.clock import format_time
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.account import Account, Agency, Classification
from civicarchive.store import accounts as sql


class Registry:
    """Agencies and accounts."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context
        self._counted: tuple[int, dict[int, tuple[int, int]]] = (0, {})  # see item_counts

    def agencies(self) -> list[Agency]:
        """Every agency of the archive, in the order they were added."""
        with self.context.read() as conn:
            return sql.agencies(conn)

    def agency(self, name: str | None = None) -> Agency:
        """The agency with this slug or name; the only one when `name` is None."""
        agencies = self.agencies()
        if name is None:
            if len(agencies) == 1:
                return agencies[0]
            raise InvalidInput("this archive holds several agencies: name one of "
                               f"{', '.join(a.slug for a in agencies)}", parameter="agency")
        for agency in agencies:
            if name in (agency.slug, agency.name):
                return agency
        raise NotFound("agency", name)

    def add_agency(self, name: str, actor: str = "system") -> Agency:
        """Another agency sharing this deployment (a county and its cities, say): its
        accounts, records, requests and users are kept apart from the others'."""
        name = name.strip()
        if not name or not slugify(name):
            raise InvalidInput("the agency needs a name, e.g. 'City of Example'",
                               parameter="agency")
        if any(slugify(name) == a.slug or name == a.name for a in self.agencies()):
            raise InvalidInput(f"an agency named {name!r} exists: see accounts list",
                               parameter="agency")
        with self.context.write() as tx:
            agency_id = tx.next_id("agencies")
            tx.add("agencies", {"id": agency_id, "slug": slugify(name), "name": name,
                                "created_at": tx.now})
            tx.audit(actor, "agency.add", f"agency {agency_id}",
                     {"agency": name, "agency_id": agency_id, "slug": slugify(name)})
        return self.agency(slugify(name))

    def add_account(self, platform: str, handle: str, classification: Classification | str,
                    owner: str | None = None, platform_id: str | None = None,
                    agency: str | None = None, actor: str = "system") -> Account:
        """Register an account that does agency business."""
        classification = choose(Classification, classification, "classification")
        platform = platform.strip().lower()
        if not platform or not handle.strip():
            raise InvalidInput("an account needs a platform and a handle")
        agency_row = self.agency(agency)
        with self.context.write() as tx:
            exists = sql.account_with_handle(tx.conn, agency_row.id, platform, handle)
            if exists:
                raise InvalidInput(f"{platform} account {handle!r} is already registered as "
                                   f"account {exists}")
            account_id = tx.next_id("accounts")
            row = {"id": account_id, "agency_id": agency_row.id, "platform": platform,
                   "handle": handle, "platform_id": platform_id, "owner": owner,
                   "classification": classification.value, "registered_at": tx.now,
                   "registered_by": actor}
            tx.add("accounts", row)
            tx.audit(actor, "account.register", f"account {account_id}",
                     {k: v for k, v in row.items() if k != "id"})
        return self.account(account_id)

    def accounts(self) -> list[Account]:
        """Every registered account, by id."""
        with self.context.read() as conn:
            return sql.accounts(conn)

    def account(self, account_id: int) -> Account:
        """One account; NotFound when there is none with that id."""
        with self.context.read() as conn:
            found = sql.account(conn, account_id)
        if found is None:
            raise NotFound("account", account_id)
        return found

    def handles(self) -> dict[int, str]:
        """Account id -> handle."""
        with self.context.read() as conn:
            return sql.handles(conn)

    def close_account(self, account_id: int, closed_at: datetime, actor: str) -> None:
        """Record that an account was closed: series counted from closure start now."""
        self.account(account_id)
        with self.context.write() as tx:
            if account_id in sql.closures(tx.conn):
                raise InvalidInput(f"account {account_id} is already recorded as closed")
            sql.add_closure(tx.conn, account_id, format_time(closed_at), tx.now, actor)
            tx.audit(actor, "account.close", f"account {account_id}",
                     {"closed_at": format_time(closed_at)})

    def tag_account(self, account_id: int, tag: str, actor: str) -> None:
        """Tag an account; the policy's assignment rules may select series by tag."""
        self.account(account_id)
        tag = tag.strip()
        if not tag:
            raise InvalidInput("a tag needs a name, e.g. council")
        with self.context.write() as tx:
            if tag in sql.tags(tx.conn).get(account_id, ()):
                raise InvalidInput(f"account {account_id} is already tagged {tag!r}")
            sql.add_tag(tx.conn, account_id, tag, tx.now, actor)
            tx.audit(actor, "account.tag", f"account {account_id}", {"tag": tag})

    def account_tags(self) -> dict[int, frozenset[str]]:
        """Account id -> its tags (accounts without tags are left out)."""
        with self.context.read() as conn:
            return sql.tags(conn)

    def item_counts(self, messages: bool = True) -> dict[int, int]:
        """Account id -> records captured, direct messages left out unless `messages` (a
        count of what a caller may not read tells them it exists). Items are append-only
        and their ids grow in commit order (writers are serialised), so only those since
        the last call are counted: a dashboard over a million records does not count them
        all each time."""
        through, counts = self._counted
        with self.context.read() as conn:
            more, latest = sql.item_counts_after(conn, through)
        if more:
            none = (0, 0)
            counts = {a: tuple(map(sum, zip(counts.get(a, none), more.get(a, none))))
                      for a in counts.keys() | more}
            self._counted = (latest, counts)  # one assignment: readers see either state
        return {a: total if messages else total - dms for a, (total, dms) in counts.items()}


def slugify(name: str) -> str:
    """The agency's name as a URL- and file-safe slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "agency"


def choose(kind: type, value: object, what: str):  # noqa: ANN201
    """`value` as a member of the Enum `kind`, or an error listing the members."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"unknown {what} {value!r}: use one of "
                           f"{', '.join(m.value for m in kind)}", parameter=what) from None
