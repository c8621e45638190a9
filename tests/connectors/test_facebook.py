"""Facebook "Download Your Information" exports (JSON), built here in their documented
shapes: posts in each era's file, comments, Messenger threads, media and Facebook's
one-escape-per-UTF-8-byte strings."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone

import pytest

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.facebook import FacebookImporter
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind

OBSERVED = datetime(2025, 3, 1, tzinfo=timezone.utc)
T1, T2, T3 = 1_700_000_000, 1_700_086_400, 1_700_172_800
JPEG = b"\xff\xd8\xff\xe0 photo of the road closure"
PNG = b"\x89PNG\r\n\x1a\n town hall"


def mojibake(text: str) -> str:
    """What Facebook writes for a string: each UTF-8 byte as its own character."""
    return text.encode("utf-8").decode("latin-1")


def dumps(value: object) -> str:
    # json.dumps escapes every non-ASCII character as \u00XX, as Facebook's files do.
    return json.dumps(value, indent=2)


def text_post(seconds: int, text: str, **extra) -> dict:
    return {"timestamp": seconds, "data": [{"post": mojibake(text)}],
            "title": "City of Example updated their status.", **extra}


def photo_post(seconds: int, text: str, uri: str, description: str = "") -> dict:
    media = {"uri": uri, "creation_timestamp": seconds - 60, "title": "Timeline photos",
             "description": mojibake(description)}
    return {"timestamp": seconds, "attachments": [{"data": [{"media": media}]}],
            "data": [{"post": mojibake(text)}],
            "title": "City of Example added a new photo."}


def posts() -> list[dict]:
    return [
        text_post(T3, "Leaf pickup starts Monday #fall. Details: https://city.example/leaves",
                  tags=[{"name": "Public Works"}]),
        {"timestamp": T2, "data": [{"post": mojibake("Café on Main reopens")},
                                   {"update_timestamp": T2 + 3600}],
         "attachments": [{"data": [{"external_context": {"url": "https://news.example/1"}}]},
                         {"data": [{"place": {"name": "Main St", "address": "1 Main St",
                                              "coordinate": {"latitude": 40.5,
                                                             "longitude": -74.25}}}]}],
         "title": "City of Example shared a link."},
        photo_post(T1, "Road closure this weekend", "posts/media/Timeline_1/111_n.jpg",
                   "Barriers on Main St"),
    ]


def comments() -> dict:
    return {"comments_v2": [
        {"timestamp": T2, "data": [{"comment": {"timestamp": T2, "comment": mojibake(
            "Thanks, we’ll post updates"), "author": "City of Example"}}],
         "title": "City of Example replied to Jane Doe's comment."}]}


def group_comments() -> dict:
    return {"group_comments_v2": [
        {"timestamp": T3, "data": [{"comment": {"timestamp": T3, "comment": "Meeting at 7",
                                                "author": "City of Example",
                                                "group": "Example Neighbors"}}],
         "title": "City of Example commented on a post in Example Neighbors."}]}


def thread() -> dict:
    return {"participants": [{"name": mojibake("José Ruiz")}, {"name": "City of Example"}],
            "messages": [
                {"sender_name": "City of Example", "timestamp_ms": T2 * 1000 + 5,
                 "content": "Here is the permit", "type": "Generic",
                 "photos": [{"uri": "messages/inbox/joseruiz_123/photos/9_n.png",
                             "creation_timestamp": T2}],
                 "reactions": [{"reaction": mojibake("👍"), "actor": mojibake("José Ruiz")}]},
                {"sender_name": mojibake("José Ruiz"), "timestamp_ms": T1 * 1000,
                 "content": "Where do I get a permit?", "type": "Generic"},
                {"sender_name": mojibake("José Ruiz"), "timestamp_ms": T1 * 1000 + 7,
                 "is_unsent": True, "type": "Generic"}],
            "title": mojibake("José Ruiz"), "is_still_participant": True,
            "thread_path": "inbox/joseruiz_123"}


def export(posts_path="posts/your_posts_1.json", post_list=None) -> dict[str, bytes | str]:
    return {
        posts_path: dumps(posts() if post_list is None else post_list),
        "posts/media/Timeline_1/111_n.jpg": JPEG,
        "comments/comments.json": dumps(comments()),
        "groups/your_comments_in_groups.json": dumps(group_comments()),
        "messages/inbox/joseruiz_123/message_1.json": dumps(thread()),
        "messages/inbox/joseruiz_123/photos/9_n.png": PNG,
        "profile_information/profile_information.json": dumps(
            {"profile_v2": {"name": {"full_name": "City of Example"}}}),
    }


def zipped(path, files: dict[str, bytes | str], root: str = ""):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(root + name, data)
    return path


# What the sample export holds that the importer does not read: reported, not dropped.
SAMPLE_UNREAD = ["thread key 'is_still_participant' is not read",
                 "1 file(s) not imported: profile_information.json"]


def unread(context) -> list[str]:
    return [p.what for p in context.problems
            if not any(p.what.startswith(known) for known in SAMPLE_UNREAD)]


def read(path):
    context = ImportContext(1, OBSERVED)
    with ExportFiles.open(path) as files:
        return list(FacebookImporter().read(files, context)), context


def by_id(observations) -> dict:
    return {o.native_id: o for o in observations}


# -- detection --------------------------------------------------------------------------

@pytest.mark.parametrize("posts_path", [
    "posts/your_posts_1.json",
    "your_activity_across_facebook/posts/your_posts_1.json",
    "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json",
    "profile_posts_1.json",
])
def test_facebook_detects_and_reads_posts_of_every_era(tmp_path, posts_path):
    path = zipped(tmp_path / "export.zip", {posts_path: dumps([text_post(T1, "Hello")])})
    with ExportFiles.open(path) as files:
        assert FacebookImporter().detect(files)
    [post], context = read(path)
    assert post.kind == Kind.POST and post.content["text"] == "Hello"
    assert context.complete_kinds == {Kind.POST}


def test_facebook_detects_comments_or_messages_alone(tmp_path):
    only_comments = zipped(tmp_path / "c.zip", {"comments/comments.json": dumps(comments())})
    only_thread = zipped(tmp_path / "m.zip", {
        "messages/inbox/joseruiz_123/message_1.json": dumps(thread())})
    for path in (only_comments, only_thread):
        with ExportFiles.open(path) as files:
            assert FacebookImporter().detect(files)


def test_facebook_says_no_to_instagram_and_other_exports(tmp_path):
    instagram = zipped(tmp_path / "ig.zip", {
        "content/posts_1.json": dumps([]),
        "messages/inbox/joseruiz_123/message_1.json": dumps(thread()),
        "personal_information/personal_information.json": dumps({"profile_user": []})})
    newer_instagram = zipped(tmp_path / "ig2.zip", {
        "your_instagram_activity/messages/inbox/joseruiz_123/message_1.json": dumps(thread())})
    other = tmp_path / "other"
    other.mkdir()
    (other / "tweets.js").write_text("window.YTD.tweets.part0 = []")
    (other / "comments.json").write_text(dumps([{"text": "not facebook"}]))
    for path in (instagram, newer_instagram, other):
        with ExportFiles.open(path) as files:
            assert not FacebookImporter().detect(files)


# -- posts ------------------------------------------------------------------------------

def test_facebook_posts_are_normalised(tmp_path):
    observations, context = read(zipped(tmp_path / "export.zip", export()))
    leaves, cafe, closure = [o for o in observations if o.kind == Kind.POST]
    assert leaves.created_at == datetime.fromtimestamp(T3, timezone.utc)
    assert leaves.native_id.startswith(f"{T3}-") and leaves.author == "City of Example"
    assert leaves.content["hashtags"] == ["fall"]
    assert leaves.content["urls"] == ["https://city.example/leaves"]
    assert leaves.content["tags"] == ["Public Works"]
    assert leaves.content["edited_at"] is None and leaves.observed_at == OBSERVED
    assert cafe.content["text"] == "Café on Main reopens"  # mojibake repaired
    assert cafe.content["edited_at"] == "2023-11-15T23:13:20.000000Z"
    assert cafe.content["urls"] == ["https://news.example/1"]
    assert cafe.content["place"] == {"name": "Main St", "address": "1 Main St", "url": None,
                                     "latitude": "40.5", "longitude": "-74.25"}
    assert closure.content["attachments"] == [{
        "file": "111_n.jpg", "media_type": "image/jpeg", "alt": None,
        "title": "Timeline photos", "description": "Barriers on Main St",
        "created_at": "2023-11-14T22:12:20.000000Z"}]
    assert [p.what.split(" (")[0].split(";")[0] for p in context.problems] == [
        "thread key 'is_still_participant' is not read",
        "1 file(s) not imported: profile_information.json"]
    assert "message_1.json" in context.problems[0].where
    assert "(top level)" in context.problems[0].what


def test_facebook_post_raw_is_the_exports_own_bytes(tmp_path):
    written = dumps(posts())
    observations, _ = read(zipped(tmp_path / "export.zip", {"posts/your_posts_1.json": written}))
    cafe = [o for o in observations if o.kind == Kind.POST][1]
    source = cafe.raw.decode("utf-8")
    assert source in written and source.startswith("{") and source.endswith("}")
    assert "\\u00c3\\u00a9" in source  # still Facebook's escapes, byte for byte
    assert json.loads(source) == posts()[1]


def test_facebook_2018_posts_in_an_object_keep_exact_bytes(tmp_path):
    written = dumps({"status_updates": [text_post(T1, "Old format, \"status_updates\": []")]})
    [post], _ = read(zipped(tmp_path / "e.zip", {"posts/your_posts.json": written}))
    assert post.content["text"] == 'Old format, "status_updates": []'
    assert post.raw.decode() in written and json.loads(post.raw) == \
        json.loads(written)["status_updates"][0]


def test_facebook_edited_post_keeps_its_native_id(tmp_path):
    before, _ = read(zipped(tmp_path / "a.zip", export()))
    edited = posts()
    edited[2]["data"] = [{"post": "Road closure this weekend, now until Monday"},
                         {"update_timestamp": T1 + 999}]
    after, _ = read(zipped(tmp_path / "b.zip", export(post_list=edited)))
    ids = [o.native_id for o in before if o.kind == Kind.POST]
    assert ids == [o.native_id for o in after if o.kind == Kind.POST]
    assert by_id(after)[ids[2]].content["text"] != by_id(before)[ids[2]].content["text"]


def test_facebook_posts_of_one_second_get_distinct_ids(tmp_path):
    same = [text_post(T1, "First"), text_post(T1, "Second"),
            photo_post(T1, "", "posts/media/a.jpg"), photo_post(T1, "", "posts/media/b.jpg")]
    observations, context = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps(same), "posts/media/a.jpg": JPEG,
        "posts/media/b.jpg": JPEG}))
    ids = [o.native_id for o in observations if o.kind == Kind.POST]
    assert len(set(ids)) == 4 and all(i.startswith(f"{T1}-") for i in ids)
    again, _ = read(zipped(tmp_path / "f.zip", {
        "posts/your_posts_1.json": dumps(same), "posts/media/a.jpg": JPEG,
        "posts/media/b.jpg": JPEG}))
    assert ids == [o.native_id for o in again if o.kind == Kind.POST]


def test_facebook_string_that_does_not_round_trip_is_left_alone(tmp_path):
    # Already-proper text (a real "€", beyond latin-1) is not mangled by the repair.
    [post], _ = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([{"timestamp": T1, "data": [{"post": "Fee: 5 €"}]}])}))
    assert post.content["text"] == "Fee: 5 €"


# -- media ------------------------------------------------------------------------------

def test_facebook_media_follow_their_post(tmp_path):
    observations, _ = read(zipped(tmp_path / "export.zip", export(), root="facebook-city/"))
    posts_and_media = [o for o in observations if o.kind in (Kind.POST, Kind.MEDIA)]
    closure, photo = posts_and_media[2], posts_and_media[3]
    assert photo.kind == Kind.MEDIA and photo.raw == JPEG
    assert photo.native_id == f"{closure.native_id}/111_n.jpg"
    assert photo.parent_native_id == closure.native_id
    assert photo.raw_media_type == "image/jpeg"
    assert photo.content == {"file": "111_n.jpg", "media_type": "image/jpeg", "alt": None,
                             "size": len(JPEG), "title": "Timeline photos",
                             "description": "Barriers on Main St"}
    assert photo.created_at == datetime.fromtimestamp(T1 - 60, timezone.utc)


def test_facebook_missing_media_is_a_problem_not_an_error(tmp_path):
    files = export()
    del files["posts/media/Timeline_1/111_n.jpg"]
    observations, context = read(zipped(tmp_path / "export.zip", files))
    assert len([o for o in observations if o.kind == Kind.POST]) == 3
    assert [o.content["file"] for o in observations if o.kind == Kind.MEDIA] == ["9_n.png"]
    [problem] = [p for p in context.problems if "media" in p.what]
    assert "111_n.jpg" in problem.what and "your_posts_1.json" in problem.where
    assert Kind.POST in context.complete_kinds


# -- comments and messages --------------------------------------------------------------

def test_facebook_comments_and_group_comments(tmp_path):
    observations, context = read(zipped(tmp_path / "export.zip", export()))
    reply, group = [o for o in observations if o.kind == Kind.COMMENT]
    assert reply.native_id.startswith(f"comment/{T2}-")
    assert reply.content["text"] == "Thanks, we’ll post updates"
    assert reply.author == "City of Example"
    assert reply.content["title"] == "City of Example replied to Jane Doe's comment."
    assert reply.created_at == datetime.fromtimestamp(T2, timezone.utc)
    assert group.content["group"] == "Example Neighbors"
    assert json.loads(reply.raw) == comments()["comments_v2"][0]
    assert context.complete_kinds == {Kind.POST, Kind.COMMENT, Kind.MESSAGE}


def test_facebook_messenger_thread(tmp_path):
    observations, _ = read(zipped(tmp_path / "export.zip", export()))
    messages = [o for o in observations if o.kind == Kind.MESSAGE]
    reply, question, unsent = messages
    assert reply.native_id == f"joseruiz_123/{T2 * 1000 + 5}/City of Example"
    assert question.native_id == f"joseruiz_123/{T1 * 1000}/José Ruiz"
    assert {m.parent_native_id for m in messages} == {"joseruiz_123"}
    assert question.author == "José Ruiz"
    assert reply.content["thread"] == "José Ruiz"
    assert reply.content["participants"] == ["José Ruiz", "City of Example"]
    assert reply.content["reactions"] == [{"reaction": "👍", "actor": "José Ruiz"}]
    assert reply.created_at == datetime.fromtimestamp(T2, timezone.utc).replace(microsecond=5000)
    assert json.loads(question.raw) == thread()["messages"][1]
    assert unsent.event == Event.DELETED and unsent.content is None
    photo = observations[observations.index(reply) + 1]
    assert photo.kind == Kind.MEDIA and photo.raw == PNG
    assert photo.parent_native_id == reply.native_id and photo.content["file"] == "9_n.png"


def test_facebook_thread_split_over_files_reads_both(tmp_path):
    older = thread() | {"messages": [{"sender_name": "City of Example",
                                      "timestamp_ms": 1_600_000_000_000, "content": "Hi"}]}
    files = export() | {"messages/inbox/joseruiz_123/message_2.json": dumps(older)}
    observations, _ = read(zipped(tmp_path / "export.zip", files))
    ids = [o.native_id for o in observations if o.kind == Kind.MESSAGE]
    assert len(ids) == 4 and ids[-1] == "joseruiz_123/1600000000000/City of Example"


# -- what goes wrong --------------------------------------------------------------------

def test_facebook_malformed_file_raises_naming_it(tmp_path):
    files = export() | {"comments/comments.json": '{"comments_v2": [{"timestamp": 1'}
    with pytest.raises(InvalidInput, match=r"comments/comments\.json: not valid JSON"):
        read(zipped(tmp_path / "export.zip", files))


def test_facebook_malformed_entry_is_a_problem_and_the_rest_import(tmp_path):
    broken = posts()
    broken.insert(1, {"timestamp": "yesterday", "data": [{"post": "no time"}]})
    observations, context = read(zipped(tmp_path / "export.zip", export(post_list=broken)))
    assert len([o for o in observations if o.kind == Kind.POST]) == 3
    [problem] = unread(context)
    problem = next(p for p in context.problems if p.what == problem)
    assert problem.what.startswith("post 2:") and "yesterday" in problem.what
    # A post could not be read, so the export cannot vouch that absent posts are gone.
    assert context.complete_kinds == {Kind.COMMENT, Kind.MESSAGE}


def test_facebook_only_claims_kinds_it_holds(tmp_path):
    _, context = read(zipped(tmp_path / "e.zip", {"posts/your_posts_1.json": dumps(posts())}))
    assert context.complete_kinds == {Kind.POST}


# -- through the archive ----------------------------------------------------------------

def test_facebook_import_through_the_archive(archive, tmp_path):
    account = archive.registry.add_account("facebook", "cityofexample", "agency", actor="clerk")
    first = zipped(tmp_path / "first.zip", export())
    report = archive.ingesting.import_export(first, account.id).as_dict()
    assert report["format"] == "facebook" and len(report["problems"]) == len(SAMPLE_UNREAD)
    # 3 posts + 1 photo, 2 comments, 3 messages + 1 photo
    assert report["created"] == 9 and report["deleted"] == 1  # the unsent message
    assert report["by_kind"]["post"]["created"] == 3
    assert report["by_kind"]["media"]["created"] == 2
    again = archive.ingesting.import_export(first, account.id).as_dict()
    assert again["unchanged"] == 10 and again["created"] == 0 and again["deleted"] == 0
    edited = posts()[:2]
    edited[0]["data"] = [{"post": "Leaf pickup starts Tuesday"}, {"update_timestamp": T3 + 60}]
    later = archive.ingesting.import_export(zipped(tmp_path / "later.zip",
                                                   export(post_list=edited)),
                                            account.id).as_dict()
    assert later["edited"] == 1
    assert later["deleted"] == 1 and later["absent_marked_deleted"] == 1  # the closure post


# -- shapes that were dropped before ----------------------------------------------------

def test_facebook_comments_file_that_is_a_bare_list(tmp_path):
    entries = comments()["comments_v2"]
    path = zipped(tmp_path / "e.zip", {
        "your_facebook_activity/comments_and_reactions/comments.json": dumps(entries)})
    with ExportFiles.open(path) as files:
        assert FacebookImporter().detect(files)
    [reply], context = read(path)
    assert reply.kind == Kind.COMMENT and reply.content["text"] == "Thanks, we’ll post updates"
    assert json.loads(reply.raw) == entries[0]
    assert context.complete_kinds == {Kind.COMMENT} and context.problems == []


def test_facebook_comments_object_without_a_known_key_is_a_problem(tmp_path):
    path = zipped(tmp_path / "e.zip", {"posts/your_posts_1.json": dumps([text_post(T1, "Hi")]),
                                       "comments/comments.json": dumps({"replies_v3": []})})
    _, context = read(path)
    assert any("comments.json" in p.where and "none of comments_v2" in p.what
               for p in context.problems)
    assert any("'replies_v3'" in p.what for p in context.problems)
    assert context.complete_kinds == {Kind.POST}


def note_post() -> dict:
    note = {"title": "Budget notes", "text": mojibake("Café budget: €2M"),
            "media": [{"uri": "posts/media/your_posts/77_n.jpg", "creation_timestamp": T1}],
            "created_timestamp": T1, "updated_timestamp": T2, "tags": [{"name": "Finance"}]}
    return {"timestamp": T1, "attachments": [{"data": [{"note": note}]}], "data": []}


def test_facebook_note_attachment_is_read_with_its_media(tmp_path):
    observations, context = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([note_post()]),
        "posts/media/your_posts/77_n.jpg": JPEG}))
    post, photo = observations
    assert post.content["text"] == "Budget notes\n\nCafé budget: €2M"
    assert post.content["note"] == {"title": "Budget notes", "text": "Café budget: €2M",
                                    "created_at": "2023-11-14T22:13:20.000000Z",
                                    "updated_at": "2023-11-15T22:13:20.000000Z",
                                    "tags": ["Finance"]}
    assert [a["file"] for a in post.content["attachments"]] == ["77_n.jpg"]
    assert photo.kind == Kind.MEDIA and photo.raw == JPEG
    assert photo.parent_native_id == post.native_id
    assert context.problems == []


def test_facebook_post_without_a_note_keeps_its_content_shape(tmp_path):
    [post], _ = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([text_post(T1, "Hello")])}))
    assert "note" not in post.content and "links" not in post.content


def test_facebook_named_link_without_url_is_kept(tmp_path):
    saved = {"timestamp": T1, "data": [], "attachments": [
        {"data": [{"external_context": {"name": "Example Bakery", "source": "facebook.com"}}]}]}
    [post], context = read(zipped(tmp_path / "e.zip", {"posts/your_posts_1.json": dumps([saved])}))
    assert post.content["links"] == [{"name": "Example Bakery", "source": "facebook.com",
                                      "url": None}]
    assert context.problems == []


def test_facebook_message_sticker_is_media_when_the_file_is_there(tmp_path):
    sticker = {"sender_name": "City of Example", "timestamp_ms": T3 * 1000, "type": "Generic",
               "sticker": {"uri": "messages/stickers_used/39_n.png"}}
    threads = thread() | {"messages": [sticker, sticker | {"timestamp_ms": T3 * 1000 + 1,
                                                           "sticker": {"uri": "gone.png"}}]}
    observations, context = read(zipped(tmp_path / "e.zip", {
        "messages/inbox/joseruiz_123/message_1.json": dumps(threads),
        "messages/stickers_used/39_n.png": PNG}))
    first, image, second = observations
    assert first.content["sticker"] == "messages/stickers_used/39_n.png"
    assert image.kind == Kind.MEDIA and image.raw == PNG
    assert image.parent_native_id == first.native_id
    assert second.kind == Kind.MESSAGE
    assert any("gone.png" in p.what and "not in the export" in p.what for p in context.problems)


def test_facebook_unknown_entry_shape_is_reported_with_file_and_entry(tmp_path):
    odd = text_post(T2, "Vote on the park name", poll_id=7)
    odd["attachments"] = [{"data": [{"poll": {"options": ["Oak", "Elm"]}}]}]
    observations, context = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([text_post(T1, "Hi"), odd])}))
    assert len(observations) == 2   # the entry is still read, and its bytes kept whole
    found = {p.what.split(" is not read")[0]: p for p in context.problems}
    assert "attachment key 'poll'" in found and "post key 'poll_id'" in found
    assert found["attachment key 'poll'"].where.endswith("your_posts_1.json")
    assert "(post 2)" in found["attachment key 'poll'"].what


def test_facebook_files_not_read_are_reported_by_folder(tmp_path):
    path = zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([text_post(T1, "Hi")]),
        "ads_information/advertisers.json": "{}", "ads_information/other.json": "{}",
        "posts/album/1.json": "{}"})
    _, context = read(path)
    by_where = {p.where.rsplit(":", 1)[-1]: p.what for p in context.problems}
    assert by_where == {
        "ads_information/": "2 file(s) not imported: advertisers.json, other.json",
        "posts/album/": "1 file(s) not imported: 1.json"}


def test_facebook_json_nested_too_deep_is_a_clear_error(tmp_path):
    deep = '{"comments_v2": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(InvalidInput, match=r"comments\.json: JSON nested too deeply"):
        read(zipped(tmp_path / "e.zip", {"comments/comments.json": deep}))


def test_facebook_posts_of_one_second_keep_their_ids_in_any_order_and_alone(tmp_path):
    # Facebook gives posts no id: two made in one second share time and attachments. If
    # only the second were told apart, a later export without the first would give the
    # second the first's id: a false edit (its words shown as the other's) and a false
    # deletion. Every entry sharing an id is told apart by its text, in any order.
    alpha, beta = text_post(T1, "Alpha announcement"), text_post(T1, "Beta announcement")

    def ids(posts: list, name: str) -> dict[str, str]:
        found, _ = read(zipped(tmp_path / name, {"posts/your_posts_1.json": dumps(posts)}))
        return {o.content["text"]: o.native_id for o in found if o.kind == Kind.POST}
    both = ids([alpha, beta], "a.zip")
    assert both == ids([beta, alpha], "b.zip") and len(set(both.values())) == 2
    alone = ids([beta], "c.zip")
    assert both["Alpha announcement"] not in alone.values()
    assert alone == ids([beta], "d.zip")  # (and a lone post keeps the plain id)
    assert alone["Beta announcement"] == f"{T1}-" + alone["Beta announcement"].split("-")[1]


def test_facebook_comments_of_one_second_are_told_apart_in_any_order(tmp_path):
    def comment(text: str) -> dict:
        return {"timestamp": T1, "title": "City of Example commented on a post.",
                "data": [{"comment": {"timestamp": T1, "comment": text,
                                      "author": "City of Example"}}]}

    def ids(entries: list, name: str) -> dict[str, str]:
        found, _ = read(zipped(tmp_path / name, {
            "comments/comments.json": dumps({"comments_v2": entries})}))
        return {o.content["text"]: o.native_id for o in found if o.kind == Kind.COMMENT}
    one, other = comment("Thanks, fixed"), comment("See the agenda")
    assert ids([one, other], "a.zip") == ids([other, one], "b.zip")


def test_facebook_post_parts_of_an_unknown_shape_are_reported_not_dropped(tmp_path):
    not_text = {"timestamp": T1, "data": [{"post": ["Words in a list"]}]}
    not_lists = {"timestamp": T2, "data": {"post": "Words in an object"},
                 "attachments": {"data": [{"media": {"uri": "posts/media/1_n.jpg"}}]}}
    two_texts = {"timestamp": T3, "data": [{"post": "First words"}, {"post": "More words"}]}
    observations, context = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([not_text, not_lists, two_texts])}))
    assert [o.content["text"] for o in observations] == ["", "", "First words"]
    found = {p.what.split(" is not read")[0]: p.what for p in context.problems}
    assert "(post 1)" in found["a 'post' that is not text"]
    assert "(post 2)" in found["'data' that is not a list"]
    assert "(post 2)" in found["'attachments' that is not a list"]
    assert "(post 3)" in found["a 'post' after the first in data"]


def test_facebook_posts_object_with_other_keys_reports_them(tmp_path):
    written = dumps({"status_updates": [text_post(T1, "Read")],
                     "other_updates": [text_post(T2, "Not read")], "count": 2})
    [post], context = read(zipped(tmp_path / "e.zip", {"posts/your_posts.json": written}))
    assert post.content["text"] == "Read"
    found = {p.what.split(" is not read")[0]: p for p in context.problems}
    assert {"posts file key 'other_updates'", "posts file key 'count'"} <= set(found)
    assert found["posts file key 'count'"].where.endswith("your_posts.json")


def test_facebook_attachment_media_without_a_file_is_reported_with_what_it_says(tmp_path):
    # Meta writes a media entry without a uri when the file is gone from its servers: its
    # title and description were dropped with it, and nothing said so.
    gone = {"timestamp": T1, "data": [{"post": "Ribbon cutting"}], "attachments": [
        {"data": [{"media": {"title": "Mayor at the ribbon", "description": "Elm Park"}}]}]}
    in_note = {"timestamp": T2, "data": [{"post": "Minutes"}], "attachments": [{"data": [
        {"note": {"title": "Minutes", "text": "Approved.", "media": [{"title": "Scan"}]}}]}]}
    observations, context = read(zipped(tmp_path / "e.zip", {
        "posts/your_posts_1.json": dumps([gone, in_note])}))
    assert [o.content["text"] for o in observations] == ["Ribbon cutting", "Minutes"]
    found = {p.what.split(" is not read")[0]: p.what for p in context.problems}
    assert "(post 1)" in found["attachment media without a uri, key 'title'"]
    assert "(post 1)" in found["attachment media without a uri, key 'description'"]
    assert "(post 2)" in found["note media without a uri, key 'title'"]
