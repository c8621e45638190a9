"""Compliance of officials' accounts: the state-action (Lindke) assessment of each post,
public business on their personal accounts flagged as records with a series, people
whose acknowledgement or training is due, and the alerts that record them.

The judging is done by the pure engines in compliance/; this service gathers what they
read (each post with the offices its author held that day, the agency's own posts, the
adopted policy) and records alerts. Sentence embeddings are used when the optional
`embeddings` extra is installed (moderation/embeddings.py), TF-IDF otherwise.
"""

from __future__ import annotations

from datetime import date, datetime

from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.people import People
from civicarchive.app.registry import Registry
from civicarchive.clock import parse_time
from civicarchive.compliance import monitors
from civicarchive.compliance import public_business as business
from civicarchive.compliance.public_business import BusinessFinding, PublicBusiness
from civicarchive.compliance.state_action import (Assessment, Post, Restriction,
                                                  RestrictionWarning, assess,
                                                  restriction_warning)
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.account import Account, Classification
from civicarchive.model.people import Person
from civicarchive.model.record import Kind
from civicarchive.policy import Policy, series_for
from civicarchive.store import capture as alerts_sql
from civicarchive.store import people as sql
from civicarchive.store import records as record_sql

OFFICIALS = (Classification.OFFICIAL_PERSONAL, Classification.OFFICIAL_PROFESSIONAL)
AGENCY_POSTS = 2000  # the agency's latest posts the classifier compares with
ASSESSED = 1000  # single posts' assessments kept (the moderation queue's warnings)
KINDS = ("compliance.public_business", "compliance.acknowledgement", "compliance.training",
         *monitors.KINDS)


