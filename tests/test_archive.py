"""The archive's versioning, audit, purge and verification, on both store backends."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from civicarchive import Archive, Event, InvalidInput, Kind, NotFound
from civicarchive.errors import AlreadyInitialised, NotInitialised
from civicarchive.store import schema as t
from civicarchive.store.sql import INLINE_BLOB_LIMIT

from .conftest import observe


def events(archive, item_id):
    return [v.event for v in archive.reading.history(item_id)]


def only_item(archive):
    with archive.context.store.read() as conn:
        return conn.execute(sa.select(t.items.c.id)).scalar_one()


def test_ingest_new_item_creates_one_version_with_content_and_raw(archive, account):
    report = archive.ingesting.ingest([observe(account.id, "1", "Council meets Tuesday")],
                                      source="test")
    assert report.events[Event.CREATED] == 1 and report.versions == 1
    item_id = only_item(archive)
    [version] = archive.reading.history(item_id)
    assert archive.reading.content(version) == {"text": "Council meets Tuesday",
                                                "author": "cityofexample"}
    assert archive.reading.raw(version) == b"raw:1:Council meets Tuesday"
    item = archive.reading.item(item_id)
    assert (item.native_id, item.kind, item.account_id) == ("1", Kind.POST, account.id)


def test_ingest_same_batch_twice_adds_nothing(archive, account):
    batch = [observe(account.id, str(n), f"post {n}", minutes=n) for n in range(5)]
    archive.ingesting.ingest(batch, source="test")
    before = archive.reading.stats()
    report = archive.ingesting.ingest(batch, source="test")
    after = archive.reading.stats()
    assert report.versions == 0 and report.unchanged == 5
    assert after["versions"] == before["versions"] == 5
    assert after["items"] == 5 and after["blobs"] == before["blobs"]


def test_ingest_changed_content_is_an_edit_and_keeps_the_old_version(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "first", 0)], source="a")
    archive.ingesting.ingest([observe(account.id, "1", "second", 10)], source="b")
    item_id = only_item(archive)
    first, second = archive.reading.history(item_id)
    assert (first.event, second.event) == (Event.CREATED, Event.EDITED)
    assert archive.reading.content(first)["text"] == "first"
    assert archive.reading.content(second)["text"] == "second"
    assert second.source == "b"


def test_deletion_keeps_last_content_and_restoration_is_recorded(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "before", 0)], source="t")
    archive.ingesting.ingest([observe(account.id, "1", None, 5, event=Event.DELETED)], source="t")
    archive.ingesting.ingest([observe(account.id, "1", None, 6, event=Event.DELETED)], source="t")
    archive.ingesting.ingest([observe(account.id, "1", "back again", 9)], source="t")
    item_id = only_item(archive)
    assert events(archive, item_id) == [Event.CREATED, Event.DELETED, Event.RESTORED]
    deleted = archive.reading.history(item_id)[1]
    assert archive.reading.content(deleted)["text"] == "before"
    assert archive.reading.raw(deleted) == b"raw:1:before"


def test_hidden_and_unhidden_are_versions_and_repeat_hides_add_nothing(archive, account):
    obs = [observe(account.id, "c1", "a comment", 0, kind=Kind.COMMENT),
           observe(account.id, "c1", "a comment", 1, event=Event.HIDDEN, kind=Kind.COMMENT),
           observe(account.id, "c1", "a comment", 2, event=Event.HIDDEN, kind=Kind.COMMENT),
           observe(account.id, "c1", "a comment", 3, event=Event.UNHIDDEN, kind=Kind.COMMENT)]
    report = archive.ingesting.ingest(obs, source="t")
    assert report.unchanged == 1
    assert events(archive, only_item(archive)) == [Event.CREATED, Event.HIDDEN, Event.UNHIDDEN]


def test_out_of_order_observation_is_placed_by_observed_time(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "v1", 0)], source="t")
    archive.ingesting.ingest([observe(account.id, "1", "v3", 30)], source="t")
    archive.ingesting.ingest([observe(account.id, "1", "v2", 20)], source="late capture")
    history = archive.reading.history(only_item(archive))
    assert [archive.reading.content(v)["text"] for v in history] == ["v1", "v2", "v3"]
    assert history[1].source == "late capture" and history[1].event is Event.EDITED
    # re-delivering the late observation, or the first, changes nothing
    again = archive.ingesting.ingest([observe(account.id, "1", "v2", 20),
                                      observe(account.id, "1", "v1", 0)], source="t")
    assert again.versions == 0


def test_two_contents_at_one_moment_stay_idempotent(archive, account):
    batch = [observe(account.id, "1", "a", 0), observe(account.id, "1", "b", 0)]
    assert archive.ingesting.ingest(batch, source="t").versions == 2
    for _ in range(2):
        assert archive.ingesting.ingest(batch, source="t").versions == 0


def test_observations_of_one_item_within_a_batch_are_versioned_in_order(archive, account):
    batch = [observe(account.id, "1", "b", 10), observe(account.id, "1", "a", 0),
             observe(account.id, "1", "b", 10)]
    report = archive.ingesting.ingest(batch, source="t")
    assert report.versions == 2 and report.unchanged == 1
    history = archive.reading.history(only_item(archive))
    assert [archive.reading.content(v)["text"] for v in history] == ["a", "b"]
    # each event is relative to what was known when it was recorded: "b" arrived first
    assert [v.event for v in history] == [Event.CREATED, Event.CREATED]


def test_identical_content_is_stored_once(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "same", raw=b"same raw"),
                              observe(account.id, "2", "same", raw=b"same raw")], source="t")
    assert archive.reading.stats()["blobs"] == 2  # one content, one raw


def test_large_blob_goes_to_the_blob_store_atomically(archive, account):
    big = os.urandom(INLINE_BLOB_LIMIT + 1)
    archive.ingesting.ingest([observe(account.id, "m1", "video", raw=big, kind=Kind.MEDIA)],
                             source="t")
    [version] = archive.reading.history(only_item(archive))
    path = archive.context.store.blob_store.path(version.raw_sha256)
    assert path.read_bytes() == big and archive.reading.raw(version) == big
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert archive.evidence.verify().ok


def test_unknown_account_is_rejected_before_anything_is_written(archive, account):
    before = archive.reading.stats()
    with pytest.raises(NotFound):
        archive.ingesting.ingest([observe(account.id, "1", "ok"),
                                  observe(999, "2", "no such account")], source="t")
    assert archive.reading.stats() == before


def test_every_mutation_is_audited_with_actor(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "x")], source="jsonl:file.jsonl",
                             actor="importer")
    with archive.context.store.read() as conn:
        rows = conn.execute(sa.select(t.audit_events).order_by(t.audit_events.c.id)).all()
    assert [(r.actor, r.action) for r in rows] == [
        ("clerk", "archive.init"), ("clerk", "account.register"), ("importer", "ingest")]
    assert rows[2].subject == "jsonl:file.jsonl"
    assert '"versions":1' in rows[2].details


def test_account_registry_records_who_and_when(archive, account):
    [listed] = archive.registry.accounts()
    assert listed == account
    assert (account.registered_by, account.owner, account.classification.value) == \
        ("clerk", "Communications Office", "agency")
    with pytest.raises(InvalidInput, match="already registered"):
        archive.registry.add_account("x", "cityofexample", "agency")
    with pytest.raises(InvalidInput, match="unknown classification"):
        archive.registry.add_account("x", "other", "mayor")


def test_verify_passes_and_counts_everything(archive, account):
    archive.ingesting.ingest([observe(account.id, str(n), f"p{n}", n) for n in range(20)],
                             source="t",
                             batch_size=7)
    report = archive.evidence.verify()
    assert report.ok, report.problems
    stats = archive.reading.stats()
    assert report.versions == 20 and report.entries == stats["ledger_entries"]
    assert report.checkpoints == stats["checkpoints"] and report.unsealed_entries == 0
    assert report.audit_events == stats["audit_events"] == 2 + 3  # init, account, 3 batches


@pytest.mark.parametrize("table", ["versions", "items", "ledger_entries", "checkpoints",
                                   "audit_events"])
def test_store_refuses_update_and_delete_of_archived_rows(archive, account, table):
    archive.ingesting.ingest([observe(account.id, "1", "x")], source="t")
    target = t.metadata.tables[table]
    column = next(c for c in target.columns if not c.primary_key)
    for statement in (sa.update(target).values({column.name: column.type.python_type()
                                                if column.type.python_type is not bytes
                                                else b"x"}),
                      sa.delete(target)):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with archive.context.store.engine.begin() as conn:
                conn.execute(statement)
    assert archive.evidence.verify().ok


def test_purge_removes_content_keeps_hashes_and_verify_still_passes(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "to dispose", 0, raw=b"r1"),
                              observe(account.id, "2", "kept", 0, raw=b"shared raw"),
                              observe(account.id, "3", "to dispose too", 0, raw=b"shared raw")],
                             source="t")
    versions = {archive.reading.item(i).native_id: archive.reading.history(i)[0] for i in (1, 2, 3)}
    indexes = archive.disposition.purge([versions["1"].id, versions["3"].id],
                                        reason="disposition batch 1", actor="records officer")
    assert len(indexes) == 2
    assert archive.reading.content(versions["1"]) is None
    assert archive.reading.raw(versions["1"]) is None
    # the raw bytes shared with a kept version stay
    assert archive.reading.raw(versions["3"]) == b"shared raw"
    assert archive.reading.content(versions["2"])["text"] == "kept"
    assert archive.reading.history(1)[0].content_sha256 == versions["1"].content_sha256
    report = archive.evidence.verify()
    assert report.ok, report.problems
    assert report.purged_versions == 2 and report.tombstones == 2
    # purging again adds no tombstone; a proof of a purged version still verifies
    assert archive.disposition.purge([versions["1"].id], reason="again", actor="x") == []
    from civicarchive.app.offline import check_proof
    assert check_proof(archive.evidence.proof(versions["1"].id)).content_included is False


def test_missing_blob_without_tombstone_is_reported(archive, account):
    archive.ingesting.ingest([observe(account.id, "1", "x")], source="t")
    with archive.context.store.engine.begin() as conn:
        conn.execute(sa.delete(t.blobs))
    report = archive.evidence.verify()
    assert not report.ok
    assert any("missing and no tombstone" in p.what for p in report.problems)


def test_init_twice_and_open_missing_fail_clearly(archive, tmp_path, database_url):
    with pytest.raises(AlreadyInitialised):
        Archive.init("Again", home=archive.context.settings.home, database_url=database_url)
    with pytest.raises(NotInitialised, match=r"create one \(init\)") as raised:
        Archive.open(home=tmp_path / "nowhere")
    assert raised.value.parameter == "home" and "--" not in str(raised.value)


def test_reopened_archive_continues_the_same_ledger(archive, account, database_url, clock):
    archive.ingesting.ingest([observe(account.id, "1", "x")], source="t")
    archive.close()
    again = Archive.open(home=archive.context.settings.home, database_url=database_url, clock=clock)
    again.ingesting.ingest([observe(account.id, "2", "y")], source="t")
    report = again.evidence.verify()
    assert report.ok and report.versions == 2
    again.close()


def test_signing_key_is_private(archive):
    keys = archive.context.settings.keys_dir
    assert (keys / "archive-ed25519.pem").stat().st_mode & 0o777 == 0o600
    assert b"PUBLIC KEY" in archive.evidence.public_key_pem()


def test_writes_fail_clearly_without_the_signing_key(archive, account, database_url):
    archive.close()
    (archive.context.settings.keys_dir / "archive-ed25519.pem").unlink()
    reopened = Archive.open(home=archive.context.settings.home, database_url=database_url)
    with pytest.raises(Exception, match="signing key is missing"):
        reopened.ingesting.ingest([observe(account.id, "1", "x")], source="t")
    assert reopened.evidence.verify().ok  # reading and verifying need only the public key
    reopened.close()


def test_failed_init_leaves_nothing_that_blocks_a_retry(tmp_path, monkeypatch):
    from civicarchive.store import sql

    def broken_seal(self, key, origin):
        raise RuntimeError("disk full")
    monkeypatch.setattr(sql.WriteTx, "seal", broken_seal)
    with pytest.raises(RuntimeError):
        Archive.init("Town", home=tmp_path / "home")
    monkeypatch.undo()
    with Archive.init("Town", home=tmp_path / "home") as archive:
        assert archive.evidence.verify().ok


def test_the_audit_log_gives_the_event_type_the_package_exports(archive, account):
    import civicarchive
    archive.ingesting.ingest([observe(account.id, "1", "Council meets Tuesday")], source="test")
    page = archive.auditing.events(account.agency_id)
    assert page.events and all(isinstance(e, civicarchive.AuditEvent) for e in page.events)
    assert {e.action for e in page.events} >= {"ingest", "account.register"}
    assert {e.scope for e in page.events} == {"agency"}
