"""Instagram professional account capture against a loopback Graph API built from Meta's
documented shapes."""

from __future__ import annotations

import json
from datetime import timedelta

from civicarchive.model.record import Kind
from tests.capture.graph_stub import IG_ID, T0, events, held

JPEG = b"\xff\xd8\xff\xe0 bridge"
MP4 = b"\x00\x00\x00\x18ftypmp42 ribbon"


def seed(graph):
    """A single photo with a hidden comment and a thread, and a carousel (photo + video)."""
    bridge = graph.add_media("The bridge reopens #infrastructure @dot_example",
                             [graph.file("35261_n.jpg", JPEG)])
    carousel = graph.add_media("Ribbon cutting", [graph.file("41001_n.jpg", JPEG + b"2"),
                                                 graph.file("41002_n.mp4", MP4)],
                               at=T0 + timedelta(hours=5))
    question = graph.add_ig_comment(bridge, "Is it open to bikes?")
    answer = graph.add_ig_comment(bridge, "Yes, both lanes!", username="cityofexample",
                                  parent=question, at=T0 + timedelta(hours=2))
    spam = graph.add_ig_comment(bridge, "free crypto", username="spam.bot", hidden=True)
    return bridge, carousel, question, answer, spam


def test_instagram_first_pass_captures_media_comments_replies_and_hidden(archive, insta,
                                                                         graph):
    bridge, carousel, question, answer, spam = seed(graph)
    (report,) = archive.capturing.run(insta.id)
    assert report.ok, report.failure
    found = held(archive, insta.id)
    kinds = {native: item.kind for native, (item, _) in found.items()}
    assert kinds[IG_ID] is Kind.PROFILE and kinds[bridge] is Kind.POST
    assert kinds[question] is Kind.COMMENT and kinds[answer] is Kind.REPLY
    assert found[answer][0].parent_native_id == question
    assert found[question][0].parent_native_id == bridge
    assert events(archive, insta.id, spam) == ["hidden"]
    post = archive.reading.content(found[bridge][1][-1])
    assert post["hashtags"] == ["infrastructure"] and post["mentions"] == ["dot_example"]
    assert [a["file"] for a in post["attachments"]] == ["35261_n.jpg"]
    album = archive.reading.content(found[carousel][1][-1])
    assert [a["media_type"] for a in album["attachments"]] == ["image/jpeg", "video/mp4"]
    assert archive.reading.raw(found[f"{carousel}/41002_n.mp4"][1][-1]) == MP4
    assert archive.reading.raw(found[f"{bridge}/35261_n.jpg"][1][-1]) == JPEG
    comment = archive.reading.content(found[question][1][-1])
    assert comment["media_owner"] == "cityofexample" and comment["author"] == "rita.resident"
    assert json.loads(archive.reading.raw(found[answer][1][-1]))["id"] == answer
    assert archive.capturing.status()[0].completeness == 1.0


def test_instagram_second_pass_adds_nothing(archive, insta, graph):
    seed(graph)
    archive.capturing.configure(insta.id, full_every=1)
    archive.capturing.run(insta.id)
    before = archive.reading.stats()["versions"]
    (again,) = archive.capturing.run(insta.id)
    assert again.ok and archive.reading.stats()["versions"] == before


def test_instagram_caption_edit_hide_and_deleted_media(archive, insta, graph):
    bridge, carousel, question, answer, spam = seed(graph)
    archive.capturing.configure(insta.id, full_every=1)
    archive.capturing.run(insta.id)
    graph.media[bridge]["caption"] = "The bridge reopens Friday #infrastructure"
    graph.ig_comments[question]["hidden"] = True
    del graph.media[carousel]
    graph.fail(f"/{carousel}", 503)       # the first re-check fails: nothing is recorded
    (report,) = archive.capturing.run(insta.id)
    assert report.ok
    assert events(archive, insta.id, bridge) == ["created", "edited"]
    assert events(archive, insta.id, question) == ["created", "hidden"]
    assert events(archive, insta.id, carousel) == ["created"]
    archive.capturing.run(insta.id)
    assert events(archive, insta.id, carousel) == ["created", "deleted"]


def test_instagram_incremental_pass_stops_at_what_it_saw(archive, insta, graph):
    bridge, *_ = seed(graph)
    archive.capturing.run(insta.id)
    newest = graph.add_media("Snow day", [graph.file("50000_n.jpg", JPEG + b"3")],
                             at=T0 + timedelta(days=1))
    graph.add_ig_comment(bridge, "Late question", at=T0 + timedelta(days=1))
    (report,) = archive.capturing.run(insta.id)
    assert not report.full and report.ok
    assert newest in held(archive, insta.id)
    assert report.counts["created"] == 3      # the post, its file, the late comment


def test_instagram_many_replies_are_read_from_their_own_edge(archive, insta, graph):
    bridge, _, question, *_ = seed(graph)
    for n in range(3):
        graph.add_ig_comment(bridge, f"me too {n}", parent=question,
                             at=T0 + timedelta(hours=3, minutes=n))
    graph.ig_comments[question]["reply_page"] = 2
    original = graph.ig_comment

    def paged(comment):   # nested replies cut to a first page, as Graph does
        shown = original(comment)
        if "replies" in shown and comment.get("reply_page"):
            shown["replies"] = {"data": shown["replies"]["data"][:2],
                                "paging": {"next": f"{graph.url}/{comment['id']}/replies"}}
        return shown
    graph.ig_comment = paged
    (report,) = archive.capturing.run(insta.id)
    assert report.ok and graph.requests_to(f"/{question}/replies")
    replies = [i for i, _ in held(archive, insta.id).values() if i.parent_native_id == question]
    assert len(replies) == 4


def test_instagram_username_change_is_a_profile_version(archive, insta, graph):
    archive.capturing.run(insta.id)
    graph.ig["username"] = "cityofexample_official"
    archive.capturing.run(insta.id)
    assert events(archive, insta.id, IG_ID) == ["created", "edited"]


def test_instagram_expired_token_fails_naming_expiry(archive, insta, graph):
    graph.expired = True
    (report,) = archive.capturing.run(insta.id)
    assert report.failure["cause"] == "credentials_expired" and report.gap_opened
    assert "expired" in report.failure["message"]


def test_instagram_captured_post_shares_the_importers_content_fields(archive, insta, graph,
                                                                     tmp_path):
    caption = "Farmers market #local @growers.coop"
    media = graph.add_media(caption, [graph.file("17890_n.jpg", JPEG)])
    archive.capturing.run(insta.id)
    captured = archive.reading.content(held(archive, insta.id)[media][1][-1])
    export = tmp_path / "instagram-cityofexample-2026-08-02" / "content"
    export.mkdir(parents=True)
    (export / "posts_1.json").write_text(json.dumps([{"media": [{
        "uri": "media/posts/202607/17890_n.jpg", "creation_timestamp": int(T0.timestamp()),
        "title": caption}]}]))
    (export.parent / "media" / "posts" / "202607").mkdir(parents=True)
    (export.parent / "media" / "posts" / "202607" / "17890_n.jpg").write_bytes(JPEG)
    other = archive.registry.add_account("instagram", "cityofexample-export", "agency")
    archive.ingesting.import_export(export.parent, other.id, format="instagram")
    (imported,) = [archive.reading.content(v[-1]) for i, v in held(archive, other.id).values()
                   if i.kind is Kind.POST]
    assert captured == imported       # every field, author and attachment included
