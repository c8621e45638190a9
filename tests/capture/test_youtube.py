"""YouTube capture against a stateful stub of the Data API v3 built from its documented
shapes (tests/capture/youtube_stub.py), served on loopback."""

from __future__ import annotations

import json
import logging
import sqlite3
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from civicarchive.capture.youtube import duration_ms, seconds_to_quota_reset
from civicarchive.model.record import Kind
from tests.capture.conftest import audit
from tests.capture.loopback import Loopback
from tests.capture.test_mastodon import items
from tests.capture.youtube_stub import API_KEY, BASE, CHANNEL, OWNER_TOKEN, T0, Video, YouTubeStub


@pytest.fixture
def stub():
    return YouTubeStub.city()


@pytest.fixture
def server(stub):
    with Loopback(stub.answer) as served:
        yield served


def channel(archive, server, tmp_path, token=API_KEY, **settings):
    """The agency's channel, registered by its channel id, with its credential stored."""
    account = archive.registry.add_account("youtube", "cityofexample", "agency",
                                           platform_id=CHANNEL, actor="clerk")
    archive.capturing.configure(account.id, url=f"{server.url}{BASE}", actor="clerk",
                                **settings)
    path = tmp_path / "youtube-credential.txt"
    path.write_text(token + "\n")
    archive.credentials.store(account.id, path, actor="clerk")
    return account


def requested(stub, resource):
    """The query parameters of every request made for this resource, in order."""
    return [params for path, params, _ in stub.log if path == f"{BASE}/{resource}"]


def events(held, native_id):
    return [v.event.value for v in held[native_id][1]]


def content(archive, held, native_id):
    return archive.reading.content(held[native_id][1][-1])


def test_youtube_capture_keeps_channel_videos_comments_and_every_reply(archive, stub, server,
                                                                      tmp_path):
    account = channel(archive, server, tmp_path)
    (report,) = archive.capturing.run(account.id, actor="clerk")
    assert report.ok, report.failure
    held = items(archive, account.id)

    profile, _ = held[CHANNEL]
    assert profile.kind is Kind.PROFILE
    assert content(archive, held, CHANNEL)["handle"] == "@cityofexample"
    meeting = content(archive, held, "vidMeeting01")
    assert held["vidMeeting01"][0].kind is Kind.POST
    assert meeting["title"] == "Council meeting: March 4"
    assert meeting["text"].startswith("Council meeting: March 4\n\nFull recording.")
    assert (meeting["category"], meeting["visibility"], meeting["state"]) == \
        ("News & Politics", "public", "processed")
    assert (meeting["duration_ms"], meeting["language"]) == (61000, "en")
    assert meeting["urls"] == ["https://example.gov/agenda"]
    assert meeting["hashtags"] == ["council"]
    raw = json.loads(archive.reading.raw(held["vidMeeting01"][1][-1]))
    assert raw["kind"] == "youtube#video" and raw["id"] == "vidMeeting01"   # the API's bytes

    top, _ = held["UgxA1"]
    assert (top.kind, top.parent_native_id) == (Kind.COMMENT, "vidMeeting01")
    replies = {n: held[n][0] for n in ("UgxA1.R1", "UgxA1.R2", "UgxA1.R3")}
    assert all(r.kind is Kind.REPLY and r.parent_native_id == "UgxA1" for r in replies.values())
    reply = content(archive, held, "UgxA1.R2")
    assert (reply["reply_to"], reply["video_id"], reply["author_name"]) == \
        ("UgxA1", "vidMeeting01", "Neighbour 2")
    assert content(archive, held, "UgxA1.R1")["author"] == CHANNEL
    # the thread embeds one reply: the others came from comments.list?parentId=
    assert [p["parentId"] for p in requested(stub, "comments")] == ["UgxA1", "UgxA1"]
    assert all(p["textFormat"] == "plainText" for p in requested(stub, "commentThreads"))
    # the uploads playlist, two to a page, read to its end
    assert [p.get("pageToken") for p in requested(stub, "playlistItems")] == [None, "2"]
    assert len(held) == 1 + 3 + 6 and report.counts["created"] == len(held)
    assert archive.capturing.alerts(account.id) == []       # every counted comment captured
    (status,) = archive.capturing.status()
    assert status.completeness == 1.0


def test_youtube_capture_run_twice_adds_no_version(archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path, full_every=1)
    archive.capturing.run(account.id)
    before = archive.reading.stats()["versions"]
    (again,) = archive.capturing.run(account.id)      # view counts went up meanwhile
    assert again.ok and again.full
    assert archive.reading.stats()["versions"] == before
    assert again.counts["created"] == again.counts["edited"] == again.counts["deleted"] == 0


