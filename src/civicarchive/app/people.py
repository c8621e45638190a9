"""The registry of people: officials and staff, their terms in the policy's offices, the
accounts that are theirs (of every classification), and their acknowledgements of the
officials' guide and their training. Every change is a new row and an audit event in the
ledger; an account's `owner` text stays as it was registered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.registry import Registry, choose
from civicarchive.clock import format_time
from civicarchive.compliance.duties import Standing, standing
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.people import GuideAcknowledgement, Person, Role, Term
from civicarchive.policy.guide import guide_sha256
from civicarchive.store import people as sql

# (office key, first day, last day or None)
OfficeTerm = tuple[str, date, date | None]


class People:
    """Officials and staff, their offices, accounts, acknowledgements and training."""

    def __init__(self, context: ArchiveContext, registry: Registry, custody: Custody) -> None:
        self.context = context
        self.registry = registry
        self.custody = custody

    def add(self, name: str, role: Role | str, actor: str, terms: Iterable[OfficeTerm] = (),
            accounts: Iterable[int] = (), agency: str | None = None) -> Person:
        """Add a person, with their terms in office and their accounts, in one write."""
        role = choose(Role, role, "role")
        name = " ".join(name.split())
        if not name:
            raise InvalidInput("a person needs a name, e.g. 'Jane Doe'", parameter="name")
        terms, accounts = list(terms), list(dict.fromkeys(accounts))
        for office, starts_on, ends_on in terms:
            self._check_term(office, starts_on, ends_on)
        for account_id in accounts:
            self.registry.account(account_id)
        agency_row = self.registry.agency(agency)
        with self.context.write() as tx:
            person_id = sql.add_person(tx, agency_row.id, name, role, actor)
            for office, starts_on, ends_on in terms:
                sql.add_term(tx, person_id, office, starts_on.isoformat(),
                             ends_on.isoformat() if ends_on else None, actor)
            for account_id in accounts:
                sql.link_account(tx, account_id, person_id, actor)
        return self.person(person_id)

    def people(self) -> list[Person]:
        """Every person, by id."""
        with self.context.read() as conn:
            return sql.people(conn)

    def person(self, ref: int | str) -> Person:
        """A person by id, or by name when exactly one person has it."""
        if isinstance(ref, str) and ref.isdigit():
            ref = int(ref)
        if isinstance(ref, int):
            with self.context.read() as conn:
                found = sql.people(conn, ref)
            if not found:
                raise NotFound("person", ref)
            return found[0]
        named = [p for p in self.people() if p.name.casefold() == " ".join(ref.split()).casefold()]
        if not named:
            raise NotFound("person", ref)
        if len(named) > 1:
            raise InvalidInput(f"{len(named)} people are named {ref!r} (ids "
                               f"{', '.join(str(p.id) for p in named)}): name one by id",
                               parameter="person")
        return named[0]

    def add_term(self, ref: int | str, office: str, starts_on: date, ends_on: date | None,
                 actor: str) -> Term:
        """Record a term of a person in one of the policy's offices."""
        person = self.person(ref)
        self._check_term(office, starts_on, ends_on)
        with self.context.write() as tx:
            term_id = sql.add_term(tx, person.id, office, starts_on.isoformat(),
                                   ends_on.isoformat() if ends_on else None, actor)
        return self._term(term_id)

    def end_term(self, term_id: int, ends_on: date, actor: str) -> Term:
        """Record that a term ended before its set end (or that one without an end
        ended): its last day."""
        term = self._term(term_id)
        with self.context.read() as conn:
            recorded = sql.term_end(conn, term_id)
        if recorded is not None:
            raise InvalidInput(f"term {term_id} is already recorded as ended on {recorded}")
        if term.ends_on is not None and ends_on.isoformat() >= term.ends_on:
            raise InvalidInput(f"term {term_id} already ends on {term.ends_on}: record an "
                               f"earlier last day, or nothing", parameter="ends_on")
        if ends_on.isoformat() < term.starts_on:
            raise InvalidInput(f"term {term_id} starts on {term.starts_on}: it cannot end "
                               f"before that", parameter="ends_on")
        with self.context.write() as tx:
            sql.end_term(tx, term_id, term.person_id, ends_on.isoformat(), actor)
        return self._term(term_id)

    def link_account(self, ref: int | str, account_id: int, actor: str) -> Person:
        """Link a registry account to a person (linking it again moves it to them)."""
        person = self.person(ref)
        self.registry.account(account_id)
        with self.context.read() as conn:
            if sql.account_people(conn).get(account_id) == person.id:
                raise InvalidInput(f"account {account_id} is already linked to {person.name}")
        with self.context.write() as tx:
            sql.link_account(tx, account_id, person.id, actor)
        return self.person(person.id)

    def account_people(self) -> dict[int, int]:
        """Account id -> the id of the person it is linked to."""
        with self.context.read() as conn:
            return sql.account_people(conn)

    def guide(self) -> tuple[int, str]:
        """(adopted policy id, SHA-256 of the officials' guide rendered from it)."""
        policy_id, policy = self.custody.policy()
        return policy_id, guide_sha256(policy)

    def acknowledge(self, ref: int | str, actor: str, at: datetime | None = None,
                    guide: str | None = None) -> GuideAcknowledgement:
        """Record that a person acknowledged the officials' guide: by default the one
        rendered from the adopted policy; `guide` names another version by its SHA-256
        (say, a copy signed on paper), which then does not count as current."""
        person = self.person(ref)
        policy_id, current = self.guide()
        digest = (guide or current).strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidInput(f"{guide!r} is not a SHA-256 (64 hex digits): give the hash "
                               f"the rendered guide was printed with", parameter="guide")
        at_text = format_time(at or self.context.clock.now())
        with self.context.write() as tx:
            ack_id = sql.add_acknowledgement(tx, person.id, policy_id, digest, at_text, actor)
        return next(a for a in self.person(person.id).acknowledgements if a.id == ack_id)

    def train(self, ref: int | str, course: str, actor: str, at: datetime | None = None) -> None:
        """Record that a person completed a training course."""
        person = self.person(ref)
        course = " ".join(course.split())
        if not course:
            raise InvalidInput("name the course, e.g. 'Social media and public records 2026'",
                               parameter="course")
        with self.context.write() as tx:
            sql.add_training(tx, person.id, course, format_time(at or self.context.clock.now()),
                             actor)

    def standing(self, ref: int | str | Person, now: datetime | None = None
                 ) -> Standing | None:
        """Whether the person's acknowledgement (the current guide, within the policy's
        period) and training are current; None while no policy is adopted."""
        person = ref if isinstance(ref, Person) else self.person(ref)
        if not self.custody.adopted_any():
            return None
        _, policy = self.custody.policy()
        return standing(person, policy, guide_sha256(policy), now or self.context.clock.now())

    def owned_unlinked(self, person: Person) -> list[int]:
        """Accounts registered with this person's name as owner but linked to nobody: the
        ones to link."""
        linked = self.account_people()
        return [a.id for a in self.registry.accounts() if a.id not in linked
                and (a.owner or "").casefold() == person.name.casefold()]

    # -- helpers -------------------------------------------------------------------------

    def _check_term(self, office: str, starts_on: date, ends_on: date | None) -> None:
        _, policy = self.custody.policy()
        policy.office(office)
        if ends_on is not None and ends_on < starts_on:
            raise InvalidInput(f"a term cannot end ({ends_on}) before it starts ({starts_on})",
                               parameter="ends_on")

    def _term(self, term_id: int) -> Term:
        with self.context.read() as conn:
            found = sql.term(conn, term_id)
        if found is None:
            raise NotFound("term", term_id)
        return found
