"""The Mastodon archive importer, over small archives built here in the layout Mastodon's
backup service writes: outbox.json (with its duplicate "orderedItems" key), actor.json,
avatar and header, and media_attachments/files/..."""

from __future__ import annotations

import json
import tarfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.connectors.mastodon import MastodonImporter, plain_text
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind

SERVER = "https://social.example.gov"
ACTOR = f"{SERVER}/users/cityofexample"
FOLLOWERS = f"{ACTOR}/followers"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OBSERVED = datetime(2026, 2, 1, 9, 30, tzinfo=timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
MEDIA_PATH = "media_attachments/files/113/501/207/446/812/611/original/9c1e3a1b7f2d4e05.png"


def status_uri(number: int) -> str:
    return f"{ACTOR}/statuses/11350120744681{number:04d}"


def note(number: int, html: str, to: list, cc: list, published: str = "2024-11-20T15:04:11Z",
         **extra) -> dict:
    """A Create activity as the outbox holds it: the status inside, addressed by to/cc."""
    uri = status_uri(number)
    body = {
        "id": uri, "type": "Note", "summary": None, "inReplyTo": None, "published": published,
        "url": f"{SERVER}/@cityofexample/11350120744681{number:04d}", "attributedTo": ACTOR,
        "to": to, "cc": cc, "sensitive": False, "atomUri": uri, "inReplyToAtomUri": None,
        "conversation": f"tag:social.example.gov,2024-11-20:objectId={number}:objectType=Conversation",
        "content": html, "contentMap": {"en": html}, "attachment": [], "tag": [],
        "replies": {"id": f"{uri}/replies", "type": "Collection"},
        **extra,
    }
    return {"id": f"{uri}/activity", "type": "Create", "actor": ACTOR, "published": published,
            "to": to, "cc": cc, "object": body}


def boost(number: int, target: str) -> dict:
    return {"id": f"{status_uri(number)}/activity", "type": "Announce", "actor": ACTOR,
            "published": "2024-11-22T08:00:00Z", "to": [PUBLIC], "cc": [FOLLOWERS],
            "object": target}


POST = note(1, '<p>Leaf collection starts Monday in <a href="https://social.example.gov/tags/'
               'wards" class="mention hashtag" rel="tag">#<span>wards</span></a> 1 &amp; 2. '
               'Schedule: <a href="https://example.gov/leaves/2024-schedule" rel="nofollow '
               'noopener" target="_blank"><span class="invisible">https://</span><span '
               'class="ellipsis">example.gov/leaves/2024-sche</span><span class="invisible">'
               'dule</span></a></p><p>Questions? Call 311.</p>',
            [PUBLIC], [FOLLOWERS],
            tag=[{"type": "Hashtag", "href": f"{SERVER}/tags/wards", "name": "#wards"}],
            attachment=[{"type": "Document", "mediaType": "image/png", "url": "/" + MEDIA_PATH,
                         "name": "Map of wards 1 and 2 with collection days",
                         "blurhash": "UBL_:rOpGG-;~qRjWBay", "focalPoint": [0.0, 0.0],
                         "width": 1200, "height": 800}])
REPLY = note(2, '<p><span class="h-card" translate="no"><a href="https://town.example/@resident"'
                ' class="u-url mention">@<span>resident</span></a></span> Yes, bags go at the '
                'curb by 7am.</p>',
             [PUBLIC], [FOLLOWERS, "https://town.example/users/resident"],
             inReplyTo="https://town.example/users/resident/statuses/113501100000000001",
             tag=[{"type": "Mention", "href": "https://town.example/users/resident",
                   "name": "@resident@town.example"}])
UNLISTED = note(3, "<p>Road closure details inside.</p>", [FOLLOWERS], [PUBLIC],
                summary="Road closure", sensitive=True)
FOLLOWERS_ONLY = note(4, "<p>Volunteer briefing moved to 6pm.</p>", [FOLLOWERS], [])
DIRECT = note(5, '<p><span class="h-card"><a href="https://town.example/@resident" '
                 'class="u-url mention">@<span>resident</span></a></span> We have forwarded '
                 'your request to Public Works.</p>',
              ["https://town.example/users/resident"], [],
              tag=[{"type": "Mention", "href": "https://town.example/users/resident",
                    "name": "@resident@town.example"}])
BOOST = boost(6, "https://county.example/users/emergency/statuses/113500000000000042")
POLL = note(7, "<p>Which day suits the town hall?</p>", [PUBLIC], [FOLLOWERS], type="Question",
            endTime="2024-11-27T15:04:11Z", votersCount=12,
            oneOf=[{"type": "Note", "name": "Tuesday",
                    "replies": {"type": "Collection", "totalItems": 5}},
                   {"type": "Note", "name": "Thursday",
                    "replies": {"type": "Collection", "totalItems": 7}}])
ENTRIES = [POST, REPLY, UNLISTED, FOLLOWERS_ONLY, DIRECT, BOOST, POLL]

ACTOR_JSON = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    "id": ACTOR, "type": "Person", "following": f"{ACTOR}/following", "followers": FOLLOWERS,
    "inbox": f"{ACTOR}/inbox", "outbox": "outbox.json", "preferredUsername": "cityofexample",
    "name": "City of Example", "summary": "<p>Official account of the City of Example.</p>",
    "url": f"{SERVER}/@cityofexample", "manuallyApprovesFollowers": False,
    "discoverable": True, "published": "2022-11-07T00:00:00Z",
    "attachment": [{"type": "PropertyValue", "name": "Website",
                    "value": '<a href="https://example.gov">example.gov</a>'}],
    "icon": {"type": "Image", "mediaType": "image/png", "url": "avatar.png"},
    "image": {"type": "Image", "mediaType": "image/jpeg", "url": "header.jpg"},
    "likes": "likes.json", "bookmarks": "bookmarks.json",
}


