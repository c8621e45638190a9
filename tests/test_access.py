"""Access on both engines: what was sent in a direct message is the message's, for those
who may not read messages (the web tests cover the pages; this, the listings' totals)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicarchive.errors import NotFound
from civicarchive.model.record import Kind, Observation
from tests.conftest import T0, observe


def test_access_what_was_sent_in_a_message_is_left_out_of_an_account_s_records(archive,
                                                                               account):
    a = account.id
    archive.ingesting.ingest([
        observe(a, "p1", "A post"),
        observe(a, "dm", "A message", 1, kind=Kind.MESSAGE),
        Observation(account_id=a, native_id="dm/photo", kind=Kind.MEDIA,
                    observed_at=T0 + timedelta(minutes=2), parent_native_id="dm",
                    content={"file": "sent.jpg", "media_type": "image/jpeg"},
                    raw=b"\xff\xd8jpeg", raw_media_type="image/jpeg"),
        observe(a, "p2", "Another post", 3)], source="test", actor="clerk")
    users = archive.users
    moderator = users.principal(users.add("mod", "city-of-example", ["moderator"], "clerk"))
    officer = users.principal(users.add("officer", "city-of-example", ["records_officer"],
                                        "clerk"))
    seen, total = archive.viewing.account_records(moderator, a, 1, 0)
    assert total == 2 and [i.native_id for i, _ in seen] == ["p2"]
    seen, total = archive.viewing.account_records(moderator, a, 10, 1)
    assert [i.native_id for i, _ in seen] == ["p1"]
    seen, total = archive.viewing.account_records(officer, a, 10, 0)
    assert total == 4 and {i.native_id for i, _ in seen} == {"p1", "p2", "dm", "dm/photo"}
    with pytest.raises(NotFound):
        archive.access.item(moderator, 3)
    assert archive.access.item(officer, 3).native_id == "dm/photo"
