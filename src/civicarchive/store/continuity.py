"""Checkpoint continuity: the ledger only ever extends what the archive has signed.

Someone who can write the database but holds no key could otherwise delete the
checkpoints, point a version at forged content, re-hash its leaf and wait for the next
ingest to sign the forged ledger. Three things stop that:

- the signer keeps the last checkpoint it signed outside the database, beside the key
  (`keys/last-checkpoint`, written after each commit), and before signing the next one
  proves that the database extends it (`next_checkpoint`): the same checkpoint, or a
  chain of signed checkpoints from it when a crash struck between commit and file;
  otherwise it refuses with LedgerRolledBack or LedgerForked, naming the first entry
  that differs;
- checkpoints are numbered and chained (store/checkpoint.py), so `continuity_problems`
  finds a deleted or replaced one, and entries beyond the last checkpoint, which no
  crash leaves because every write seals in its own transaction;
- a checkpoint obtained earlier (published, timestamped, e-mailed) is checked with an
  RFC 9162 consistency proof against the ledger (`divergence`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from civicarchive.errors import (CheckpointNoteDamaged, ContinuityBroken, InvalidInput,
                                 LedgerForked, LedgerRolledBack)
from civicarchive.store import schema as t
from civicarchive.store.checkpoint import GENESIS, ArchiveKey, CheckpointBody, signature_valid
from civicarchive.store.checkpoint_file import CheckpointFile, write_atomically
from civicarchive.store.ledger import LedgerWriter
from civicarchive.store.merkle import EMPTY_ROOT, consistency_path, root_of, verify_consistency

LAST_CHECKPOINT_FILE = "last-checkpoint"


def last_signed(keys_dir: Path) -> CheckpointFile | None:
    """The last checkpoint the signer of `keys_dir` signed, or None before the first;
    CheckpointNoteDamaged when the note cannot be read."""
    path = keys_dir / LAST_CHECKPOINT_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CheckpointNoteDamaged(str(path), error.strerror or str(error)) from None
    try:
        return CheckpointFile.read(data, str(path))
    except InvalidInput as error:
        raise CheckpointNoteDamaged(str(path), str(error).removeprefix(f"{path}: ")) \
            from None


def numbered_checkpoints(conn: Connection) -> bool:
    """Whether the newest checkpoint is numbered (v2): its signer kept it outside the
    database too, so that record can only be missing if it was lost or deleted."""
    body = conn.execute(sa.select(t.checkpoints.c.body).order_by(t.checkpoints.c.id.desc())
                        .limit(1)).scalar()
    try:
        return body is not None and CheckpointBody.parse(body).number is not None
    except ValueError:  # a malformed body: verification names it
        return False


def remember(key: ArchiveKey, signed: CheckpointFile | None) -> None:
    """Keep `signed` as the last checkpoint signed, once its transaction has committed."""
    if signed is not None and key.keys_dir is not None:
        write_atomically(key.keys_dir / LAST_CHECKPOINT_FILE, signed.to_json())


def next_checkpoint(conn: Connection, ledger: LedgerWriter, key: ArchiveKey, origin: str,
                    now: str) -> tuple[dict, CheckpointFile]:
    """The row of the next checkpoint over `ledger`, once the database is shown to extend
    the last checkpoint signed; raises ContinuityBroken otherwise."""
    c = t.checkpoints.c
    latest = conn.execute(sa.select(c.id, c.body, c.signature).order_by(c.id.desc())
                          .limit(1)).first()
    last = number = None
    if latest is not None:
        if not signature_valid(key.public, latest.body, bytes(latest.signature)):
            raise LedgerForked(f"the newest checkpoint in the database (id {latest.id}) is not "
                               "signed with this archive's key")
        try:
            last = CheckpointBody.parse(latest.body)
        except ValueError as error:
            raise LedgerForked(f"the newest checkpoint in the database (id {latest.id}) is "
                               f"malformed: {error}") from None
        number = last.number or conn.execute(sa.select(sa.func.count()).select_from(
            t.checkpoints)).scalar_one()  # v1 checkpoints count as 1, 2, ... by position
    witness = last_signed(key.keys_dir) if key.keys_dir is not None else None
    if witness is not None:
        _check_extends(conn, ledger, key, origin, witness, latest, number or 0)
    size, root = (last.size, last.root) if last else (0, EMPTY_ROOT)
    if ledger.start_size != size:
        raise LedgerForked(f"ledger entries {size} to {ledger.start_size - 1} lie beyond the "
                           f"newest checkpoint ({number or 'none'}, size {size}): no write "
                           "of this archive leaves them, so they were added outside it",
                           entries=(size, ledger.start_size))
    if ledger.start_root != root:
        raise LedgerForked(f"the stored frontier of checkpoint {number} does not lead to its "
                           "signed root: it was changed in the database")
    row = ledger.checkpoint_row(key, origin, now, (number or 0) + 1,
                                hashlib.sha256(latest.body.encode()).digest() if latest else None)
    signed = CheckpointFile(row["body"], row["signature"], key.public_raw(),
                            tuple(ledger.frontier.hashes()))
    return row, signed


def _check_extends(conn: Connection, ledger: LedgerWriter, key: ArchiveKey, origin: str,
                   witness: CheckpointFile, latest: sa.Row | None, number: int) -> None:
    """Raise unless the database's newest checkpoint is `witness` or descends from it."""
    problems = witness.problems(key.public, origin)
    if problems or witness.body.number is None:
        raise ContinuityBroken(f"{key.keys_dir / LAST_CHECKPOINT_FILE} is not a checkpoint "
                               f"this archive signed: {problems[0] if problems else 'v1 body'}")
    signed = witness.body
    if latest is None or number < signed.number:
        found = divergence(_leaves(conn, ledger.start_size), witness)
        held = "no checkpoint" if latest is None else f"checkpoints up to number {number}"
        if found is not None and found[0] is LedgerForked:
            raise LedgerForked(f"the database holds {held}, but this archive signed checkpoint "
                               f"{signed.number} last, and {found[1]}", entries=found[2])
        raise LedgerRolledBack(f"the database holds {held}, but this archive signed checkpoint "
                               f"{signed.number} (size {signed.size}) last: "
                               + (found[1] if found else "its checkpoints after that were "
                                  "deleted"), entries=found[2] if found else None)
    rows = conn.execute(sa.select(t.checkpoints.c.body, t.checkpoints.c.signature)
                        .order_by(t.checkpoints.c.id.desc())
                        .limit(number - signed.number + 1)).all()[::-1]
    if rows[0].body != witness.body_text:
        found = divergence(_leaves(conn, ledger.start_size), witness)
        raise LedgerForked(f"checkpoint {signed.number} in the database is not the one this "
                           "archive signed" + (f", and {found[1]}" if found else ""),
                           entries=found[2] if found else None)
    # Newer checkpoints than the file: a crash between commit and file, or another host
    # with the same key. Each must be signed and chained to the one before.
    for before, row in zip(rows, rows[1:]):
        body = CheckpointBody.parse(row.body)
        if not signature_valid(key.public, row.body, bytes(row.signature)) or \
                body.previous != hashlib.sha256(before.body.encode()).digest():
            raise LedgerForked(f"checkpoint {body.number} in the database is not chained to "
                               f"checkpoint {signed.number}, which this archive signed last")


