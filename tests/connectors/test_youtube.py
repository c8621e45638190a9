"""The YouTube Takeout importer, over small exports built here in the shape Takeout writes."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone

import pytest

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.youtube import YouTubeTakeoutImporter, comment_text
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Event, Kind

ROOT = "Takeout/YouTube and YouTube Music"
OBSERVED = datetime(2026, 2, 1, tzinfo=timezone.utc)
CHANNEL = "UCcityofexample0000000000"

CHANNEL_CSV = (
    "Channel ID,Channel Title (Original),Channel Visibility\n"
    f"{CHANNEL},City of Example,Public\n")

VIDEO_ROW_1 = (
    f'vid00000001,"Council meeting: March 4",'
    '"Full recording of the March 4 meeting.\nAgenda: https://example.gov/agenda #council",'
    f'News & Politics,Public,Processed,2025-03-04T18:00:00Z,2025-03-04T20:00:00+00:00,'
    f'{CHANNEL},5400000')
VIDEO_ROW_2 = (
    f"vid00000002,Snow plow update,,News & Politics,Unlisted,Processed,"
    f"2025-01-10T09:30:00.123456+00:00,,{CHANNEL},61000")
VIDEOS_CSV = (
    "Video ID,Video Title (Original),Video Description (Original),Video Category,Privacy,"
    "Video State,Video Create Timestamp,Video Publish Timestamp,Channel ID,"
    "Approx Duration (ms)\n"
    f"{VIDEO_ROW_1}\n{VIDEO_ROW_2}\n")

COMMENT_NEW = (
    f'UgxC1,{CHANNEL},2025-03-05T10:00:00Z,0,,,vid00000001,'
    '"{""text"":""Thanks for watching, ""},{""text"":""@resident"",""mention"":'
    '{""externalChannelId"":""UCresident""}},{""text"":"" minutes: ""},'
    '{""text"":""example.gov/minutes"",""link"":{""linkUrl"":""https://example.gov/minutes""}}"')
COMMENT_REPLY = (
    f'UgxC0.R1,{CHANNEL},2025-03-06T08:15:00+01:00,0,UgxC0,,vidOTHER0001,'
    '"{""text"":""We will look into it.\\nCall 311 #roads""}"')
COMMENT_POST = f'UgxC2,{CHANNEL},2025-04-01T12:00:00Z,0,,UgkxPOST1,,"Plain text, old style"'
COMMENTS_CSV = (
    "Comment ID,Channel ID,Comment Create Timestamp,Price,Parent Comment ID,Post ID,"
    "Video ID,Comment Text\n"
    f"{COMMENT_NEW}\n{COMMENT_REPLY}\n{COMMENT_POST}\n\n\n")


def takeout(tmp_path, files: dict[str, str | bytes], name: str = "takeout-001.zip"):
    """A Takeout zip holding `files` under the YouTube folder."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for inner, data in files.items():
            archive.writestr(f"{ROOT}/{inner}", data)
    return path


def standard(tmp_path, **extra):
    return takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV,
                              "video metadata/videos.csv": VIDEOS_CSV,
                              "comments/comments.csv": COMMENTS_CSV, **extra})


def run(path):
    context = ImportContext(account_id=7, observed_at=OBSERVED)
    with ExportFiles.open(path) as files:
        observations = list(YouTubeTakeoutImporter().read(files, context))
    return observations, context


def by_id(observations):
    return {o.native_id: o for o in observations}


# -- detection ------------------------------------------------------------------------------

def test_youtube_detects_takeout_zip_and_folder(tmp_path):
    importer = YouTubeTakeoutImporter()
    with ExportFiles.open(standard(tmp_path)) as files:
        assert importer.detect(files)
    folder = tmp_path / "unzipped" / "Takeout" / "YouTube and YouTube Music" / "Comments"
    folder.mkdir(parents=True)
    (folder / "Comments.csv").write_text(COMMENTS_CSV)
    with ExportFiles.open(tmp_path / "unzipped") as files:
        assert importer.detect(files)


def test_youtube_does_not_detect_other_exports(tmp_path):
    (tmp_path / "fb" / "your_activity" / "comments").mkdir(parents=True)
    (tmp_path / "fb" / "your_activity" / "comments" / "comments.json").write_text("{}")
    (tmp_path / "fb" / "videos.csv").write_text("Video ID\n")   # not in "video metadata"
    (tmp_path / "mastodon").mkdir()
    (tmp_path / "mastodon" / "outbox.json").write_text('{"orderedItems": []}')
    importer = YouTubeTakeoutImporter()
    for folder in ("fb", "mastodon"):
        with ExportFiles.open(tmp_path / folder) as files:
            assert not importer.detect(files)


