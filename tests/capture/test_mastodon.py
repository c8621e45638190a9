"""Mastodon capture against recorded traffic from a real Mastodon server."""

from __future__ import annotations

import json
import re

import pytest

from civicarchive.capture import mastodon as mastodon_capture
from civicarchive.model.record import Kind
from tests.capture.conftest import audit
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



def latest_event(archive, account_id, native_id):
    _, versions = items(archive, account_id)[native_id]
    return versions[-1].event.value


def test_mastodon_deleted_status_is_recorded_only_after_its_own_404(archive, mastodon, replay):
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    victim = min(replay.statuses, key=int)
    uri = status(replay, victim)["uri"]
    replay.delete(victim)
    replay.log.clear()
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.counts["deleted"] == 1
    assert latest_event(archive, mastodon.id, uri) == "deleted"
    assert any(r.url.path == f"/api/v1/statuses/{victim}" for r in replay.log)  # re-checked
    (deletions,) = audit(archive, "capture.deletions")
    assert deletions["confirmed"] == [{**deletions["confirmed"][0], "native_id": uri,
                                       "status": 404}]
    assert "Not Found" in deletions["confirmed"][0]["body"]   # the platform's own answer


def test_mastodon_transient_error_on_recheck_deletes_nothing(archive, mastodon, replay):
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    victim = min(replay.statuses, key=int)
    uri = status(replay, victim)["uri"]
    hidden = replay.statuses.pop(victim)   # not listed, but the re-check fails
    original = replay.answer

    def flaky(method, path, query):
        if path == f"/api/v1/statuses/{victim}":
            return 503, {"content-type": "text/plain", "retry-after": "120"}, b"maintenance"
        return original(method, path, query)
    replay.answer = flaky
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.ok and report.counts["deleted"] == 0
    assert latest_event(archive, mastodon.id, uri) == "created"
    assert any(uri == p["where"] for p in report.problems)
    replay.answer = original
    replay.statuses[victim] = hidden


def test_mastodon_status_absent_from_listing_but_present_stays(archive, mastodon, replay):
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    victim = min(replay.statuses, key=int)
    replay.others[victim] = replay.statuses.pop(victim)   # answered alone, not listed
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.counts["deleted"] == 0
    assert latest_event(archive, mastodon.id, status(replay, victim)["uri"]) == "created"


def test_mastodon_edit_between_passes_is_an_edited_version(archive, mastodon, replay):
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    target = max(replay.statuses, key=int)
    replay.edit(target, content="<p>Corrected: the meeting is at 7pm</p>",
                edited_at="2026-08-01T20:00:00.000Z")
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.counts["edited"] == 1
    _, versions = items(archive, mastodon.id)[status(replay, target)["uri"]]
    assert versions[-1].event.value == "edited"
    assert archive.reading.content(versions[-1])["text"] == "Corrected: the meeting is at 7pm"


def test_mastodon_visibility_is_kept_and_direct_statuses_are_messages(archive, replay):
    other = MastodonReplay.agency("117020565966271181")
    account = archive.registry.add_account("mastodon", "mastodonpy_test", "agency")
    archive.capturing.configure(account.id, url=SERVER)
    (report,) = archive.capturing.run(account.id, client=other.client())
    assert report.ok
    held = items(archive, account.id)
    seen = {}
    for status_id in other.statuses:
        entity = status(other, status_id)
        item, versions = held[entity["uri"]]
        seen[entity["visibility"]] = item.kind
        assert archive.reading.content(versions[-1])["visibility"] == entity["visibility"]
    assert seen["direct"] is Kind.MESSAGE and seen["unlisted"] is Kind.POST
    # the recorded lookup answered by handle; the cursor keeps the stable id
    assert other.log[0].url.path == "/api/v1/accounts/lookup"


def test_mastodon_handle_change_is_a_new_profile_version_of_the_same_account(archive, mastodon,
                                                                            replay):
    archive.capturing.run(mastodon.id, client=replay.client())
    renamed = dict(replay.account_entity(), username="cityhall", acct="cityhall",
                   display_name="City Hall")
    replay.account_entity = lambda: renamed
    replay.log.clear()
    archive.capturing.run(mastodon.id, client=replay.client())
    assert replay.log[0].url.path == f"/api/v1/accounts/{renamed['id']}"
    profile, versions = items(archive, mastodon.id)[renamed["uri"]]
    assert [v.event.value for v in versions] == ["created", "edited"]
    assert archive.reading.content(versions[-1])["author"] == "cityhall"


def test_mastodon_media_is_downloaded_within_the_size_cap(archive, mastodon, replay):
    _, statuses, _ = __import__("tests.capture.replay", fromlist=["cassettes"]).cassettes()
    with_media = next(json.loads(b) for b in statuses.values()
                      if json.loads(b)["media_attachments"])
    small, large = dict(with_media["media_attachments"][0]), \
        dict(with_media["media_attachments"][0])
    small["url"] = f"{SERVER}/system/media_attachments/files/small.mp4"
    large["url"] = f"{SERVER}/system/media_attachments/files/large.mp4"
    replay.media = {"/system/media_attachments/files/small.mp4": b"\x00" * 1000,
                    "/system/media_attachments/files/large.mp4": b"\x00" * 5000}
    target = max(replay.statuses, key=int)
    replay.edit(target, media_attachments=[small, large])
    archive.capturing.configure(mastodon.id, media_max_bytes=2000)
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    uri = status(replay, target)["uri"]
    held = items(archive, mastodon.id)
    media, versions = held[f"{uri}/small.mp4"]
    assert media.kind is Kind.MEDIA and media.parent_native_id == uri
    assert archive.reading.raw(versions[-1]) == b"\x00" * 1000
    assert f"{uri}/large.mp4" not in held
    assert any("cap" in p["what"] for p in report.problems if p["where"] == large["url"])
    replay.log.clear()
    archive.capturing.run(mastodon.id, client=replay.client())
    assert not any(r.url.path.endswith("small.mp4") for r in replay.log)  # fetched once


