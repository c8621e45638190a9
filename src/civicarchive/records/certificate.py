"""The certificate of disposition: what was disposed of, under which schedule, approved by
whom, and where the ledger proves it.

One Certificate renders two ways: canonical JSON (RFC 8785) for machines and for signing
or hashing, and a PDF for the records officer's file. Both say the same thing, so they are
built from the one frozen value; the PDF is WeasyPrint's rendering of `certificate_html`
with every URL fetch refused, and every piece of text is escaped by the HTML writer, so an
agency name or a native id can never become markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import orjson

from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind
from civicarchive.policy.model import DispositionAction
from civicarchive.policy.prose import Definitions, Paragraph, Section, Table, to_html
from civicarchive.store.canonical import canonical_json

FORMAT = "civicarchive-certificate-of-disposition/1"
TITLES = {DispositionAction.DESTROY: "Certificate of Destruction",
          DispositionAction.TRANSFER_TO_STATE_ARCHIVES: "Certificate of Transfer"}
DONE = {DispositionAction.DESTROY: "destroyed",
        DispositionAction.TRANSFER_TO_STATE_ARCHIVES: "transferred to the State Archives"}


@dataclass(frozen=True)
class Approval:
    name: str
    approved_at: datetime


@dataclass(frozen=True)
class DisposedRecord:
    """One record disposed of; `content_sha256` is that of its last version."""

    item_id: int
    native_id: str
    platform: str
    kind: Kind
    content_sha256: str


@dataclass(frozen=True)
class TombstoneSpan:
    """Ledger positions (0-based) of the batch's tombstone entries."""

    first: int
    last: int
    count: int


@dataclass(frozen=True)
class CheckpointRef:
    """The signed checkpoint whose tree includes every tombstone of the batch."""

    tree_size: int
    root_hex: str
    signed_at: str  # exactly as in the signed checkpoint text, so it can be re-verified


@dataclass(frozen=True)
class Transfer:
    """The evidence package a transfer to the State Archives delivered, and their receipt."""

    tagmanifest_sha256: str  # identifies the package: its tag manifest lists every file's hash
    package: str             # the package's folder name in exports/
    receipt: str             # the archives' acknowledgement: an accession or transmittal number


@dataclass(frozen=True)
class Certificate:
    agency: str
    batch_id: int
    series_code: str
    series_title: str
    series_citation: str
    action: DispositionAction
    record_count: int
    version_count: int
    earliest_created: datetime | None  # None when no disposed record has a creation time
    latest_created: datetime | None
    created_by: str
    approvers: tuple[Approval, ...]
    executed_at: datetime
    tombstones: TombstoneSpan
    checkpoint: CheckpointRef
    key_fingerprint: str  # sha256 of the archive's raw Ed25519 public key, hex
    records: tuple[DisposedRecord, ...]
    transfer: Transfer | None = None  # for a transfer to the State Archives, never else

    def __post_init__(self) -> None:
        # A certificate that contradicts itself is worse than none: refuse to make one.
        object.__setattr__(self, "action", DispositionAction(self.action))
        transferred = self.action == DispositionAction.TRANSFER_TO_STATE_ARCHIVES
        if transferred != (self.transfer is not None):
            raise ValueError("a certificate of transfer names the package and the receipt, "
                             "and only it does")
        span = self.tombstones
        if self.record_count != len(self.records):
            raise ValueError(f"record_count {self.record_count} but {len(self.records)} "
                             f"records are listed")
        if not 0 <= span.first <= span.last or not 0 < span.count <= span.last - span.first + 1:
            raise ValueError(f"tombstone positions {span} are not a valid range")
        if span.last >= self.checkpoint.tree_size:
            raise ValueError(f"checkpoint of size {self.checkpoint.tree_size} does not cover "
                             f"the tombstone at position {span.last}: sign a checkpoint first")

    @property
    def title(self) -> str:
        return TITLES[self.action]


def certificate_json(cert: Certificate) -> bytes:
    """The certificate as RFC 8785 canonical JSON bytes."""
    return canonical_json(_as_dict(cert))


def certificate_from_json(data: bytes | str) -> Certificate:
    """The Certificate that `certificate_json` wrote; InvalidInput if it is not one."""
    try:
        doc = orjson.loads(data)
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, not {FORMAT!r}")
        series, span, point = doc["series"], doc["tombstones"], doc["checkpoint"]
        return Certificate(
            agency=doc["agency"], batch_id=doc["batch_id"], series_code=series["code"],
            series_title=series["title"], series_citation=series["citation"],
            action=DispositionAction(doc["action"]), record_count=doc["record_count"],
            version_count=doc["version_count"],
            earliest_created=_parse_time(doc["created"]["earliest"]),
            latest_created=_parse_time(doc["created"]["latest"]),
            created_by=doc["created_by"],
            approvers=tuple(Approval(a["name"], _parse_time(a["approved_at"]))
                            for a in doc["approvals"]),
            executed_at=_parse_time(doc["executed_at"]),
            tombstones=TombstoneSpan(span["first"], span["last"], span["count"]),
            checkpoint=CheckpointRef(point["tree_size"], point["root"], point["signed_at"]),
            key_fingerprint=doc["public_key_fingerprint"],
            records=tuple(DisposedRecord(r["item_id"], r["native_id"], r["platform"],
                                         Kind(r["kind"]), r["content_sha256"])
                          for r in doc["records"]),
            transfer=Transfer(**doc["transfer"]) if doc.get("transfer") else None)
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"not a {FORMAT} certificate ({error}): pass the JSON file the "
                           f"disposition wrote") from None