# -- entries --------------------------------------------------------------------------------

def test_youtube_channel_becomes_a_profile(tmp_path):
    observations, _ = run(standard(tmp_path))
    profile = observations[0]
    assert profile.kind is Kind.PROFILE and profile.native_id == CHANNEL
    assert profile.content["title"] == "City of Example"
    assert profile.content["visibility"] == "public"
    assert profile.url == f"https://www.youtube.com/channel/{CHANNEL}"
    assert profile.raw == f"{CHANNEL},City of Example,Public".encode()


def test_youtube_videos_become_posts_with_exact_raw_rows(tmp_path):
    observations, context = run(standard(tmp_path))
    posts = [o for o in observations if o.kind is Kind.POST]
    assert [p.native_id for p in posts] == ["vid00000001", "vid00000002"]
    meeting, plow = posts
    assert meeting.raw.decode() == VIDEO_ROW_1          # a multi-line quoted cell stays whole
    assert meeting.raw_media_type == "text/csv"
    assert meeting.url == "https://www.youtube.com/watch?v=vid00000001"
    assert meeting.created_at == datetime(2025, 3, 4, 18, 0, tzinfo=timezone.utc)
    assert meeting.author == CHANNEL and meeting.account_id == 7
    assert meeting.observed_at == OBSERVED
    assert meeting.content["title"] == "Council meeting: March 4"
    assert meeting.content["description"].startswith("Full recording of the March 4 meeting.\n")
    assert meeting.content["text"].startswith("Council meeting: March 4\n\nFull recording")
    assert meeting.content["visibility"] == "public"
    assert meeting.content["published_at"] == "2025-03-04T20:00:00.000000Z"
    assert meeting.content["urls"] == ["https://example.gov/agenda"]
    assert meeting.content["hashtags"] == ["council"]
    assert meeting.content["duration_ms"] == 5400000
    assert meeting.event is None
    assert plow.content["visibility"] == "unlisted"
    assert plow.content["text"] == "Snow plow update"
    assert plow.created_at == datetime(2025, 1, 10, 9, 30, 0, 123456, tzinfo=timezone.utc)
    assert plow.content["published_at"] is None
    assert context.problems == []


def test_youtube_comments_and_replies(tmp_path):
    observations, _ = run(standard(tmp_path))
    items = by_id(observations)
    comment = items["UgxC1"]
    assert comment.kind is Kind.COMMENT and comment.parent_native_id == "vid00000001"
    assert comment.content["text"] == "Thanks for watching, @resident minutes: example.gov/minutes"
    assert comment.content["mentions"] == ["UCresident"]
    assert comment.content["urls"] == ["https://example.gov/minutes"]
    assert comment.url == "https://www.youtube.com/watch?v=vid00000001&lc=UgxC1"
    assert comment.raw.decode() == COMMENT_NEW
    reply = items["UgxC0.R1"]
    assert reply.kind is Kind.REPLY and reply.parent_native_id == "UgxC0"
    assert reply.content["reply_to"] == "UgxC0" and reply.content["video_id"] == "vidOTHER0001"
    assert reply.content["text"] == "We will look into it.\nCall 311 #roads"
    assert reply.content["hashtags"] == ["roads"]
    assert reply.created_at == datetime(2025, 3, 6, 7, 15, tzinfo=timezone.utc)
    on_post = items["UgxC2"]
    assert on_post.kind is Kind.COMMENT and on_post.parent_native_id == "UgkxPOST1"
    assert on_post.content["text"] == "Plain text, old style"
    assert on_post.url == "https://www.youtube.com/post/UgkxPOST1?lc=UgxC2"


def test_youtube_comment_text_forms():
    assert comment_text('{"takeoutSegments":[{"text":"old "},{"text":"json"}]}')[0] == "old json"
    assert comment_text('{"text":"a"},{"text":"b"}')[0] == "ab"
    assert comment_text('{"text":"line one\nline two"}')[0] == "line one\nline two"
    assert comment_text("{not json} just braces") == ("{not json} just braces", [], [])
    assert comment_text('{"link":{"linkUrl":"https://x.example/"}}') == \
        ("https://x.example/", ["https://x.example/"], [])