class Compliance:
    """State-action assessments, public business, people's duties, compliance alerts."""

    def __init__(self, context: ArchiveContext, registry: Registry, custody: Custody,
                 people: People) -> None:
        self.context = context
        self.registry = registry
        self.custody = custody
        self.people = people
        self._embedder: object | None = None
        self._embedder_loaded = False
        self._classified: tuple | None = None  # (policy, what it read, PublicBusiness)
        self._profiles: tuple | None = None    # (what it read, account id -> profile text)
        self._assessed: dict[tuple, tuple | None] = {}  # (post, classifications, ledger)

    # -- assessments ---------------------------------------------------------------------

    def assess(self, account_id: int | None = None) -> list[dict]:
        """Every post of officials' accounts (or of one account), each with its
        state-action assessment and, for personal accounts, whether it is public business
        and under which series; in item order."""
        accounts = self._official_accounts(account_id)
        if not accounts:
            return []
        _, policy = self.custody.policy()
        with self.context.read() as conn:
            posts = list(sql.account_posts(conn, self.context.store.blob,
                                           [a.id for a in accounts]))
        return [row for row, _ in self._judge(posts, accounts, policy)]

    def assess_item(self, item_id: int) -> dict:
        """The assessment of one post of an official's account (a comment or reply: of the
        post it answers)."""
        found = self._assess_item(item_id, OFFICIALS)
        if found is None:
            raise InvalidInput(f"item {item_id} is not a post of an official's account (or a "
                               f"comment under one): only those are assessed for state action",
                               parameter="item")
        return found[0]

    def restriction_warning(self, item_id: int, action: Restriction | str
                            ) -> RestrictionWarning | None:
        """The warning to show before blocking someone, or deleting a comment, on or under
        this post (item: the post, or the comment): when the post is assessed likely state
        action or unclear (an agency account's always is), never for hiding. Items on
        employees' accounts are left to the moderation rules: None."""
        found = self._assess_item(item_id, (*OFFICIALS, Classification.AGENCY))
        return restriction_warning(found[1], action) if found else None

    def _assess_item(self, item_id: int, classifications: tuple[Classification, ...]
                     ) -> tuple[dict, Assessment] | None:
        post_id = self._post_of(item_id)
        # Kept while the ledger does not grow: everything an assessment reads (records,
        # accounts, people, the policy) is written with an entry in it. The moderation
        # queue asks for the warnings of every post on a page, at each load.
        with self.context.read() as conn:
            key = (post_id, classifications, sql.ledger_head(conn))
        if key in self._assessed:
            return self._assessed[key]
        accounts = [a for a in self.registry.accounts() if a.classification in classifications]
        with self.context.read() as conn:
            found = list(sql.account_posts(conn, self.context.store.blob,
                                           [a.id for a in accounts], item_ids=[post_id]))
        if not found:
            return None
        _, policy = self.custody.policy()
        assessed = self._judge(found, accounts, policy)[0]
        if len(self._assessed) >= ASSESSED:
            self._assessed.clear()
        self._assessed[key] = assessed
        return assessed

    # -- the report and its alerts -------------------------------------------------------

    def report(self, now: datetime | None = None) -> dict:
        """What needs attention: posts on officials' personal accounts flagged as public
        business (with reasons and series), officials' accounts linked to nobody, and
        people whose acknowledgement or training is missing or expired."""
        now = now or self.context.clock.now()
        assessed = self.assess()
        flagged = [_public(row) for row in assessed
                   if row["classification"] == Classification.OFFICIAL_PERSONAL.value
                   and row["public_business"]["public_business"]]
        linked = self.people.account_people()
        unlinked = [{"account": a.id, "handle": a.handle, "classification": a.classification.value,
                     "owner": a.owner} for a in self._official_accounts(None)
                    if a.id not in linked]
        due = []
        for person in self.people.people():
            standing = self.people.standing(person, now)
            if standing and (standing.acknowledgement.status.due or
                             standing.training.status.due):
                due.append({"person": person.id, "name": person.name, "role": person.role.value,
                            "offices": list(person.offices_on(now.date())),
                            **standing.as_dict()})
        return {"public_business": flagged, "unlinked_accounts": unlinked, "people": due,
                "similarity": "embeddings" if self._load_embedder() else "tf-idf"}

    def monitor(self, actor: str, now: datetime | None = None) -> list[int]:
        """Record an alert for each finding of the report not alerted before: a post
        flagged as public business (once per post), a person's acknowledgement or training
        due (again when its status or the guide changes); and of the record monitors
        (app/monitoring.py): a record deleted before its retention ended, an official seen
        under an unregistered account, personal information in staff's posts, a keyword
        of the policy (each once). Returns the new alerts' ids."""
        found = self.report(now)
        with self.context.read() as conn:
            seen = {kind: {_key(kind, a["details"]) for a in alerts_sql.alerts(
                conn, kind=kind, limit=1_000_000)} for kind in KINDS}
        _, guide = self.people.guide()
        new: list[tuple] = []
        for row in found["public_business"]:
            details = {"item_id": row["item_id"], "series": row["series"],
                       "score": row["score"], "state_action": row["state_action"],
                       "reasons": [p["explanation"] for p in row["reasons"]]}
            new.append(("compliance.public_business", row["account"],
                        f"post {row['item_id']} on {row['handle']} ({row['person'] or 'no person'}"
                        f") is public business: keep it as a record under "
                        f"{', '.join(row['series']) or 'a series the policy must assign'}",
                        details))
        for person in found["people"]:
            for duty, kind in (("acknowledgement", "compliance.acknowledgement"),
                               ("training", "compliance.training")):
                state = person[duty]
                if state["status"] in ("current", "not required"):
                    continue
                details = {"person_id": person["person"], "status": state["status"],
                           "last": state["last"]}
                if duty == "acknowledgement":
                    details["guide_sha256"] = guide
                new.append((kind, None, f"{person['name']} (person {person['person']}): "
                                        f"{duty} {state['status']}: {state['detail']}",
                            details))
        from civicarchive.app.monitoring import signals
        _, policy = self.custody.policy()
        new += [(signal.kind, signal.account_id, signal.message, signal.details())
                for signal in signals(self.context, self.registry, self.custody, self.people,
                                      policy)]
        new = [entry for entry in new if _key(entry[0], entry[3]) not in seen[entry[0]]]
        if not new:
            return []
        with self.context.write() as tx:
            return [alerts_sql.add_alert(tx, kind, account_id, message, details, actor)
                    for kind, account_id, message, details in new]

    # -- helpers -------------------------------------------------------------------------

    def _official_accounts(self, account_id: int | None) -> list[Account]:
        if account_id is not None:
            account = self.registry.account(account_id)
            if account.classification not in OFFICIALS:
                raise InvalidInput(f"account {account_id} is an {account.classification.value}"
                                   f" account: the state-action assessment is for officials' "
                                   f"accounts", parameter="account")
            return [account]
        return [a for a in self.registry.accounts() if a.classification in OFFICIALS]

    def _post_of(self, item_id: int) -> int:
        """The post a comment or reply answers, following parents up; the item itself
        when it is a post."""
        with self.context.read() as conn:
            if record_sql.item(conn, item_id) is None:
                raise NotFound("item", item_id)
            current = item_id
            for _ in range(50):  # a thread deeper than this is not a thread
                parent = sql.parent_post(conn, current)
                if parent is None:
                    break
                current = parent
        return current

    def _load_embedder(self):  # noqa: ANN202
        if not self._embedder_loaded:
            self._embedder_loaded = True
            try:
                from civicarchive.moderation.embeddings import load_embedder
            except ImportError:  # the moderation engine or its extra is not installed
                self._embedder = None
            else:
                self._embedder = load_embedder(enabled=self.context.settings.embeddings)
        return self._embedder

    def _classifier(self, policy: Policy) -> PublicBusiness:
        agency = [a.id for a in self.registry.accounts()
                  if a.classification is Classification.AGENCY]
        with self.context.read() as conn:
            # Built once while no record changes: a state-action warning is asked for each
            # post of every page of the moderation queue.
            key = (tuple(agency), sql.latest_change(conn))
            kept = self._classified
            if kept is not None and kept[0] is policy and kept[1] == key:
                return kept[2]
            texts = sql.latest_texts(conn, self.context.store.blob, agency, AGENCY_POSTS)
        classifier = PublicBusiness(policy.personal_accounts.agency_terms, texts,
                                    self._load_embedder(), agency=policy.agency)
        self._classified = (policy, key, classifier)
        return classifier

    def _judge(self, posts: list[dict], accounts: list[Account], policy: Policy
               ) -> list[tuple[dict, Assessment]]:
        by_id = {a.id: a for a in accounts}
        owners = self.people.account_people()
        people = {p.id: p for p in self.people.people()}
        tags = self.registry.account_tags()
        with self.context.read() as conn:
            key = (tuple(by_id), sql.latest_change(conn))
            if self._profiles is None or self._profiles[0] != key:
                self._profiles = (key, {p["account_id"]: p["text"] for p in sql.account_posts(
                    conn, self.context.store.blob, list(by_id), kinds=(Kind.PROFILE,))})
            profiles = self._profiles[1]
        classifier = self._classifier(policy)
        offices = [_offices(people.get(owners.get(p["account_id"], -1)), _day(p), policy)
                   for p in posts]
        found = classifier.classify_many([p["text"] for p in posts], offices)
        rows = []
        for post, held, business_finding in zip(posts, offices, found):
            account = by_id[post["account_id"]]
            person = people.get(owners.get(account.id, -1))
            assessment = assess(Post(
                post["text"], account.classification, held,
                profile=profiles.get(account.id, ""), author_known=person is not None,
                echoed_by_agency=_echoed(business_finding, classifier)))
            series = [s.code for s in series_for(policy, account.classification,
                                                 account.platform, Kind.POST,
                                                 tags.get(account.id, ()))]
            rows.append(({**post, "handle": account.handle, "platform": account.platform,
                         "classification": account.classification.value,
                         "person": person.name if person else None,
                         "person_id": person.id if person else None,
                         "offices": [o.key for o in held],
                         "state_action": assessment.as_dict(),
                         "public_business": business_finding.as_dict(), "series": series},
                         assessment))
        return rows


