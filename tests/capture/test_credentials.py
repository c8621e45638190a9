"""Credentials: encrypted at rest under a key outside the database, rotated, never shown."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from civicarchive.capture import health
from civicarchive.capture.credentials import ENV_KEY, KEY_FILE, CredentialsKeyError, Keyring
from civicarchive.errors import InvalidInput
from tests.capture.replay import MastodonReplay

CANARY = "canary-5e1f0c77-token-do-not-leak"


def token_file(tmp_path, token=CANARY):
    path = tmp_path / "token.txt"
    path.write_text(token + "\n")
    return path


def test_credentials_are_stored_encrypted_with_the_key_outside_the_database(
        archive, mastodon, tmp_path):
    info = archive.credentials.store(mastodon.id, token_file(tmp_path), actor="clerk")
    key_file = archive.context.settings.keys_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert archive.credentials.token(mastodon.id) == CANARY
    assert info.key_fingerprint == Keyring.load(archive.context.settings.keys_dir).fingerprint
    assert CANARY not in repr(info.as_dict())


def test_credentials_token_file_must_hold_one_token(archive, mastodon, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(InvalidInput, match="empty.txt"):
        archive.credentials.store(mastodon.id, empty)


def test_credentials_rotation_reencrypts_under_a_new_key_and_drops_the_old(
        archive, mastodon, tmp_path):
    archive.credentials.store(mastodon.id, token_file(tmp_path))
    keys = archive.context.settings.keys_dir
    old = Keyring.load(keys)
    result = archive.credentials.rotate(actor="clerk")
    assert result["reencrypted"] == 1 and result["previous_fingerprint"] == old.fingerprint
    new = Keyring.load(keys)
    assert new.fingerprint == result["key_fingerprint"] != old.fingerprint
    assert len(new.keys) == 1   # the old key is gone from the file
    assert archive.credentials.token(mastodon.id) == CANARY
    assert archive.credentials.info(mastodon.id).key_fingerprint == new.fingerprint


def test_credentials_key_from_the_environment_and_rotation_refused_there(
        archive, mastodon, tmp_path, monkeypatch):
    from cryptography.fernet import Fernet
    monkeypatch.setenv(ENV_KEY, Fernet.generate_key().decode())
    archive.credentials.store(mastodon.id, token_file(tmp_path))
    assert not (archive.context.settings.keys_dir / KEY_FILE).exists()
    assert archive.credentials.token(mastodon.id) == CANARY
    with pytest.raises(CredentialsKeyError, match=ENV_KEY):
        archive.credentials.rotate()
    monkeypatch.setenv(ENV_KEY, Fernet.generate_key().decode())   # the wrong key
    with pytest.raises(CredentialsKeyError, match="cannot be decrypted"):
        archive.credentials.token(mastodon.id)


def test_credentials_meta_tokens_last_sixty_days_and_warn_two_weeks_ahead():
    set_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    expiry = health.expires_at("facebook", set_at, None)
    assert expiry == set_at + timedelta(days=60)
    assert health.expires_at("mastodon", set_at, None) is None
    assert not health.expiring(expiry, expiry - timedelta(days=15))
    assert health.expiring(expiry, expiry - timedelta(days=13))


def test_credentials_expiring_soon_is_an_alert_and_shows_in_status(archive, mastodon, replay,
                                                                  tmp_path):
    soon = datetime(2026, 8, 10, tzinfo=timezone.utc)
    archive.credentials.store(mastodon.id, token_file(tmp_path), expires=soon)
    archive.capturing.run(mastodon.id, client=replay.client())
    archive.capturing.run(mastodon.id, client=replay.client())
    (alert,) = archive.capturing.alerts(mastodon.id, kind="credentials.expiring")
    assert alert["details"]["expires_at"].startswith("2026-08-10")
    assert archive.capturing.status()[0].credentials_warning


def test_credentials_canary_token_appears_nowhere_in_plaintext(archive, mastodon, tmp_path,
                                                               caplog, cli):
    caplog.set_level(logging.DEBUG)
    archive.credentials.store(mastodon.id, token_file(tmp_path))
    replay = MastodonReplay.agency()
    sent = []
    original = replay.handler

    def handler(request):
        sent.append(request.headers.get("authorization"))
        return original(request)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    archive.capturing.run(mastodon.id, client=client)
    assert sent and all(h == f"Bearer {CANARY}" for h in sent)   # it was used
    # a server that repeats the token back in its refusal
    replay.fail(401, f'{{"error":"token {CANARY} is revoked"}}'.encode(),
                www_authenticate=f'Bearer error="{CANARY}"', retry_after="5")
    (failed,) = archive.capturing.run(mastodon.id, client=client)
    assert not failed.ok and failed.gap_opened
    replay.failures.clear()

    def refused(request):
        raise httpx.ConnectError(f"cannot connect with {CANARY}", request=request)
    archive.capturing.run(mastodon.id, client=httpx.Client(transport=httpx.MockTransport(
        refused)))
    exported = archive.evidence.export(
        [v for v in range(1, archive.reading.stats()["versions"] + 1)], "warc",
        tmp_path / "out.warc.gz")
    shown = [cli("capture", "status", "--json").output, cli("alerts", "list", "--json").output,
             str(failed.as_dict()), caplog.text]
    for text in shown:
        assert CANARY not in text
    home = archive.context.settings.home
    for path in [*home.rglob("*"), exported]:
        if path.is_file() and path.name != "token.txt":
            assert CANARY.encode() not in path.read_bytes(), path
    if archive.context.store.dialect == "sqlite":
        dump = "\n".join(sqlite3.connect(home / "archive.db").iterdump())
        assert CANARY not in dump and "revoked" in dump   # the error body, scrubbed
    else:
        import sqlalchemy as sa
        with archive.context.read() as conn:
            for table in ("audit_events", "capture_runs", "credentials", "blobs"):
                for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                    assert CANARY not in repr(row), table
    assert os.environ.get(ENV_KEY) is None