def test_youtube_complete_kinds_follow_the_files_present(tmp_path):
    _, context = run(standard(tmp_path))
    assert context.complete_kinds == {Kind.POST, Kind.COMMENT, Kind.REPLY}
    _, context = run(takeout(tmp_path, {"comments/comments.csv": COMMENTS_CSV}, "c.zip"))
    assert context.complete_kinds == {Kind.COMMENT, Kind.REPLY}
    _, context = run(takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV}, "p.zip"))
    assert context.complete_kinds == set()


def test_youtube_deleted_video_state_is_a_deletion(tmp_path):
    videos = VIDEOS_CSV.replace(",Unlisted,Processed,", ",Private,Deleted,")
    observations, _ = run(takeout(tmp_path, {"video metadata/videos.csv": videos}))
    assert by_id(observations)["vid00000002"].event is Event.DELETED
    assert by_id(observations)["vid00000001"].event is None


# -- header variants and encodings ----------------------------------------------------------

def test_youtube_header_variants_and_column_order(tmp_path):
    comments = (
        "  channel id ,comment  create timestamp,Price,comment id,parent comment id,"
        "video id,COMMENT TEXT\n"
        f'{CHANNEL},2023-04-14T07:39:35.956042+00:00,0,UgyA,,vid00000001,"{{""text"":""hi""}}"\n')
    videos = ("Video ID,Video title,Privacy,video publish timestamp\n"
              "vid00000009,Old era title,Public,2019-05-01T00:00:00Z\n")
    observations, context = run(takeout(tmp_path, {"comments/comments.csv": comments,
                                                   "Video Metadata/Videos.csv": videos}))
    items = by_id(observations)
    assert items["UgyA"].content["text"] == "hi" and items["UgyA"].author == CHANNEL
    assert items["vid00000009"].content["title"] == "Old era title"
    assert items["vid00000009"].created_at == datetime(2019, 5, 1, tzinfo=timezone.utc)
    assert context.problems == []


def test_youtube_bom_crlf_and_non_ascii_keep_exact_bytes(tmp_path):
    row = (f'UgxN,{CHANNEL},2025-05-01T00:00:00Z,0,,vid00000001,'
           '"Grüße aus der Stadt ✓\r\nZeile zwei"')
    text = ("Comment ID,Channel ID,Comment Create Timestamp,Price,Parent Comment ID,Video ID,"
            f"Comment Text\r\n{row}\r\n")
    observations, _ = run(takeout(tmp_path, {"comments/comments.csv":
                                             b"\xef\xbb\xbf" + text.encode()}))
    (comment,) = observations
    assert comment.raw == row.encode("utf-8")
    assert comment.content["text"] == "Grüße aus der Stadt ✓\r\nZeile zwei"


def test_youtube_split_comment_files_are_all_read(tmp_path):
    header = COMMENTS_CSV.split("\n", 1)[0]
    observations, _ = run(takeout(tmp_path, {
        "comments/comments.csv": f"{header}\n{COMMENT_NEW}\n",
        "comments/comments(1).csv": f"{header}\n{COMMENT_POST}\n"}))
    assert sorted(o.native_id for o in observations) == ["UgxC1", "UgxC2"]


# -- problems -------------------------------------------------------------------------------

def test_youtube_missing_required_column_names_file_and_column(tmp_path):
    broken = COMMENTS_CSV.replace("Comment Create Timestamp", "When")
    path = takeout(tmp_path, {"comments/comments.csv": broken})
    with pytest.raises(InvalidInput) as error:
        run(path)
    assert "comments/comments.csv" in str(error.value)
    assert "comment create timestamp" in str(error.value)


def test_youtube_videos_without_any_time_column_are_invalid(tmp_path):
    path = takeout(tmp_path, {"video metadata/videos.csv": "Video ID,Video Title\nv1,T\n"})
    with pytest.raises(InvalidInput, match="videos.csv.*video create timestamp"):
        run(path)


def test_youtube_undecodable_file_is_invalid(tmp_path):
    path = takeout(tmp_path, {"channels/channel.csv": b"Channel ID,Channel Title\nUC1,\xff\xfe\n"})
    with pytest.raises(InvalidInput, match="channel.csv.*not UTF-8"):
        run(path)


