"""data/checkpoint.json of an evidence package: the archive's newest signed checkpoint when
the package was written, and an RFC 9162 consistency proof from the tree each inclusion
proof is signed over to that checkpoint's tree.

    {"format": "civicarchive-checkpoint-consistency/1",
     "checkpoint": {"body": "<signed checkpoint text>", "signature": "<base64>",
                    "timestamp": "<base64 RFC 3161 response>"},   # when one was stored
     "consistency": [{"tree_size": 23, "path": ["<hex>", ...]}, ...]}

`consistency` holds one entry per distinct tree size among the proofs, smallest first;
an entry for the checkpoint's own size has an empty path. Together they show that every
proof in the package speaks of one append-only ledger: an archive that rewrote or forked
its ledger between two checkpoints could not link them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicarchive.errors import ProofError
from civicarchive.store.checkpoint import CheckpointBody, signature_valid
from civicarchive.store.merkle import verify_consistency
from civicarchive.store.proof import parse_proof
from civicarchive.store.timestamps import token_problem

__all__ = ["FORMAT", "ProvenTree", "check_checkpoint_link", "write_checkpoint_link"]

FORMAT = "civicarchive-checkpoint-consistency/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ProvenTree:
    """The signed tree one verified inclusion proof names."""

    where: str  # the proof file
    origin: str
    size: int
    root: str  # hex


def write_checkpoint_link(path: Path, link: dict) -> None:
    """Write the newest checkpoint and its consistency proofs (`ExportSource.checkpoint_link`)."""
    path.write_bytes(orjson.dumps({"format": FORMAT, **link},
                                  option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def check_checkpoint_link(path: Path, where: str, key: Ed25519PublicKey | None,
                          trees: Iterable[ProvenTree], problems: list[str]
                          ) -> CheckpointBody | None:
    """Append what is wrong with the checkpoint file and the link from every proof's tree
    to its checkpoint; returns the checkpoint when its signature holds."""
    try:
        doc = parse_proof(path.read_bytes(), where)
        checkpoint, paths = _read(doc, where)
    except OSError:
        problems.append(f"{where} is missing: the proofs cannot be linked to one checkpoint")
        return None
    except ProofError as error:
        problems.append(str(error))
        return None
    if key is None or not signature_valid(key, checkpoint["body"], checkpoint["signature"]):
        problems.append(f"{where}: the checkpoint's signature does not verify with the key "
                        "checked against")
        return None
    try:
        newest = CheckpointBody.parse(checkpoint["body"])
    except ValueError as error:
        problems.append(f"{where}: the checkpoint body is malformed ({error})")
        return None
    if checkpoint["timestamp"] is not None:  # its chain needs the authority's CA: offline,
        wrong = token_problem(checkpoint["timestamp"], checkpoint["body"])  # `openssl ts`
        if wrong:
            problems.append(f"{where}: the checkpoint's timestamp: {wrong}")
    roots: dict[int, ProvenTree] = {}
    for tree in trees:
        if tree.origin != newest.origin:
            problems.append(f"{tree.where}: signed by archive {tree.origin}, the checkpoint in "
                            f"{where} by archive {newest.origin}")
            continue
        seen = roots.setdefault(tree.size, tree)
        if seen.root != tree.root:
            problems.append(f"{tree.where} and {seen.where} name two different trees of "
                            f"{tree.size} entries: the archive signed two different ledgers")
            continue
        if seen is not tree:
            continue
        path_of = paths.get(tree.size)
        if path_of is None:
            problems.append(f"{where} has no consistency proof from tree size {tree.size}, "
                            f"which {tree.where} is signed over")
        elif not verify_consistency(tree.size, newest.size, bytes.fromhex(tree.root),
                                    newest.root, path_of):
            problems.append(f"{where}: the consistency proof from tree size {tree.size} "
                            f"({tree.where}) to {newest.size} does not verify: the ledger "
                            "the proof speaks of is not a prefix of the checkpoint's")
    for size in sorted(paths.keys() - roots.keys()):
        problems.append(f"{where}: a consistency proof from tree size {size}, which no "
                        "verified proof in the package is signed over")
    return newest


def _read(doc: object, where: str) -> tuple[dict, dict[int, list[bytes]]]:
    """The checkpoint (body text, signature bytes) and the paths by tree size, once every
    member has its form; ProofError naming the member otherwise."""
    def wrong(what: str) -> ProofError:
        return ProofError(f"{where}: {what}")

    if not isinstance(doc, dict) or set(doc) != {"format", "checkpoint", "consistency"}:
        raise wrong("must be an object of exactly format, checkpoint and consistency")
    if doc["format"] != FORMAT:
        raise wrong(f"format must be {FORMAT!r}")
    checkpoint = doc["checkpoint"]
    if not isinstance(checkpoint, dict) or \
            not {"body", "signature"} <= set(checkpoint) <= {"body", "signature", "timestamp"} \
            or not all(isinstance(v, str) for v in checkpoint.values()):
        raise wrong("checkpoint must be an object of body, signature and optionally "
                    "timestamp, strings")
    try:
        signature = base64.b64decode(checkpoint["signature"], validate=True)
    except binascii.Error:
        raise wrong("checkpoint.signature is not base64") from None
    try:
        token = base64.b64decode(checkpoint["timestamp"], validate=True) \
            if "timestamp" in checkpoint else None
    except binascii.Error:
        raise wrong("checkpoint.timestamp is not base64") from None
    paths: dict[int, list[bytes]] = {}
    entries = doc["consistency"]
    for n, entry in enumerate(entries if isinstance(entries, list) else [None]):
        if not isinstance(entry, dict) or set(entry) != {"tree_size", "path"} or \
                type(entry["tree_size"]) is not int or not isinstance(entry["path"], list) \
                or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in entry["path"]):
            raise wrong(f"consistency[{n}] must be an object of tree_size (an integer) and "
                        "path (64 lower-case hex digits each)")
        if entry["tree_size"] in paths:
            raise wrong(f"consistency names tree size {entry['tree_size']} twice")
        paths[entry["tree_size"]] = [bytes.fromhex(h) for h in entry["path"]]
    return {"body": checkpoint["body"], "signature": signature, "timestamp": token}, paths