def test_mastodon_next_page_on_another_host_is_not_followed(archive, mastodon, replay):
    replay.base = "http://elsewhere.example"
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not report.ok and "another host" in report.failure["message"]
    assert all(r.url.host == "localhost" for r in replay.log)


@pytest.mark.parametrize("answer", [
    (404, {}, b""),
    (404, {"content-type": "text/html"}, b"<html><body><h1>404 Not Found</h1></body></html>"),
], ids=["bare", "html"])
def test_mastodon_404_not_from_mastodon_on_recheck_deletes_nothing(archive, mastodon, replay,
                                                                   answer):
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    victim = min(replay.statuses, key=int)
    uri = status(replay, victim)["uri"]
    replay.statuses.pop(victim)   # not listed, and its own lookup answered by a proxy
    original = replay.answer
    replay.answer = lambda method, path, query: answer \
        if path == f"/api/v1/statuses/{victim}" else original(method, path, query)
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.ok and report.counts["deleted"] == 0
    assert latest_event(archive, mastodon.id, uri) == "created"
    assert any(uri == p["where"] for p in report.problems)


def test_mastodon_404_not_from_mastodon_on_a_watched_post_deletes_nothing(archive, mastodon,
                                                                          replay):
    archive.capturing.run(mastodon.id, client=replay.client())
    original = replay.answer
    replay.answer = lambda method, path, query: (404, {}, b"") \
        if re.fullmatch(r"/api/v1/statuses/\d+", path) else original(method, path, query)
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.ok and not report.full and report.counts["deleted"] == 0
    assert any("statuses/" in p["where"] for p in report.problems)   # each one said


def test_mastodon_listing_whose_next_link_never_ends_fails_the_pass(archive, mastodon, replay):
    original, listed = replay.answer, []

    def looping(method, path, query):   # the first page again, under a new next link
        if not re.fullmatch(r"/api/v1/accounts/\d+/statuses", path) or len(listed) > 100:
            return original(method, path, query)
        listed.append(path)
        status_code, headers, body = original(method, path, {"limit": query["limit"]})
        return status_code, {**headers, "link": f'<{SERVER}{path}?limit=40&page='
                                                f'{len(listed)}>; rel="next"'}, body
    replay.answer = looping
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not report.ok and len(listed) == 2
    assert "statuses already listed" in report.failure["message"]


def test_mastodon_listing_longer_than_the_page_cap_fails_the_pass(archive, mastodon, replay,
                                                                   monkeypatch):
    monkeypatch.setattr(mastodon_capture, "MAX_PAGES", 1)   # the replay's statuses take 2
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not report.ok and "more than 1 pages" in report.failure["message"]


def test_mastodon_api_redirected_to_another_server_files_nothing(archive, mastodon, replay):
    """Another server answering for this one would have its statuses filed as the
    agency's: a redirect off the account's server fails the pass and records nothing."""
    replay.moved_to = "elsewhere.example"
    (failed,) = archive.capturing.run(mastodon.id, client=replay.client(follow_redirects=True))
    assert not failed.ok and "redirected to http://elsewhere.example:3000" in \
        failed.failure["message"]
    assert items(archive, mastodon.id) == {}


def test_mastodon_recheck_answered_with_html_deletes_nothing_and_says_so(archive, mastodon,
                                                                          replay):
    """A 200 that is a maintenance page, not a status: a problem of the run naming the
    status, the item kept; the pass is recorded and the other accounts still run."""
    archive.capturing.configure(mastodon.id, full_every=1)
    archive.capturing.run(mastodon.id, client=replay.client())
    victim = min(replay.statuses, key=int)
    uri = status(replay, victim)["uri"]
    replay.statuses.pop(victim)
    original = replay.answer
    replay.answer = lambda method, path, query: \
        (200, {"content-type": "text/html"}, b"<html><h1>Back soon</h1></html>") \
        if path == f"/api/v1/statuses/{victim}" else original(method, path, query)
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert report.ok and report.counts["deleted"] == 0
    assert latest_event(archive, mastodon.id, uri) == "created"
    (problem,) = [p for p in report.problems if p["where"] == uri]
    assert f"account {mastodon.id} (mastodonpy_test_2)" in problem["what"]
    assert "not what the mastodon capturer reads (JSONDecodeError" in problem["what"]


def test_mastodon_json_nested_past_the_recursion_limit_fails_the_pass_clearly(archive,
                                                                             mastodon, replay):
    original = replay.answer
    deep = b"[" * 200_000 + b"]" * 200_000
    replay.answer = lambda method, path, query: \
        (200, {"content-type": "application/json"}, deep) \
        if path == "/api/v1/accounts/lookup" else original(method, path, query)
    (report,) = archive.capturing.run(mastodon.id, client=replay.client())
    assert not report.ok
    assert report.failure["message"].startswith(f"account {mastodon.id} (mastodonpy_test_2): "
                                                "the platform's answer is not what the "
                                                "mastodon capturer reads (RecursionError")
