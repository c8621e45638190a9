"""Fixtures for live capture: a Mastodon account on the recorded server."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pytest
import sqlalchemy as sa

from civicarchive.clock import FixedClock
from tests.capture.graph_stub import IG_ID, PAGE_ID, TOKEN, GraphStub, register
from tests.capture.replay import SERVER, MastodonReplay


@pytest.fixture(autouse=True)
def loopback_capture(monkeypatch):
    """The servers these tests capture from listen on 127.0.0.1, which the capture guard
    refuses unless told (tests/capture/test_cli.py shows the refusal)."""
    monkeypatch.setenv("CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK", "1")


@pytest.fixture
def clock():
    """After the recorded traffic (1 August 2026), as a real capture would be."""
    return FixedClock(datetime(2026, 8, 2, tzinfo=timezone.utc))


@pytest.fixture
def replay():
    return MastodonReplay.agency()


@pytest.fixture
def mastodon(archive):
    """The agency's Mastodon account, configured for capture from the recorded server."""
    account = archive.registry.add_account("mastodon", "mastodonpy_test_2", "agency",
                                           actor="clerk")
    archive.capturing.configure(account.id, url=SERVER, actor="clerk")
    return account


def audit(archive, action: str) -> list[dict]:
    """The details of every audit event with this action, in order."""
    with archive.context.read() as conn:
        rows = conn.execute(sa.text("SELECT details FROM audit_events WHERE action = :a "
                                    "ORDER BY id"), {"a": action}).scalars().all()
    return [orjson.loads(row) for row in rows]


# -- the loopback Graph API (tests/capture/graph_stub.py) ---------------------------------

@pytest.fixture
def graph():
    """The stub Graph API, on 127.0.0.1, answering to TOKEN."""
    with GraphStub(TOKEN) as stub:
        yield stub


@pytest.fixture
def page(archive, graph, tmp_path):
    """The agency's Facebook Page, registered by its page id."""
    return register(archive, graph, tmp_path, "facebook", PAGE_ID)


@pytest.fixture
def insta(archive, graph, tmp_path):
    """The agency's Instagram professional account, registered by its IG user id."""
    return register(archive, graph, tmp_path, "instagram", IG_ID)
