"""data/capture-gaps.json of an evidence package: the gaps in live capture that overlap
what the package holds, each proven by the ledger entries of the audit events that opened
and closed it, so that a court sees what the archive did not capture, and that the
archive said so at the time, not when the package was made.

    {"format": "civicarchive-capture-gaps/1",
     "checkpoint": {"body": "<signed checkpoint text>", "signature": "<base64>"},
     "gaps": [{"gap": 3, "account": 1, "from": "<time>", "to": "<time>" | null,
               "cause": "credentials_rejected", "evidence": {...},
               "events": [{"leaf_index": 17, "entry": "<audit entry text>",
                           "audit_path": ["<hex>", ...]}, ...]}]}

A gap is listed when its account has versions in the package and the gap was open at or
after the earliest creation or observation of those versions: a version is the record's
state from when it was observed until the package was written, and during a gap the
archive cannot say it did not change, nor that no record came and went. `events` holds the opening event, then the
closing one where the gap was closed; each proves against `checkpoint`, which the
package's checkpoint.json links to its newest one. With no gap, `gaps` is empty and
`checkpoint` null: the archive recorded no gap for these accounts over these times.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.errors import ProofError
from civicarchive.exports.certificate import GAPS
from civicarchive.exports.consistency import ProvenTree
from civicarchive.store.checkpoint import CheckpointBody, signature_valid
from civicarchive.store.merkle import leaf_hash, root_from_inclusion
from civicarchive.store.proof import parse_proof

__all__ = ["FORMAT", "GAPS", "check_gaps", "write_gaps"]

FORMAT = "civicarchive-capture-gaps/1"
_GAP = {"gap", "account", "from", "to", "cause", "evidence", "events"}
_EVENT = {"leaf_index", "entry", "audit_path"}


def write_gaps(path: Path, doc: dict) -> None:
    """Write the gaps document (`ExportSource.capture_gaps`)."""
    path.write_bytes(orjson.dumps({"format": FORMAT, **doc},
                                  option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def check_gaps(path: Path, where: str, key: Ed25519PublicKey | None,
               problems: list[str]) -> tuple[int, ProvenTree | None]:
    """Append what is wrong with the gaps file; returns how many gaps it proves and the
    signed tree they prove against (for the checkpoint link), if any."""
    try:
        doc = parse_proof(path.read_bytes(), where)
    except OSError:
        problems.append(f"{where} is missing: the package cannot say what was not captured")
        return 0, None
    except ProofError as error:
        problems.append(str(error))
        return 0, None
    try:
        return _check(doc, where, key, problems)
    except ProofError as error:
        problems.append(f"{where}: {error}")
        return 0, None


def _check(doc: object, where: str, key: Ed25519PublicKey | None, problems: list[str]
           ) -> tuple[int, ProvenTree | None]:
    if not isinstance(doc, dict) or set(doc) != {"format", "checkpoint", "gaps"}:
        raise ProofError("must be an object of exactly format, checkpoint and gaps")
    if doc["format"] != FORMAT:
        raise ProofError(f"format must be {FORMAT!r}")
    gaps, checkpoint = doc["gaps"], doc["checkpoint"]
    if not isinstance(gaps, list):
        raise ProofError("gaps must be a list")
    if not gaps:
        if checkpoint is not None:
            raise ProofError("checkpoint must be null when no gap is listed")
        return 0, None
    body = _checkpoint(checkpoint, key)
    proven = 0
    for n, gap in enumerate(gaps):
        try:
            _check_gap(gap, body)
            proven += 1
        except ProofError as error:
            problems.append(f"{where}: gaps[{n}]: {error}")
    return proven, ProvenTree(where, body.origin, body.size, body.root.hex())


def _checkpoint(checkpoint: object, key: Ed25519PublicKey | None) -> CheckpointBody:
    if not isinstance(checkpoint, dict) or set(checkpoint) != {"body", "signature"} or \
            not all(isinstance(v, str) for v in checkpoint.values()):
        raise ProofError("checkpoint must be an object of exactly body and signature, "
                         "both strings")
    try:
        signature = base64.b64decode(checkpoint["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise ProofError("the checkpoint's signature is not base64") from None
    if key is None or not signature_valid(key, checkpoint["body"], signature):
        raise ProofError("the checkpoint's signature does not verify with the key checked "
                         "against")
    try:
        return CheckpointBody.parse(checkpoint["body"])
    except ValueError as error:
        raise ProofError(f"the checkpoint body is malformed ({error})") from None


def _check_gap(gap: object, body: CheckpointBody) -> None:
    if not isinstance(gap, dict) or set(gap) != _GAP:
        raise ProofError(f"must be an object of exactly {', '.join(sorted(_GAP))}")
    events = gap["events"]
    if not isinstance(events, list) or len(events) != (1 if gap["to"] is None else 2):
        raise ProofError("events must hold the opening event, and the closing one exactly "
                         "when the gap has an end ('to')")
    opened = _proven_entry(events[0], body)
    details = opened.get("details") or {}
    if opened.get("action") != "capture.gap" or details.get("table") != "capture_gaps":
        raise ProofError("its first event is not the opening of a capture gap")
    try:
        evidence = orjson.loads(details.get("evidence", ""))
    except orjson.JSONDecodeError:
        evidence = None
    stated = {"gap": details.get("id"), "account": details.get("account_id"),
              "from": details.get("gap_from"), "cause": details.get("cause"),
              "evidence": evidence}
    for member, signed in stated.items():
        if gap[member] != signed:
            raise ProofError(f"{member} is {gap[member]!r}, the signed event says {signed!r}")
    if gap["to"] is not None:
        closed = _proven_entry(events[1], body)
        details = closed.get("details") or {}
        if closed.get("action") != "capture.gap.close" or \
                details.get("gap_id") != gap["gap"]:
            raise ProofError("its second event is not the closing of this gap")
        if details.get("gap_to") != gap["to"]:
            raise ProofError(f"to is {gap['to']!r}, the signed event says "
                             f"{details.get('gap_to')!r}")


def _proven_entry(event: object, body: CheckpointBody) -> dict:
    """The audit entry an event proves in the checkpoint's tree."""
    if not isinstance(event, dict) or set(event) != _EVENT:
        raise ProofError(f"an event must be an object of exactly {', '.join(sorted(_EVENT))}")
    index, entry, path = event["leaf_index"], event["entry"], event["audit_path"]
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(entry, str) \
            or not isinstance(path, list) or not all(isinstance(h, str) for h in path):
        raise ProofError("an event's leaf_index must be an integer, its entry a string and "
                         "its audit_path a list of hex strings")
    try:
        hashes = [bytes.fromhex(h) for h in path]
        root = root_from_inclusion(index, body.size, leaf_hash(entry.encode()), hashes)
    except ValueError as error:
        raise ProofError(f"the event at leaf {index} has a malformed proof ({error})") from None
    if root != body.root:
        raise ProofError(f"the event at leaf {index} is not in the signed ledger: its audit "
                         "path does not lead to the checkpoint's root")
    parsed = orjson.loads(entry)
    if not isinstance(parsed, dict) or parsed.get("type") != "audit":
        raise ProofError(f"the entry at leaf {index} is not an audit event")
    return parsed
