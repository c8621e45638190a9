"""Proving the archive: `verify` re-derives everything, inclusion proofs for versions,
and evidence exports (a WARC file, a BagIt package with proofs) that outside tools check.
`ArchiveSource` is what the export writers read (exports/versions.py `ExportSource`)."""

from __future__ import annotations

import base64
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from civicarchive.app.context import ArchiveContext
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry
from civicarchive.errors import CheckpointNoteDamaged, InvalidInput, StoreUnavailable
from civicarchive.store import capture as capture_sql
from civicarchive.store import records as record_sql
from civicarchive.store import timestamps
from civicarchive.store.blobs import BlobStore
from civicarchive.store import continuity
from civicarchive.store.checkpoint import (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, load_public_key,
                                           public_raw)
from civicarchive.store.consistency import newest_checkpoint_link
from civicarchive.store.checkpoint_file import CheckpointFile
from civicarchive.store.proof import build_proof, build_proofs

if TYPE_CHECKING:
    from civicarchive.store.verification import Progress, VerifyReport

EXPORT_FORMATS = ("warc", "bagit")


class Evidence:
    """Verification, proofs and evidence exports."""

    def __init__(self, context: ArchiveContext, registry: Registry, reading: Reading) -> None:
        self.context = context
        self.reading = reading
        self.source = ArchiveSource(context, registry)

    def verify(self, progress: Progress | None = None, trusted_key_pem: bytes | None = None,
               checkpoints: Iterable[Path] = ()) -> VerifyReport:
        """Re-derive every hash, entry, root and signature; see store/verification.py.
        `trusted_key_pem` checks signatures against a published key instead of the
        archive's own record of it. The ledger must extend the last checkpoint the signer
        kept outside the database (when this host has it) and each of `checkpoints`,
        checkpoint files obtained earlier (docs/checkpoint-file.md)."""
        from civicarchive.store.verification import Problem, VerifyReport, verify_store
        context = self.context
        try:
            trusted = load_public_key(trusted_key_pem) if trusted_key_pem is not None else None
        except ValueError as error:
            raise InvalidInput(f"the trusted public key is not an Ed25519 key: {error}",
                               parameter="public_key") from None
        try:
            recorded = context.public_key_raw
        except StoreUnavailable:
            recorded = None
        witnesses = [(str(path), CheckpointFile.read(path.read_bytes(), str(path)))
                     for path in checkpoints]
        kept = context.settings.keys_dir / continuity.LAST_CHECKPOINT_FILE
        note_problems = []
        try:
            note = continuity.last_signed(context.settings.keys_dir)
        except CheckpointNoteDamaged as error:  # a problem to report; the rest is checked
            note_problems.append(Problem(error.where, f"the note of the last checkpoint "
                                         f"signed is damaged ({error.fault}); restore the "
                                         "keys folder, or `checkpoint reset` once the rest "
                                         "verifies"))
        else:
            if note is not None:
                witnesses.append((str(kept), note))
        if trusted is None and recorded is None:  # no key to check signatures with
            return VerifyReport(complete=False, problems=[Problem(
                f"archive_info row {context.archive_id}", "public_key is not the base64 of "
                "an Ed25519 public key; verify against the agency's published key")])
        public = trusted or load_public_key(base64.b64encode(recorded))
        report = verify_store(context.store, public, context.archive_id, progress,
                              witnesses=witnesses)
        report.problems += note_problems
        if not report.complete:
            return report
        roots = timestamps.load_roots(context.settings.tsa_ca_file)
        with context.read() as conn:
            report.problems += [Problem(*p) for p in timestamps.timestamp_problems(conn, roots)]
        for where, witness in witnesses:
            stamped = None
            if witness.timestamp is not None:
                problem = timestamps.token_problem(witness.timestamp, witness.body_text, roots)
                if problem:
                    report.problems.append(Problem(where, f"its timestamp is not valid: "
                                                          f"{problem}"))
                else:
                    stamped = timestamps.token_time(witness.timestamp)
            report.checkpoint_files.append({
                "file": where, "checkpoint": witness.body.number, "size": witness.body.size,
                "timestamped_at": stamped, "timestamp_signature_checked": bool(
                    stamped and roots)})
        if not kept.exists() and (context.settings.keys_dir / PRIVATE_KEY_FILE).exists():
            with context.read() as conn:
                lost = continuity.numbered_checkpoints(conn)
            if lost:  # a rollback of the database would pass unseen without it
                report.problems.append(Problem(str(kept), (
                    "is missing, though this host signed the archive's checkpoints and keeps "
                    "the last of them there: without it a database rolled back to an older "
                    "state cannot be told apart. Restore it from the backup of keys/; if it "
                    "is truly lost, check the archive against a published checkpoint file, "
                    "then make the newest checkpoint the one to extend (checkpoint reset)")))
        key_file = context.settings.keys_dir / PUBLIC_KEY_FILE
        if key_file.exists() and recorded is not None and \
                public_raw(load_public_key(key_file.read_bytes())) != recorded:
            report.problems.insert(0, Problem(str(key_file), "differs from the public key "
                                              "recorded in the archive"))
        return report

    def proof(self, version_id: int) -> dict:
        """A self-contained inclusion proof of one version (docs/proof-format.md)."""
        return build_proof(self.context.store, version_id, self.context.public_key_raw)

    def proofs(self, version_ids: Iterable[int]) -> Iterator[dict]:
        """Proofs of many versions, in order, from one pass over the ledger."""
        return self.source.proofs(version_ids)

    def export(self, version_ids: list[int], fmt: str, target: Path) -> Path:
        """Write versions as a new WARC file or a BagIt evidence package (a new or empty
        folder), in a folder that exists: a mistyped path is an error, never new folders
        or a replaced file."""
        from civicarchive import exports
        if not version_ids:
            raise InvalidInput("nothing to export: name versions or items")
        for version_id in version_ids:
            self.reading.version(version_id)
        if fmt not in EXPORT_FORMATS:
            raise InvalidInput(f"unknown export format {fmt!r}: use "
                               f"{' or '.join(EXPORT_FORMATS)}", parameter="fmt")
        require_folder(target.parent)
        try:
            if fmt == "warc":
                self._write_warc(version_ids, target)
            else:
                exports.write_evidence_package(self.source, version_ids, target)
        except OSError as error:  # a full disk, a folder that cannot be written...
            raise unwritable(target, error) from None
        return target

    def _write_warc(self, version_ids: list[int], target: Path) -> None:
        from civicarchive import exports
        try:
            out = open(target, "xb")  # an export never replaces a file
        except FileExistsError:
            raise InvalidInput(f"{target} already exists: an export never replaces a "
                               "file; choose a new name", parameter="output") from None
        try:
            with out:
                exports.write_warc(self.source, version_ids, out)
        except BaseException:
            target.unlink(missing_ok=True)  # the part written of a file that was new
            raise

    def package(self, version_ids: list[int], folder: Path, description: str) -> Path:
        """A signed BagIt evidence package of the versions, opening with `description`."""
        from civicarchive.exports import write_evidence_package
        return write_evidence_package(self.source, version_ids, folder, description=description)

    def public_key_pem(self) -> bytes:
        """The archive's public key, to publish for third-party verification."""
        return self.context.public_key_pem()


