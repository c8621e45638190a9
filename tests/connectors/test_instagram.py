"""The Instagram importer, against small exports built here in the shape Instagram writes.

Instagram writes every string as UTF-8 bytes each escaped as \\u00XX and indents its
JSON by two spaces; `instagram_json` does the same, so raw bytes can be compared with
the exact text of each entry.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from civicarchive.connectors import registry
from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.instagram import InstagramImporter
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind

OBSERVED = datetime(2025, 6, 1, tzinfo=timezone.utc)
T1, T2, T3 = 1704103200, 1706781600, 1709287200   # 2024-01-01 10:00, 02-01, 03-01 UTC
JPEG = b"\xff\xd8\xff\xe0 a small jpeg \xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n a small png"
MP4 = b"\x00\x00\x00\x18ftypmp42 a small video"


def mojibake(value: object) -> object:
    """Each UTF-8 byte of every string as its own character, as Instagram writes them."""
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    if isinstance(value, list):
        return [mojibake(v) for v in value]
    if isinstance(value, dict):
        return {mojibake(k): mojibake(v) for k, v in value.items()}
    return value


def instagram_json(value: object) -> str:
    return json.dumps(mojibake(value), indent=2)


def array_file(entries: list[dict]) -> tuple[str, list[str]]:
    """A JSON list file and each entry's exact text in it."""
    texts = [instagram_json(entry) for entry in entries]
    return "[\n" + ",\n".join(texts) + "\n]", texts


def single_post(when: int, uri: str, caption: str) -> dict:
    return {"media": [{"uri": uri, "creation_timestamp": when, "title": caption,
                       "media_metadata": {"photo_metadata": {"exif_data": [{"iso": 100}]}},
                       "cross_post_source": {"source_app": "FB"}}]}


def carousel(when: int, uris: list[str], caption: str) -> dict:
    return {"media": [{"uri": uri, "creation_timestamp": when, "title": "",
                       "media_metadata": {}, "cross_post_source": {"source_app": "FB"}}
                      for uri in uris],
            "title": caption, "creation_timestamp": when}


