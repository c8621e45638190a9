"""Someone who can write the database but holds no key cannot get a rewritten history
signed: the signer keeps its last checkpoint outside the database and refuses to sign a
ledger that does not extend it, and `verify` fails on a broken checkpoint chain, on
entries beyond the last checkpoint, and on a ledger that does not extend a checkpoint
obtained earlier (issue 10)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import sqlalchemy as sa

from civicarchive import Archive
from civicarchive.errors import ContinuityBroken, LedgerForked, LedgerRolledBack
from civicarchive.store import continuity
from civicarchive.store import schema as t
from civicarchive.store.checkpoint import CheckpointBody
from civicarchive.store.checkpoint_file import CheckpointFile
from civicarchive.store.entries import version_entry_of, version_rows
from civicarchive.store.ledger import LedgerWriter
from civicarchive.store.merkle import Frontier, leaf_hash

from .conftest import observe


def as_dba(archive: Archive, *statements: tuple[str, dict]) -> None:
    """Run SQL as someone with write access to the database, triggers out of the way."""
    engine = archive.context.store.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for (name,) in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'").all():
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        else:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for sql, params in statements:
            conn.execute(sa.text(sql), params)


def ingest_batches(archive: Archive, account_id: int, start: int, batches: int) -> None:
    for batch in range(batches):
        archive.ingesting.ingest([observe(account_id, f"p{start + batch}-{n}",
                                          f"post {start + batch}.{n}", start + batch)
                                  for n in range(3)], source="t")


def forge_version(archive: Archive, version_id: int, text: str) -> int:
    """Point a version at forged content and re-hash its leaf; returns its ledger index."""
    content = json.dumps({"text": text}).encode()
    sha = hashlib.sha256(content).digest()
    store = archive.context.store
    with store.read() as conn:
        row = list(conn.execute(version_rows().where(t.versions.c.id == version_id)).one())
    row[6] = sha
    as_dba(archive,
           ("INSERT INTO blobs (sha256, size, media_type, data, created_at) VALUES "
            "(:sha, :size, 'application/json', :data, '2026-01-01T00:00:00.000000Z')",
            {"sha": sha, "size": len(content), "data": content}),
           ("UPDATE versions SET content_sha256 = :sha WHERE id = :id",
            {"sha": sha, "id": version_id}),
           ("UPDATE ledger_entries SET leaf_hash = :leaf WHERE idx = :idx",
            {"leaf": leaf_hash(version_entry_of(tuple(row))), "idx": row[0]}))
    return row[0]


def test_continuity_refuses_to_sign_a_forged_ledger_after_checkpoints_are_deleted(
        archive, account):
    ingest_batches(archive, account.id, 0, 4)
    index = forge_version(archive, 5, "The council approved the sale.")
    as_dba(archive, ("DELETE FROM checkpoints", {}))

    with pytest.raises(LedgerForked) as refused:
        ingest_batches(archive, account.id, 10, 1)
    low, high = refused.value.entries
    assert low <= index < high
    assert "writing is refused" in str(refused.value)
    assert archive.reading.stats()["checkpoints"] == 0  # nothing was signed

    report = archive.evidence.verify()
    assert not report.ok
    text = "\n".join(map(str, report.problems))
    assert "lie beyond the last checkpoint" in text
    assert "forked" in text and str(continuity.LAST_CHECKPOINT_FILE) in text


def test_continuity_verify_says_the_outside_record_is_missing(archive, account):
    """Deleting keys/last-checkpoint with a rollback of the database must not make the
    rollback pass unseen: its absence is itself a problem."""
    ingest_batches(archive, account.id, 0, 2)
    assert archive.evidence.verify().ok
    kept = archive.context.settings.keys_dir / continuity.LAST_CHECKPOINT_FILE
    kept.unlink()
    problems = archive.evidence.verify().problems
    assert [p.where for p in problems] == [str(kept)] and "is missing" in problems[0].what


def test_continuity_verify_fails_on_deleted_checkpoints_without_the_outside_file(
        archive, account):
    ingest_batches(archive, account.id, 0, 3)
    (archive.context.settings.keys_dir / continuity.LAST_CHECKPOINT_FILE).unlink()
    with archive.context.read() as conn:
        ids = [i for (i,) in conn.execute(sa.select(t.checkpoints.c.id)
                                          .order_by(t.checkpoints.c.id))]
    as_dba(archive, ("DELETE FROM checkpoints WHERE id = :id", {"id": ids[1]}))
    problems = [str(p) for p in archive.evidence.verify().problems]
    assert any(f"checkpoint {ids[2]}: is number 3: checkpoint 2 is missing" in p
               for p in problems), problems

    as_dba(archive, ("DELETE FROM checkpoints WHERE id >= :id", {"id": ids[-1]}))
    problems = [str(p) for p in archive.evidence.verify().problems]
    assert any("lie beyond the last checkpoint" in p for p in problems), problems


def test_continuity_refuses_a_changed_frontier(archive, account):
    ingest_batches(archive, account.id, 0, 2)
    forge_version(archive, 2, "forged")
    with archive.context.read() as conn:
        last = conn.execute(sa.select(t.checkpoints.c.id, t.checkpoints.c.tree_size)
                            .order_by(t.checkpoints.c.id.desc()).limit(1)).one()
        leaves = [bytes(h) for (h,) in conn.execute(
            sa.select(t.ledger_entries.c.leaf_hash).order_by(t.ledger_entries.c.idx))]
    forged = Frontier()
    for leaf in leaves[:last.tree_size]:
        forged.append(leaf)
    as_dba(archive, ("UPDATE checkpoints SET frontier = :f WHERE id = :id",
                     {"f": json.dumps([h.hex() for h in forged.hashes()]), "id": last.id}))
    with pytest.raises(LedgerForked, match="frontier"):
        ingest_batches(archive, account.id, 10, 1)


def test_continuity_catches_a_restored_older_database(tmp_path, clock):
    home = tmp_path / "home"
    with Archive.init("City", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "city", "agency")
        ingest_batches(archive, account.id, 0, 2)
    shutil.copy(home / "archive.db", tmp_path / "backup.db")
    with Archive.open(home, clock=clock) as archive:
        ingest_batches(archive, account.id, 5, 2)
        expected = archive.reading.stats()["ledger_entries"]
    shutil.copy(tmp_path / "backup.db", home / "archive.db")

    with Archive.open(home, clock=clock) as archive:
        held = archive.reading.stats()["ledger_entries"]
        with pytest.raises(LedgerRolledBack) as refused:
            ingest_batches(archive, account.id, 9, 1)
        assert refused.value.entries == (held, expected)
        problems = [str(p) for p in archive.evidence.verify().problems]
    assert any(f"rolled back: the ledger holds {held} entries" in p for p in problems)


def test_continuity_survives_a_crash_between_commit_and_file(archive, account, monkeypatch):
    ingest_batches(archive, account.id, 0, 1)
    kept = archive.context.settings.keys_dir / continuity.LAST_CHECKPOINT_FILE
    before = kept.read_bytes()

    def crash(key, signed):  # noqa: ANN001
        raise SystemExit("killed after commit")
    monkeypatch.setattr(continuity, "remember", crash)
    with pytest.raises(SystemExit):
        ingest_batches(archive, account.id, 5, 1)
    monkeypatch.undo()
    assert kept.read_bytes() == before  # the database is one checkpoint ahead of the file

    ingest_batches(archive, account.id, 9, 1)
    assert archive.evidence.verify().ok
    signed = CheckpointFile.read(kept.read_bytes(), "kept")
    assert signed.body.number == archive.reading.stats()["checkpoints"]


def test_continuity_numbers_and_chains_every_checkpoint(archive, account):
    ingest_batches(archive, account.id, 0, 3)
    with archive.context.read() as conn:
        bodies = [b for (b,) in conn.execute(sa.select(t.checkpoints.c.body)
                                             .order_by(t.checkpoints.c.id))]
    parsed = [CheckpointBody.parse(b) for b in bodies]
    assert [b.number for b in parsed] == list(range(1, len(bodies) + 1))
    assert parsed[0].previous == bytes(32)
    for before, body in zip(bodies, parsed[1:]):
        assert body.previous == hashlib.sha256(before.encode()).digest()
    kept = archive.context.settings.keys_dir / continuity.LAST_CHECKPOINT_FILE
    assert kept.stat().st_mode & 0o777 == 0o600
    assert CheckpointFile.read(kept.read_bytes(), "kept").body_text == bodies[-1]


def test_continuity_verify_checkpoint_file_names_the_forged_entry(archive, account, tmp_path):
    ingest_batches(archive, account.id, 0, 2)
    published = tmp_path / "published.json"
    shutil.copy(archive.context.settings.keys_dir / continuity.LAST_CHECKPOINT_FILE, published)
    assert archive.evidence.verify(checkpoints=[published]).ok

    # Someone with the key and the database rewrites history and re-signs it all.
    index = forge_version(archive, 1, "forged")
    resign(archive)
    assert archive.evidence.verify().ok  # a consistent forgery, by the archive's own lights
    problems = [str(p) for p in archive.evidence.verify(checkpoints=[published]).problems]
    assert len(problems) == 1 and problems[0].startswith(str(published)), problems
    low, high = (int(n) for n in problems[0].split("entries ")[1].split(" to "))
    assert "forked" in problems[0] and low <= index <= high


def resign(archive: Archive) -> None:
    """What a holder of the key can do: replace every checkpoint with one new chain over
    the ledger as it now stands, and the signer's file with it."""
    context = archive.context
    with context.read() as conn:
        leaves = [bytes(h) for (h,) in conn.execute(
            sa.select(t.ledger_entries.c.leaf_hash).order_by(t.ledger_entries.c.idx))]
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    writer = LedgerWriter(frontier)
    row = writer.checkpoint_row(context.key, context.archive_id, context.now_text(), 1, None)
    as_dba(archive, ("DELETE FROM checkpoints", {}),
           ("INSERT INTO checkpoints (tree_size, root_hash, body, signature, frontier, "
            "created_at) VALUES (:tree_size, :root_hash, :body, :signature, :frontier, "
            ":created_at)", row))
    continuity.remember(context.key, CheckpointFile(row["body"], row["signature"],
                                                    context.key.public_raw(),
                                                    tuple(frontier.hashes())))


def test_continuity_refuses_a_last_checkpoint_of_another_archive(tmp_path, archive, account):
    other = Archive.init("Other", home=tmp_path / "other")
    other.close()
    keys = archive.context.settings.keys_dir
    shutil.copy(tmp_path / "other" / "keys" / continuity.LAST_CHECKPOINT_FILE,
                keys / continuity.LAST_CHECKPOINT_FILE)
    with pytest.raises(ContinuityBroken, match="not a checkpoint this archive signed"):
        ingest_batches(archive, account.id, 0, 1)
