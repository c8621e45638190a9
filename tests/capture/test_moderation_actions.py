"""Moderation actions carried out on the platform, against the loopback Graph API: a
Page comment hidden and shown again with `is_hidden`, an Instagram comment with `hide`;
a refusal is logged as failed; what Graph cannot do is recorded only."""

from __future__ import annotations

from civicarchive.policy import EXAMPLES
from tests.capture.graph_stub import PAGE_ID, TOKEN, events, held

POST = "Warming shelter open tonight at the Community Center on 5th Avenue from 6pm."
SPAM = ("BUY CHEAP WATCHES!!! Best prices at http://cheap-watches.example.com click now "
        "http://cheap-watches.example.com/deal")


def item_of(archive, account_id, native_id) -> int:
    return held(archive, account_id)[native_id][0].id


def captured_spam(archive, page, graph) -> tuple[str, int]:
    """The policy adopted, a spam comment on the Page captured: its native and item ids."""
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    spam = graph.add_comment(graph.add_post(POST), SPAM)
    assert archive.capturing.run(page.id, actor="clerk")[0].ok
    return spam, item_of(archive, page.id, spam)


def test_facebook_hide_and_unhide_go_through_graph_and_the_next_pass_sees_them(
        archive, page, graph):
    spam, comment = captured_spam(archive, page, graph)

    hidden = archive.moderation.act(comment, "hide", "moderator", clause="spam")
    assert hidden["outcome"] == "carried out"
    assert graph.moderated == [(spam, "is_hidden", "true")]
    assert graph.comments[spam]["is_hidden"] is True
    assert TOKEN not in hidden["outcome_detail"]
    (posted,) = [headers for method, path, headers in graph.server.requests
                 if method == "POST"]
    assert posted["authorization"] == f"Bearer {TOKEN}"   # in a header, never the URL
    assert archive.capturing.run(page.id, actor="clerk")[0].ok
    assert events(archive, page.id, spam) == ["created", "hidden"]  # the archive saw it

    shown = archive.moderation.act(comment, "unhide", "moderator")
    assert shown["outcome"] == "carried out" and graph.comments[spam]["is_hidden"] is False
    assert [a["action"] for a in archive.moderation.log()] == ["hide", "unhide"]
    assert hidden["version_id"] == archive.reading.history(comment)[0].id


def test_facebook_deletion_and_block_are_recorded_only(archive, page, graph):
    spam, comment = captured_spam(archive, page, graph)
    for action in ("delete", "block"):
        done = archive.moderation.act(comment, action, "moderator", clause="spam")
        assert done["outcome"] == "recorded only"
        assert done["outcome_detail"] == ("recorded only: the platform offers no API for "
                                          "this action")
        assert done["warning"]["suggestion"] == "hide"  # an agency page is a public forum
    assert graph.moderated == []
    assert spam in graph.comments  # nothing was deleted on the platform


def test_a_refused_hide_is_logged_as_failed(archive, page, graph):
    spam, comment = captured_spam(archive, page, graph)
    graph.fail(f"/{spam}", 400, {"message": "(#200) Requires pages_manage_engagement "
                                            "permission", "type": "OAuthException",
                                 "code": 200})
    failed = archive.moderation.act(comment, "hide", "moderator", clause="spam")
    assert failed["outcome"] == "failed"
    assert "pages_manage_engagement" in failed["outcome_detail"]
    assert graph.comments[spam]["is_hidden"] is False
    assert archive.moderation.log()[0]["outcome"] == "failed"


def test_record_only_sends_nothing(archive, page, graph):
    spam, comment = captured_spam(archive, page, graph)
    done = archive.moderation.act(comment, "hide", "moderator",
                                  clause="spam", on_platform=False)
    assert done["outcome"] == "recorded only" and "elsewhere" in done["outcome_detail"]
    assert graph.moderated == []


def test_instagram_hide_goes_through_graph(archive, insta, graph):
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    media = graph.add_media(POST, [graph.file("shelter.jpg", b"\xff\xd8 shelter")])
    spam = graph.add_ig_comment(media, SPAM)
    assert archive.capturing.run(insta.id, actor="clerk")[0].ok
    done = archive.moderation.act(item_of(archive, insta.id, spam), "hide", "moderator",
                                  clause="spam")
    assert done["outcome"] == "carried out"
    assert graph.moderated == [(spam, "hide", "true")]
    assert graph.ig_comments[spam]["hidden"] is True
    assert PAGE_ID != insta.platform_id
