"""The archive's duties as custodian: the adopted policy, the owners' acknowledgements,
what each account is missing, and legal holds. Every change is an audit event in the
ledger. Retention and disposition build on this in `disposition.py`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import orjson

from civicarchive import policy as policy_file
from civicarchive.app.context import ArchiveContext
from civicarchive.app.registry import Registry
from civicarchive.clock import format_time, parse_time
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.record import Kind
from civicarchive.policy import Policy
from civicarchive.records import holds as hold_rules
from civicarchive.model.custody import Hold, HoldScope, RecordFacts
from civicarchive.store import custody as sql
from civicarchive.store import records as record_sql
from civicarchive.store.canonical import canonical_json


class Custody:
    """The adopted policy, acknowledgements and legal holds."""

    def __init__(self, context: ArchiveContext, registry: Registry) -> None:
        self.context = context
        self.registry = registry
        self._parsed: dict[int, Policy] = {}

    # -- the adopted policy -------------------------------------------------------------

    def adopt_policy(self, path: Path | str, actor: str) -> int:
        """Adopt a policy file (checked first): retention and disposition follow it."""
        path = Path(path)
        policy_file.load_policy(path)  # raises with every problem listed
        return self.adopt_policy_text(path.read_text(encoding="utf-8"), path.name, actor)

    def adopt_policy_text(self, text: str, name: str, actor: str) -> int:
        """As `adopt_policy`, for a policy file's text (`name` is what the audit log and
        problem messages call it: an upload's file name)."""
        policy_file.parse_policy(text, name)  # raises with every problem listed
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self.context.write() as tx:
            policy_id = sql.add_policy(tx, text, digest, actor)
            tx.audit(actor, "policy.adopt", f"policy {policy_id}",
                     {"file": name, "sha256": digest})
        return policy_id

    def policy(self) -> tuple[int, Policy]:
        """The policy in force (the last adopted) and its id."""
        with self.context.read() as conn:
            policy_id = sql.latest_policy_id(conn)
        if policy_id is None:
            raise InvalidInput("no policy adopted yet: adopt the agency's policy file "
                               "(examples in src/civicarchive/policy/examples)")
        return policy_id, self.adopted(policy_id)

    def adopted_any(self) -> bool:
        """Whether a policy has been adopted yet."""
        with self.context.read() as conn:
            return sql.latest_policy_id(conn) is not None

    def adopted(self, policy_id: int) -> Policy:
        """A policy adopted at some time (a request is timed under the one in force when
        it came in); each is parsed once, since an adopted policy never changes."""
        if policy_id not in self._parsed:
            with self.context.read() as conn:
                text = sql.policy_text(conn, policy_id)
            self._parsed[policy_id] = policy_file.parse_policy(text,
                                                               f"adopted policy {policy_id}")
        return self._parsed[policy_id]

    def acknowledge(self, owner: str, actor: str, at: datetime | None = None) -> None:
        """Record that an account owner acknowledged the adopted policy."""
        policy_id, _ = self.policy()
        at = at or self.context.clock.now()
        with self.context.write() as tx:
            ack_id = sql.add_acknowledgement(tx, owner, policy_id, format_time(at), actor)
            tx.audit(actor, "policy.acknowledge", owner,
                     {"policy": policy_id, "at": format_time(at), "acknowledgement": ack_id})

    def accounts_report(self, now: datetime | None = None) -> list[dict]:
        """Each account with its record series and what is missing: an owner, a current
        acknowledgement (per the policy's registration rules), any captured record."""
        now = now or self.context.clock.now()
        _, adopted = self.policy()
        periods = [adopted.registration.acknowledgement_valid_days,
                   adopted.training.renew_every_days if adopted.training.required else None]
        periods = [days for days in periods if days]
        valid_days = min(periods) if periods and \
            adopted.registration.acknowledgement_required else None
        tags = self.registry.account_tags()
        captured = self.registry.item_counts()
        with self.context.read() as conn:
            latest = sql.latest_acknowledgements(conn)
        report = []
        for account in self.registry.accounts():
            issues = []
            if not account.owner:
                issues.append("no owner recorded")
            elif account.classification in adopted.registration.required_for:
                when = latest.get(account.owner)
                if when is None:
                    issues.append("owner has not acknowledged the policy")
                elif valid_days and (now - parse_time(when)).days > valid_days:
                    issues.append(f"acknowledgement expired (last {when[:10]})")
            if not captured.get(account.id):
                issues.append("nothing captured yet: configure capture or import an export")
            series = sorted({s.code for kind in Kind for s in policy_file.series_for(
                adopted, account.classification, account.platform, kind,
                tags.get(account.id, ()))})
            if not series:
                issues.append("no record series of the adopted policy covers it")
            report.append({"account": account.id, "platform": account.platform,
                           "handle": account.handle, "owner": account.owner,
                           "classification": account.classification.value,
                           "series": series, "records": captured.get(account.id, 0),
                           "issues": issues})
        return report

    # -- holds --------------------------------------------------------------------------

    def _check_named(self, scope: HoldScope) -> None:
        """InvalidInput when the scope names an account or a record the archive does not
        hold: a mistyped id would leave the one meant without a hold."""
        if scope.accounts:
            missing = sorted(scope.accounts - {a.id for a in self.registry.accounts()})
            if missing:
                raise InvalidInput(f"no account {', '.join(map(str, missing))} in this "
                                   "archive: a hold names accounts by their ids (accounts "
                                   "list)", parameter="accounts")
        if scope.items:
            possible = [i for i in scope.items if 0 < i < 2**53]  # (no id is larger)
            with self.context.read() as conn:
                found = record_sql.native_ids(conn, possible) if possible else {}
            missing = sorted(scope.items - found.keys())
            if missing:
                raise InvalidInput(f"no record {', '.join(map(str, missing[:20]))} in this "
                                   "archive: a hold names records by their item ids",
                                   parameter="items")

    def add_hold(self, name: str, matter: str, reason: str, scope: HoldScope,
                 actor: str) -> int:
        """Place a legal hold: the records in its scope may not be disposed of."""
        if not (name.strip() and matter.strip() and reason.strip()):
            raise InvalidInput("a hold needs a name, the matter it is for and a reason")
        if scope.query is not None:
            try:
                terms = hold_rules.parse_query(scope.query)
            except InvalidInput as error:
                error.parameter = "query"
                raise
            if not any(terms):  # "" or a lone "-" would widen the hold to every record
                raise InvalidInput(f"the hold query {scope.query!r} names no word or phrase: "
                                   f"give the words the records must contain, or no query "
                                   f"to hold every record of the scope", parameter="query")
        self._check_named(scope)
        if scope.start and scope.end and scope.end <= scope.start:
            raise InvalidInput(f"the hold's end ({format_time(scope.end)}) must come after its "
                               f"start ({format_time(scope.start)}): as given it covers no "
                               f"record", parameter="end")
        scope_json = canonical_json(_scope_dict(scope)).decode()
        with self.context.write() as tx:
            hold_id = sql.add_hold(tx, name, matter, reason, scope_json, actor)
            tx.audit(actor, "hold.add", f"hold {hold_id}",
                     {"name": name, "matter": matter, "reason": reason,
                      "scope": orjson.loads(scope_json)})
        return hold_id

    def release_hold(self, hold_id: int, reason: str, actor: str) -> None:
        """Release a hold (the matter settled); its records follow retention again."""
        if not reason.strip():
            raise InvalidInput("releasing a hold needs a reason (e.g. the matter settled)")
        with self.context.write() as tx:
            if not sql.hold_exists(tx.conn, hold_id):
                raise NotFound("hold", hold_id)
            if sql.hold_released(tx.conn, hold_id):
                raise InvalidInput(f"hold {hold_id} is already released")
            sql.add_release(tx, hold_id, reason, actor)
            tx.audit(actor, "hold.release", f"hold {hold_id}", {"reason": reason})

    def holds(self) -> list[Hold]:
        """Every hold, released ones too, by id."""
        with self.context.read() as conn:
            return sql.holds(conn)

    def holds_on(self, item_id: int, now: datetime | None = None) -> list[Hold]:
        """The active holds that cover a record."""
        now = now or self.context.clock.now()
        active = [h for h in self.holds() if hold_rules.active(h, now)]
        if not active:
            return []
        found = list(self.facts(active, [item_id]))
        if not found:
            raise NotFound("item", item_id)
        covering = set(hold_rules.holding(active, found[0], now))
        return [h for h in active if h.id in covering]

    def facts(self, active_holds: list[Hold], item_ids: list[int] | None = None
              ) -> Iterator[RecordFacts]:
        """What retention and holds decide on, for every record or those named; texts are
        read only when an active hold's scope is a query."""
        with_text = any(h.scope.query for h in active_holds)
        with self.context.read() as conn:
            yield from sql.record_facts(conn, self.context.store.blob, with_text, item_ids)


def _scope_dict(scope: HoldScope) -> dict:
    data = asdict(scope)
    for key in ("accounts", "items"):
        if data[key] is not None:
            data[key] = sorted(data[key])
    for key in ("start", "end"):
        if data[key] is not None:
            data[key] = format_time(data[key])
    return data