def entry_text(entry: dict) -> str:
    """How one entry appears in the file; the boost uses \\u escapes like older servers."""
    return json.dumps(entry, ensure_ascii=entry is BOOST, separators=(",", ":"))


def outbox_text(entries: list, texts: list[str] | None = None) -> str:
    """The outbox as Mastodon writes it: "orderedItems" twice, the data in the second."""
    texts = texts if texts is not None else [entry_text(e) for e in entries]
    head = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json",
                       "type": "OrderedCollection", "totalItems": len(texts),
                       "orderedItems": []})[:-1]
    return head + ',"orderedItems":[' + ",".join(texts) + "]}"


def build(folder: Path, entries: list | None = None, outbox: str | None = None,
          actor: dict | None = ACTOR_JSON, media: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "outbox.json").write_text(outbox if outbox is not None else
                                        outbox_text(ENTRIES if entries is None else entries),
                                        encoding="utf-8")
    if actor is not None:
        (folder / "actor.json").write_text(json.dumps(actor), encoding="utf-8")
        (folder / "avatar.png").write_bytes(PNG + b"avatar")
        (folder / "header.jpg").write_bytes(b"\xff\xd8\xff\xe0header")
    (folder / "likes.json").write_text('{"type":"OrderedCollection","orderedItems":[]}')
    if media:
        (folder / MEDIA_PATH).parent.mkdir(parents=True)
        (folder / MEDIA_PATH).write_bytes(PNG)
    return folder


def zipped(folder: Path) -> Path:
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def read(path: Path) -> tuple[list, ImportContext]:
    context = ImportContext(account_id=7, observed_at=OBSERVED)
    with ExportFiles.open(path) as files:
        return list(MastodonImporter().read(files, context)), context


LIKES = "1 file(s) not imported: likes.json"  # every archive built here holds likes.json


def others(context: ImportContext) -> list:
    """The problems besides the one every built archive has: likes.json is not read."""
    assert [p.what for p in context.problems].count(LIKES) == 1
    return [p for p in context.problems if p.what != LIKES]


def by_id(observations: list) -> dict:
    return {o.native_id: o for o in observations}


@pytest.fixture
def archive_zip(tmp_path):
    return zipped(build(tmp_path / "archive-20250101-cityofexample"))


