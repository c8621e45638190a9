"""What a principal may see and do: every read the web serves passes through here.

A record, account, request or hold of another agency is `NotFound`, exactly as an id that
does not exist, so that ids reveal nothing across agencies. A direct message is `NotFound`
too without the permission to read messages, and so is what was sent in one (a photo is a
record of its own, under its message: app/lineage.py). A missing permission for something
visible is `AccessDenied`, which the web audits.
"""

from __future__ import annotations

from civicarchive.app.finding import Finding, SearchResults
from civicarchive.app.lineage import Lineages
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry
from civicarchive.errors import AccessDenied, NotFound
from civicarchive.model.account import Account
from civicarchive.model.people import Person
from civicarchive.model.record import Item, Kind
from civicarchive.model.staff import Permission, Principal


class Access:
    """Reads scoped to a principal's agency, accounts and permissions."""

    def __init__(self, registry: Registry, reading: Reading, finding: Finding,
                 lineages: Lineages) -> None:
        self.registry = registry
        self.reading = reading
        self.finding = finding
        self.lineages = lineages
        # Account rows are append-only (the store's triggers refuse an UPDATE): one read
        # once is good for as long as the process runs. Closures and tags live elsewhere.
        self._accounts: dict[int, Account] = {}

    def require(self, principal: Principal, permission: Permission, what: str) -> None:
        """AccessDenied unless the principal holds `permission`."""
        if not principal.can(permission):
            raise AccessDenied(permission.value, what)

    def sees_account(self, principal: Principal, account: Account) -> bool:
        """Whether the principal reads this account's records."""
        return (principal.agency_id is not None and account.agency_id == principal.agency_id
                and (principal.accounts is None or account.id in principal.accounts)
                and principal.can(Permission.READ_RECORDS))

    def accounts(self, principal: Principal) -> list[Account]:
        """The accounts whose records the principal sees."""
        return [a for a in self.registry.accounts() if self.sees_account(principal, a)]

    def account(self, principal: Principal, account_id: int) -> Account:
        """The account, if the principal sees it; NotFound as for a missing id otherwise."""
        account = self._account(account_id)
        if not self.sees_account(principal, account):
            raise NotFound("account", account_id)
        return account

    def item(self, principal: Principal, item_id: int) -> Item:
        """The item, if the principal may see it; NotFound as for a missing id otherwise."""
        item = self.reading.item(item_id)
        if not self.shows_item(principal, item, self._account(item.account_id)):
            raise NotFound("item", item_id)
        return item

    def _account(self, account_id: int) -> Account:
        found = self._accounts.get(account_id)
        if found is None:  # NotFound for a missing id, which is not kept
            found = self._accounts[account_id] = self.registry.account(account_id)
        return found

    def version_item(self, principal: Principal, version_id: int) -> Item:
        """The item a version belongs to, checked as `item` is."""
        version = self.reading.version(version_id)
        try:
            return self.item(principal, version.item_id)
        except NotFound:
            raise NotFound("version", version_id) from None

    def agency_id(self, principal: Principal) -> int:
        """The principal's agency: the anonymous public has none to act in."""
        if principal.agency_id is None:
            raise NotFound("agency", "of the caller")
        return principal.agency_id

    def search(self, principal: Principal, query: str, **options) -> SearchResults:  # noqa: ANN003
        """Search within the accounts the principal sees, leaving out direct messages
        unless they may read them."""
        self.require(principal, Permission.READ_RECORDS, "searching records")
        every = self.registry.accounts()
        visible = frozenset(a.id for a in every if self.sees_account(principal, a))
        public = not principal.can(Permission.READ_MESSAGES)
        if len(visible) < len(every):
            return self.finding.search(query, accounts=visible, public=public, **options)
        # Seeing every account (one agency's deployment), the filter would keep every
        # record while doubling the index's work. Unless an account came meanwhile: then
        # search again with the filter.
        found = self.finding.search(query, public=public, **options)
        if len(self.registry.accounts()) == len(every):
            return found
        return self.finding.search(query, accounts=visible, public=public, **options)

    # -- the records views (webrecords) -------------------------------------------------

    def shows_item(self, principal: Principal, item: Item, account: Account) -> bool:
        """Whether `item` of `account` is the principal's to see, as `item` decides (for a
        caller that read both already)."""
        return item.account_id == account.id and self.sees_account(principal, account) and \
            (principal.can(Permission.READ_MESSAGES) or not self.is_message(item))

    def is_message(self, item: Item) -> bool:
        """Whether the record is a direct message, or was sent in one."""
        return item.kind is Kind.MESSAGE or item.id in self.sent_in_messages()

    def sent_in_messages(self) -> frozenset[int]:
        """The records under a direct message, to any depth (a photo sent in it)."""
        return self.lineages.current().under_message()


    def people(self, principal: Principal, people: list[Person]) -> list[Person]:
        """Of these people, the principal's agency's; an official sees only themselves."""
        self.require(principal, Permission.READ_RECORDS, "the people registry")
        return [p for p in people if p.agency_id == principal.agency_id and (
            principal.accounts is None or
            (principal.user is not None and principal.user.person_id == p.id))]

    def person(self, principal: Principal, person: Person) -> Person:
        """The person, if the principal sees them; NotFound as for a missing id."""
        if not self.people(principal, [person]):
            raise NotFound("person", person.id)
        return person