def require_folder(folder: Path) -> None:
    """InvalidInput unless `folder` exists: writing a file there must not make folders of
    a mistyped path."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder: correct the path" if folder.exists()
                           else f"the folder {folder} does not exist: create it, or correct "
                           "the path", parameter="output")


def unwritable(path: Path, error: OSError) -> InvalidInput:
    """The error for a file that could not be written, as the operating system says why."""
    return InvalidInput(f"cannot write {path}: {error.strerror or error}", parameter="output")


class ArchiveSource:
    """The archive as the export writers read it."""

    def __init__(self, context: ArchiveContext, registry: Registry) -> None:
        self.context = context
        self.registry = registry
        self.archive_id = context.archive_id
        self.blob_store: BlobStore = context.store.blob_store

    @property
    def public_key_fingerprint(self) -> str:
        """sha256 of the archive's public key (read when used: verify opens an archive
        whose recorded key is damaged, to report it)."""
        return self.context.public_key_fingerprint

    def agency_names(self) -> list[str]:
        """The names of the agencies the archive keeps records for."""
        return [a.name for a in self.registry.agencies()]

    def now(self) -> datetime:
        """The time to stamp on what is written."""
        return self.context.clock.now()

    def export_rows(self, version_ids: Collection[int]) -> dict[int, tuple]:
        """See `ExportSource.export_rows`: one query for a chunk of versions."""
        with self.context.read() as conn:
            return record_sql.export_rows(self.context.store, conn, version_ids)

    def proofs(self, version_ids: Iterable[int]) -> Iterator[dict]:
        """Inclusion proofs of the versions, in order, from one pass over the ledger."""
        return build_proofs(self.context.store, version_ids, self.context.public_key_raw)

    def public_key_pem(self) -> bytes:
        """The archive's public key as PEM."""
        return self.context.public_key_pem()

    def checkpoint_link(self, tree_sizes: Collection[int]) -> dict:
        """The newest signed checkpoint and the consistency paths to it from each size."""
        return newest_checkpoint_link(self.context.store, tree_sizes)

    def capture_gaps(self, version_ids: Collection[int]) -> dict:
        """The capture gaps of the versions' accounts since the earliest of them, with the
        proofs of the ledger entries that opened and closed each (exports/gaps.py)."""
        with self.context.read() as conn:
            return capture_sql.gap_statements(conn, version_ids)

    def sign(self, data: bytes) -> bytes:
        """An Ed25519 signature by the archive's key: writing a package needs the key."""
        return self.context.sign(data)

    def checkpoint_file(self) -> bytes | None:
        """The newest signed checkpoint with its RFC 3161 token, as a checkpoint file
        (docs/checkpoint-file.md), for a package to carry; None before the first."""
        with self.context.read() as conn:
            signed = timestamps.newest_checkpoint_file(conn, self.context.public_key_raw)
        return signed.to_json() if signed is not None else None