def _day(post: dict) -> date:
    return parse_time(post["created_at"] or post["first_seen_at"]).date()


def _offices(person: Person | None, day: date, policy: Policy) -> tuple:
    if person is None:
        return ()
    known = {o.key: o for o in policy.offices}
    return tuple(known[key] for key in person.offices_on(day) if key in known)


def _echoed(found: BusinessFinding, classifier: PublicBusiness) -> bool | None:
    """Whether an agency post carries the same notice (its nearest is close enough), when
    the archive holds agency posts at all."""
    if not classifier.agency_posts or found.similarity is None:
        return None
    steps = business.EMBEDDING_STEPS if classifier.by_embeddings else business.LEXICAL_STEPS
    return found.similarity >= steps[0][0]


def _public(row: dict) -> dict:
    return {"item_id": row["item_id"], "account": row["account_id"], "handle": row["handle"],
            "platform": row["platform"], "person": row["person"], "url": row["url"],
            "created_at": row["created_at"], "deleted": row["deleted"],
            "text": row["text"], "score": row["public_business"]["score"],
            "reasons": row["public_business"]["parts"], "series": row["series"],
            "state_action": row["state_action"]["result"]}


def _key(kind: str, details: dict) -> tuple:
    if kind in monitors.KINDS:  # the record monitors name their own key
        return tuple(details.get("key") or ())
    if kind == "compliance.public_business":
        return (details.get("item_id"),)
    # A missing or expired duty is alerted once; an outdated acknowledgement once per
    # guide it falls behind.
    return (details.get("person_id"), details.get("status"), details.get("last"),
            details.get("guide_sha256") if details.get("status") == "outdated" else None)