PROFILE = {"profile_user": [{"title": "", "media_map_data": {}, "string_map_data": {
    "Email": {"href": "", "value": "press@example.gov", "timestamp": 0},
    "Username": {"href": "", "value": "cityofexample", "timestamp": 0},
    "Name": {"href": "", "value": "City of Exämple", "timestamp": 0}}}]}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def zipped(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def new_export(posts: list[dict] | None = None, **extra: str | bytes) -> dict[str, str | bytes]:
    """A newer-era export: your_instagram_activity/media/posts_1.json, media at the root."""
    posts = posts if posts is not None else [
        single_post(T1, "media/posts/202401/111_n_17900000000000001.jpg",
                    "Road closure on Main St this weekend #MainStreet @citytransit."),
        carousel(T2, ["media/posts/202402/222_n_17900000000000002.png",
                      "media/posts/202402/333_n_17900000000000003.mp4"],
                 "Winter festival photos #CityFest")]
    return {"personal_information/personal_information.json": instagram_json(PROFILE),
            "your_instagram_activity/media/posts_1.json": array_file(posts)[0],
            "media/posts/202401/111_n_17900000000000001.jpg": JPEG,
            "media/posts/202402/222_n_17900000000000002.png": PNG,
            "media/posts/202402/333_n_17900000000000003.mp4": MP4,
            **extra}


def read_all(path: Path) -> tuple[list, ImportContext]:
    context = ImportContext(account_id=7, observed_at=OBSERVED)
    with ExportFiles.open(path) as files:
        observations = list(InstagramImporter().read(files, context))
    return observations, context


# What the sample exports hold that the importer does not read: reported, not dropped.
SAMPLE_UNREAD = ("media key 'media_metadata' is not read", "1 file(s) not imported: "
                 "personal_information.json")


def others(context: ImportContext) -> list:
    """The problems besides what the samples hold and the importer does not read."""
    return [p for p in context.problems if not p.what.startswith(SAMPLE_UNREAD)]


def detects(path: Path) -> bool:
    with ExportFiles.open(path) as files:
        return InstagramImporter().detect(files)


# -- detection ---------------------------------------------------------------------------

def test_instagram_detect_new_and_old_layouts(tmp_path):
    assert detects(zipped(tmp_path / "new.zip", new_export()))
    old = {"content/posts_1.json": array_file([single_post(T1, "media/posts/a.jpg", "hi")])[0]}
    assert detects(write(tmp_path / "old", old))
    profile_only = {"personal_information/personal_information.json": instagram_json(PROFILE)}
    assert detects(write(tmp_path / "profile", profile_only))


def test_instagram_detect_refuses_facebook_and_stray_posts_files(tmp_path):
    facebook = {"your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json":
                "[]", "your_facebook_activity/posts/media/Album/1.jpg": JPEG,
                # a Facebook export may hold a posts_*.json under a media folder too
                "your_facebook_activity/posts/media/posts_1.json": "[]"}
    assert not detects(zipped(tmp_path / "facebook.zip", facebook))
    assert not detects(write(tmp_path / "fb-old", {"posts/profile_posts_1.json": "[]"}))
    assert not detects(write(tmp_path / "stray", {"backup/posts_1.json": "[]"}))
    assert not detects(write(tmp_path / "mastodon", {"outbox.json": "{}", "actor.json": "{}"}))


def test_instagram_registry_detects_it_by_shape(tmp_path):
    with ExportFiles.open(zipped(tmp_path / "export.zip", new_export())) as files:
        assert registry.importer("instagram").detect(files)


# -- posts and media ---------------------------------------------------------------------

def test_instagram_single_post_fields_and_exact_raw(tmp_path):
    export = new_export()
    _, texts = array_file([single_post(T1, "media/posts/202401/111_n_17900000000000001.jpg",
                                       "Road closure on Main St this weekend #MainStreet "
                                       "@citytransit.")])
    observations, context = read_all(zipped(tmp_path / "export.zip", export))
    post = observations[0]
    assert post.kind is Kind.POST
    assert post.native_id == f"{T1}:111_n_17900000000000001.jpg"
    assert post.account_id == 7 and post.observed_at == OBSERVED
    assert post.created_at == datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
    assert post.author == "cityofexample" and post.event is None
    assert post.content["text"] == "Road closure on Main St this weekend #MainStreet @citytransit."
    assert post.content["author"] == "cityofexample"
    assert post.content["hashtags"] == ["MainStreet"]
    assert post.content["mentions"] == ["citytransit"]
    assert post.content["cross_post_source"] == "FB"
    assert post.content["attachments"] == [{
        "file": "111_n_17900000000000001.jpg", "media_type": "image/jpeg", "alt": None,
        "created_at": "2024-01-01T10:00:00+00:00"}]
    assert post.raw == texts[0].encode()
    assert post.raw_media_type == "application/json"
    assert post.raw in export["your_instagram_activity/media/posts_1.json"].encode()
    assert context.complete_kinds == {Kind.POST}
    assert others(context) == []


def test_instagram_carousel_caption_and_media_follow_their_post(tmp_path):
    observations, _ = read_all(zipped(tmp_path / "export.zip", new_export()))
    assert [o.kind for o in observations] == [Kind.POST, Kind.MEDIA, Kind.POST, Kind.MEDIA,
                                              Kind.MEDIA]
    carousel_post, first, second = observations[2:]
    assert carousel_post.content["text"] == "Winter festival photos #CityFest"
    assert len(carousel_post.content["attachments"]) == 2
    assert first.native_id == f"{carousel_post.native_id}/222_n_17900000000000002.png"
    assert first.parent_native_id == carousel_post.native_id
    assert (first.raw, first.raw_media_type) == (PNG, "image/png")
    assert first.content == {"file": "222_n_17900000000000002.png", "media_type": "image/png",
                             "alt": None, "size": len(PNG)}
    assert (second.raw, second.raw_media_type) == (MP4, "video/mp4")
    assert observations[1].raw == JPEG


def test_instagram_media_found_when_the_zip_wraps_a_top_folder(tmp_path):
    wrapped = {f"instagram-cityofexample-2025-06-01-Ab12/{name}": data
               for name, data in new_export().items()}
    observations, context = read_all(zipped(tmp_path / "export.zip", wrapped))
    assert sum(o.kind is Kind.MEDIA for o in observations) == 3
    assert others(context) == []


def test_instagram_missing_media_is_a_problem_and_the_post_stays(tmp_path):
    export = new_export()
    del export["media/posts/202402/333_n_17900000000000003.mp4"]
    observations, context = read_all(zipped(tmp_path / "export.zip", export))
    assert [o.kind for o in observations] == [Kind.POST, Kind.MEDIA, Kind.POST, Kind.MEDIA]
    [problem] = others(context)
    assert "333_n_17900000000000003.mp4" in problem.what
    assert problem.where.endswith("your_instagram_activity/media/posts_1.json")
    assert Kind.POST in context.complete_kinds   # the post itself was read


def test_instagram_web_uri_is_an_attachment_not_a_missing_file(tmp_path):
    post = single_post(T1, "media/posts/a.jpg", "see link")
    post["media"].append({"uri": "https://example.gov/flyer.pdf", "creation_timestamp": T1,
                          "title": ""})
    export = {"content/posts_1.json": array_file([post])[0], "media/posts/a.jpg": JPEG}
    observations, context = read_all(write(tmp_path / "old", export))
    assert observations[0].content["attachments"][1]["url"] == "https://example.gov/flyer.pdf"
    assert [o.kind for o in observations] == [Kind.POST, Kind.MEDIA]
    assert others(context) == []


def test_instagram_archived_posts_are_hidden_not_deleted(tmp_path):
    archived = {"ig_archived_post_media": [single_post(T3, "media/archived/999.jpg", "old")]}
    export = new_export(**{
        "your_instagram_activity/media/archived_posts.json": instagram_json(archived),
        "media/archived/999.jpg": JPEG})
    observations, _ = read_all(zipped(tmp_path / "export.zip", export))
    hidden = [o for o in observations if o.event is Event.HIDDEN]
    assert [o.native_id for o in hidden] == [f"{T3}:999.jpg", f"{T3}:999.jpg/999.jpg"]
    assert hidden[0].raw == instagram_json(archived["ig_archived_post_media"][0]).replace(
        "\n", "\n    ").encode()


# -- encoding ----------------------------------------------------------------------------

def test_instagram_mojibake_repaired_in_content_kept_in_raw(tmp_path):
    caption = "Café on the plaza ✓ 🎉 #Été"
    export = new_export([single_post(T1, "media/posts/202401/111_n_17900000000000001.jpg",
                                     caption)])
    observations, _ = read_all(zipped(tmp_path / "export.zip", export))
    assert observations[0].content["text"] == caption
    assert observations[0].content["hashtags"] == ["Été"]
    assert b"Caf\\u00c3\\u00a9" in observations[0].raw


def test_instagram_string_that_does_not_round_trip_stays_as_written(tmp_path):
    entry = '{"media": [{"uri": "media/a.jpg", "creation_timestamp": %d, "title": ' \
            '"Caf\\u00e9 \\u2713"}]}' % T1
    export = {"content/posts_1.json": f"[{entry}]", "media/a.jpg": JPEG}
    observations, _ = read_all(write(tmp_path / "old", export))
    assert observations[0].content["text"] == "Café ✓"
    assert observations[0].raw == entry.encode()


# -- comments ----------------------------------------------------------------------------

OLD_COMMENTS = {"comments_media_comments": [
    {"title": "citytransit", "string_list_data": [
        {"value": "Thanks for the update \u2014 comments_media_comments", "timestamp": T2}]},
    {"title": "libraryofexample", "string_list_data": [
        {"value": "See you at the reading 📚", "timestamp": T3}]}]}

NEW_COMMENTS = [
    {"media_list_data": [{"uri": ""}], "string_map_data": {
        "Comment": {"value": "Détour signs are up @citytransit"},
        "Media Owner": {"value": "citytransit"}, "Time": {"timestamp": T2}}}]


def test_instagram_old_comments_shape_with_exact_nested_raw(tmp_path):
    text = instagram_json(OLD_COMMENTS)
    export = {"content/posts_1.json": array_file([single_post(T1, "media/a.jpg", "x")])[0],
              "media/a.jpg": JPEG, "comments/post_comments.json": text}
    observations, context = read_all(write(tmp_path / "old", export))
    comments = [o for o in observations if o.kind is Kind.COMMENT]
    assert [c.content["text"] for c in comments] == [
        "Thanks for the update \u2014 comments_media_comments", "See you at the reading 📚"]
    assert [c.content["media_owner"] for c in comments] == ["citytransit", "libraryofexample"]
    assert comments[0].created_at == datetime.fromtimestamp(T2, timezone.utc)
    assert comments[0].author == "old"   # no profile file, so the folder's name
    assert comments[0].native_id.startswith(f"comment:{T2}:")
    assert len({c.native_id for c in comments}) == 2
    for comment, entry in zip(comments, OLD_COMMENTS["comments_media_comments"]):
        source = instagram_json(entry).replace("\n", "\n    ")
        assert comment.raw == source.encode() and comment.raw in text.encode()
    assert context.complete_kinds == {Kind.POST, Kind.COMMENT}


def test_instagram_new_comments_shape(tmp_path):
    text, texts = array_file(NEW_COMMENTS)
    export = new_export(**{"your_instagram_activity/comments/post_comments_1.json": text})
    observations, context = read_all(zipped(tmp_path / "export.zip", export))
    [comment] = [o for o in observations if o.kind is Kind.COMMENT]
    assert comment.content == {"text": "Détour signs are up @citytransit",
                               "author": "cityofexample", "media_owner": "citytransit",
                               "hashtags": [], "mentions": ["citytransit"]}
    assert comment.created_at == datetime.fromtimestamp(T2, timezone.utc)
    assert comment.raw == texts[0].encode()
    assert context.complete_kinds == {Kind.POST, Kind.COMMENT}


# -- author ------------------------------------------------------------------------------

def test_instagram_author_from_export_name_or_unknown(tmp_path):
    posts = {"content/posts_1.json": array_file([single_post(T1, "media/a.jpg", "x")])[0],
             "media/a.jpg": JPEG}
    named, _ = read_all(zipped(tmp_path / "instagram-parksdept-2024-05-01-XyZ.zip", posts))
    assert named[0].author == named[0].content["author"] == "parksdept"
    unnamed, _ = read_all(zipped(tmp_path / "download.zip", posts))
    assert unnamed[0].author == "unknown"


# -- malformed input ---------------------------------------------------------------------

def test_instagram_invalid_json_raises_naming_the_file(tmp_path):
    export = new_export(**{"your_instagram_activity/media/posts_1.json": '[{"media": ['})
    with pytest.raises(InvalidInput, match=r"your_instagram_activity/media/posts_1\.json.*"
                                           r"not valid JSON"):
        read_all(zipped(tmp_path / "export.zip", export))


def test_instagram_malformed_entry_is_a_problem_others_import(tmp_path):
    good = single_post(T1, "media/posts/202401/111_n_17900000000000001.jpg", "good")
    export = new_export([good, {"title": "no media"}, {"media": [{"uri": "media/b.jpg",
                                                                  "creation_timestamp": "x"}]}])
    observations, context = read_all(zipped(tmp_path / "export.zip", export))
    assert [o.kind for o in observations] == [Kind.POST, Kind.MEDIA]
    assert [p.what.split(":")[0] for p in others(context)] == [
        "post 2", "post 3", "2 file(s) not imported"]   # the media the export's posts list
    # A post that could not be read must not be marked deleted by a full import.
    assert Kind.POST not in context.complete_kinds


# -- through the archive -----------------------------------------------------------------

def test_instagram_import_through_the_archive(archive, tmp_path):
    account = archive.registry.add_account("instagram", "cityofexample", "agency", actor="clerk")
    first = zipped(tmp_path / "first.zip", new_export())
    report = archive.ingesting.import_export(first, account.id).as_dict()
    assert report["created"] == 5
    assert report["by_kind"]["post"]["created"] == 2
    assert [p for p in report["problems"] if not p["what"].startswith(SAMPLE_UNREAD)] == []
    again = archive.ingesting.import_export(first, account.id).as_dict()
    assert again["unchanged"] == 5 and again["created"] == 0
    # A later export without the carousel: the post is recorded deleted, not forgotten.
    later = new_export([single_post(T1, "media/posts/202401/111_n_17900000000000001.jpg",
                                    "Road closure on Main St this weekend #MainStreet "
                                    "@citytransit.")])
    report = archive.ingesting.import_export(zipped(tmp_path / "later.zip", later), account.id,
                                             format="instagram").as_dict()
    assert report["deleted"] == 1


def test_instagram_unknown_entry_shape_is_reported(tmp_path):
    post = single_post(T1, "media/posts/202401/111_n_17900000000000001.jpg", "Ribbon cutting")
    post["media"][0]["dubbing_info"] = [{"language": "es"}]
    post["boosted_status"] = "promoted"
    comments = {"comments_media_comments": [{"string_map_data": {
        "Comment": {"value": "Thanks!"}, "Time": {"timestamp": T2},
        "Media Owner": {"value": "citytransit"}, "Reaction": {"value": "like"}}}],
        "comments_note": {"value": "an object, not a list"}}
    export = new_export([post], **{
        "your_instagram_activity/comments/post_comments_1.json": instagram_json(comments),
        "your_instagram_activity/saved/saved_posts.json": "[]"})
    observations, context = read_all(zipped(tmp_path / "export.zip", export))
    assert [o.kind for o in observations] == [Kind.POST, Kind.MEDIA, Kind.COMMENT]
    found = {p.what.split(" is not read")[0]: p for p in context.problems}
    assert {"media key 'dubbing_info'", "post key 'boosted_status'",
            "comment field key 'Reaction'",
            "key 'comments_note', which holds no list"} <= set(found)
    assert found["post key 'boosted_status'"].where.endswith("posts_1.json")
    assert "(post 1)" in found["post key 'boosted_status'"].what
    assert "(comment 1)" in found["comment field key 'Reaction'"].what
    assert any(p.what.startswith("1 file(s) not imported: saved_posts.json")
               for p in context.problems)


def test_instagram_json_nested_too_deep_is_a_clear_error(tmp_path):
    export = new_export(**{"your_instagram_activity/media/posts_1.json":
                           "[" * 100_000 + "]" * 100_000})
    with pytest.raises(InvalidInput, match=r"posts_1\.json: JSON nested too deeply"):
        read_all(zipped(tmp_path / "export.zip", export))


def test_instagram_carousel_photos_keep_their_own_captions_where_search_reads(archive,
                                                                             tmp_path):
    # A carousel whose photos each carry a caption of their own (and the post none): the
    # captions were only in the post's attachments, which no search or production reads.
    post = carousel(T2, ["media/posts/202402/222_n_17900000000000002.png",
                         "media/posts/202402/333_n_17900000000000003.mp4"], "")
    post["media"][0]["title"] = "Ice rink at Elm Park"
    post["media"][1]["title"] = "Lantern parade"
    account = archive.registry.add_account("instagram", "cityofexample", "agency",
                                           actor="clerk")
    archive.ingesting.import_export(zipped(tmp_path / "e.zip", new_export([post])),
                                    account.id)
    [rink] = archive.finding.search("rink").hits
    [lantern] = archive.finding.search("lantern").hits
    assert archive.reading.item(rink.item).native_id.endswith("222_n_17900000000000002.png")
    assert archive.reading.item(lantern.item).native_id.endswith("333_n_17900000000000003.mp4")
    # Photos without a caption of their own read as they always did.
    observations, _ = read_all(zipped(tmp_path / "s.zip", new_export()))
    assert [o.content for o in observations if o.kind is Kind.MEDIA] and \
        not any("title" in o.content for o in observations if o.kind is Kind.MEDIA)
