"""The archive's duties as custodian: the adopted policy, retention, legal holds and
certified disposition. Mixed into `Archive`; every change is an audit event in the ledger.

Disposition runs in three steps by different people where the policy asks for it:
`review` gathers eligible records not under hold into a batch, `approve` records each
approval (the approver may not be the batch's creator when two-person approval is on),
and `execute` checks everything again (a hold placed since the review still stops a
record), purges the content through `Archive.purge`, and writes a certificate.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import orjson
import sqlalchemy as sa

from civicarchive import policy as policy_file
from civicarchive.clock import format_time, parse_time
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.account import Classification
from civicarchive.model.record import Event, Kind
from civicarchive.policy import Policy, RecordSeries
from civicarchive.records import certificate, holds, retention
from civicarchive.records.model import Eligibility, Hold, HoldScope, RecordFacts
from civicarchive.store import schema as t
from civicarchive.store.canonical import canonical_json


class Custody:
    """Retention, holds and disposition; needs `store`, `clock`, `_write`, `purge`."""

    # -- the adopted policy -------------------------------------------------------------

    def adopt_policy(self, path: Path | str, actor: str) -> int:
        """Adopt a policy file (checked first): retention and disposition follow it."""
        path = Path(path)
        policy_file.load_policy(path)  # raises with every problem listed
        text = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._write() as tx:
            policy_id = tx.next_id("policies")
            tx.conn.execute(t.policies.insert(), [{
                "id": policy_id, "adopted_at": tx.now, "adopted_by": actor, "sha256": digest,
                "text": text}])
            tx.audit(actor, "policy.adopt", f"policy {policy_id}",
                     {"file": path.name, "sha256": digest})
        return policy_id

    def policy(self) -> tuple[int, Policy]:
        with self.store.read() as conn:
            row = conn.execute(sa.select(t.policies).order_by(t.policies.c.id.desc())
                               .limit(1)).first()
        if row is None:
            raise InvalidInput("no policy adopted yet: run `civicarchive policy adopt FILE` "
                               "(examples in src/civicarchive/policy/examples)")
        return row.id, policy_file.parse_policy(row.text, f"adopted policy {row.id}")

    # -- accounts -----------------------------------------------------------------------

    def close_account(self, account_id: int, closed_at: datetime, actor: str) -> None:
        """Record that an account was closed: series counted from closure start now."""
        self.account(account_id)
        with self._write() as tx:
            if tx.conn.execute(sa.select(t.account_closures).where(
                    t.account_closures.c.account_id == account_id)).first():
                raise InvalidInput(f"account {account_id} is already recorded as closed")
            tx.conn.execute(t.account_closures.insert(), [{
                "account_id": account_id, "closed_at": format_time(closed_at),
                "recorded_at": tx.now, "recorded_by": actor}])
            tx.audit(actor, "account.close", f"account {account_id}",
                     {"closed_at": format_time(closed_at)})

    def tag_account(self, account_id: int, tag: str, actor: str) -> None:
        """Tag an account; the policy's assignment rules may select series by tag."""
        self.account(account_id)
        tag = tag.strip()
        if not tag:
            raise InvalidInput("a tag needs a name, e.g. council")
        with self._write() as tx:
            if tx.conn.execute(sa.select(t.account_tags).where(
                    t.account_tags.c.account_id == account_id,
                    t.account_tags.c.tag == tag)).first():
                raise InvalidInput(f"account {account_id} is already tagged {tag!r}")
            tx.conn.execute(t.account_tags.insert(), [{
                "account_id": account_id, "tag": tag, "tagged_at": tx.now,
                "tagged_by": actor}])
            tx.audit(actor, "account.tag", f"account {account_id}", {"tag": tag})

    def account_tags(self) -> dict[int, frozenset[str]]:
        found: dict[int, set[str]] = defaultdict(set)
        for account_id, tag in self._rows(sa.select(t.account_tags.c.account_id,
                                                    t.account_tags.c.tag)):
            found[account_id].add(tag)
        return {account_id: frozenset(tags) for account_id, tags in found.items()}

    def acknowledge(self, owner: str, actor: str, at: datetime | None = None) -> None:
        """Record that an account owner acknowledged the adopted policy."""
        policy_id, _ = self.policy()
        at = at or self.clock.now()
        with self._write() as tx:
            ack_id = tx.next_id("acknowledgements")
            tx.conn.execute(t.acknowledgements.insert(), [{
                "id": ack_id, "owner": owner, "policy_id": policy_id,
                "acknowledged_at": format_time(at), "recorded_by": actor}])
            tx.audit(actor, "policy.acknowledge", owner,
                     {"policy": policy_id, "at": format_time(at)})

    def accounts_report(self, now: datetime | None = None) -> list[dict]:
        """Each account with its record series and what is missing: an owner, a current
        acknowledgement (per the policy's registration rules), any captured record."""
        now = now or self.clock.now()
        _, adopted = self.policy()
        periods = [adopted.registration.acknowledgement_valid_days,
                   adopted.training.renew_every_days if adopted.training.required else None]
        periods = [days for days in periods if days]
        valid_days = min(periods) if periods and \
            adopted.registration.acknowledgement_required else None
        tags = self.account_tags()
        with self.store.read() as conn:
            latest = dict(conn.execute(sa.select(
                t.acknowledgements.c.owner, sa.func.max(t.acknowledgements.c.acknowledged_at))
                .group_by(t.acknowledgements.c.owner)).all())
            captured = dict(conn.execute(sa.select(t.items.c.account_id, sa.func.count())
                                         .group_by(t.items.c.account_id)).all())
        report = []
        for account in self.accounts():
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

    def add_hold(self, name: str, matter: str, reason: str, scope: HoldScope,
                 actor: str) -> int:
        if not (name.strip() and matter.strip() and reason.strip()):
            raise InvalidInput("a hold needs a name, the matter it is for and a reason")
        if scope.query:
            holds.parse_query(scope.query)
        with self._write() as tx:
            hold_id = tx.next_id("holds")
            scope_json = canonical_json(_scope_dict(scope)).decode()
            tx.conn.execute(t.holds.insert(), [{
                "id": hold_id, "name": name, "matter": matter, "reason": reason,
                "scope": scope_json, "created_at": tx.now, "created_by": actor}])
            tx.audit(actor, "hold.add", f"hold {hold_id}",
                     {"name": name, "matter": matter, "reason": reason,
                      "scope": orjson.loads(scope_json)})
        return hold_id

    def release_hold(self, hold_id: int, reason: str, actor: str) -> None:
        if not reason.strip():
            raise InvalidInput("releasing a hold needs a reason (e.g. the matter settled)")
        with self._write() as tx:
            if not tx.conn.execute(sa.select(t.holds.c.id).where(t.holds.c.id == hold_id)
                                   ).first():
                raise NotFound("hold", hold_id)
            if tx.conn.execute(sa.select(t.hold_releases).where(
                    t.hold_releases.c.hold_id == hold_id)).first():
                raise InvalidInput(f"hold {hold_id} is already released")
            tx.conn.execute(t.hold_releases.insert(), [{
                "hold_id": hold_id, "reason": reason, "released_at": tx.now,
                "released_by": actor}])
            tx.audit(actor, "hold.release", f"hold {hold_id}", {"reason": reason})

    def holds(self) -> list[Hold]:
        with self.store.read() as conn:
            rows = conn.execute(sa.select(t.holds, t.hold_releases.c.released_at,
                                          t.hold_releases.c.reason.label("release_reason"))
                                .outerjoin(t.hold_releases,
                                           t.hold_releases.c.hold_id == t.holds.c.id)
                                .order_by(t.holds.c.id)).all()
        return [_hold(row) for row in rows]

    def holds_on(self, item_id: int, now: datetime | None = None) -> list[Hold]:
        """The active holds that cover a record."""
        now = now or self.clock.now()
        active = [h for h in self.holds() if holds.active(h, now)]
        if not active:
            return []
        facts = next(self._facts(active, [item_id]), None)
        if facts is None:
            raise NotFound("item", item_id)
        covering = set(holds.holding(active, facts, now))
        return [h for h in active if h.id in covering]

    # -- retention ----------------------------------------------------------------------

    def eligibilities(self, now: datetime | None = None) -> Iterator[tuple[RecordFacts,
                                                                           Eligibility]]:
        now = now or self.clock.now()
        _, adopted = self.policy()
        all_holds = self.holds()
        for facts in self._facts([h for h in all_holds if holds.active(h, now)]):
            matches = policy_file.series_for(adopted, facts.classification, facts.platform,
                                             facts.kind, facts.tags)
            series = matches[0] if len(matches) == 1 else None
            yield facts, retention.eligibility(facts, series, all_holds, now)

    def retention_status(self, now: datetime | None = None) -> list[dict]:
        """Per series: records, purged, held, eligible now, and when the next becomes so."""
        now = now or self.clock.now()
        table: dict[str, Counter] = defaultdict(Counter)
        next_due: dict[str, datetime] = {}
        for facts, result in self.eligibilities(now):
            row = table[result.series or "(no series)"]
            row["records"] += 1
            if facts.purged:
                row["disposed"] += 1
            elif result.held_by:
                row["held"] += 1
            elif result.eligible:
                row["eligible_now"] += 1
            elif result.eligible_at is not None:
                row["waiting"] += 1
                key = result.series or ""
                if key not in next_due or result.eligible_at < next_due[key]:
                    next_due[key] = result.eligible_at
            else:
                row["trigger_pending"] += 1
        return [{"series": series, **{k: counts.get(k, 0) for k in (
                    "records", "eligible_now", "held", "waiting", "trigger_pending",
                    "disposed")},
                 "next_eligible": format_time(next_due[series]) if series in next_due else None}
                for series, counts in sorted(table.items())]

    # -- disposition --------------------------------------------------------------------

    def review(self, series: str, actor: str, now: datetime | None = None) -> int | None:
        """A disposition batch of the series' eligible records not under hold; None when
        there are none."""
        now = now or self.clock.now()
        policy_id, adopted = self.policy()
        if series not in {s.code for s in adopted.series}:
            raise NotFound("record series", series)
        eligible = [facts.item_id for facts, result in self.eligibilities(now)
                    if result.series == series and result.eligible and not facts.purged]
        if not eligible:
            return None
        with self._write() as tx:
            batch_id = tx.next_id("disposition_batches")
            tx.conn.execute(t.disposition_batches.insert(), [{
                "id": batch_id, "series": series, "policy_id": policy_id,
                "created_at": tx.now, "created_by": actor}])
            tx.conn.execute(t.disposition_items.insert(),
                            [{"batch_id": batch_id, "item_id": i} for i in eligible])
            tx.audit(actor, "disposition.review", f"batch {batch_id}",
                     {"series": series, "records": len(eligible)})
        return batch_id

    def batch(self, batch_id: int) -> dict:
        with self.store.read() as conn:
            row = conn.execute(sa.select(t.disposition_batches).where(
                t.disposition_batches.c.id == batch_id)).first()
            if row is None:
                raise NotFound("disposition batch", batch_id)
            items = [i for (i,) in conn.execute(sa.select(t.disposition_items.c.item_id).where(
                t.disposition_items.c.batch_id == batch_id).order_by(
                t.disposition_items.c.item_id))]
            approvals = conn.execute(sa.select(t.disposition_approvals).where(
                t.disposition_approvals.c.batch_id == batch_id).order_by(
                t.disposition_approvals.c.approved_at)).all()
            executed = conn.execute(sa.select(t.disposition_executions).where(
                t.disposition_executions.c.batch_id == batch_id)).first()
        return {"id": row.id, "series": row.series, "policy": row.policy_id,
                "created_at": row.created_at, "created_by": row.created_by, "items": items,
                "approvals": [(a.approver, a.approved_at) for a in approvals],
                "executed_at": executed.executed_at if executed else None,
                "certificate": orjson.loads(executed.certificate) if executed else None}

    def approve(self, batch_id: int, actor: str) -> None:
        batch = self.batch(batch_id)
        if batch["executed_at"]:
            raise InvalidInput(f"batch {batch_id} was already executed")
        if actor in (a for a, _ in batch["approvals"]):
            raise InvalidInput(f"{actor} has already approved batch {batch_id}")
        _, adopted = self.policy()
        if adopted.disposition.two_person_approval and actor == batch["created_by"]:
            raise InvalidInput(f"the policy requires two people: {actor} created batch "
                               f"{batch_id}, so another records officer must approve it")
        with self._write() as tx:
            tx.conn.execute(t.disposition_approvals.insert(), [{
                "batch_id": batch_id, "approver": actor, "approved_at": tx.now}])
            tx.audit(actor, "disposition.approve", f"batch {batch_id}", {})

    def execute(self, batch_id: int, actor: str, now: datetime | None = None) -> dict:
        """Purge the batch's records that are still eligible and write the certificate
        (JSON and PDF in exports/). Returns the certificate as a dict."""
        now = now or self.clock.now()
        batch = self.batch(batch_id)
        if batch["executed_at"]:
            raise InvalidInput(f"batch {batch_id} was already executed on "
                               f"{batch['executed_at'][:10]}")
        if not batch["approvals"]:
            raise InvalidInput(f"batch {batch_id} has no approval yet: "
                               f"`civicarchive retention approve {batch_id}`")
        _, adopted = self.policy()
        series = next(s for s in adopted.series if s.code == batch["series"])
        wanted = set(batch["items"])
        still = [facts for facts, result in self.eligibilities(now)
                 if facts.item_id in wanted and result.eligible and not facts.purged]
        if not still:
            raise InvalidInput(f"none of batch {batch_id}'s records may be disposed of now "
                               "(a hold covers them, or they are no longer eligible); nothing "
                               "was purged")
        versions = self._versions_of([f.item_id for f in still])
        indexes = self.purge([v for vs in versions.values() for v, _ in vs],
                             reason=f"disposition batch {batch_id} ({series.code})",
                             actor=actor)
        cert = self._certificate(batch, series, still, versions, indexes, now)
        document = certificate.certificate_json(cert)
        with self._write() as tx:
            tx.conn.execute(t.disposition_executions.insert(), [{
                "batch_id": batch_id, "executed_at": tx.now, "executed_by": actor,
                "certificate": document.decode()}])
            tx.audit(actor, "disposition.execute", f"batch {batch_id}",
                     {"records": len(still), "versions": len(indexes),
                      "series": series.code, "action": series.disposition.value,
                      "skipped": len(wanted) - len(still),
                      "certificate_sha256": hashlib.sha256(document).hexdigest()})
        exports = self.settings.exports_dir
        exports.mkdir(exist_ok=True)
        (exports / f"certificate-batch-{batch_id}.json").write_bytes(document)
        (exports / f"certificate-batch-{batch_id}.pdf").write_bytes(
            certificate.certificate_pdf(cert))
        return orjson.loads(document)

    # -- gathering facts ----------------------------------------------------------------

    def _facts(self, active_holds: list[Hold], item_ids: list[int] | None = None
               ) -> Iterator[RecordFacts]:
        need_text = any(h.scope.query for h in active_holds)
        i, a, v = t.items.c, t.accounts.c, t.versions.c
        closures = dict(self._rows(sa.select(t.account_closures.c.account_id,
                                             t.account_closures.c.closed_at)))
        tags = self.account_tags()
        purged_items = {row[0] for row in self._rows(
            sa.select(v.item_id).join(t.tombstones, t.tombstones.c.version_id == v.id)
            .distinct())}
        query = sa.select(i.id, i.account_id, a.classification, a.platform, i.kind,
                          i.created_at, i.first_seen_at).join(t.accounts, a.id == i.account_id)
        latest_query = sa.select(v.item_id, v.event, v.observed_at, v.content_sha256)
        if item_ids is not None:
            query = query.where(i.id.in_(item_ids))
            latest_query = latest_query.where(v.item_id.in_(item_ids))
        # One pass over the versions, in observed order: the last one seen per item is its
        # latest (a query per item would make status take minutes on a large archive).
        latest = {}
        for item_id, event, observed_at, content_sha in self._rows(
                latest_query.order_by(v.item_id, v.observed_at, v.id)):
            latest[item_id] = (event, observed_at, content_sha)
        for row in self._rows(query.order_by(i.id)):
            event, observed_at, content_sha = latest[row.id]
            data = self.store.blob(bytes(content_sha)) if need_text else None
            content = orjson.loads(data) if data else {}
            yield RecordFacts(
                item_id=row.id, account_id=row.account_id,
                classification=Classification(row.classification), platform=row.platform,
                kind=Kind(row.kind),
                created_at=parse_time(row.created_at) if row.created_at else None,
                first_seen_at=parse_time(row.first_seen_at),
                deleted_at=parse_time(observed_at) if event == Event.DELETED else None,
                account_closed_at=parse_time(closures[row.account_id])
                if row.account_id in closures else None,
                text=str(content.get("text", "")) if isinstance(content, dict) else "",
                purged=row.id in purged_items, tags=tags.get(row.account_id, frozenset()))

    def _rows(self, query: sa.Select) -> list[sa.Row]:
        with self.store.read() as conn:
            return conn.execute(query).all()

    def _versions_of(self, item_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        if item_ids:
            v = t.versions.c
            for version_id, item_id, content in self._rows(
                    sa.select(v.id, v.item_id, v.content_sha256)
                    .where(v.item_id.in_(item_ids)).order_by(v.id)):
                found[item_id].append((version_id, bytes(content).hex()))
        return found

    def _certificate(self, batch: dict, series: RecordSeries, records: list[RecordFacts],
                     versions: dict, indexes: list[int], now: datetime
                     ) -> certificate.Certificate:
        with self.store.read() as conn:
            checkpoint = conn.execute(sa.select(t.checkpoints).order_by(
                t.checkpoints.c.tree_size.desc()).limit(1)).first()
            native = dict(conn.execute(sa.select(t.items.c.id, t.items.c.native_id).where(
                t.items.c.id.in_([f.item_id for f in records]))).all())
        created = [f.created_at for f in records if f.created_at]
        return certificate.Certificate(
            agency=self.agencies()[0].name, batch_id=batch["id"], series_code=series.code,
            series_title=series.title, series_citation=series.citation,
            action=series.disposition, record_count=len(records),
            version_count=len(indexes),
            earliest_created=min(created) if created else None,
            latest_created=max(created) if created else None,
            created_by=batch["created_by"],
            approvers=tuple(certificate.Approval(name, parse_time(at))
                            for name, at in batch["approvals"]),
            executed_at=now,
            tombstones=certificate.TombstoneSpan(indexes[0], indexes[-1], len(indexes)),
            checkpoint=certificate.CheckpointRef(checkpoint.tree_size,
                                                 bytes(checkpoint.root_hash).hex(),
                                                 checkpoint.created_at),
            key_fingerprint=self.public_key_fingerprint,
            records=tuple(certificate.DisposedRecord(f.item_id, native.get(f.item_id, ""),
                                                     f.platform, f.kind,
                                                     versions[f.item_id][-1][1])
                          for f in records))


def _scope_dict(scope: HoldScope) -> dict:
    data = asdict(scope)
    for key in ("accounts", "items"):
        if data[key] is not None:
            data[key] = sorted(data[key])
    for key in ("start", "end"):
        if data[key] is not None:
            data[key] = format_time(data[key])
    return data


def _hold(row: sa.Row) -> Hold:
    scope = orjson.loads(row.scope)
    return Hold(
        id=row.id, name=row.name, matter=row.matter, reason=row.reason,
        scope=HoldScope(
            accounts=frozenset(scope["accounts"]) if scope["accounts"] is not None else None,
            start=parse_time(scope["start"]) if scope["start"] else None,
            end=parse_time(scope["end"]) if scope["end"] else None,
            query=scope["query"],
            items=frozenset(scope["items"]) if scope["items"] is not None else None),
        created_at=parse_time(row.created_at), created_by=row.created_by,
        released_at=parse_time(row.released_at) if row.released_at else None,
        release_reason=row.release_reason)