def test_mastodon_detect_accepts_its_archive_and_refuses_other_shapes(tmp_path, archive_zip):
    importer = MastodonImporter()
    with ExportFiles.open(archive_zip) as files:
        assert importer.detect(files)
    x = tmp_path / "x"
    (x / "data").mkdir(parents=True)
    (x / "data" / "tweets.js").write_text("window.YTD.tweets.part0 = []")
    with ExportFiles.open(x) as files:
        assert not importer.detect(files)
    other = tmp_path / "other"
    other.mkdir()
    (other / "outbox.json").write_text('{"messages": []}')  # same name, other shape
    with ExportFiles.open(other) as files:
        assert not importer.detect(files)


def test_mastodon_kinds_follow_reply_target_and_addressing(archive_zip):
    observations, _ = read(archive_zip)
    found = by_id(observations)
    expected = {status_uri(1): (Kind.POST, "public"), status_uri(2): (Kind.REPLY, "public"),
                status_uri(3): (Kind.POST, "unlisted"), status_uri(4): (Kind.POST, "private"),
                status_uri(5): (Kind.MESSAGE, "direct"),
                f"{status_uri(6)}/activity": (Kind.POST, "public"),
                status_uri(7): (Kind.POST, "public")}
    assert {n: (found[n].kind, found[n].content["visibility"]) for n in expected} == expected
    reply = found[status_uri(2)]
    assert reply.parent_native_id == \
        "https://town.example/users/resident/statuses/113501100000000001"
    assert reply.content["in_reply_to"] == reply.parent_native_id
    assert reply.content["mentions"] == [{"name": "@resident@town.example",
                                          "href": "https://town.example/users/resident"}]
    assert found[status_uri(1)].parent_native_id is None
    assert found[status_uri(3)].content["content_warning"] == "Road closure"
    assert found[status_uri(3)].content["sensitive"] is True


def test_mastodon_status_content_is_normalised(archive_zip):
    post = by_id(read(archive_zip)[0])[status_uri(1)]
    assert post.account_id == 7 and post.author == "cityofexample"
    assert post.created_at == datetime(2024, 11, 20, 15, 4, 11, tzinfo=timezone.utc)
    assert post.observed_at == OBSERVED
    assert post.url == f"{SERVER}/@cityofexample/113501207446810001"
    assert post.raw_media_type == "application/activity+json"
    assert post.content["text"] == ("Leaf collection starts Monday in #wards 1 & 2. Schedule: "
                                    "https://example.gov/leaves/2024-schedule\n\n"
                                    "Questions? Call 311.")
    assert post.content["html"] == POST["object"]["content"]
    assert post.content["hashtags"] == ["wards"]
    assert post.content["language"] == "en"
    assert post.content["attachments"] == [{
        "url": "/" + MEDIA_PATH, "media_type": "image/png",
        "alt": "Map of wards 1 and 2 with collection days",
        "blurhash": "UBL_:rOpGG-;~qRjWBay", "width": 1200, "height": 800,
        "file": MEDIA_PATH}]
    json.dumps(post.content)  # JSON-able


def test_mastodon_raw_is_each_entrys_exact_bytes(tmp_path):
    texts = [entry_text(e) for e in ENTRIES]
    texts[0] = json.dumps(POST, indent=2)  # pretty-printed: whitespace kept as written
    folder = build(tmp_path / "a", outbox=outbox_text(ENTRIES, texts))
    observations, _ = read(zipped(folder))
    raws = [o.raw.decode("utf-8") for o in observations
            if o.kind not in (Kind.MEDIA, Kind.PROFILE)]
    assert raws == texts
    assert by_id(observations)[ACTOR].raw == (folder / "actor.json").read_bytes()


def test_mastodon_reads_the_second_ordered_items_key(tmp_path):
    decoy = json.dumps(note(9, "<p>decoy</p>", [PUBLIC], []))
    text = outbox_text([POST]).replace('"orderedItems": []', f'"orderedItems": [{decoy}]')
    assert text.count('"orderedItems"') == 2
    observations, _ = read(build(tmp_path / "a", outbox=text))
    assert status_uri(9) not in by_id(observations)
    assert status_uri(1) in by_id(observations)