def _leaves(conn: Connection, size: int) -> list[bytes]:
    le = t.ledger_entries.c
    return [bytes(h) for (h,) in conn.execute(sa.select(le.leaf_hash).where(le.idx < size)
                                              .order_by(le.idx))]


def divergence(leaves: Sequence[bytes], witness: CheckpointFile
               ) -> tuple[type[ContinuityBroken], str, tuple[int, int] | None] | None:
    """None when the ledger over `leaves` extends the witnessed checkpoint (an RFC 9162
    consistency proof from its size to the ledger's); otherwise the error class, what
    differs, and the range [first, end) of entries holding the first difference."""
    body, n = witness.body, len(leaves)
    m = body.size
    if m == 0 or (m <= n and verify_consistency(m, n, body.root, root_of(leaves),
                                                consistency_path(m, leaves))):
        return None
    # The witness's frontier holds the roots of the perfect subtrees its tree is made of:
    # the first one that differs, or is missing, brackets the first entry that differs.
    low = 0
    for subtree in witness.frontier:
        width = 1 << _width(m, low)
        high = low + width
        if high > n:
            return (LedgerRolledBack, f"the ledger holds {n} entries where checkpoint "
                    f"{body.number} signed {m}: entries {n} to {m - 1} are missing", (n, m))
        if root_of(leaves[low:high]) != subtree:
            where = f"entry {low}" if width == 1 else f"one of entries {low} to {high - 1}"
            return (LedgerForked, f"the ledger differs from checkpoint {body.number} (size {m})"
                    f" at {where}", (low, high))
        low = high
    return (LedgerForked, f"the ledger does not extend checkpoint {body.number}", None)