def certificate_html(cert: Certificate) -> str:
    """The certificate as a standalone HTML page (no scripts, no external resources)."""
    return to_html(cert.title, _sections(cert))


def certificate_pdf(cert: Certificate) -> bytes:
    """The HTML rendering as PDF. Nothing is fetched: every URL is refused."""
    import weasyprint  # slow to import; only PDF needs it
    from weasyprint.urls import URLFetcher

    refuse_all = URLFetcher(allowed_protocols=frozenset(), fail_on_errors=False)
    return weasyprint.HTML(string=certificate_html(cert), base_url=None,
                           url_fetcher=refuse_all).write_pdf()


def _as_dict(cert: Certificate) -> dict:
    span, point = cert.tombstones, cert.checkpoint
    transfer = {} if cert.transfer is None else {"transfer": {
        "tagmanifest_sha256": cert.transfer.tagmanifest_sha256,
        "package": cert.transfer.package, "receipt": cert.transfer.receipt}}
    return {
        **transfer, "format": FORMAT, "agency": cert.agency, "batch_id": cert.batch_id,
        "series": {"code": cert.series_code, "title": cert.series_title,
                   "citation": cert.series_citation},
        "action": cert.action.value, "record_count": cert.record_count,
        "version_count": cert.version_count,
        "created": {"earliest": _time(cert.earliest_created),
                    "latest": _time(cert.latest_created)},
        "created_by": cert.created_by,
        "approvals": [{"name": a.name, "approved_at": _time(a.approved_at)}
                      for a in cert.approvers],
        "executed_at": _time(cert.executed_at),
        "tombstones": {"first": span.first, "last": span.last, "count": span.count},
        "checkpoint": {"tree_size": point.tree_size, "root": point.root_hex,
                       "signed_at": point.signed_at},
        "public_key_fingerprint": cert.key_fingerprint,
        "records": [{"item_id": r.item_id, "native_id": r.native_id, "platform": r.platform,
                     "kind": r.kind.value, "content_sha256": r.content_sha256}
                    for r in cert.records],
    }


def _time(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with "Z": one spelling per instant, so equal certificates hash equal."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no timezone: certificate times must be aware")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _sections(cert: Certificate) -> tuple[Section, ...]:
    span, point = cert.tombstones, cert.checkpoint
    created = (f"between {_time(cert.earliest_created)} and {_time(cert.latest_created)}"
               if cert.earliest_created and cert.latest_created else "at unknown times")
    approvals = (f"after the {_count(len(cert.approvers), 'approval')} shown below"
                 if cert.approvers else "although no approval is recorded")
    statement = (
        f"{cert.agency} certifies that the {_count(cert.record_count, 'record')} listed below "
        f"({_count(cert.version_count, 'version')}), created {created}, were "
        f"{DONE[cert.action]} on {_time(cert.executed_at)} under records series "
        f"{cert.series_code} {cert.series_title} ({cert.series_citation}), {approvals}.")
    moved = "" if cert.transfer is None else (
        f"They were delivered as the evidence package {cert.transfer.package}, whose tag "
        f"manifest has the sha256 {cert.transfer.tagmanifest_sha256}, received by the State "
        f"Archives under {cert.transfer.receipt}. ")
    purged = (f"{moved}Their content has been purged from the archive. The sha256 hash of every "
              "version remains in the archive's append-only ledger, and a tombstone entry "
              "records each disposition, so the archive's history still verifies.")
    verify = (f"To verify: run `civicarchive verify` on the archive, which re-derives every "
              f"ledger entry, root and signature (add --public-key with the agency's published "
              f"key to check signatures against it). Then check that the archive holds a "
              f"checkpoint of tree size {point.tree_size} with root {point.root_hex}, signed at "
              f"{point.signed_at} by the key whose fingerprint is {cert.key_fingerprint}: "
              f"its tree includes the tombstones at ledger positions {span.first} to "
              f"{span.last}.")
    return (
        Section("Statement", (Paragraph(statement), Paragraph(purged))),
        Section("Disposition", (Definitions((
            ("Agency", cert.agency), ("Batch", str(cert.batch_id)),
            ("Records series", f"{cert.series_code} {cert.series_title}"),
            ("Citation", cert.series_citation), ("Action", DONE[cert.action].capitalize()),
            ("Records", str(cert.record_count)), ("Versions", str(cert.version_count)),
            ("Records created", created), ("Prepared by", cert.created_by),
            ("Executed", _time(cert.executed_at) or ""),
            *((("Transfer package", cert.transfer.package),
               ("Package tag manifest sha256", cert.transfer.tagmanifest_sha256),
               ("State Archives receipt", cert.transfer.receipt)) if cert.transfer else ()),
        )),)),
        Section("Approvals", (Table(("Approver", "Approved at"), tuple(
            (a.name, _time(a.approved_at) or "") for a in cert.approvers)),)),
        Section("Proof in the ledger", (Definitions((
            ("Tombstone entries", f"positions {span.first} to {span.last} "
                                  f"({_count(span.count, 'entry', 'entries')})"),
            ("Checkpoint", f"tree size {point.tree_size}, root {point.root_hex}, signed at "
                           f"{point.signed_at}"),
            ("Archive public key fingerprint (sha256)", cert.key_fingerprint),
        )), Paragraph(verify))),
        Section("Records disposed of", (Table(
            ("Item", "Native id", "Platform", "Kind", "Content sha256 (last version)"),
            tuple((str(r.item_id), r.native_id, r.platform, r.kind.value, r.content_sha256)
                  for r in cert.records)),)),
    )


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"