def test_mastodon_media_follow_their_post_with_alt_text(archive_zip):
    observations, context = read(archive_zip)
    ids = [o.native_id for o in observations]
    media_id = f"{status_uri(1)}/9c1e3a1b7f2d4e05.png"
    assert ids.index(media_id) == ids.index(status_uri(1)) + 1
    media = observations[ids.index(media_id)]
    assert media.kind == Kind.MEDIA and media.parent_native_id == status_uri(1)
    assert media.raw == PNG and media.raw_media_type == "image/png"
    assert media.content["alt"] == "Map of wards 1 and 2 with collection days"
    assert media.content["size"] == len(PNG) and media.content["file"] == MEDIA_PATH
    assert not others(context)


def test_mastodon_attachment_url_forms_match_by_path_suffix(tmp_path):
    for number, url in enumerate([MEDIA_PATH, f"https://files.example.gov/{MEDIA_PATH}"]):
        entry = note(1, "<p>x</p>", [PUBLIC], [], attachment=[
            {"type": "Document", "mediaType": "image/png", "url": url, "name": "alt"}])
        observations, context = read(build(tmp_path / str(number), entries=[entry]))
        assert [o.kind for o in observations if o.parent_native_id == status_uri(1)] == \
            [Kind.MEDIA], url
        assert not others(context)


def test_mastodon_missing_attachment_is_a_problem_and_the_post_stays(tmp_path):
    observations, context = read(zipped(build(tmp_path / "a", media=False)))
    post = by_id(observations)[status_uri(1)]
    assert post.content["attachments"][0]["file"] is None
    assert not [o for o in observations if o.kind == Kind.MEDIA and o.parent_native_id ==
                status_uri(1)]
    [problem] = others(context)
    assert "outbox.json" in problem.where and MEDIA_PATH in problem.what
    assert context.complete_kinds == {Kind.POST, Kind.REPLY, Kind.MESSAGE}


def test_mastodon_profile_and_its_images(archive_zip):
    observations, _ = read(archive_zip)
    assert observations[0].kind == Kind.PROFILE
    profile = observations[0]
    assert profile.native_id == ACTOR and profile.author == "cityofexample"
    assert profile.content["display_name"] == "City of Example"
    assert profile.content["text"] == "Official account of the City of Example."
    assert profile.content["fields"] == [{"name": "Website", "value": "example.gov"}]
    assert profile.created_at == datetime(2022, 11, 7, tzinfo=timezone.utc)
    images = {o.native_id: o for o in observations[1:3]}
    assert images[f"{ACTOR}/avatar"].raw == PNG + b"avatar"
    assert images[f"{ACTOR}/header"].raw_media_type == "image/jpeg"
    assert all(o.parent_native_id == ACTOR for o in images.values())


def test_mastodon_boost_is_its_own_post_naming_the_boosted_status(archive_zip):
    found = by_id(read(archive_zip)[0])[f"{status_uri(6)}/activity"]
    assert found.content == {
        "type": "boost", "text": "", "author": "cityofexample",
        "uri": f"{status_uri(6)}/activity", "visibility": "public",
        "boost_of": "https://county.example/users/emergency/statuses/113500000000000042"}
    assert found.parent_native_id is None
    assert found.created_at == datetime(2024, 11, 22, 8, tzinfo=timezone.utc)


def test_mastodon_poll_options_and_votes(archive_zip):
    poll = by_id(read(archive_zip)[0])[status_uri(7)]
    assert poll.content["type"] == "question"
    assert poll.content["poll"] == {
        "multiple": False, "ends_at": "2024-11-27T15:04:11Z", "voters": 12,
        "options": [{"title": "Tuesday", "votes": 5}, {"title": "Thursday", "votes": 7}]}


def test_mastodon_edited_status_records_when(tmp_path):
    edited = note(1, "<p>Corrected time: 6pm.</p>", [PUBLIC], [],
                  updated="2024-11-21T10:00:00Z")
    found = by_id(read(build(tmp_path / "a", entries=[edited]))[0])[status_uri(1)]
    assert found.content["edited_at"] == "2024-11-21T10:00:00Z"
    assert found.created_at == datetime(2024, 11, 20, 15, 4, 11, tzinfo=timezone.utc)


