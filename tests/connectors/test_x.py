"""The X archive importer, over small archives built here in the shape X writes them."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.registry import importer
from civicarchive.connectors.x import XArchiveImporter
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind

EXPORTED = datetime(2025, 2, 1, 9, 30, tzinfo=timezone.utc)
ACCOUNT_ID = "1500000000000000001"
PHOTO = b"\xff\xd8\xff\xe0 jpeg bytes of a council meeting photo"


def ytd(name: str, entries: list, part: int = 0) -> str:
    """A data file as X writes it: a script assigning a pretty-printed array."""
    return f"window.YTD.{name}.part{part} = " + json.dumps(
        entries, indent=2, separators=(",", " : "), ensure_ascii=False)


def manifest(*files: str) -> str:
    config = {
        "userInfo": {"accountId": ACCOUNT_ID, "userName": "cityofexample",
                     "displayName": "City of Example"},
        "archiveInfo": {"sizeBytes": "123456", "generationDate": "2025-02-01T09:30:00.000Z",
                        "isPartialArchive": False, "maxPartSizeBytes": "53687091200"},
        "dataTypes": {
            path.rsplit("/", 1)[-1].removesuffix(".js"): {
                "files": [{"fileName": path, "globalName": "YTD.x.part0", "count": "1"}]}
            for path in files},
    }
    return "window.__THAR_CONFIG = " + json.dumps(config, indent=2, separators=(",", " : "))


ACCOUNT = ytd("account", [{"account": {
    "email": "press@example.gov", "createdVia": "web", "username": "cityofexample",
    "accountId": ACCOUNT_ID, "createdAt": "2012-05-01T10:00:00.000Z",
    "accountDisplayName": "City of Example"}}])


def tweet(tweet_id: str, text: str, created: str = "Tue Jan 21 00:21:51 +0000 2025",
          wrap: bool = True, **extra) -> dict:
    body = {
        "edit_info": {"initial": {"editTweetIds": [tweet_id],
                                  "editableUntil": "2025-01-21T01:21:51.000Z",
                                  "editsRemaining": "5", "isEditEligible": True}},
        "retweeted": False,
        "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "display_text_range": ["0", str(len(text))],
        "favorite_count": "3", "id_str": tweet_id, "truncated": False, "retweet_count": "1",
        "id": tweet_id, "created_at": created, "favorited": False, "full_text": text,
        "lang": "en",
        **extra,
    }
    return {"tweet": body} if wrap else body


def build(tmp_path: Path, files: dict[str, str | bytes], name: str = "archive.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read_all(path: Path) -> tuple[list, ImportContext]:
    context = ImportContext(account_id=7, observed_at=EXPORTED)
    with ExportFiles.open(path) as files:
        observations = list(XArchiveImporter().read(files, context))
    return observations, context


def by_id(observations: list, native_id: str) -> list:
    return [o for o in observations if o.native_id == native_id]


# -- detection --------------------------------------------------------------------------------

def test_detect_recognises_a_modern_archive_and_the_registry_names_it(tmp_path):
    path = build(tmp_path, {"data/manifest.js": manifest("data/tweets.js"),
                            "data/tweets.js": ytd("tweets", []),
                            "Your archive.html": "<html></html>"})
    with ExportFiles.open(path) as files:
        assert XArchiveImporter().detect(files)
    assert isinstance(importer("x"), XArchiveImporter)
    assert (XArchiveImporter.format, XArchiveImporter.platform) == ("x", "x")


def test_detect_rejects_other_platforms_exports(tmp_path):
    mastodon = tmp_path / "mastodon"
    mastodon.mkdir()
    (mastodon / "outbox.json").write_text('{"orderedItems": []}')
    (mastodon / "actor.json").write_text("{}")
    lookalike = build(tmp_path, {"data/tweets.js": "export const tweets = [];"}, "other.zip")
    for path in (mastodon, lookalike):
        with ExportFiles.open(path) as files:
            assert not XArchiveImporter().detect(files)


def test_detect_recognises_a_grailbird_archive_and_read_refuses_it_with_advice(tmp_path):
    path = build(tmp_path, {"tweets.csv": '"tweet_id","text"\n"1","hello"\n',
                            "data/js/tweets/2015_01.js": "Grailbird.data.tweets_2015_01 = []",
                            "data/js/tweet_index.js": "var tweet_index = []"})
    with ExportFiles.open(path) as files:
        assert XArchiveImporter().detect(files)
    with pytest.raises(InvalidInput, match=r"pre-2019.*not import yet.*Request a new archive"):
        read_all(path)


# -- tweets -----------------------------------------------------------------------------------

def test_read_posts_and_replies_with_normalised_content_and_exact_raw(tmp_path):
    post = tweet("1881000000000000001", "Road closures &amp; detours for #ParadeDay: "
                 "https://t.co/abc", entities={
                     "hashtags": [{"text": "ParadeDay", "indices": ["32", "42"]}],
                     "symbols": [], "user_mentions": [],
                     "urls": [{"url": "https://t.co/abc", "expanded_url":
                               "https://example.gov/parade", "display_url":
                               "example.gov/parade", "indices": ["44", "60"]}]})
    reply = tweet("1881000000000000002", "@resident1 Thanks, fixed.",
                  "Tue Jan 21 02:00:00 +0000 2025",
                  in_reply_to_status_id_str="1880999999999999999",
                  in_reply_to_status_id="1880999999999999999",
                  in_reply_to_user_id_str="42", in_reply_to_screen_name="resident1",
                  entities={"hashtags": [], "symbols": [], "urls": [], "user_mentions": [
                      {"name": "A Resident", "screen_name": "resident1",
                       "indices": ["0", "10"], "id_str": "42", "id": "42"}]})
    text = ytd("tweets", [post, reply])
    path = build(tmp_path, {"data/manifest.js": manifest("data/tweets.js"),
                            "data/account.js": ACCOUNT, "data/tweets.js": text})
    observations, context = read_all(path)

    first, second = observations
    assert (first.kind, first.native_id, first.parent_native_id) == \
        (Kind.POST, "1881000000000000001", None)
    assert first.content["text"] == "Road closures & detours for #ParadeDay: https://t.co/abc"
    assert first.content["hashtags"] == ["ParadeDay"]
    assert first.content["urls"] == ["https://example.gov/parade"]
    assert "favorite_count" not in first.content and "retweet_count" not in first.content
    assert first.author == first.content["author"] == "cityofexample"
    assert first.created_at == datetime(2025, 1, 21, 0, 21, 51, tzinfo=timezone.utc)
    assert first.observed_at == EXPORTED and first.event is None
    assert first.url == "https://x.com/cityofexample/status/1881000000000000001"
    assert first.raw.decode("utf-8") in text and json.loads(first.raw) == post
    assert first.raw.decode("utf-8").startswith('{\n    "tweet" : {')

    assert (second.kind, second.parent_native_id) == (Kind.REPLY, "1880999999999999999")
    assert second.content["in_reply_to"]["screen_name"] == "resident1"
    assert second.content["mentions"] == ["resident1"]
    assert context.complete_kinds == {Kind.POST, Kind.REPLY}
    assert context.problems == []


def test_read_the_2021_layout_split_parts_and_unwrapped_entries(tmp_path):
    path = build(tmp_path, {
        "data/tweet-part1.js": ytd("tweet", [tweet("300", "third", wrap=False)], part=1),
        "data/tweet.js": ytd("tweet", [tweet("100", "first"), tweet("200", "second")]),
    })
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["100", "200", "300"]
    assert observations[2].content["text"] == "third"
    assert json.loads(observations[2].raw)["id_str"] == "300"
    # no account.js nor manifest: the handle is unknown, the url still resolves
    assert observations[0].url == "https://x.com/i/web/status/100"
    assert context.complete_kinds == {Kind.POST, Kind.REPLY}


def test_edits_become_versions_of_one_item_in_creation_order(tmp_path):
    chain = ["1600000000000000001", "1600000000000000002", "1600000000000000003"]
    control = {"editTweetIds": chain, "editableUntil": "2025-01-21T01:00:00.000Z",
               "editsRemaining": "3", "isEditEligible": True}
    original = tweet(chain[0], "Libary closed today", "Tue Jan 21 00:00:00 +0000 2025",
                     edit_info={"initial": control})
    later = [tweet(tweet_id, text, created, edit_info={
        "edit": {"initialTweetId": chain[0], "editControlInitial": control}})
        for tweet_id, text, created in (
            (chain[1], "Library closed today", "Tue Jan 21 00:05:00 +0000 2025"),
            (chain[2], "Library closed today and tomorrow", "Tue Jan 21 00:20:00 +0000 2025"))]
    # the entries of the chain are scattered over the parts, newest first
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", [later[0], tweet("9", "other")]),
                            "data/tweets-part1.js": ytd("tweets", [later[1], original], 1)})
    observations, context = read_all(path)

    versions = by_id(observations, chain[0])
    assert [v.content["tweet_id"] for v in versions] == chain
    assert [v.content["text"] for v in versions] == [
        "Libary closed today", "Library closed today", "Library closed today and tomorrow"]
    assert [v.observed_at.minute for v in versions] == [0, 5, 20]
    assert {v.created_at for v in versions} == {versions[0].observed_at}
    assert versions[2].content["edit_of"] == chain[0]
    assert json.loads(versions[1].raw) == later[0]
    assert not by_id(observations, chain[1]) and not by_id(observations, chain[2])
    assert by_id(observations, "9")[0].observed_at == EXPORTED
    assert not [p for p in context.problems if "does not hold" in p.what]
    # Without its original, the chain is still one item under the original's id, and the
    # report says the original is missing.
    (tmp_path / "ghost").mkdir()
    path = build(tmp_path / "ghost", {"data/tweets.js": ytd("tweets", later)})
    ghost, context = read_all(path)
    assert [v.content["tweet_id"] for v in by_id(ghost, chain[0])] == chain[1:]
    assert [p.what for p in context.problems if "does not hold" in p.what] == [
        f"entry 0: an edit of tweet {chain[0]}, which the export does not hold; its "
        f"versions are imported under that id from the earliest edit ({chain[1]})"]


def test_an_edit_naming_a_first_version_that_is_not_a_tweet_id_is_reported(tmp_path):
    # An edit chain named by something other than digits would make an item whose id no
    # tweet has, and no later export's version could join it.
    odd = tweet("1600000000000000002", "Library closed", edit_info={
        "edit": {"initialTweetId": "../1600000000000000001"}})
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", [odd, tweet("9", "other")])})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["9"]
    assert [p.what for p in context.problems] == [
        "entry 0 (byte 30): not a readable tweet (its edit_info names "
        "'../1600000000000000001' as the first version, which is not a tweet id); skipped, "
        "the others were imported"]


def test_deleted_tweets_are_created_then_deleted(tmp_path):
    gone = tweet("1700000000000000001", "Wrong date for the hearing",
                 "Mon Jan 20 10:00:00 +0000 2025", deleted_at="Mon Jan 20 10:30:00 +0000 2025")
    text = ytd("deleted_tweets", [gone])
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", []),
                            "data/deleted-tweets.js": text})
    observations, _ = read_all(path)
    created, deleted = observations
    assert (created.event, created.observed_at) == \
        (None, datetime(2025, 1, 20, 10, 0, tzinfo=timezone.utc))
    assert created.content["text"] == "Wrong date for the hearing"
    assert (deleted.event, deleted.observed_at, deleted.native_id) == \
        (Event.DELETED, datetime(2025, 1, 20, 10, 30, tzinfo=timezone.utc), created.native_id)
    assert deleted.content is None and deleted.raw.decode() in text


def test_a_note_tweet_gives_its_tweet_the_full_text(tmp_path):
    long_text = "Budget hearing summary. " * 20
    note = {"noteTweet": {
        "noteTweetId": "1800000000000000099", "updatedAt": "2025-01-21T00:21:51.000Z",
        "lifecycle": {"value": "live", "name": "Live", "originalName": "live",
                      "annotations": {}},
        "createdAt": "2025-01-21T00:21:51.000Z",
        "core": {"styletags": [], "urls": [], "text": long_text, "mentions": [],
                 "cashtags": [], "hashtags": []}}}
    orphan = json.loads(json.dumps(note))
    orphan["noteTweet"].update(noteTweetId="1800000000000000100",
                               createdAt="2024-06-01T00:00:00.000Z")
    truncated = long_text[:270] + "… https://t.co/more"
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", [tweet("18", truncated)]),
                            "data/note-tweet.js": ytd("note_tweet", [note, orphan])})
    observations, context = read_all(path)
    assert observations[0].content["text"] == long_text
    assert observations[0].content["truncated_text"] == truncated
    assert observations[0].content["note_tweet_id"] == "1800000000000000099"
    assert [p.what for p in context.problems] == [
        "entry 1: note tweet 1800000000000000100 matches no tweet created in the same "
        "second (2024-06-01T00:00:00+00:00) whose text begins it; its text was not imported"]
    assert context.problems[0].where.endswith(":data/note-tweet.js")


def note_tweet(note_id: str, text: str, created: str = "2025-01-21T00:21:51.000Z") -> dict:
    return {"noteTweet": {
        "noteTweetId": note_id, "updatedAt": created,
        "lifecycle": {"value": "live", "name": "Live", "originalName": "live",
                      "annotations": {}},
        "createdAt": created,
        "core": {"styletags": [], "urls": [], "text": text, "mentions": [], "cashtags": [],
                 "hashtags": []}}}


def test_a_note_tweets_text_is_unescaped_as_its_tweets_is(tmp_path):
    # X escapes & < > in a note's text as in a tweet's; the join read the note unescaped,
    # but the note's text went into the record as written: "Parks &amp; Rec"
    long_text = "Parks & Rec budget: <b>two</b> new pools, \"soon\" &amp; more. " * 8
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    path = build(tmp_path, {
        "data/tweets.js": ytd("tweets", [tweet("19", escape(long_text[:200]) + "… "
                                                     "https://t.co/more")]),
        "data/note-tweet.js": ytd("note_tweet", [note_tweet("1800000000000000097",
                                                            escape(long_text))])})
    [post], context = read_all(path)
    assert post.content["note_tweet_id"] == "1800000000000000097"
    assert post.content["text"] == long_text
    assert post.content["truncated_text"] == long_text[:200] + "… https://t.co/more"
    assert context.problems == []


def test_a_note_is_joined_only_to_the_tweet_of_its_second_whose_text_begins_it(tmp_path):
    # a thread posted at once: three tweets in one second, only the second one is long
    long_text = "Part 2: the budget adds two librarians and extends hours. " * 8
    thread = [tweet("1881000000000000011", "Thread on tonight's budget vote 1/3"),
              tweet("1881000000000000012", long_text[:270] + "… https://t.co/more"),
              tweet("1881000000000000013", "3/3 Questions? Reply here.")]
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", thread),
                            "data/note-tweet.js": ytd("note_tweet", [
                                note_tweet("1881000000000000099", long_text)])})
    observations, context = read_all(path)
    texts = {o.native_id: o.content["text"] for o in observations}
    assert texts == {"1881000000000000011": "Thread on tonight's budget vote 1/3",
                     "1881000000000000012": long_text,
                     "1881000000000000013": "3/3 Questions? Reply here."}
    assert by_id(observations, "1881000000000000012")[0].content["note_tweet_id"] == \
        "1881000000000000099"
    assert context.problems == []


def test_a_note_two_tweets_of_its_second_could_begin_is_reported_not_guessed(tmp_path):
    long_text = "Road work on Main St starts Monday and runs through June. " * 8
    twins = [tweet("1881000000000000021", "Road work on Main St starts Monday"),
             tweet("1881000000000000022", long_text[:270] + "…")]
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", twins),
                            "data/note-tweet.js": ytd("note_tweet", [
                                note_tweet("1881000000000000098", long_text)])})
    observations, context = read_all(path)
    assert [o.content["text"] for o in observations] == [
        "Road work on Main St starts Monday", long_text[:270] + "…"]
    assert not any("note_tweet_id" in o.content for o in observations)
    [problem] = context.problems
    assert problem.where.endswith(":data/note-tweet.js")
    assert problem.what.startswith("entry 0: note tweet 1881000000000000098 cannot be joined "
                                   "for certain: tweets 1881000000000000021, "
                                   "1881000000000000022 of the same second")


# -- direct messages -------------------------------------------------------------------------

def test_direct_messages_and_group_events_become_messages(tmp_path):
    one_to_one = {"dmConversation": {"conversationId": f"42-{ACCOUNT_ID}", "messages": [
        {"messageCreate": {"recipientId": "42", "reactions": [], "urls": [
            {"url": "https://t.co/x", "expanded": "https://example.gov/permits",
             "display": "example.gov/permits"}],
            "text": "See the permits page", "mediaUrls": [], "senderId": ACCOUNT_ID,
            "id": "1900000000000000002", "createdAt": "2025-01-05T10:01:00.000Z"}},
        {"messageCreate": {"recipientId": ACCOUNT_ID, "reactions": [], "urls": [],
                           "text": "How do I get a permit?", "mediaUrls": [], "senderId": "42",
                           "id": "1900000000000000001",
                           "createdAt": "2025-01-05T10:00:00.000Z"}}]}}
    group = {"dmConversation": {"conversationId": "1950000000000000000", "messages": [
        {"participantsLeave": {"userIds": ["43"], "createdAt": "2025-01-06T12:00:00.000Z"}},
        {"messageCreate": {"reactions": [], "urls": [], "text": "Meeting moved to 3pm",
                           "mediaUrls": [], "senderId": "43", "id": "1950000000000000005",
                           "createdAt": "2025-01-06T11:00:00.000Z"}},
        {"joinConversation": {"initiatingUserId": "43",
                              "participantsSnapshot": ["43", ACCOUNT_ID],
                              "createdAt": "2025-01-06T10:00:00.000Z"}}]}}
    text = ytd("direct_messages", [one_to_one])
    path = build(tmp_path, {"data/account.js": ACCOUNT,
                            "data/direct-messages.js": text,
                            "data/direct-messages-group.js": ytd("direct_messages_group",
                                                                 [group])})
    observations, context = read_all(path)

    assert all(o.kind is Kind.MESSAGE for o in observations)
    reply = by_id(observations, "1900000000000000002")[0]
    assert reply.parent_native_id == f"42-{ACCOUNT_ID}"
    assert reply.author == reply.content["author"] == "cityofexample"
    assert reply.content["urls"] == ["https://example.gov/permits"]
    assert reply.created_at == datetime(2025, 1, 5, 10, 1, tzinfo=timezone.utc)
    assert json.loads(reply.raw) == one_to_one["dmConversation"]["messages"][0]
    assert reply.raw.decode() in text
    assert by_id(observations, "1900000000000000001")[0].author == "42"
    leave = by_id(observations, "1950000000000000000/participantsLeave/"
                                "2025-01-06T12:00:00.000Z")[0]
    assert leave.content["type"] == "participantsLeave"
    assert leave.content["details"] == {"userIds": ["43"]}
    assert len(observations) == 5
    assert context.complete_kinds == {Kind.MESSAGE}


def test_an_automated_welcome_message_keeps_its_text(tmp_path):
    welcome = {"welcomeMessageCreate": {
        "recipientId": "42", "reactions": [], "urls": [], "mediaUrls": [],
        "text": "Thanks for writing to the City. For emergencies call 911.",
        "senderId": ACCOUNT_ID, "id": "1900000000000000010",
        "createdAt": "2025-01-05T09:59:59.000Z"}}
    conversation = {"dmConversation": {"conversationId": f"42-{ACCOUNT_ID}",
                                       "messages": [welcome]}}
    path = build(tmp_path, {"data/account.js": ACCOUNT, "data/direct-messages.js": ytd(
        "direct_messages", [conversation])})
    [message], context = read_all(path)
    assert message.native_id == "1900000000000000010"
    assert message.content["text"] == "Thanks for writing to the City. For emergencies call 911."
    assert message.content["type"] == "welcomeMessageCreate"
    assert message.author == "cityofexample"
    assert json.loads(message.raw) == welcome and context.problems == []


def test_unknown_entry_shapes_and_files_are_problems_naming_file_and_entry(tmp_path):
    conversation = {"dmConversation": {"conversationId": "42-1", "messages": [
        {"pollCreate": {"createdAt": "2025-01-05T10:00:00.000Z", "question": "Which day?"}},
        {"messageCreate": {"recipientId": "1", "reactions": [], "urls": [], "mediaUrls": [],
                           "text": "", "senderId": "42", "id": "83",
                           "messageData": {"text": "Is the pool open?"},
                           "createdAt": "2025-01-05T10:01:00.000Z"}}]}}
    path = build(tmp_path, {
        "data/tweets.js": ytd("tweets", [{"spacesTweet": {"spaceId": "1OyKA"}},
                                         tweet("91", "fine")]),
        "data/direct-messages.js": ytd("direct_messages", [conversation]),
        "data/grok-chat-item.js": ytd("grok_chat_item", [{"chatItem": {"message": "hi"}}]),
        "data/like.js": ytd("like", [{"like": {"tweetId": "5"}}]),
        "data/twitter-circle-tweet.js": ytd("twitter_circle_tweet", []),
        "data/tweets_media/777-Orphan.jpg": PHOTO,
        "Your archive.html": "<html></html>"})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == [
        "91", "42-1/pollCreate/2025-01-05T10:00:00.000Z", "83"]
    problems = {(p.where.rsplit(":", 1)[-1], p.what.split(":")[0]) for p in context.problems}
    assert problems == {
        ("data/grok-chat-item.js", "not a file this importer knows; not imported (report it "
                                   "if it holds posts or messages)"),
        (str(path), "1 files of account and platform data, not posts or messages, are not "
                    "imported"),
        ("data/tweets.js", "entry 0 (byte 30)"),
        ("data/direct-messages.js", "conversation 42-1, message 0"),
        ("data/direct-messages.js", "conversation 42-1, message 1"),
        ("data/tweets_media/777-Orphan.jpg", "a media file of 777, which is no tweet or "
                                             "message in this export; not imported")}
    what = {p.what for p in context.problems}
    assert any("unknown shape: no tweet id (keys spacesTweet)" in w for w in what)
    assert any("unknown shape `pollCreate`" in w for w in what)
    assert any("its text at messageCreate.messageData.text was not read" in w for w in what)
    assert any(w.endswith("are not imported: data/like.js") for w in what)


# -- media ------------------------------------------------------------------------------------

def test_media_files_follow_their_post_and_missing_ones_are_problems(tmp_path):
    photo = {"media_url_https": "https://pbs.twimg.com/media/GhPhoto1.jpg", "type": "photo",
             "id_str": "5", "ext_alt_text": "Council chamber, full"}
    lost = {"media_url_https": "https://pbs.twimg.com/media/GhLost.png", "type": "photo",
            "id_str": "6"}
    video = {"media_url_https": "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/T.jpg",
             "type": "video", "id_str": "7", "video_info": {"variants": [
                 {"bitrate": "832000", "content_type": "video/mp4",
                  "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/Clip.mp4?tag=12"}]}}
    retweeted = {"media_url_https": "https://pbs.twimg.com/media/Theirs.jpg", "type": "photo"}
    reused = {"media_url_https": "https://pbs.twimg.com/media/Reused.jpg", "type": "photo",
              "source_status_id_str": "19", "source_user_id_str": ACCOUNT_ID}
    path = build(tmp_path, {
        "data/tweets.js": ytd("tweets", [
            tweet("21", "Tonight's meeting", extended_entities={"media": [photo, lost]}),
            tweet("22", "Watch", extended_entities={"media": [video]}),
            tweet("23", "RT @county: their photo", extended_entities={"media": [retweeted]}),
            tweet("24", "Again: the chamber", extended_entities={"media": [reused]})]),
        "data/tweets_media/21-GhPhoto1.jpg": PHOTO,
        "data/tweets_media/22-Clip.mp4": b"\x00\x00\x00\x18ftypmp42",
    })
    observations, context = read_all(path)

    assert [(o.kind, o.native_id) for o in observations] == [
        (Kind.POST, "21"), (Kind.MEDIA, "21/21-GhPhoto1.jpg"),
        (Kind.POST, "22"), (Kind.MEDIA, "22/22-Clip.mp4"), (Kind.POST, "23"),
        (Kind.POST, "24")]
    image = observations[1]
    assert image.raw == PHOTO and image.parent_native_id == "21"
    assert image.content == {"file": "21-GhPhoto1.jpg", "media_type": "image/jpeg",
                             "alt": "Council chamber, full", "size": len(PHOTO)}
    assert observations[3].raw_media_type == "video/mp4"
    assert observations[0].content["attachments"][0]["alt"] == "Council chamber, full"
    lost_problem, retweet_problem = context.problems
    assert "GhLost.png" in lost_problem.what
    assert lost_problem.where.endswith(":data/tweets.js")
    # X leaves retweeted media out, but a record that lacks its media says so
    assert retweet_problem.what.startswith("retweet 23 lists media "
                                           "https://pbs.twimg.com/media/Theirs.jpg")
    assert "23-Theirs.jpg" in retweet_problem.what


def test_a_missing_video_is_named_by_its_video_file_not_its_thumbnail(tmp_path):
    video = {"media_url_https": "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/T.jpg",
             "type": "video", "video_info": {"variants": [
                 {"content_type": "application/x-mpegURL",
                  "url": "https://video.twimg.com/ext_tw_video/1/pu/pl/List.m3u8"},
                 {"bitrate": "256000", "content_type": "video/mp4",
                  "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/Small.mp4"},
                 {"bitrate": "2176000", "content_type": "video/mp4",
                  "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/Best.mp4?tag=12"}]}}
    # the thumbnail is there, the video is not: the video is what is missing
    path = build(tmp_path, {
        "data/tweets.js": ytd("tweets", [tweet("25", "Watch", extended_entities={
            "media": [video]})]),
        "data/tweets_media/25-T.jpg": PHOTO})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["25", "25/25-T.jpg"]
    [problem] = context.problems
    assert "no file 25-Best.mp4" in problem.what and "T.jpg" not in problem.what
    assert "media https://video.twimg.com/ext_tw_video/1/pu/vid/Best.mp4?tag=12" in problem.what


def test_direct_message_media_is_attached_to_its_message(tmp_path):
    conversation = {"dmConversation": {"conversationId": "42-1", "messages": [
        {"messageCreate": {"recipientId": "1", "reactions": [], "urls": [],
                           "text": "Pothole photo", "senderId": "42", "id": "77",
                           "mediaUrls": ["https://ton.twitter.com/dm/77/88/Pothole.jpg"],
                           "createdAt": "2025-01-05T10:00:00.000Z"}}]}}
    path = build(tmp_path, {
        "data/direct-messages.js": ytd("direct_messages", [conversation]),
        "data/direct_messages_media/77-Pothole.jpg": PHOTO})
    observations, context = read_all(path)
    assert [(o.kind, o.native_id, o.parent_native_id) for o in observations] == [
        (Kind.MESSAGE, "77", "42-1"), (Kind.MEDIA, "77/77-Pothole.jpg", "77")]
    assert observations[1].raw == PHOTO and context.problems == []


# -- encoding and damage ----------------------------------------------------------------------

def test_encoding_quirks_bom_crlf_escapes_and_emoji(tmp_path):
    source = ('window.YTD.tweets.part0 = [\r\n  {\r\n    "tweet" : {\r\n'
              '      "id_str" : "31",\r\n      "id" : "31",\r\n'
              '      "created_at" : "Tue Jan 21 00:21:51 +0000 2025",\r\n'
              '      "full_text" : "Caf\\u00e9 reopens \U0001F389 \\/ 5 &lt; 6 &amp;&amp; ok"'
              '\r\n    }\r\n  }\r\n]')
    path = build(tmp_path, {"data/tweets.js": b"\xef\xbb\xbf" + source.encode("utf-8")})
    (post,), context = read_all(path)
    assert post.content["text"] == "Café reopens 🎉 / 5 < 6 && ok"
    assert post.raw == source[source.index("{"):source.rindex("}") + 1].encode("utf-8")
    assert context.problems == []


def test_an_entry_that_is_not_valid_json_is_a_problem_naming_file_and_place(tmp_path):
    broken = ytd("tweets", [tweet("41", "ok"), tweet("42", "fine")]).replace(
        '"full_text" : "ok"', '"full_text" : ok')
    path = build(tmp_path, {"data/tweets.js": broken})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["42"]
    [problem] = context.problems
    assert problem.where.endswith("archive.zip:data/tweets.js")
    assert problem.what.startswith("entry 0 (byte 30): not valid JSON")
    assert context.complete_kinds == set()


def test_an_entry_nested_100000_deep_is_one_problem_and_nothing_is_ingested(tmp_path):
    deep = "window.YTD.tweets.part0 = [\n  " + "[" * 100_000 + "]" * 100_000 + "\n]"
    path = build(tmp_path, {"data/tweets.js": deep})
    observations, context = read_all(path)
    assert observations == []
    [problem] = context.problems
    assert problem.where.endswith(":data/tweets.js") and "\n" not in problem.what
    assert problem.what.startswith("entry 0 (byte 30): not valid JSON (depth limit")
    assert context.complete_kinds == set()


def test_a_manifest_nested_100000_deep_raises_one_line_naming_it(tmp_path):
    deep = "window.__THAR_CONFIG = " + '{"a" : ' * 100_000 + "1" + "}" * 100_000
    path = build(tmp_path, {"data/manifest.js": deep, "data/tweets.js": ytd("tweets", [])})
    with pytest.raises(InvalidInput, match=r"data/manifest\.js: not valid JSON") as raised:
        read_all(path)
    assert "\n" not in str(raised.value)


def test_a_file_cut_short_raises_naming_the_file_and_place(tmp_path):
    whole = ytd("tweets", [tweet("51", "one"), tweet("52", "two")])
    path = build(tmp_path, {"data/tweets.js": whole[:len(whole) * 3 // 4]})
    with pytest.raises(InvalidInput, match=r"data/tweets\.js: entry 1 \(byte \d+\) is not "
                                           r"closed .*cut short"):
        read_all(path)


def test_a_damaged_manifest_raises_naming_it(tmp_path):
    path = build(tmp_path, {"data/manifest.js": "window.__THAR_CONFIG = {\"userInfo\" : ",
                            "data/tweets.js": ytd("tweets", [])})
    with pytest.raises(InvalidInput, match=r"data/manifest\.js: not valid JSON"):
        read_all(path)


def test_a_malformed_entry_is_a_problem_and_the_others_import(tmp_path):
    path = build(tmp_path, {"data/tweets.js": ytd("tweets", [
        tweet("61", "fine"), tweet("62", "bad time", created="yesterday"),
        {"tweet": {"full_text": "no id"}}, "not an object", tweet("65", "also fine")])})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["61", "65"]
    assert [p.what.split(" (byte")[0] for p in context.problems] == [
        "entry 1", "entry 2", "entry 3"]
    assert "created_at 'yesterday' is not a time" in context.problems[0].what
    # skipped entries would look deleted in a later import: nothing is claimed complete
    assert context.complete_kinds == set()


def test_a_malformed_message_is_a_problem_and_the_others_import(tmp_path):
    conversation = {"dmConversation": {"conversationId": "42-1", "messages": [
        {"messageCreate": {"text": "no time", "senderId": "42", "id": "81"}},
        {"messageCreate": {"text": "fine", "senderId": "42", "id": "82", "recipientId": "1",
                           "createdAt": "2025-01-05T10:00:00.000Z"}}]}}
    path = build(tmp_path, {"data/direct-messages.js": ytd("direct_messages", [conversation])})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["82"]
    assert "message 0" in context.problems[0].what
    assert Kind.MESSAGE not in context.complete_kinds


def test_observations_are_stamped_with_the_exports_generation_time(tmp_path):
    message = {"dmConversation": {"conversationId": "42-1", "messages": [
        {"messageCreate": {"recipientId": "1", "reactions": [], "urls": [], "mediaUrls": [],
                           "text": "Hello", "senderId": "42", "id": "90",
                           "createdAt": "2025-01-05T10:00:00.000Z"}}]}}
    path = build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js").replace(
            "2025-02-01T09:30:00.000Z", "2024-11-30T23:15:07.000Z"),
        "data/tweets.js": ytd("tweets", [tweet("81", "Snow plan")]),
        "data/direct-messages.js": ytd("direct_messages", [message])})
    observations, context = read_all(path)  # imported on 2025-02-01
    generated = datetime(2024, 11, 30, 23, 15, 7, tzinfo=timezone.utc)
    assert {o.observed_at for o in observations} == {generated}
    assert context.evidence["export_generated_at"] == "2024-11-30T23:15:07.000000Z"


def test_data_files_are_streamed_never_read_whole(tmp_path, monkeypatch):
    import civicarchive.connectors.json_stream as json_stream

    posts = [tweet(str(100 + i), f"Update {i}: " + "é🎉 " * (i % 7)) for i in range(40)]
    text = ytd("tweets", posts)
    path = build(tmp_path, {"data/manifest.js": manifest("data/tweets.js"),
                            "data/tweets.js": text})
    whole = ExportFiles.read

    def read(self, name):
        assert not name.endswith("tweets.js"), "a data file was read whole"
        return whole(self, name)

    monkeypatch.setattr(ExportFiles, "read", read)
    monkeypatch.setattr(json_stream, "CHUNK", 61)  # entries straddle every read
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == [str(100 + i) for i in range(40)]
    assert all(json.loads(o.raw) == p and o.raw.decode() in text
               for o, p in zip(observations, posts))
    assert context.problems == []


def test_kinds_the_manifest_lists_but_the_export_lacks_are_not_complete(tmp_path):
    path = build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js", "data/tweets-part1.js",
                                     "data/direct-messages.js"),
        "data/tweets.js": ytd("tweets", [tweet("71", "part zero only")]),
        "data/direct-messages.js": ytd("direct_messages", [])})
    observations, context = read_all(path)
    assert [o.native_id for o in observations] == ["71"]
    assert observations[0].author == "cityofexample"  # from the manifest's userInfo
    assert context.complete_kinds == {Kind.MESSAGE}
    assert "data/tweets-part1.js" in context.problems[0].what


# -- end to end -------------------------------------------------------------------------------

def test_import_through_the_archive_keeps_edits_deletions_and_absences(archive, account,
                                                                       tmp_path):
    chain = ["1600000000000000001", "1600000000000000002"]
    control = {"editTweetIds": chain, "editableUntil": "2025-01-21T01:00:00.000Z",
               "editsRemaining": "4", "isEditEligible": True}
    edited = [tweet(chain[0], "Libary open", "Tue Jan 21 00:00:00 +0000 2025",
                    edit_info={"initial": control}),
              tweet(chain[1], "Library open", "Tue Jan 21 00:04:00 +0000 2025",
                    edit_info={"edit": {"initialTweetId": chain[0],
                                        "editControlInitial": control}})]
    photo = {"media_url_https": "https://pbs.twimg.com/media/P.jpg", "type": "photo"}
    reply = tweet("12", "@resident1 Noted", in_reply_to_status_id_str="5")
    message = {"dmConversation": {"conversationId": "42-1", "messages": [
        {"messageCreate": {"recipientId": "1", "reactions": [], "urls": [], "mediaUrls": [],
                           "text": "Hello", "senderId": "42", "id": "90",
                           "createdAt": "2025-01-05T10:00:00.000Z"}}]}}

    def export(name: str, posts: list) -> Path:
        return build(tmp_path, {
            "data/manifest.js": manifest("data/tweets.js", "data/direct-messages.js"),
            "data/account.js": ACCOUNT,
            "data/tweets.js": ytd("tweets", posts),
            "data/deleted-tweets.js": ytd("deleted_tweets", [tweet(
                "13", "Oops", deleted_at="Tue Jan 21 05:00:00 +0000 2025")]),
            "data/direct-messages.js": ytd("direct_messages", [message]),
            "data/tweets_media/11-P.jpg": PHOTO}, name)

    first = export("first.zip", [tweet("11", "Parade today",
                                       extended_entities={"media": [photo]}), reply, *edited])
    report = archive.ingesting.import_export(first, account.id).as_dict()
    assert report["format"] == "x" and report["problems"] == []
    assert (report["created"], report["edited"], report["deleted"]) == (6, 1, 1)
    counts = {kind: {event: n for event, n in events.items() if n}
              for kind, events in report["by_kind"].items()}
    assert counts == {"post": {"created": 3, "edited": 1, "deleted": 1},
                      "reply": {"created": 1}, "media": {"created": 1},
                      "message": {"created": 1}}
    assert set(report["complete_kinds"]) == {"post", "reply", "message"}

    assert archive.ingesting.import_export(first, account.id).as_dict()["versions"] == 0

    # a later export: counts moved (not an edit), the reply is gone (deleted by absence)
    later = tweet("11", "Parade today", extended_entities={"media": [photo]},
                  favorite_count="250", retweet_count="40")
    report = archive.ingesting.import_export(export("later.zip", [later, *edited]),
                                             account.id).as_dict()
    assert (report["edited"], report["deleted"], report["absent_marked_deleted"]) == (0, 1, 1)
    assert report["by_kind"]["reply"]["deleted"] == 1
    assert report["by_kind"]["post"]["unchanged"] == 5  # 11, both edits, 13 and its deletion


def versions_by_native_id(archive) -> dict[str, list]:
    import sqlalchemy as sa

    from civicarchive.store import schema as t
    with archive.context.store.read() as conn:
        rows = conn.execute(sa.select(t.items.c.id, t.items.c.native_id)).all()
    return {native_id: archive.reading.history(item_id) for item_id, native_id in rows}


def generated_on(day: str, posts: list, tmp_path: Path, name: str) -> Path:
    return build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js").replace("2025-02-01T09:30:00.000Z",
                                                               f"{day}T09:30:00.000Z"),
        "data/account.js": ACCOUNT, "data/tweets.js": ytd("tweets", posts)}, name)


def test_an_older_export_imported_after_a_newer_one_restores_nothing(archive, account,
                                                                     tmp_path):
    kept = tweet("11", "Parade route", "Mon Jan 06 10:00:00 +0000 2025")
    gone_later = tweet("12", "Wrong hearing date", "Tue Jan 07 10:00:00 +0000 2025")
    newer = generated_on("2025-03-01", [kept], tmp_path, "march.zip")
    older = generated_on("2025-02-01", [kept, gone_later], tmp_path, "february.zip")
    archive.ingesting.import_export(newer, account.id)
    report = archive.ingesting.import_export(older, account.id).as_dict()
    assert (report["created"], report["restored"], report["edited"]) == (1, 0, 0)
    versions = versions_by_native_id(archive)
    # the February sighting of 11 adds nothing; 12, gone by March, is created in February
    assert [(v.event, v.observed_at) for v in versions["11"]] == [
        (Event.CREATED, "2025-03-01T09:30:00.000000Z")]
    assert [(v.event, v.observed_at) for v in versions["12"]] == [
        (Event.CREATED, "2025-02-01T09:30:00.000000Z")]


def test_an_older_export_imported_after_a_newer_one_deletes_nothing(archive, account,
                                                                    tmp_path):
    early = tweet("11", "Parade route", "Mon Jan 06 10:00:00 +0000 2025")
    late = tweet("14", "Snow day", "Thu Feb 20 10:00:00 +0000 2025")
    archive.ingesting.import_export(generated_on("2025-03-01", [early, late], tmp_path,
                                                 "march.zip"), account.id)
    report = archive.ingesting.import_export(generated_on("2025-02-01", [early], tmp_path,
                                                          "february.zip"), account.id).as_dict()
    # 14 did not exist yet in February: its absence from that export is no deletion
    assert report["deleted"] == 0
    assert [v.event for v in versions_by_native_id(archive)["14"]] == [Event.CREATED]


def test_a_generation_time_after_the_import_is_reported_and_not_used(tmp_path):
    # A later real export must still find its edits after this one's versions, and its
    # deletions: a manifest dated 2099 would have put this export's versions after all.
    path = build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js").replace(
            "2025-02-01T09:30:00.000Z", "2099-01-01T00:00:00.000Z"),
        "data/tweets.js": ytd("tweets", [tweet("81", "Snow plan")])})
    observations, context = read_all(path)  # imported on 2025-02-01
    assert {o.observed_at for o in observations} == {EXPORTED}
    assert "export_generated_at" not in context.evidence
    assert [p.what for p in context.problems if "generationDate" in p.what] == [
        "archiveInfo.generationDate dates the export 2099-01-01T00:00:00.000000Z, after "
        "this import; the observations are dated by the import instead"]


def test_a_tweet_id_twice_in_the_export_is_reported(tmp_path):
    # X writes each tweet once: a copy would be imported as another sighting (a copy that
    # differs, as an edit at the same time), which the report must say.
    path = build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js", "data/tweets-part1.js"),
        "data/tweets.js": ytd("tweets", [tweet("81", "Snow plan"), tweet("82", "Parks")]),
        "data/tweets-part1.js": ytd("tweets", [tweet("81", "Snow plan, again")], part=1)})
    _, context = read_all(path)
    assert [p.what for p in context.problems if "more than once" in p.what] == [
        "1 tweet id(s) appear more than once in the export (81); each copy was imported as a "
        "sighting of the same tweet, a copy that differs as an edit: check the export"]
    (tmp_path / "clean").mkdir()
    _, clean = read_all(build(tmp_path / "clean", {
        "data/manifest.js": manifest("data/tweets.js"),
        "data/tweets.js": ytd("tweets", [tweet("81", "Snow plan"), tweet("82", "Parks")])}))
    assert not [p for p in clean.problems if "more than once" in p.what]


# -- whose archive ----------------------------------------------------------------------------

def other_accounts(tmp_path: Path, name: str = "other.zip") -> Path:
    return build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js").replace("cityofexample", "countyof")
        .replace(ACCOUNT_ID, "1500000000000000999"),
        "data/account.js": ACCOUNT.replace("cityofexample", "countyof")
        .replace(ACCOUNT_ID, "1500000000000000999"),
        "data/tweets.js": ytd("tweets", [tweet("77", "County news")])}, name)


def test_an_archive_of_another_account_is_refused_before_anything_is_written(archive, account,
                                                                              tmp_path):
    # It was imported: the county's tweets joined the city's records, and every city
    # tweet the county's archive lacks was recorded deleted.
    own = build(tmp_path, {"data/manifest.js": manifest("data/tweets.js"),
                           "data/tweets.js": ytd("tweets", [tweet("11", "Parade today")])})
    archive.ingesting.import_export(own, account.id)
    before = archive.reading.stats()
    with pytest.raises(InvalidInput, match=r"other\.zip.* archive of @countyof \(account id "
                                           r"1500000000000000999\), but account \d+ is "
                                           r"@cityofexample: pick the account it belongs to"):
        archive.ingesting.import_export(other_accounts(tmp_path), account.id)
    assert archive.reading.stats() == before


def test_an_archive_of_the_account_under_a_new_name_or_its_id_is_its_own(tmp_path):
    renamed = build(tmp_path, {
        "data/manifest.js": manifest("data/tweets.js").replace("cityofexample", "examplecity"),
        "data/screen-name-change.js": ytd("screen_name_change", [{"screenNameChange": {
            "accountId": ACCOUNT_ID, "screenNameChange": {
                "changedAt": "2024-05-01T10:00:00.000Z", "changedFrom": "CityOfExample",
                "changedTo": "examplecity"}}}]),
        "data/tweets.js": ytd("tweets", [tweet("11", "Parade today")])}, "renamed.zip")
    for path, handle, platform_id in ((renamed, "cityofexample", None),
                                      (other_accounts(tmp_path), "anything",
                                       "1500000000000000999")):
        context = ImportContext(account_id=7, observed_at=EXPORTED, handle=handle,
                                platform_id=platform_id)
        with ExportFiles.open(path) as files:
            assert len(list(XArchiveImporter().read(files, context))) == 1
    context = ImportContext(account_id=7, observed_at=EXPORTED, handle="countyof",
                            platform_id=ACCOUNT_ID)  # the handle is the county's, the id not
    with ExportFiles.open(other_accounts(tmp_path, "again.zip")) as files, \
            pytest.raises(InvalidInput, match="archive of @countyof"):
        list(XArchiveImporter().read(files, context))
