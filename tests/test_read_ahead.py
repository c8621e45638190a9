"""ReadAhead answers as Reading does, from what it read ahead: items, versions, contents,
replies, media files and purge marks of a thread; and what it never read, from the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from civicarchive.app.reading import ReadAhead
from civicarchive.model.record import Kind, Observation
from tests.conftest import T0, observe


def _thread(archive, account) -> dict[str, int]:  # noqa: ANN001
    a = account.id
    media = Observation(account_id=a, native_id="p1-media", kind=Kind.MEDIA,
                        observed_at=T0 + timedelta(minutes=3),
                        content={"file": "map.jpg", "media_type": "image/jpeg"},
                        raw=b"\xff\xd8jpeg", raw_media_type="image/jpeg",
                        author="cityofexample", parent_native_id="p1")
    archive.ingesting.ingest([
        observe(a, "p1", "Zoning hearing tonight"),
        replace(observe(a, "c1", "Will it cover parks?", 1, kind=Kind.COMMENT),
                parent_native_id="p1", author="resident1"),
        replace(observe(a, "c1", "Will it cover the parks?", 2, kind=Kind.COMMENT),
                parent_native_id="p1", author="resident1"),
        replace(observe(a, "r1", "It does", 4, kind=Kind.REPLY),
                parent_native_id="c1", author="cityofexample"),
        media,
        observe(a, "p2", "Another post", 5),
    ], source="test", actor="clerk")
    officer = archive.users.principal(archive.users.add(
        "officer", "city-of-example", ["records_officer"], "clerk"))
    items, _ = archive.viewing.account_records(officer, account.id, 100, 0)
    return {item.native_id: item.id for item, _ in items}


def test_read_ahead_answers_as_reading_does(archive, account):
    ids = _thread(archive, account)
    plain, ahead = archive.reading, ReadAhead(archive.context)
    ahead.load_ids([ids["p1"]])
    ahead.load_replies([ahead.item(ids["c1"])])
    assert ahead.knows_replies(ids["p1"]) and ahead.knows_replies(ids["c1"])
    assert not ahead.knows_replies(ids["r1"])
    for item_id in ids.values():  # r1's replies and p2 were not read ahead: the store
        assert ahead.item(item_id) == plain.item(item_id)
        assert ahead.history(item_id) == plain.history(item_id)
        assert [ahead.content(v) for v in ahead.history(item_id)] == \
            [plain.content(v) for v in plain.history(item_id)]
        assert ahead.replies(item_id) == plain.replies(item_id)
        assert ahead.media_of(item_id) == plain.media_of(item_id)
    assert ahead.media_of(ids["p1"]) == {"map.jpg": ids["p1-media"]}
    assert [i.id for i in ahead.replies(ids["p1"])] == [ids["c1"]]
    assert len(ahead.history(ids["c1"])) == 2
    every = set(ids.values())
    assert ahead.purged_of(every) == plain.purged_of(every) == set()


def test_read_ahead_never_sees_what_came_after_it_read(archive, account):
    ids = _thread(archive, account)
    ahead = ReadAhead(archive.context)
    ahead.load_ids([ids["p1"]])
    archive.ingesting.ingest([replace(observe(account.id, "c2", "Late comment", 9,
                                              kind=Kind.COMMENT), parent_native_id="p1",
                                      author="resident2")], source="test", actor="clerk")
    assert len(ahead.replies(ids["p1"])) == 1  # one page, one moment
    assert len(archive.reading.replies(ids["p1"])) == 2