def test_mastodon_encoding_quirks(tmp_path):
    html = "<p>Caf\u00e9 r\u00e9ouvert \U0001f389 &lt;3 &#39;ok&#39;<br>line two</p>"
    escaped = note(1, html, [PUBLIC], [])
    literal = note(2, html, [PUBLIC], [])
    texts = [json.dumps(escaped), json.dumps(literal, ensure_ascii=False)]
    assert "\\ud83c\\udf89" in texts[0] and "\U0001f389" in texts[1]
    observations, _ = read(build(tmp_path / "a", outbox="\ufeff" + outbox_text([], texts)))
    found = by_id(observations)
    for number, text in ((1, texts[0]), (2, texts[1])):
        assert found[status_uri(number)].content["text"] == \
            "Caf\u00e9 r\u00e9ouvert \U0001f389 <3 'ok'\nline two"
        assert found[status_uri(number)].raw == text.encode("utf-8")


def test_mastodon_plain_text_keeps_paragraphs_and_whole_links():
    assert plain_text("<p>a<br/>b</p><p>c</p>") == "a\nb\n\nc"
    assert plain_text('<a href="https://x.example/long"><span class="invisible">https://'
                      '</span><span class="ellipsis">x.example/lo</span><span '
                      'class="invisible">ng</span></a>') == "https://x.example/long"


def test_mastodon_invalid_outbox_raises_naming_the_file(tmp_path):
    folder = build(tmp_path / "a", outbox=outbox_text([POST])[:-40])
    with pytest.raises(InvalidInput, match=r"outbox\.json.*not valid"):
        read(zipped(folder))


def test_mastodon_outbox_without_items_raises(tmp_path):
    folder = build(tmp_path / "a", outbox='{"type": "OrderedCollection", "first": "page1"}')
    with pytest.raises(InvalidInput, match=r"outbox\.json: no orderedItems"):
        read(folder)


def test_mastodon_malformed_entry_is_a_problem_and_others_import(tmp_path):
    broken = note(3, "<p>x</p>", [PUBLIC], [])
    broken["object"]["published"] = "last Tuesday"
    no_id = note(4, "<p>y</p>", [PUBLIC], [])
    del no_id["object"]["id"]
    observations, context = read(build(tmp_path / "a", entries=[POST, broken, no_id, REPLY]))
    statuses = [o.native_id for o in observations if o.kind in (Kind.POST, Kind.REPLY)]
    assert statuses == [status_uri(1), status_uri(2)]
    assert [p.where.rsplit(" ", 1)[-1] for p in others(context)] == ["2", "3"]
    assert all("outbox.json item" in p.where for p in others(context))
    # a skipped status would otherwise be recorded as deleted
    assert context.complete_kinds == set()


def test_mastodon_unknown_activity_is_skipped_and_completeness_kept(tmp_path):
    other = {"id": f"{ACTOR}#likes/1", "type": "Like", "actor": ACTOR,
             "object": "https://town.example/users/resident/statuses/1"}
    observations, context = read(build(tmp_path / "a", entries=[other, POST]))
    assert status_uri(1) in by_id(observations)
    assert "'Like'" in context.problems[0].what
    assert context.complete_kinds == {Kind.POST, Kind.REPLY, Kind.MESSAGE}


def test_mastodon_tar_gz_from_older_servers(tmp_path):
    folder = build(tmp_path / "a")
    target = tmp_path / "archive.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.add(path, path.relative_to(folder).as_posix())
    with ExportFiles.open(target) as files:
        assert MastodonImporter().detect(files)
    observations, _ = read(target)
    assert f"{status_uri(1)}/9c1e3a1b7f2d4e05.png" in by_id(observations)


def test_mastodon_without_actor_json_takes_author_from_the_activity(tmp_path):
    observations, context = read(build(tmp_path / "a", actor=None, entries=[POST, UNLISTED,
                                                                            FOLLOWERS_ONLY]))
    assert {o.author for o in observations} == {"cityofexample"}
    assert by_id(observations)[status_uri(4)].content["visibility"] == "private"
    assert not [o for o in observations if o.kind == Kind.PROFILE]


