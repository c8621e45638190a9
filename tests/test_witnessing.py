"""RFC 3161 timestamps on checkpoints from a local time-stamping authority (tests/tsa.py):
every stored token passes `openssl ts -verify`; an authority that is down never fails an
ingest, the miss is recorded and retried; checkpoint files go out with their token and
come back to `verify --checkpoint`; `checkpoint reset` is the way back after a restore."""

from __future__ import annotations

import base64
import json
import shutil

import pytest
import sqlalchemy as sa

from civicarchive import Archive
from civicarchive.app import witnessing
from civicarchive.errors import ArchiveError, ContinuityBroken, LedgerRolledBack
from civicarchive.store import schema as t
from civicarchive.store import timestamps
from civicarchive.store.checkpoint import PRIVATE_KEY_FILE
from civicarchive.store.checkpoint_file import CheckpointFile
from civicarchive.store.continuity import LAST_CHECKPOINT_FILE

from .conftest import observe
from .test_continuity import as_dba, ingest_batches
from .tsa import LocalTsa


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    authority = LocalTsa(tmp_path_factory.mktemp("tsa"))
    yield authority
    authority.close()


@pytest.fixture
def witnessed(tmp_path, database_url, clock, tsa, monkeypatch):
    monkeypatch.setenv("CIVICARCHIVE_TSA_URL", tsa.url)
    monkeypatch.setenv("CIVICARCHIVE_TSA_CA_FILE", str(tsa.ca_file))
    tsa.down = False
    archive = Archive.init("City of Example", home=tmp_path / "home",
                           database_url=database_url, clock=clock, actor="clerk")
    yield archive
    archive.close()


def stored(archive: Archive) -> list[tuple[int, bytes, str]]:
    """(checkpoint id, token, its body) of every token stored."""
    with archive.context.read() as conn:
        bodies = dict(conn.execute(sa.select(t.checkpoints.c.id, t.checkpoints.c.body)).all())
        return [(cp, token, bodies[cp]) for _, cp, token in timestamps.tokens(conn)]


def test_witnessing_tokens_pass_openssl_ts_verify(witnessed, tsa, monkeypatch):
    monkeypatch.setattr(witnessing, "MIN_INTERVAL", 0.0)  # every seal asks
    account = witnessed.registry.add_account("x", "city", "agency")
    ingest_batches(witnessed, account.id, 0, 3)
    tokens = stored(witnessed)
    assert len(tokens) == witnessed.reading.stats()["checkpoints"] - 1  # all but init's
    for _, token, body in tokens:
        checked = tsa.verify(token, body.encode())
        assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    assert witnessed.evidence.verify().ok


def test_witnessing_close_timestamps_the_last_checkpoint(witnessed):
    account = witnessed.registry.add_account("x", "city", "agency")
    ingest_batches(witnessed, account.id, 0, 3)  # the first seal asks, the others wait
    with witnessed.context.read() as conn:
        newest = timestamps.newest_checkpoint(conn).id
        assert timestamps.token_of(conn, newest) is None
    witnessed.witnessing.close()
    with witnessed.context.read() as conn:
        assert timestamps.token_of(conn, newest) is not None