def test_youtube_edits_of_a_title_and_a_comment_are_edited_versions(archive, stub, server,
                                                                   tmp_path):
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    stub.videos["vidPlow00002"].title = "Snow plow update (corrected)"
    stub.comments["UgxA1.R3"].text = "Reply 3, edited"
    (report,) = archive.capturing.run(account.id)
    held = items(archive, account.id)
    assert events(held, "vidPlow00002") == ["created", "edited"]
    assert content(archive, held, "vidPlow00002")["title"] == "Snow plow update (corrected)"
    assert events(held, "UgxA1.R3") == ["created", "edited"]
    assert content(archive, held, "UgxA1.R3")["text"] == "Reply 3, edited"
    assert report.counts["edited"] == 2


def test_youtube_channel_is_found_by_id_and_a_new_handle_is_a_profile_version(
        archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    stub.handle = "@exampleciy"
    stub.title = "City of Example (official)"
    archive.capturing.run(account.id)
    held = items(archive, account.id)
    assert [i for i, _ in held.values() if i.kind is Kind.PROFILE] == [held[CHANNEL][0]]
    assert events(held, CHANNEL) == ["created", "edited"]
    assert content(archive, held, CHANNEL)["handle"] == "@exampleciy"
    assert all(p.get("id") == CHANNEL and "forHandle" not in p
               for p in requested(stub, "channels"))


def test_youtube_channel_without_an_id_is_looked_up_by_handle_once(archive, stub, server,
                                                                   tmp_path):
    account = archive.registry.add_account("youtube", "cityofexample", "agency")
    archive.capturing.configure(account.id, url=f"{server.url}{BASE}")
    path = tmp_path / "key.txt"
    path.write_text(API_KEY)
    archive.credentials.store(account.id, path)
    archive.capturing.run(account.id)
    stub.handle = "@renamed"                    # the handle no longer finds it
    (report,) = archive.capturing.run(account.id)
    assert report.ok, report.failure
    assert [("forHandle" in p, p.get("id")) for p in requested(stub, "channels")] == \
        [(True, None), (False, CHANNEL)]


def test_youtube_deleted_video_is_recorded_only_after_its_own_lookup(archive, stub, server,
                                                                    tmp_path):
    account = channel(archive, server, tmp_path, full_every=1)
    archive.capturing.run(account.id)
    del stub.videos["vidParks0003"]
    stub.fail(503, "backendError", path="/videos", id="vidParks0003")   # the re-check fails
    (first,) = archive.capturing.run(account.id)
    assert first.ok and first.counts["deleted"] == 0
    assert any("re-checked" in p["what"] for p in first.problems)
    assert events(items(archive, account.id), "vidParks0003") == ["created"]

    stub.log.clear()
    (second,) = archive.capturing.run(account.id)
    assert second.counts["deleted"] == 1
    held = items(archive, account.id)
    assert events(held, "vidParks0003") == ["created", "deleted"]
    assert content(archive, held, "vidParks0003")["title"] == "Parks survey"   # kept
    assert {"id": "vidParks0003"}.items() <= requested(stub, "videos")[-1].items()
    (confirmed,) = audit(archive, "capture.deletions")[-1]["confirmed"]
    assert confirmed["native_id"] == "vidParks0003" and confirmed["items"] == 0
    assert "does not tell which" in confirmed["meaning"]


def test_youtube_watched_video_made_private_is_recorded_gone_between_full_passes(
        archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    stub.videos["vidMeeting01"].privacy = "private"   # an API key no longer sees it
    (report,) = archive.capturing.run(account.id)
    assert not report.full and report.counts["deleted"] == 1
    assert events(items(archive, account.id), "vidMeeting01") == ["created", "deleted"]


def test_youtube_deleted_comment_is_recorded_after_its_own_lookup(archive, stub, server,
                                                                 tmp_path):
    account = channel(archive, server, tmp_path, full_every=1)
    archive.capturing.run(account.id)
    del stub.comments["UgxC1"]
    (report,) = archive.capturing.run(account.id)
    assert report.counts["deleted"] == 1
    assert events(items(archive, account.id), "UgxC1") == ["created", "deleted"]
    assert requested(stub, "comments")[-1]["id"] == "UgxC1"


def test_youtube_incremental_pass_stops_at_the_first_known_page(archive, stub, server,
                                                               tmp_path):
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    stub.videos["vidNew000004"] = Video("vidNew000004", "Budget town hall",
                                        published=T0 + timedelta(hours=1))
    stub.log.clear()
    (report,) = archive.capturing.run(account.id)
    assert not report.full and report.counts["created"] == 1
    assert [p.get("pageToken") for p in requested(stub, "playlistItems")] == [None]
    assert "vidNew000004" in items(archive, account.id)


def test_youtube_incremental_pass_reads_only_the_comments_that_can_have_changed(
        archive, stub, server, tmp_path):
    stub.page_size = 10
    stub.videos["vidOld000009"] = Video("vidOld000009", "Last year's budget",
                                        published=T0 - timedelta(days=300))
    stub.comment("UgxOld1", "vidOld000009", "Still relevant")
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    stub.log.clear()
    archive.capturing.run(account.id)
    read = {p["videoId"] for p in requested(stub, "commentThreads")}
    assert "vidOld000009" not in read and "vidMeeting01" in read   # a recent one still is
    stub.comment("UgxOld2", "vidOld000009", "A new question on an old video")
    stub.log.clear()
    (report,) = archive.capturing.run(account.id)
    assert not report.full and report.counts["created"] == 1
    assert "vidOld000009" in {p["videoId"] for p in requested(stub, "commentThreads")}


def test_youtube_listed_video_that_cannot_be_read_is_a_problem_not_a_record(
        archive, stub, server, tmp_path):
    stub.lists_private = True
    stub.videos["vidPlow00002"].privacy = "private"
    account = channel(archive, server, tmp_path)
    (report,) = archive.capturing.run(account.id)
    assert report.ok and "vidPlow00002" not in items(archive, account.id)
    assert any("listed but not readable" in p["what"] for p in report.problems)


def test_youtube_held_comments_are_hidden_with_the_owner_token_and_unhidden_when_published(
        archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path, token=OWNER_TOKEN)
    archive.capturing.run(account.id)
    stub.comment("UgxH1", "vidPlow00002", "Buy cheap followers!", status="likelySpam")
    stub.comments["UgxC1"].status = "heldForReview"
    (report,) = archive.capturing.run(account.id)
    assert report.counts["hidden"] == 2
    held = items(archive, account.id)
    assert events(held, "UgxH1") == ["hidden"]
    assert events(held, "UgxC1") == ["created", "hidden"]
    assert content(archive, held, "UgxH1")["text"] == "Buy cheap followers!"   # kept whole
    statuses = [p.get("moderationStatus") for p in requested(stub, "commentThreads")
                if "allThreadsRelatedToChannelId" in p]
    assert statuses[-2:] == ["heldForReview", "likelySpam"]
    # the token went as a bearer header, never in the query
    assert all(h.get("authorization") == f"Bearer {OWNER_TOKEN}"
               and "x-goog-api-key" not in h for _, _, h in stub.log)

    stub.comments["UgxC1"].status = "published"
    archive.capturing.run(account.id)
    assert events(items(archive, account.id), "UgxC1") == ["created", "hidden", "unhidden"]


def test_youtube_api_key_never_asks_for_held_comments_and_keeps_a_held_one_as_it_was(
        archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path, token=OWNER_TOKEN, full_every=1)
    archive.capturing.run(account.id)
    stub.comments["UgxC1"].status = "heldForReview"
    archive.capturing.run(account.id)                    # seen held with the owner's token
    path = tmp_path / "key.txt"
    path.write_text(API_KEY)
    archive.credentials.store(account.id, path)          # now only a key
    stub.log.clear()
    (report,) = archive.capturing.run(account.id)
    assert report.ok and report.counts["deleted"] == 0
    assert events(items(archive, account.id), "UgxC1") == ["created", "hidden"]
    assert not any("moderationStatus" in p for _, p, _ in stub.log)
    assert all(h.get("x-goog-api-key") == API_KEY and "authorization" not in h
               for _, _, h in stub.log)
    assert any("an API key cannot see it" in p["what"] for p in report.problems)


def test_youtube_comment_count_above_what_is_listed_is_a_completeness_shortfall(
        archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path)
    stub.videos["vidPlow00002"].extra_count = 2       # counted, never listed
    (report,) = archive.capturing.run(account.id)
    (alert,) = archive.capturing.alerts(account.id, kind="completeness.shortfall")
    assert alert["details"]["threads"] == [["vidPlow00002", 3, 1]]
    (status,) = archive.capturing.status()
    assert status.completeness == pytest.approx(6 / 8)


def test_youtube_video_with_comments_turned_off_keeps_its_comments(archive, stub, server,
                                                                   tmp_path):
    account = channel(archive, server, tmp_path, full_every=1)
    archive.capturing.run(account.id)
    stub.videos["vidPlow00002"].comments_off = True
    (report,) = archive.capturing.run(account.id)
    assert report.ok and report.counts["deleted"] == 0
    assert any("comments are turned off" in p["what"] for p in report.problems)
    assert events(items(archive, account.id), "UgxC1") == ["created"]


def test_youtube_quota_exceeded_waits_until_midnight_pacific(archive, stub, server, tmp_path,
                                                            clock):
    account = channel(archive, server, tmp_path)
    stub.fail(403, "quotaExceeded")
    (report,) = archive.capturing.run(account.id)
    assert not report.ok and report.failure["cause"] == "rate_limited"
    # 00:00 UTC on 2 August is 17:00 on 1 August in Los Angeles (PDT): 7 hours to go (less
    # the seconds the test clock has ticked)
    assert 7 * 3600 - 60 < report.retry_after <= 7 * 3600
    assert report.failure["evidence"]["status"] == 403
    assert "quotaExceeded" in report.failure["evidence"]["body"]
    assert report.gap_opened is None                  # not a failure of the account yet


def test_youtube_quota_reset_is_pacific_midnight_in_winter_too():
    winter = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)   # 01:30 PST
    assert seconds_to_quota_reset(winter) == 22.5 * 3600


@pytest.mark.parametrize("status, reason, cause, gap", [
    (401, "authError", "credentials_expired", True),
    (403, "forbidden", "permission_revoked", True),
    (400, "keyInvalid", "credentials_expired", True),
    (500, "backendError", "outage", False)])
def test_youtube_refusals_map_to_capture_failures(status, reason, cause, gap, archive, stub,
                                                  server, tmp_path):
    account = channel(archive, server, tmp_path)
    stub.fail(status, reason)
    (report,) = archive.capturing.run(account.id)
    assert not report.ok and report.failure["cause"] == cause
    assert (report.gap_opened is not None) is gap


def test_youtube_key_and_token_appear_nowhere_in_plaintext(archive, stub, server, tmp_path,
                                                          caplog):
    caplog.set_level(logging.DEBUG)
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    # it was used, in a header: never in a URL, which httpx logs
    assert all(h.get("x-goog-api-key") == API_KEY and "key" not in p for _, p, h in stub.log)
    stub.fail(400, "keyInvalid")
    (failed,) = archive.capturing.run(account.id)
    assert not failed.ok
    shown = [str(failed.as_dict()), caplog.text, json.dumps(archive.capturing.alerts()),
             json.dumps(archive.capturing.gaps())]
    for secret in (API_KEY, OWNER_TOKEN):
        for text in shown:
            assert secret not in text
    home = archive.context.settings.home
    for path in home.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
    if archive.context.store.dialect == "sqlite":
        dump = "\n".join(sqlite3.connect(home / "archive.db").iterdump())
        assert API_KEY not in dump and "keyInvalid" in dump


def test_youtube_captured_video_and_its_takeout_row_are_one_item_with_one_content(
        archive, stub, server, tmp_path):
    account = channel(archive, server, tmp_path)
    archive.capturing.run(account.id)
    root = "Takeout/YouTube and YouTube Music"
    export = tmp_path / "takeout-20260801T000000Z-001.zip"
    with zipfile.ZipFile(export, "w") as zipped:
        zipped.writestr(f"{root}/video metadata/videos.csv", (
            "Video ID,Video Title (Original),Video Description (Original),Video Category,"
            "Privacy,Video State,Video Publish Timestamp,Channel ID,Approx Duration (ms),"
            "Video Audio Language\n"
            'vidMeeting01,"Council meeting: March 4","Full recording.\nAgenda: '
            'https://example.gov/agenda #council",News & Politics,Public,Processed,'
            f"2026-07-30T12:00:00Z,{CHANNEL},61000,en\n"))
    report = archive.ingesting.import_export(export, account.id, actor="clerk")
    held = items(archive, account.id)
    assert events(held, "vidMeeting01") == ["created"]     # the same content: no edit
    assert report.ingest.versions == 0


def test_youtube_duration_reads_iso_8601():
    assert duration_ms("PT1H30M5S") == 5405000
    assert duration_ms("P1DT1S") == 86401000
    assert duration_ms("PT0S") == 0
    assert duration_ms("bogus") is None and duration_ms(None) is None