def test_mastodon_import_through_the_archive_records_edits_and_deletions(archive, tmp_path):
    account = archive.registry.add_account("mastodon", "cityofexample@social.example.gov", "agency",
                                           actor="clerk")
    first = archive.ingesting.import_export(zipped(build(tmp_path / "first")), account.id).as_dict()
    assert first["created"] == 11  # 7 statuses, the profile, avatar, header, one picture
    assert {kind: counts["created"] for kind, counts in first["by_kind"].items()} == \
        {"post": 5, "reply": 1, "message": 1, "media": 3, "profile": 1}
    assert [p["what"] for p in first["problems"]] == [LIKES]
    edited = note(1, "<p>Leaf collection starts Tuesday.</p>", [PUBLIC], [FOLLOWERS],
                  updated="2024-11-21T10:00:00Z")
    later = [edited] + [e for e in ENTRIES[1:] if e is not DIRECT]
    second = archive.ingesting.import_export(zipped(build(tmp_path / "second", entries=later)),
                                             account.id, format="mastodon").as_dict()
    assert second["by_kind"]["post"]["edited"] == 1
    assert second["by_kind"]["message"]["deleted"] == 1  # absent from a complete outbox
    assert (second["edited"], second["deleted"], second["absent_marked_deleted"]) == (1, 1, 1)
    assert second["unchanged"] == 8
    assert second["complete_kinds"] == ["message", "post", "reply"]


def test_mastodon_unknown_entry_shape_is_reported(tmp_path):
    odd = note(8, "<p>Ribbon cutting :tada:</p>", [PUBLIC], [FOLLOWERS], type="Article",
               tag=[{"type": "Emoji", "name": ":tada:",
                     "icon": {"type": "Image", "url": "https://social.example.gov/e/tada.png"}}],
               attachment=["https://social.example.gov/media/loose.png"])
    folder = build(tmp_path / "a", entries=[POST, odd])
    (folder / "bookmarks.json").write_text('{"orderedItems": []}')
    observations, context = read(folder)
    assert status_uri(8) in by_id(observations)   # read, and its bytes kept whole
    found = {p.what.split(" is not read")[0]: p for p in context.problems}
    assert {"status type 'Article' (read as a Note)", "tag type 'Emoji'",
            "an attachment that is not an object"} <= set(found)
    assert found["tag type 'Emoji'"].where.endswith("outbox.json")
    assert "(item 2)" in found["tag type 'Emoji'"].what
    assert any(p.what == "2 file(s) not imported: bookmarks.json, likes.json"
               for p in context.problems)


def test_mastodon_observations_are_dated_by_the_archive_name(tmp_path):
    folder = build(tmp_path / "archive-20251230154502-0123456789abcdef0123456789abcdef")
    observations, context = read(zipped(folder))
    made = datetime(2025, 12, 30, 15, 45, 2, tzinfo=timezone.utc)
    assert {o.observed_at for o in observations} == {made}
    assert context.evidence["export_generated_at"] == "2025-12-30T15:45:02.000000Z"
    renamed, context = read(build(tmp_path / "my-archive"))
    assert {o.observed_at for o in renamed} == {OBSERVED}
    assert "export_generated_at" not in context.evidence


def test_mastodon_json_nested_too_deep_is_a_clear_error(tmp_path):
    deep = outbox_text([], ["[" * 100_000 + "]" * 100_000])
    context = ImportContext(account_id=7, observed_at=OBSERVED)
    read_so_far = []
    with ExportFiles.open(build(tmp_path / "a", outbox=deep)) as files, \
            pytest.raises(InvalidInput, match=r"outbox\.json: JSON nested too deeply"):
        for observation in MastodonImporter().read(files, context):
            read_so_far.append(observation)
    assert read_so_far == []   # not even the profile: nothing is ingested


