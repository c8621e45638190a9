"""The record monitors of `compliance monitor` (compliance/monitors.py), given what they
read: records observed deleted with their series, comments on agency accounts with the
officials in the registry, staff's and officials' posts, and every post and comment
against the policy's keywords. Compliance.monitor records their signals as alerts."""

from __future__ import annotations

from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.people import People
from civicarchive.app.registry import Registry
from civicarchive.compliance import monitors
from civicarchive.model.account import Classification
from civicarchive.model.people import Role
from civicarchive.model.record import Kind
from civicarchive.policy import Policy, series_for
from civicarchive.store import moderation as comment_sql
from civicarchive.store import people as post_sql

OWN_KINDS = (Kind.POST, Kind.MEDIA)  # what an account itself publishes
STAFF = (Classification.EMPLOYEE, Classification.OFFICIAL_PERSONAL,
         Classification.OFFICIAL_PROFESSIONAL)


def signals(context: ArchiveContext, registry: Registry, custody: Custody, people: People,
            policy: Policy) -> list[monitors.Signal]:
    """Every signal of the record monitors, in monitor order."""
    accounts = {a.id: a for a in registry.accounts()}
    tags = registry.account_tags()
    deleted = []
    for facts in custody.facts([]):
        if facts.deleted_at is None or facts.kind not in OWN_KINDS or facts.purged:
            continue
        found = series_for(policy, facts.classification, facts.platform, facts.kind,
                           tags.get(facts.account_id, ()))
        if len(found) == 1:
            deleted.append((facts, found[0], accounts[facts.account_id].handle))
    agency = [a.id for a in accounts.values() if a.classification is Classification.AGENCY]
    staff = [a.id for a in accounts.values() if a.classification in STAFF]
    with context.read() as conn:
        comments = comment_sql.comments(conn, context.store.blob, agency)
        posts = list(post_sql.account_posts(conn, context.store.blob, staff))
        everything = list(post_sql.account_posts(conn, context.store.blob, list(accounts),
                                                 (Kind.POST, Kind.COMMENT, Kind.REPLY)))
    officials = [(p.id, p.name, [accounts[i].handle for i in p.accounts if i in accounts])
                 for p in people.people() if p.role is Role.OFFICIAL]

    def where(row: dict) -> dict:
        account = accounts[row["account_id"]]
        return {**row, "handle": account.handle, "platform": account.platform,
                "classification": account.classification.value}

    required = ", ".join(sorted(c.value for c in policy.registration.required_for))
    pii_clause = next((c.clause for c in policy.moderation if c.key == "personal_information"),
                      "the policy's rule on personal information")
    return [*monitors.deleted_early(deleted),
            *monitors.unregistered([where(c) for c in comments], officials,
                                   [(a.platform, a.handle) for a in accounts.values()],
                                   f"registration: accounts of these classifications must be "
                                   f"registered: {required}"),
            *monitors.personal_information([where(p) for p in posts], pii_clause),
            *monitors.keywords([where(r) for r in everything], policy.keywords)]
