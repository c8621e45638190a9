"""Retention and certified disposition under the adopted policy.

Disposition runs in three steps by different people where the policy asks for it:
`review` gathers eligible records not under hold into a batch, `approve` records each
approval (the approver may not be the batch's creator when two-person approval is on),
and `execute` checks everything again (a hold placed since the review still stops a
record), purges the content and writes a certificate. `purge` is the only way content
ever leaves the archive; it keeps every hash and appends a tombstone to the ledger.

A series whose disposition is transfer to the State Archives takes one more step between
approval and execution: `transfer` writes the batch's records as a signed evidence package
for the archives, and `execute` then needs the archives' receipt for it. Records of such a
series are never purged before a package of them exists, and their certificate names the
package (by the sha256 of its tag manifest) and the receipt.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

import orjson

from civicarchive import policy as policy_file
from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.registry import Registry
from civicarchive.clock import format_time, parse_time
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.policy import RecordSeries
from civicarchive.policy.model import DispositionAction
from civicarchive.records import certificate, holds as hold_rules, retention
from civicarchive.model.custody import Eligibility, RecordFacts
from civicarchive.store import custody as custody_sql, dispositions as sql
from civicarchive.store import records as record_sql


class Disposition:
    """Retention status, disposition batches and purges. `on_purged` is called after a
    purge commits (search drops the purged text), so this service needs no search."""

    def __init__(self, context: ArchiveContext, registry: Registry, custody: Custody,
                 package: Callable[[list[int], Path, str], Path],
                 on_purged: Callable[[], object] = lambda: None) -> None:
        self.context = context
        self.registry = registry
        self.custody = custody
        self.on_purged = on_purged
        self.package = package  # writes an evidence package (Evidence.package)

    # -- retention ----------------------------------------------------------------------

    def eligibilities(self, now: datetime | None = None
                      ) -> Iterator[tuple[RecordFacts, Eligibility]]:
        """Every record with its series and whether it may be disposed of at `now`."""
        now = now or self.context.clock.now()
        _, adopted = self.custody.policy()
        all_holds = self.custody.holds()
        for facts in self.custody.facts([h for h in all_holds if hold_rules.active(h, now)]):
            matches = policy_file.series_for(adopted, facts.classification, facts.platform,
                                             facts.kind, facts.tags)
            series = matches[0] if len(matches) == 1 else None
            yield facts, retention.eligibility(facts, series, all_holds, now)

    def retention_status(self, now: datetime | None = None,
                         accounts: frozenset[int] | None = None) -> list[dict]:
        """Per series: records, purged, held, eligible now, and when the next becomes so
        (of the records of `accounts` only, when given: one agency's)."""
        now = now or self.context.clock.now()
        table: dict[str, Counter] = defaultdict(Counter)
        next_due: dict[str, datetime] = {}
        for facts, result in self.eligibilities(now):
            if accounts is not None and facts.account_id not in accounts:
                continue
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

    def review(self, series: str, actor: str, now: datetime | None = None,
               accounts: frozenset[int] | None = None) -> int | None:
        """A disposition batch of the series' eligible records not under hold (of the
        records of `accounts` only, when given: one agency's); None when there are none."""
        now = now or self.context.clock.now()
        policy_id, adopted = self.custody.policy()
        if series not in {s.code for s in adopted.series}:
            raise NotFound("record series", series)
        eligible = [facts.item_id for facts, result in self.eligibilities(now)
                    if result.series == series and result.eligible and not facts.purged
                    and (accounts is None or facts.account_id in accounts)]
        if not eligible:
            return None
        with self.context.write() as tx:
            batch_id = sql.add_batch(tx, series, policy_id, eligible, actor)
            tx.audit(actor, "disposition.review", f"batch {batch_id}",
                     {"series": series, "records": len(eligible), "policy": policy_id,
                      "items": sorted(eligible)})
        return batch_id

    def batch_ids(self) -> list[int]:
        """Every disposition batch's id, oldest first."""
        with self.context.read() as conn:
            return sql.batch_ids(conn)

    def batch(self, batch_id: int) -> dict:
        """A batch: its series and what the policy does with it (`disposition`), records,
        approvals, transfer packages, and the certificate once executed."""
        with self.context.read() as conn:
            found = sql.batch(conn, batch_id)
        if found is None:
            raise NotFound("disposition batch", batch_id)
        _, adopted = self.custody.policy()
        series = next((s for s in adopted.series if s.code == found["series"]), None)
        return {**found, "disposition": series.disposition.value if series else None}

    def approve(self, batch_id: int, actor: str) -> None:
        """Approve a batch; with two-person approval, not by the person who created it."""
        batch = self.batch(batch_id)
        if batch["executed_at"]:
            raise InvalidInput(f"batch {batch_id} was already executed")
        if actor in (a for a, _ in batch["approvals"]):
            raise InvalidInput(f"{actor} has already approved batch {batch_id}")
        _, adopted = self.custody.policy()
        if adopted.disposition.two_person_approval and actor == batch["created_by"]:
            raise InvalidInput(f"the policy requires two people: {actor} created batch "
                               f"{batch_id}, so another records officer must approve it")
        with self.context.write() as tx:
            sql.add_approval(tx, batch_id, actor)
            tx.audit(actor, "disposition.approve", f"batch {batch_id}", {})

    def transfer(self, batch_id: int, actor: str, now: datetime | None = None) -> dict:
        """Write the approved batch's records (every version of those still eligible) as a
        signed evidence package for the State Archives, in exports/transfer-batch-N/.
        Returns what `execute` will need: the folder, the items, and the sha256 of the
        package's tag manifest, which identifies the package in the certificate."""
        batch, series, still = self._ready(batch_id, now)
        if series.disposition != DispositionAction.TRANSFER_TO_STATE_ARCHIVES:
            raise InvalidInput(f"batch {batch_id}'s series {series.code} is destroyed, not "
                               "transferred: execute it (retention execute)")
        with self.context.read() as conn:
            versions = record_sql.version_ids_of(conn, [f.item_id for f in still])
        folder = self.context.settings.exports_dir / f"transfer-batch-{batch_id}"
        if folder.exists():  # an earlier package, perhaps delivered already: never overwrite
            folder = folder.with_name(f"{folder.name}-{self.context.clock.now():%Y%m%dT%H%M%S}")
        self.context.settings.exports_dir.mkdir(exist_ok=True)
        self.package([v for vs in versions.values() for v, _ in vs], folder,
                     f"Transfer of disposition batch {batch_id} ({series.code} "
                     f"{series.title}) to the State Archives")
        tag_manifest = hashlib.sha256(
            (folder / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
        details = {"series": series.code, "items": sorted(f.item_id for f in still),
                   "folder": folder.name, "tagmanifest_sha256": tag_manifest}
        with self.context.write() as tx:
            tx.audit(actor, "disposition.transfer", f"batch {batch_id}", details)
        return {"batch": batch_id, **details, "path": str(folder)}

    def execute(self, batch_id: int, actor: str, now: datetime | None = None,
                agency_id: int | None = None, receipt: str | None = None) -> dict:
        """Purge the batch's records that are still eligible and write the certificate
        (JSON and PDF in exports/), in the name of agency `agency_id` (default: the
        first). A batch of a series transferred to the State Archives needs its transfer
        package (`transfer`) holding every record to purge, and the archives' `receipt`
        for it (an accession or transmittal number). Returns the certificate as a dict."""
        now = now or self.context.clock.now()
        batch, series, still = self._ready(batch_id, now)
        transfer = None
        if series.disposition == DispositionAction.TRANSFER_TO_STATE_ARCHIVES:
            transfer = self._transfer_of(batch_id, still, receipt)
        with self.context.read() as conn:
            versions = record_sql.version_ids_of(conn, [f.item_id for f in still])
        indexes = self.purge([v for vs in versions.values() for v, _ in vs],
                             reason=f"disposition batch {batch_id} ({series.code})",
                             actor=actor, unless_held=[f.item_id for f in still])
        cert = self._certificate(batch, series, still, versions, indexes, now, agency_id,
                                 transfer)
        document = certificate.certificate_json(cert)
        with self.context.write() as tx:
            sql.add_execution(tx, batch_id, document.decode(), actor)
            tx.audit(actor, "disposition.execute", f"batch {batch_id}",
                     {"records": len(still), "versions": len(indexes),
                      "series": series.code, "action": series.disposition.value,
                      "skipped": len(batch["items"]) - len(still),
                      "certificate_sha256": hashlib.sha256(document).hexdigest()})
        exports = self.context.settings.exports_dir
        exports.mkdir(exist_ok=True)
        (exports / f"certificate-batch-{batch_id}.json").write_bytes(document)
        (exports / f"certificate-batch-{batch_id}.pdf").write_bytes(
            certificate.certificate_pdf(cert))
        return orjson.loads(document)

    def _ready(self, batch_id: int, now: datetime | None
               ) -> tuple[dict, RecordSeries, list[RecordFacts]]:
        """(batch, series, records still eligible) of an approved batch not yet executed;
        InvalidInput when there is nothing it may do."""
        batch = self.batch(batch_id)
        if batch["executed_at"]:
            raise InvalidInput(f"batch {batch_id} was already executed on "
                               f"{batch['executed_at'][:10]}")
        if not batch["approvals"]:
            raise InvalidInput(f"batch {batch_id} has no approval yet: approve it first "
                               "(retention approve)")
        _, adopted = self.custody.policy()
        series = next((s for s in adopted.series if s.code == batch["series"]), None)
        if series is None:
            raise InvalidInput(f"batch {batch_id}'s series {batch['series']} is no longer in "
                               f"the adopted policy, so its retention and disposition are "
                               f"not known: review its records again under the policy in "
                               f"force (retention review). Nothing was purged")
        wanted = set(batch["items"])
        # Under the policy in force now: a record a later policy puts in another series
        # (one transferred rather than destroyed, say) is no longer this batch's to dispose of.
        still = [facts for facts, result in self.eligibilities(now or self.context.clock.now())
                 if facts.item_id in wanted and result.eligible and not facts.purged
                 and result.series == series.code]
        if not still:
            raise InvalidInput(f"none of batch {batch_id}'s records may be disposed of now "
                               "(a hold covers them, or they are no longer eligible); nothing "
                               "was purged")
        return batch, series, still

    def _transfer_of(self, batch_id: int, still: list[RecordFacts], receipt: str | None
                     ) -> certificate.Transfer:
        """The newest transfer package of the batch, which must hold every record about to
        be purged, with the archives' receipt for it."""
        with self.context.read() as conn:
            packages = sql.transfers(conn, batch_id)
        if not packages:
            raise InvalidInput(f"batch {batch_id} is to be transferred to the State Archives, "
                               f"and no transfer package of it exists: run `retention "
                               f"transfer {batch_id}`, deliver the package, then execute with "
                               f"the archives' receipt. Nothing was purged")
        package = packages[-1]
        missing = sorted({f.item_id for f in still} - set(package["items"]))
        if missing:
            raise InvalidInput(f"the transfer package of batch {batch_id} "
                               f"({package['folder']}) does not hold items {missing}: run "
                               f"`retention transfer {batch_id}` again. Nothing was purged")
        if not (receipt or "").strip():
            raise InvalidInput(f"batch {batch_id} is transferred to the State Archives: give "
                               f"their receipt for package {package['folder']} (an accession "
                               f"or transmittal number). Nothing was purged",
                               parameter="receipt")
        return certificate.Transfer(package["tagmanifest_sha256"], package["folder"],
                                    " ".join(receipt.split()))

    def purge(self, version_ids: Iterable[int], reason: str, actor: str,
              unless_held: Iterable[int] = ()) -> list[int]:
        """Remove versions' content and blobs, keeping their hashes, with tombstones.

        The only way content ever leaves the archive; `execute` calls it once a batch is
        approved. Blobs still used by a version that is kept stay. Returns ledger indexes.
        The items `unless_held` are checked for holds again inside the purge's own
        (serialised) transaction, so a hold placed since any earlier check stops it all.
        """
        if not reason.strip():
            raise InvalidInput("a purge needs a reason (the approved disposition it executes)")
        ids = sorted(set(version_ids))
        with self.context.write() as tx:
            held = self._held(tx.conn, list(unless_held))
            if held:
                raise InvalidInput(f"a legal hold placed since the last check covers items "
                                   f"{held}: nothing was purged; run it again to dispose of "
                                   f"the records no hold covers")
            try:
                indexes, purged, orphans = record_sql.purge(tx, ids, reason)
            except LookupError as missing:
                raise NotFound("version", missing.args[0]) from None
            tx.audit(actor, "records.purge", f"{len(indexes)} versions",
                     {"versions": purged, "reason": reason, "blobs_removed": len(orphans)})
        for sha in orphans:  # after commit: a crash before this leaves only unused files
            self.context.store.blob_store.delete(sha.hex())
        self.on_purged()  # purged text must stop being found
        return indexes

    def _held(self, conn, item_ids: list[int]) -> list[int]:  # noqa: ANN001
        """Which of the items an active hold covers, read on `conn`."""
        now = self.context.clock.now()
        active = [h for h in custody_sql.holds(conn) if hold_rules.active(h, now)]
        if not (active and item_ids):
            return []
        facts = custody_sql.record_facts(conn, self.context.store.blob,
                                         any(h.scope.query for h in active), item_ids)
        return sorted(f.item_id for f in facts if hold_rules.holding(active, f, now))

    def _certificate(self, batch: dict, series: RecordSeries, records: list[RecordFacts],
                     versions: dict, indexes: list[int], now: datetime,
                     agency_id: int | None = None,
                     transfer: certificate.Transfer | None = None) -> certificate.Certificate:
        with self.context.read() as conn:
            tree_size, root, signed_at = sql.latest_checkpoint(conn)
            native = record_sql.native_ids(conn, [f.item_id for f in records])
        created = [f.created_at for f in records if f.created_at]
        return certificate.Certificate(
            agency=next((a for a in self.registry.agencies() if a.id == agency_id),
                        self.registry.agencies()[0]).name, batch_id=batch["id"],
            series_code=series.code, series_title=series.title,
            series_citation=series.citation, action=series.disposition,
            record_count=len(records), version_count=len(indexes),
            earliest_created=min(created) if created else None,
            latest_created=max(created) if created else None,
            created_by=batch["created_by"],
            approvers=tuple(certificate.Approval(name, parse_time(at))
                            for name, at in batch["approvals"]),
            executed_at=now,
            tombstones=certificate.TombstoneSpan(indexes[0], indexes[-1], len(indexes)),
            checkpoint=certificate.CheckpointRef(tree_size, root, signed_at),
            key_fingerprint=self.context.public_key_fingerprint,
            records=tuple(certificate.DisposedRecord(f.item_id, native.get(f.item_id, ""),
                                                     f.platform, f.kind,
                                                     versions[f.item_id][-1][1])
                          for f in records), transfer=transfer)