def test_youtube_empty_file_is_invalid(tmp_path):
    with pytest.raises(InvalidInput, match="videos.csv.*no header"):
        run(takeout(tmp_path, {"video metadata/videos.csv": ""}))


def test_youtube_malformed_rows_become_problems_and_the_rest_imports(tmp_path):
    header = COMMENTS_CSV.split("\n", 1)[0]
    text = "\n".join([
        header,
        COMMENT_NEW,
        f"UgxBad,{CHANNEL},last Tuesday,0,,,vid00000001,hello",       # unreadable time
        f"UgxNaive,{CHANNEL},2025-03-05T10:00:00,0,,,vid00000001,hi",  # no timezone
        "UgxShort,only,three",                                         # wrong cell count
        f'UgxQ,{CHANNEL},2025-03-05T10:00:00Z,0,,,v,"broken"quote"',   # invalid CSV
        COMMENT_POST,
    ]) + "\n"
    observations, context = run(takeout(tmp_path, {"comments/comments.csv": text}))
    assert sorted(o.native_id for o in observations) == ["UgxC1", "UgxC2"]
    assert by_id(observations)["UgxC2"].raw.decode() == COMMENT_POST
    wheres = [p.where for p in context.problems]
    assert len(wheres) == 4
    assert all("comments/comments.csv, line " in w for w in wheres)
    assert [w.rsplit(" ", 1)[1] for w in wheres] == ["3", "4", "5", "6"]
    assert "UgxBad" in context.problems[0].what and "skipped" in context.problems[0].what


def test_youtube_unparseable_video_time_is_a_problem(tmp_path):
    videos = VIDEOS_CSV.replace("2025-01-10T09:30:00.123456+00:00", "soon")
    observations, context = run(takeout(tmp_path, {"video metadata/videos.csv": videos}))
    assert [o.native_id for o in observations] == ["vid00000001"]
    assert "vid00000002" in context.problems[0].what


# -- video files ----------------------------------------------------------------------------

def test_youtube_video_file_attached_right_after_its_post(tmp_path):
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256))
    observations, context = run(standard(tmp_path, **{
        "videos/Council meeting_ March 4.mp4": data}))
    kinds = [(o.kind, o.native_id) for o in observations]
    at = kinds.index((Kind.POST, "vid00000001"))
    media = observations[at + 1]
    assert media.kind is Kind.MEDIA
    assert media.native_id == "vid00000001/Council meeting_ March 4.mp4"
    assert media.parent_native_id == "vid00000001"
    assert media.raw == data and media.raw_media_type == "video/mp4"
    assert media.content == {"file": "Council meeting_ March 4.mp4", "media_type": "video/mp4",
                             "alt": None, "size": len(data)}
    assert context.problems == []


def test_youtube_truncated_video_file_name_still_matches(tmp_path):
    title = "Public hearing on the 2026 budget and capital improvement plan, part two"
    videos = ("Video ID,Video Title (Original),Video Create Timestamp\n"
              f'vidLONG00001,"{title}",2025-06-01T00:00:00Z\n'
              "vidOTHER0002,Something else,2025-06-02T00:00:00Z\n")
    observations, context = run(takeout(tmp_path, {
        "video metadata/videos.csv": videos,
        "videos/Public hearing on the 2026 budget and capita.mp4": b"v"}))
    assert [o.native_id for o in observations if o.kind is Kind.MEDIA] == \
        ["vidLONG00001/Public hearing on the 2026 budget and capita.mp4"]
    assert context.problems == []


def test_youtube_ambiguous_or_unmatched_video_files_are_skipped_with_problems(tmp_path):
    videos = ("Video ID,Video Title (Original),Video Create Timestamp\n"
              "vidA00000001,Weekly update,2025-06-01T00:00:00Z\n"
              "vidB00000002,Weekly update,2025-06-08T00:00:00Z\n")
    observations, context = run(takeout(tmp_path, {
        "video metadata/videos.csv": videos,
        "videos/Weekly update.mp4": b"a", "videos/Weekly update(1).mp4": b"b",
        "videos/Mystery clip.mp4": b"c"}))
    assert not [o for o in observations if o.kind is Kind.MEDIA]
    problems = {p.where.rsplit("/", 1)[1]: p.what for p in context.problems}
    assert set(problems) == {"Weekly update.mp4", "Weekly update(1).mp4", "Mystery clip.mp4"}
    assert "2 videos" in problems["Weekly update.mp4"]
    assert "no video" in problems["Mystery clip.mp4"]