def test_witnessing_an_authority_down_never_fails_an_ingest(witnessed, tsa, monkeypatch):
    monkeypatch.setattr(witnessing, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(witnessing, "BACKOFF", 0.0)
    tsa.down = True
    account = witnessed.registry.add_account("x", "city", "agency")
    ingest_batches(witnessed, account.id, 0, 1)
    with witnessed.context.read() as conn:
        assert timestamps.summary(conn) == {"timestamped_checkpoints": 0, "timestamp_misses": 2}
        newest = timestamps.newest_checkpoint(conn).id
    tsa.down = False
    ingest_batches(witnessed, account.id, 5, 1)  # the next seal retries
    with witnessed.context.read() as conn:
        assert timestamps.token_of(conn, timestamps.newest_checkpoint(conn).id) is not None
        assert timestamps.token_of(conn, newest) is None  # the chain covers it
    assert witnessed.evidence.verify().ok


def test_witnessing_timestamp_records_a_miss_and_retries(witnessed, tsa):
    tsa.down = True
    missed = witnessed.witnessing.timestamp()
    assert missed.status == "missed" and "503" in missed.detail
    tsa.down = False
    assert witnessed.witnessing.timestamp().status == "timestamped"
    assert witnessed.witnessing.timestamp().status == "already"


def test_witnessing_verify_catches_a_token_for_other_bytes(witnessed, tsa):
    account = witnessed.registry.add_account("x", "city", "agency")
    witnessed.witnessing.timestamp()
    ((checkpoint_id, token, _),) = stored(witnessed)
    as_dba(witnessed, ("INSERT INTO checkpoint_timestamps (checkpoint_id, tsa_url, "
                       "requested_at, token) VALUES (:cp, 'x', 'y', :token)",
                       {"cp": checkpoint_id - 1, "token": token}))
    problems = [str(p) for p in witnessed.evidence.verify().problems]
    assert problems == [f"timestamp 2 (checkpoint {checkpoint_id - 1}): it timestamps other "
                        "bytes than this checkpoint's body"]
    assert account.id


def test_witnessing_export_round_trips_through_verify_checkpoint(witnessed, cli, tmp_path):
    account = witnessed.registry.add_account("x", "city", "agency")
    witnessed.ingesting.ingest([observe(account.id, "1", "post")], source="t")
    witnessed.witnessing.timestamp()
    out = tmp_path / "published.json"
    result = cli("checkpoint", "export", "-o", out)
    assert "Wrote checkpoint 3" in result.output
    signed = CheckpointFile.read(out.read_bytes(), str(out))
    assert signed.timestamp is not None
    assert timestamps.token_problem(signed.timestamp, signed.body_text) is None
    cli("verify", "--checkpoint", out)
    out.write_bytes(out.read_bytes().replace(b'"frontier"', b'"frontier_"'))
    failed = cli("verify", "--checkpoint", out, ok=False)
    assert failed.exit_code == 1 and "published.json: a checkpoint file is" in failed.output


def _published(witnessed, cli, tmp_path):
    """A checkpoint file as `checkpoint export` writes it, with its token, and its JSON."""
    account = witnessed.registry.add_account("x", "city", "agency")
    witnessed.ingesting.ingest([observe(account.id, "1", "post")], source="t")
    witnessed.witnessing.timestamp()
    out = tmp_path / "published.json"
    cli("checkpoint", "export", "-o", out)
    return out, json.loads(out.read_text())


@pytest.mark.parametrize("database_url", [None])  # about the file, not the store
def test_witnessing_verify_checkpoint_says_which_file_and_timestamp_it_checked(
        witnessed, cli, tmp_path, database_url):
    out, doc = _published(witnessed, cli, tmp_path)
    shown = cli("verify", "--checkpoint", out).output
    body = CheckpointFile.read(out.read_bytes(), str(out)).body
    assert f"checkpoint file {out}: checkpoint {body.number} of {body.size} entries, " \
           "timestamped 20" in shown, shown
    report = json.loads(cli("verify", "--checkpoint", out, "--json").output)
    kept = tmp_path / "home" / "keys" / LAST_CHECKPOINT_FILE  # the signer's, checked too
    assert [(c["file"], c["checkpoint"]) for c in report["checkpoint_files"]] == \
        [(str(out), body.number), (str(kept), body.number)]


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("token", [b"garbage", "token of another checkpoint"])
def test_witnessing_verify_checkpoint_checks_its_timestamp(witnessed, cli, tmp_path,
                                                          database_url, token):
    out, doc = _published(witnessed, cli, tmp_path)
    if not isinstance(token, bytes):  # a real token, of the checkpoint before
        token = stored(witnessed)[0][1]
        witnessed.ingesting.ingest([observe(1, "2", "post 2")], source="t")
        witnessed.witnessing.timestamp()
        cli("checkpoint", "export", "-o", tmp_path / "newer.json")
        doc = json.loads((tmp_path / "newer.json").read_text())
    doc["timestamp"] = base64.b64encode(token).decode()
    out.write_text(json.dumps(doc))
    failed = cli("verify", "--checkpoint", out, ok=False)
    assert failed.exit_code == 1 and f"{out}: its timestamp is not valid: " in failed.output, \
        failed.output


def test_witnessing_verify_checkpoint_reads_a_deeply_nested_file_safely(witnessed, cli,
                                                                        tmp_path):
    out = tmp_path / "nested.json"
    out.write_text("[" * 100000 + "]" * 100000)
    failed = cli("verify", "--checkpoint", out, ok=False)
    assert type(failed.exception) is SystemExit, failed.output[-500:]
    assert failed.exit_code == 1 and failed.output.startswith(f"error: {out}: not a "
                                                              "checkpoint file"), failed.output


def test_witnessing_reset_after_a_deliberate_restore(tmp_path, clock):
    from click.testing import CliRunner

    from civicarchive.cli import main
    home = tmp_path / "home"

    def cli(*args: str, ok: bool = True):  # noqa: ANN202
        result = CliRunner().invoke(main, ["--home", str(home), *args])
        assert (result.exit_code == 0) == ok, result.output
        return result

    with Archive.init("City", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "city", "agency")
        ingest_batches(archive, account.id, 0, 1)
    shutil.copy(home / "archive.db", tmp_path / "backup.db")
    with Archive.open(home, clock=clock) as archive:
        ingest_batches(archive, account.id, 5, 1)
    shutil.copy(tmp_path / "backup.db", home / "archive.db")
    with Archive.open(home, clock=clock) as archive:
        with pytest.raises(LedgerRolledBack):
            ingest_batches(archive, account.id, 9, 1)
    refused = cli("accounts", "add", "--platform", "x", "--handle", "b", "--classification",
                  "agency", ok=False)
    assert refused.exit_code == 1 and "writing is refused" in refused.output
    result = cli("checkpoint", "reset", "--reason", "restored the 1 March backup", ok=True)
    assert "Set aside checkpoint 4" in result.output
    assert list((home / "keys").glob(f"{LAST_CHECKPOINT_FILE}.superseded-*"))
    with Archive.open(home, clock=clock) as archive:
        ingest_batches(archive, account.id, 9, 1)
        assert archive.evidence.verify().ok
        with archive.context.read() as conn:
            actions = [a for (a,) in conn.execute(sa.select(t.audit_events.c.action))]
    assert "checkpoint.reset" in actions


def test_witnessing_export_source_carries_the_newest_checkpoint_and_token(witnessed):
    witnessed.registry.add_account("x", "city", "agency")  # sealed and timestamped
    carried = CheckpointFile.read(witnessed.evidence.source.checkpoint_file(), "package")
    assert carried.body_text == witnessed.witnessing.export().body_text
    assert carried.body.number == 2 and carried.timestamp is not None


def test_witnessing_evidence_package_carries_the_token_and_catches_a_forged_one(
        witnessed, tmp_path):
    import base64
    import bagit
    import orjson

    from civicarchive.app.offline import verify_package
    account = witnessed.registry.add_account("x", "city", "agency")
    ingest_batches(witnessed, account.id, 0, 1)
    witnessed.witnessing.close()  # the newest checkpoint is timestamped
    folder = witnessed.evidence.export([1], "bagit", tmp_path / "package")
    pem = witnessed.evidence.public_key_pem()
    assert verify_package(folder, pem) == []
    path = folder / "data" / "checkpoint.json"
    doc = orjson.loads(path.read_bytes())
    token = base64.b64decode(doc["checkpoint"]["timestamp"])
    (newest, stored_token, body) = stored(witnessed)[-1]
    assert token == stored_token and doc["checkpoint"]["body"] == body
    other = stored(witnessed)[0][1]  # a genuine token, of another checkpoint
    doc["checkpoint"]["timestamp"] = base64.b64encode(other).decode()
    path.write_bytes(orjson.dumps(doc))
    bagit.Bag(str(folder)).save(manifests=True)
    problems = verify_package(folder, pem)
    assert any("checkpoint's timestamp" in p for p in problems), problems


def test_witnessing_a_damaged_note_is_named_verified_around_and_reset(tmp_path, clock):
    # keys/last-checkpoint damaged (a disk fault, a stray edit): writes are refused with
    # what to do, verify reports it and checks the rest, and `checkpoint reset` (the way
    # the message gives) sets it aside, where before it failed on the same note.
    from click.testing import CliRunner

    from civicarchive.cli import main
    home = tmp_path / "home"
    with Archive.init("City", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "city", "agency")
        ingest_batches(archive, account.id, 0, 1)
    note = home / "keys" / LAST_CHECKPOINT_FILE
    note.write_bytes(b"\x00garbage")
    with Archive.open(home, clock=clock) as archive:
        with pytest.raises(ContinuityBroken) as refused:
            ingest_batches(archive, account.id, 5, 1)
        assert str(note) in str(refused.value) and "checkpoint reset" in str(refused.value)
        report = archive.evidence.verify()
        assert report.complete and report.versions == 3
        assert [p.where for p in report.problems] == [str(note)]
    result = CliRunner().invoke(main, ["--home", str(home), "checkpoint", "reset",
                                       "--reason", "the note was damaged by a disk fault"])
    assert result.exit_code == 0, result.output
    assert "Set aside the damaged note" in result.output
    (aside,) = (home / "keys").glob(f"{LAST_CHECKPOINT_FILE}.superseded-*")
    assert aside.read_bytes() == b"\x00garbage"
    with Archive.open(home, clock=clock) as archive:
        ingest_batches(archive, account.id, 5, 1)
        assert archive.evidence.verify().ok
        with archive.context.read() as conn:
            details = [d for a, d in conn.execute(sa.select(t.audit_events.c.action,
                                                            t.audit_events.c.details))
                       if a == "checkpoint.reset"]
    assert "not a checkpoint file" in details[0]


def test_witnessing_a_damaged_signing_key_is_named(tmp_path, clock):
    home = tmp_path / "home"
    Archive.init("City", home=home, clock=clock).close()
    key = home / "keys" / PRIVATE_KEY_FILE
    key.write_bytes(key.read_bytes()[:50])
    with Archive.open(home, clock=clock) as archive:
        with pytest.raises(ArchiveError) as refused:
            archive.registry.add_account("x", "city", "agency")
    assert str(key) in str(refused.value) and "restore it from your backup" in \
        str(refused.value)