def _width(size: int, low: int) -> int:
    """log2 of the perfect subtree of a tree of `size` leaves that starts at leaf `low`."""
    return (size - low).bit_length() - 1


def continuity_problems(conn: Connection, entries: int, sealed: int,
                        public_key: Ed25519PublicKey, origin: str,
                        witnesses: Sequence[tuple[str, CheckpointFile]] = ()
                        ) -> Iterator[tuple[str, str]]:
    """(where, what) for every break in the chain of checkpoints, for entries beyond the
    last checkpoint, and for each witnessed checkpoint the ledger does not extend.
    `entries` and `sealed` are the ledger's size and the largest size signed."""
    c = t.checkpoints.c
    rows = conn.execute(sa.select(c.id, c.body).order_by(c.id)).all()
    yield from _chain_problems(rows)
    if entries > sealed:
        yield ("ledger", f"entries {sealed} to {entries - 1} lie beyond the last checkpoint: "
                         "every write seals its entries in the same transaction, so no crash "
                         "leaves them; they were added outside the archive, or the checkpoints "
                         "that covered them were deleted")
    numbered = _numbers(rows)
    for where, witness in witnesses:
        problems = witness.problems(public_key, origin)
        if problems:
            yield (where, problems[0])
            continue
        body = witness.body
        held = numbered.get(body.number) if body.number else \
            next((row for row in rows if row.body == witness.body_text), None)
        if held is not None and held.body == witness.body_text:
            continue  # the same bytes: its root was recomputed from the ledger already
        label = f"checkpoint {body.number or 'of size ' + str(body.size)}"
        if held is not None:
            yield (where, f"the archive holds another {label} (id {held.id}): two "
                          "checkpoints were signed with one number")
        found = divergence(_leaves(conn, entries), witness)
        if found is not None:
            yield (where, f"{'rolled back' if found[0] is LedgerRolledBack else 'forked'}: "
                          f"{found[1]}")
        elif held is None:
            yield (where, f"the ledger extends it, but the archive no longer holds {label}: "
                          "checkpoints were deleted")


def _numbers(rows: Sequence[sa.Row]) -> dict[int, sa.Row]:
    numbered, position = {}, 0
    for row in rows:
        try:
            position = CheckpointBody.parse(row.body).number or position + 1
        except ValueError:
            position += 1
        numbered.setdefault(position, row)
    return numbered


def _chain_problems(rows: Sequence[sa.Row]) -> Iterator[tuple[str, str]]:
    expected, previous, chained = 1, None, False
    for row in rows:
        where = f"checkpoint {row.id}"
        try:
            body = CheckpointBody.parse(row.body)
        except ValueError:  # reported with its signature by verification
            expected, previous = expected + 1, row.body
            continue
        if body.number is None:
            if chained:
                yield (where, "an unnumbered (v1) checkpoint after numbered ones")
        else:
            chained = True
            if body.number > expected:
                missing = (f"checkpoint {expected} is" if body.number == expected + 1 else
                           f"checkpoints {expected} to {body.number - 1} are")
                yield (where, f"is number {body.number}: {missing} missing")
            elif body.number < expected:
                yield (where, f"is number {body.number}, which the archive signed before")
            elif body.previous != (hashlib.sha256(previous.encode()).digest()
                                   if previous is not None else GENESIS):
                yield (where, f"does not name checkpoint {expected - 1} as the one before it")
            expected = body.number
        expected, previous = expected + 1, row.body