def test_youtube_videos_folder_of_another_product_is_not_attached_but_reported(tmp_path):
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{ROOT}/video metadata/videos.csv", VIDEOS_CSV)
        archive.writestr("Takeout/Drive/videos/Snow plow update.mp4", b"not ours")
    observations, context = run(path)
    assert not [o for o in observations if o.kind is Kind.MEDIA]
    [problem] = context.problems
    assert problem.where.endswith("mixed.zip:Takeout/Drive/videos/")
    assert problem.what == "1 file(s) not imported: Snow plow update.mp4"


def test_youtube_unknown_entry_shape_is_reported(tmp_path):
    videos = VIDEOS_CSV.replace("Approx Duration (ms)\n", "Approx Duration (ms),Video Chapters\n")
    videos = videos.replace("5400000\n", "5400000,0:00 Opening\n").replace(
        "61000\n", "61000,\n")
    path = standard(tmp_path, **{"video metadata/videos.csv": videos,
                                 "playlists/playlists.csv": "Playlist ID\nPL1\n"})
    observations, context = run(path)
    assert len([o for o in observations if o.kind is Kind.POST]) == 2
    found = {p.where.rsplit(":", 1)[-1]: p.what for p in context.problems}
    assert found == {
        f"{ROOT}/video metadata/videos.csv, line 1":
            "column(s) 'Video Chapters' are not read; they are kept in each row's raw bytes only",
        f"{ROOT}/playlists/": "1 file(s) not imported: playlists.csv"}


def test_youtube_observations_are_dated_by_the_takeout_name(tmp_path):
    observations, context = run(takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV},
                                        name="takeout-20251130T081502Z-001.zip"))
    made = datetime(2025, 11, 30, 8, 15, 2, tzinfo=timezone.utc)
    assert [o.observed_at for o in observations] == [made]
    assert context.evidence["export_generated_at"] == "2025-11-30T08:15:02.000000Z"
    later, context = run(takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV},
                                 name="takeout-20300101T000000Z-001.zip"))
    assert [o.observed_at for o in later] == [OBSERVED]
    assert "after this import" in context.problems[0].what


def test_youtube_comment_json_nested_too_deep_is_a_problem_not_a_crash(tmp_path):
    deep = '"{""text"":' + "[" * 50_000 + "]" * 50_000 + '}"'  # within csv's cell limit
    comments = ("Comment ID,Channel ID,Comment Create Timestamp,Video ID,Comment Text\n"
                f"UgxDeep,{CHANNEL},2025-03-05T10:00:00Z,vid00000001,{deep}\n")
    observations, context = run(standard(tmp_path, **{"comments/comments.csv": comments}))
    [comment] = [o for o in observations if o.kind is Kind.COMMENT]
    assert comment.content["text"].startswith('{"text":[[[')
    assert any("UgxDeep" in p.what and "nested too deeply" in p.what for p in context.problems)


# -- through the archive --------------------------------------------------------------------

def test_youtube_import_through_the_archive(tmp_path, archive):
    account = archive.registry.add_account("youtube", "cityofexample", "agency", actor="clerk")
    first = archive.ingesting.import_export(standard(tmp_path), account.id).as_dict()
    assert first["format"] == "youtube" and first["problems"] == []
    assert first["created"] == 6
    assert {kind: counts["created"] for kind, counts in first["by_kind"].items()} == \
        {"comment": 2, "post": 2, "profile": 1, "reply": 1}
    again = archive.ingesting.import_export(standard(tmp_path), account.id).as_dict()
    assert again["created"] == 0 and again["unchanged"] == 6
    later = tmp_path / "later"
    later.mkdir()
    fewer = COMMENTS_CSV.replace(f"{COMMENT_POST}\n", "")
    third = archive.ingesting.import_export(takeout(later, {"channels/channel.csv": CHANNEL_CSV,
                                                            "video metadata/videos.csv": VIDEOS_CSV,
                                                            "comments/comments.csv": fewer}),
                                            account.id).as_dict()
    assert third["deleted"] == 1 and third["created"] == 0 and third["unchanged"] == 5
    assert third["by_kind"]["comment"]["deleted"] == 1


def test_youtube_a_takeout_name_with_no_real_time_is_reported(tmp_path):
    observations, context = run(takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV},
                                        name="takeout-20251399T100000Z-001.zip"))
    assert [o.observed_at for o in observations] == [OBSERVED]
    assert "no real time" in context.problems[0].what


