"""Mastodon capture against recorded traffic from a real Mastodon server."""

from __future__ import annotations

import json

from civicarchive.model.record import Kind
from tests.capture.replay import EDITED, REPLIED, REPLY, SERVER, MastodonReplay, status


def items(archive, account_id):
    """native id -> (item, versions), for every item of the account."""
    found = {}
    with archive.context.read() as conn:
        from civicarchive.store import records
        keys = records.item_keys(conn, account_id, list(Kind), 0, limit=100000)
    for item_id, native_id, _ in keys:
        found[native_id] = (archive.reading.item(item_id), archive.reading.history(item_id))
    return found


def test_mastodon_capture_keeps_statuses_profile_replies_and_edit_history(archive, mastodon,
                                                                         replay):
    (report,) = archive.capturing.run(mastodon.id, actor="clerk", client=replay.client())
    assert report.ok, report.failure
    held = items(archive, mastodon.id)
    own = [s for s in replay.statuses]
    for status_id in own:
        assert status(replay, status_id)["uri"] in held
    profile = [i for i, _ in held.values() if i.kind is Kind.PROFILE]
    assert len(profile) == 1 and profile[0].native_id == replay.account_entity()["uri"]
    reply_item, _ = held[status(replay, REPLY)["uri"]]
    assert reply_item.kind is Kind.COMMENT
    assert reply_item.parent_native_id == status(replay, REPLIED)["uri"]
    _, versions = held[status(replay, EDITED)["uri"]]
    assert [v.event.value for v in versions] == ["created", "edited"]
    first, latest = (archive.reading.content(v) for v in versions)
    assert "VS Code" in first["text"] and "Kate" in latest["text"]
    assert latest["visibility"] == "public"
    raw = archive.reading.raw(versions[-1])
    assert json.loads(raw)["id"] == EDITED   # the bytes the API sent
    assert report.counts["created"] == len(held) and report.counts["edited"] == 1


def test_mastodon_capture_run_twice_adds_no_version(archive, mastodon, replay):
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    before = archive.reading.stats()["versions"]
    (again,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert again.ok and again.full
    assert archive.reading.stats()["versions"] == before
    assert again.counts["created"] == again.counts["edited"] == again.counts["deleted"] == 0


def test_mastodon_incremental_pass_asks_since_the_newest_status(archive, mastodon, replay):
    archive.capturing.run(mastodon.id, client=replay.client())
    newest = max(replay.statuses, key=int)
    replay.log.clear()
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not report.full and report.counts["created"] == 0
    listing = [r for r in replay.log if r.url.path.endswith("/statuses")
               and "/accounts/" in r.url.path]
    assert listing and listing[0].url.params["since_id"] == newest
    assert not any(r.url.path.endswith("/lookup") for r in replay.log)  # by stable id now