def test_mastodon_an_archive_name_with_no_real_time_is_reported(tmp_path):
    folder = build(tmp_path / "archive-20251301100000-0123456789abcdef0123456789abcdef")
    observations, context = read(zipped(folder))
    assert {o.observed_at for o in observations} == {OBSERVED}
    assert "export_generated_at" not in context.evidence
    assert any("'20251301100000', which is no real time" in p.what for p in context.problems)


def test_mastodon_an_activity_with_its_own_ordered_items_is_read(tmp_path):
    # A status's collection of replies has its own "orderedItems": it is not the outbox's.
    post = json.loads(json.dumps(POST))
    post["object"]["replies"] = {"id": f"{status_uri(1)}/replies", "type": "Collection",
                                 "first": {"type": "CollectionPage", "orderedItems": []}}
    entries = [post, REPLY]
    observations, context = read(zipped(build(tmp_path / "a", entries=entries)))
    assert len([o for o in observations if o.kind in (Kind.POST, Kind.REPLY)]) == 2
    assert not [p for p in context.problems if "orderedItems" in p.what]


def test_mastodon_status_with_only_a_content_map_keeps_its_words(tmp_path):
    # ActivityPub allows the text in contentMap alone; some servers write it so.
    only_map = note(1, "", [PUBLIC], [FOLLOWERS])
    del only_map["object"]["content"]
    only_map["object"]["contentMap"] = {"de": "<p>Laubabholung ab Montag.</p>"}
    translated = note(2, "<p>Leaf pickup Monday.</p>", [PUBLIC], [FOLLOWERS],
                      contentMap={"en": "<p>Leaf pickup Monday.</p>",
                                  "fr": "<p>Ramassage des feuilles lundi.</p>"})
    observations, context = read(build(tmp_path / "a", entries=[only_map, translated]))
    found = by_id(observations)
    assert found[status_uri(1)].content["text"] == "Laubabholung ab Montag."
    assert found[status_uri(1)].content["language"] == "de"
    assert found[status_uri(2)].content["text"] == "Leaf pickup Monday."
    [problem] = [p for p in context.problems if "contentMap" in p.what]
    assert "'fr'" in problem.what and "(item 2)" in problem.what


def test_mastodon_profile_fields_of_the_wrong_type_are_problems_not_crashes(tmp_path):
    actor = {**ACTOR_JSON, "preferredUsername": ["cityofexample"], "summary": 7,
             "followers": [FOLLOWERS],
             "attachment": [{"type": "PropertyValue", "name": "Website", "value": 5}]}
    observations, context = read(build(tmp_path / "a", actor=actor, entries=[POST]))
    profile = by_id(observations)[ACTOR]
    assert profile.author == "cityofexample" and profile.content["text"] == ""
    assert by_id(observations)[status_uri(1)].author == "cityofexample"
    assert not [p for p in context.problems if "malformed" in p.what]
    problems = [p.what for p in context.problems if p.where.endswith("actor.json")]
    assert any("'summary'" in what for what in problems)
    assert any("'value'" in what for what in problems)


def test_mastodon_plain_text_leaves_out_scripts_and_styles():
    assert plain_text("<p>Hello<script>alert(1)</script><style>p{}</style> all</p>") == \
        "Hello all"


def test_mastodon_content_warning_and_poll_options_are_words_search_finds(archive, tmp_path):
    # A reader sees a status's content warning above its text, and a poll's options below
    # it: a records request for "detour" or "Thursday" must find those statuses.
    warned = note(8, "<p>Details inside.</p>", [PUBLIC], [FOLLOWERS],
                  summary="Detour map for Elm Street", sensitive=True)
    account = archive.registry.add_account("mastodon", "cityofexample@social.example.gov",
                                           "agency", actor="clerk")
    archive.ingesting.import_export(zipped(build(tmp_path / "a", entries=[POST, warned, POLL])),
                                    account.id)
    [cw] = archive.finding.search("detour").hits
    assert archive.reading.item(cw.item).native_id == status_uri(8)
    assert "Detour" in cw.snippet and "Details inside" in cw.snippet
    [poll] = archive.finding.search("thursday").hits
    assert archive.reading.item(poll.item).native_id == status_uri(7)
    assert archive.finding.search("tuesday").total == 1