@pytest.mark.parametrize("bad_row", [VIDEO_ROW_2 + ",extra", ",No id,,,,,,,,",
                                     "vid00000002,Snow,,,,,never,,x,1"])
def test_youtube_a_skipped_video_row_withdraws_the_completeness_claim(tmp_path, bad_row):
    # A video whose row could not be read is missing from what was read: a full-export
    # import must not record it as deleted.
    videos = VIDEOS_CSV.replace(VIDEO_ROW_2, bad_row)
    _, context = run(takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV,
                                        "video metadata/videos.csv": videos,
                                        "comments/comments.csv": COMMENTS_CSV}))
    assert "skipped" in " ".join(p.what for p in context.problems)
    assert Kind.POST not in context.complete_kinds
    assert {Kind.COMMENT, Kind.REPLY} <= context.complete_kinds  # the comments read whole
    _, whole = run(standard(tmp_path))
    assert {Kind.POST, Kind.COMMENT, Kind.REPLY} <= whole.complete_kinds


def test_youtube_a_skipped_comment_row_withdraws_the_comments_claim(tmp_path):
    comments = COMMENTS_CSV.replace(COMMENT_POST, f"UgxC9,{CHANNEL},yesterday,0,,,vid1,x")
    _, context = run(takeout(tmp_path, {"video metadata/videos.csv": VIDEOS_CSV,
                                        "comments/comments.csv": comments}))
    assert Kind.POST in context.complete_kinds
    assert not {Kind.COMMENT, Kind.REPLY} & context.complete_kinds


# -- a Takeout split into numbered parts ------------------------------------------------------

SPLIT = "takeout-20261130T081502Z"


def test_youtube_a_split_takeout_is_imported_whole_from_any_of_its_parts(tmp_path, archive):
    """Takeout puts each file whole into one part, and a large channel's comments in
    several files: part 2 alone would claim the comments complete and record those of
    part 1 deleted. Named by any part, every part is read, and problems name the part."""
    header = COMMENTS_CSV.split("\n", 1)[0]
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256))
    with zipfile.ZipFile(tmp_path / f"{SPLIT}-001.zip", "w") as part:
        part.writestr("Takeout/archive_browser.html", "<html>part 1</html>")
    takeout(tmp_path, {"channels/channel.csv": CHANNEL_CSV,
                       "video metadata/videos.csv": VIDEOS_CSV,
                       "comments/comments.csv": f"{header}\n{COMMENT_NEW}\n"},
            name=f"{SPLIT}-002.zip")
    with zipfile.ZipFile(tmp_path / f"{SPLIT}-003.zip", "w") as part:
        part.writestr(f"{ROOT}/comments/comments(1).csv", f"{header}\n{COMMENT_POST}\n")
        part.writestr(f"{ROOT}/videos/Council meeting_ March 4.mp4", video)
        part.writestr("Takeout/archive_browser.html", "<html>part 3</html>")
    account = archive.registry.add_account("youtube", "cityofexample", "agency")
    first = archive.ingesting.import_export(tmp_path / f"{SPLIT}-002.zip", account.id)
    report = first.as_dict()
    assert report["evidence"]["parts"] == \
        f"{SPLIT}-001.zip, {SPLIT}-002.zip, {SPLIT}-003.zip"
    assert report["by_kind"]["comment"]["created"] == 2  # UgxC1 from part 2, UgxC2 from 3
    assert report["by_kind"]["media"]["created"] == 1
    unread = sorted(p["where"] for p in report["problems"]
                    if p["what"] == "1 file(s) not imported: archive_browser.html")
    assert unread == [f"{tmp_path / SPLIT}-001.zip:Takeout/",
                      f"{tmp_path / SPLIT}-003.zip:Takeout/"], report["problems"]
    again = archive.ingesting.import_export(tmp_path / f"{SPLIT}-001.zip", account.id)
    assert again.as_dict()["created"] == 0 and again.as_dict()["deleted"] == 0
    (tmp_path / f"{SPLIT}-002.zip").unlink()
    with pytest.raises(InvalidInput, match=f"{SPLIT}-002.zip is not beside it"):
        archive.ingesting.import_export(tmp_path / f"{SPLIT}-003.zip", account.id)
    assert archive.evidence.verify().ok
