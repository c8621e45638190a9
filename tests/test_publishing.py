"""The open archive's reads (app/publishing.py): the policy's rules and staff's
withholdings and redactions, applied on read, in records, listings, totals and facets."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import civicarchive
from civicarchive.errors import NotFound
from civicarchive.model.record import Event, Kind
from tests.conftest import T0, observe

EXAMPLES = Path(civicarchive.__file__).parent / "policy" / "examples"
SLUG = "city-of-example"


def adopt(archive, tmp_path, **changes) -> None:  # noqa: ANN001
    text = (EXAMPLES / "washington-local.yaml").read_text()
    for key, value in changes.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value}  # was: ", 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    archive.custody.adopt_policy(path, "clerk")


@pytest.fixture
def city(archive, tmp_path):
    """An agency account with a post, two comments (one by a neighbour who mentions
    another), a direct message; an employee's account with a post."""
    agency = archive.registry.add_account("x", "cityofexample", "agency", actor="clerk")
    staff = archive.registry.add_account("x", "parks.staff", "employee", actor="clerk")
    archive.ingesting.ingest([
        observe(agency.id, "1", "Budget hearing tonight"),
        replace(observe(agency.id, "2", "Will the budget cover parks?", kind=Kind.COMMENT),
                parent_native_id="1", author="neighbour1"),
        replace(observe(agency.id, "3", "I agree with neighbour1 about the budget",
                        kind=Kind.COMMENT), parent_native_id="1", author="neighbour2"),
        observe(agency.id, "4", "budget secret in a direct message", kind=Kind.MESSAGE),
        observe(staff.id, "5", "Staff budget notes"),
    ], source="test", actor="clerk")
    adopt(archive, tmp_path)
    return {"post": 1, "comment": 2, "mention": 3, "message": 4, "staff": 5}


def found(archive, query: str = "") -> set[int]:  # noqa: ANN001
    return {h.item for h in archive.publishing.search(SLUG, query, limit=100).hits}


def test_publishing_shows_public_posts_and_comments_only(archive, city):
    assert found(archive, "budget") == {city["post"], city["comment"], city["mention"]}
    assert archive.publishing.record(SLUG, city["post"]).item.id == city["post"]
    for hidden in ("message", "staff"):
        with pytest.raises(NotFound) as refused:
            archive.publishing.record(SLUG, city[hidden])
        assert str(refused.value).replace(str(city[hidden]), "N") == \
            str(_missing(archive)).replace("99999", "N")


def _missing(archive):  # noqa: ANN001, ANN202
    try:
        archive.publishing.record(SLUG, 99999)
    except NotFound as error:
        return error


def test_publishing_nothing_before_a_policy_is_adopted_or_when_unpublished(archive, tmp_path):
    assert archive.publishing.agencies() == []
    adopt(archive, tmp_path, published="false")
    assert archive.publishing.agencies() == []
    with pytest.raises(NotFound):
        archive.publishing.search(SLUG)


def test_publishing_withholds_what_a_request_withheld(archive, city):
    request = archive.requests.new("A. Reporter", T0, "budget comments", "clerk")
    archive.requests.collect(request, "clerk", items=[city["comment"]])
    archive.requests.mark(request, [city["comment"]], "withheld", "clerk",
                          exemption="personal information", citation="RCW 42.56.230")
    assert city["comment"] not in found(archive, "budget")
    with pytest.raises(NotFound):
        archive.publishing.record(SLUG, city["comment"])
    results = archive.publishing.search(SLUG, "budget", facets=True)
    assert results.total == 2 and sum(results.facets["kind"].values()) == 2


def test_publishing_keeps_redacted_words_out_of_search(archive, city):
    request = archive.requests.new("A. Reporter", T0, "budget", "clerk")
    archive.requests.collect(request, "clerk", items=[city["post"]])
    archive.requests.redact(request, city["post"], "security", "clerk", phrase="tonight")
    assert found(archive, "tonight") == set()
    assert city["post"] not in found(archive)  # nor in listings, whose snippets show text
    assert archive.publishing.record(SLUG, city["post"])  # still at its permalink


def test_publishing_hides_a_redacted_author_everywhere_search_reaches(archive, city):
    request = archive.requests.new("A. Reporter", T0, "budget", "clerk")
    archive.requests.collect(request, "clerk", items=[city["comment"]])
    archive.requests.redact_author(request, city["comment"], "personal information",
                                   "clerk")
    assert found(archive, "neighbour1") == set()
    assert found(archive, "budget") == {city["post"]}  # the mention is left out too


def test_publishing_embargoes_recent_records(archive, tmp_path):
    account = archive.registry.add_account("x", "cityofexample", "agency", actor="clerk")
    now = archive.context.clock.now()
    archive.ingesting.ingest([replace(observe(account.id, "new", "Fresh news"),
                                      created_at=now - timedelta(days=3)),
                              replace(observe(account.id, "old", "Older news"),
                                      created_at=now - timedelta(days=60))],
                             source="test", actor="clerk")
    adopt(archive, tmp_path, embargo_days="30")
    assert found(archive, "news") == {2}
    with pytest.raises(NotFound):
        archive.publishing.record(SLUG, 1)
    archive.context.clock._now += timedelta(days=28)
    assert found(archive, "news") == {1, 2}


def test_publishing_what_is_under_a_record_shares_its_fate_to_any_depth(archive, tmp_path):
    # A photo (and the thumbnail under it) sent in a direct message, or shared in a post
    # still under embargo though taken long before, shows nowhere; two records naming each
    # other as parent end the walk. Followed as records are added, on both engines.
    account = archive.registry.add_account("x", "cityofexample", "agency", actor="clerk")
    now = archive.context.clock.now()
    old = now - timedelta(days=400)

    def record(native_id, text, kind=Kind.POST, parent=None, made=old):  # noqa: ANN001, ANN202
        return replace(observe(account.id, native_id, text, kind=kind), created_at=made,
                       parent_native_id=parent)
    adopt(archive, tmp_path, embargo_days="30")
    archive.ingesting.ingest([record("p", "Plain post lineage")], source="test", actor="clerk")
    assert found(archive, "lineage") == {1}  # the lineage is followed from here on
    archive.ingesting.ingest([
        record("dm", "a message lineage", Kind.MESSAGE),
        record("dm/photo", "photo lineage", Kind.MEDIA, "dm"),
        record("dm/photo/thumb", "thumbnail lineage", Kind.MEDIA, "dm/photo"),
        record("new", "Fresh post lineage", made=now - timedelta(days=3)),
        record("new/photo", "old photo lineage", Kind.MEDIA, "new"),
        record("new/photo/thumb", "old thumbnail lineage", Kind.MEDIA, "new/photo"),
        record("a", "loop lineage", Kind.MEDIA, "b"),
        record("b", "loop lineage", Kind.MEDIA, "a"),
        record("p/photo", "shown photo lineage", Kind.MEDIA, "p"),
    ], source="test", actor="clerk")
    assert found(archive, "lineage") == {1, 8, 9, 10}
    for hidden in (3, 4, 6, 7):
        with pytest.raises(NotFound):
            archive.publishing.record(SLUG, hidden)
    archive.context.clock._now += timedelta(days=28)  # the fresh post's embargo is over
    assert found(archive, "lineage") == {1, 5, 6, 7, 8, 9, 10}


def test_publishing_deleted_posts_with_a_notice_or_not_at_all(archive, city, tmp_path):
    archive.ingesting.ingest([observe(1, "1", None, minutes=5, event=Event.DELETED)],
                             source="test", actor="clerk")
    shown = archive.publishing.record(SLUG, city["post"])
    assert shown.showing.notice and "Deleted" in shown.showing.notice
    adopt(archive, tmp_path, deleted="hide")
    with pytest.raises(NotFound):
        archive.publishing.record(SLUG, city["post"])
    assert city["post"] not in found(archive, "budget")


def test_publishing_hidden_comments_stay_hidden(archive, city):
    archive.ingesting.ingest([replace(observe(1, "2", "Will the budget cover parks?",
                                              minutes=5, kind=Kind.COMMENT,
                                              event=Event.HIDDEN),
                                      parent_native_id="1", author="neighbour1")],
                             source="test", actor="clerk")
    assert city["comment"] not in found(archive, "parks")
    with pytest.raises(NotFound):
        archive.publishing.record(SLUG, city["comment"])


def test_publishing_another_agencys_records_are_not_found(archive, city):
    archive.registry.add_agency("County of Other", "clerk")
    county = archive.registry.add_account("x", "county", "agency", agency="county-of-other",
                                          actor="clerk")
    archive.ingesting.ingest([observe(county.id, "c1", "County budget")], source="test",
                             actor="clerk")
    assert found(archive, "county") == set()
    with pytest.raises(NotFound):
        archive.publishing.record(SLUG, 6)
    assert {h.item for h in archive.publishing.search("county-of-other", "budget").hits} \
        == {6}


def test_publishing_time_is_the_archives_clock(archive, city):
    assert archive.context.clock.now() > datetime(2025, 1, 1, tzinfo=timezone.utc)


def _texts(produced) -> list[str]:  # noqa: ANN001
    from civicarchive.model.production import plain
    out = [plain(produced.versions[-1].text)]
    for child in produced.thread:
        out += _texts(child) if hasattr(child, "versions") else [f"withheld:{child.exemption}"]
    return out


def test_publishing_a_record_with_its_public_thread(archive, city):
    produced = archive.publishing.view(SLUG, city["post"])
    assert _texts(produced) == ["Budget hearing tonight", "Will the budget cover parks?",
                                "I agree with neighbour1 about the budget"]


def test_publishing_a_thread_as_staff_decided(archive, city):
    request = archive.requests.new("A. Reporter", T0, "budget", "clerk")
    archive.requests.collect(request, "clerk", items=[city["comment"], city["mention"]])
    archive.requests.mark(request, [city["comment"]], "withheld", "clerk",
                          exemption="personal information", citation="RCW 42.56.230")
    archive.requests.redact(request, city["mention"], "privacy", "clerk", phrase="agree")
    texts = _texts(archive.publishing.view(SLUG, city["post"]))
    assert texts[1] == "withheld:personal information"
    assert "agree" not in texts[2] and "[REDACTED: privacy]" in texts[2]


def test_publishing_a_redacted_author_in_the_thread(archive, city):
    from civicarchive.model.production import Redaction
    request = archive.requests.new("A. Reporter", T0, "budget", "clerk")
    archive.requests.collect(request, "clerk", items=[city["comment"]])
    archive.requests.redact_author(request, city["comment"], "personal information",
                                   "clerk")
    produced = archive.publishing.view(SLUG, city["post"])
    comment, mention = produced.thread
    assert any(isinstance(s, Redaction) for s in comment.author)
    assert "neighbour1" not in _texts(produced)[2]


def test_publishing_leaves_embargoed_and_hidden_comments_out_of_threads(archive, city):
    archive.ingesting.ingest([replace(observe(1, "2", "Will the budget cover parks?",
                                              minutes=5, kind=Kind.COMMENT,
                                              event=Event.HIDDEN),
                                      parent_native_id="1", author="neighbour1")],
                             source="test", actor="clerk")
    assert len(archive.publishing.view(SLUG, city["post"]).thread) == 1


def test_publishing_lineage_keeps_only_what_inherits_something():
    # A thread under a record that inherits nothing is not followed: the lineage holds
    # the few records under messages, profiles, comments or older than what is above.
    from civicarchive.records.publication import Lineage
    lineage = Lineage()
    t = "2026-01-0{}T00:00:00.000000Z".format
    lineage.add([(1, "post", t(1), 2, t(2)), (2, "comment", t(2), 3, t(3)),
                 (4, "message", t(1), 5, t(2)), (5, "media", t(2), 6, t(3)),
                 (7, "post", t(5), 8, t(1))])
    assert not lineage.inherits(1) and not lineage.inherits(2)
    assert lineage.under_comment() == {3}
    assert lineage.under_message() == {5, 6} and lineage.under_never() == {5, 6}
    assert lineage.inherits(8) and not lineage.inherits(7)


def test_publishing_never_what_its_platform_showed_only_to_some(archive, tmp_path):
    # A Mastodon post to followers only and the public reply under it, a private YouTube
    # video: archived in full for staff, shown nowhere in the open archive, until the
    # video is made public; on both engines.
    agency = archive.registry.add_account("mastodon", "cityofexample", "agency",
                                          actor="clerk")
    channel = archive.registry.add_account("youtube", "cityofexample", "agency",
                                           actor="clerk")
    archive.ingesting.ingest([
        observe(agency.id, "1", "Audience notes for everyone", visibility="public"),
        observe(agency.id, "2", "Audience notes for followers", visibility="private"),
        replace(observe(agency.id, "3", "Audience reply quoting it", kind=Kind.COMMENT,
                        visibility="public"), parent_native_id="2", author="neighbour1"),
        observe(agency.id, "4", "Audience notes, unlisted", visibility="unlisted"),
        observe(channel.id, "v", "Audience video, not released", visibility="Private"),
        observe(agency.id, "6", "Audience notes for friends",
                visibility={"value": "ALL_FRIENDS"}),  # as Facebook states privacy
        observe(agency.id, "7", "Audience notes for someone", visibility="circle-42"),
        observe(agency.id, "8", "Audience notes, Public", visibility=" Public "),
    ], source="test", actor="clerk")
    adopt(archive, tmp_path)
    assert found(archive, "audience") == {1, 4, 8}
    assert archive.publishing.search(SLUG, "audience", facets=True).total == 3
    for hidden in (2, 3, 5, 6, 7):
        with pytest.raises(NotFound):
            archive.publishing.record(SLUG, hidden)
        with pytest.raises(NotFound):
            archive.publishing.proof(SLUG, hidden)
    staff = {h.item for h in archive.finding.search("audience is:restricted").hits}
    assert staff == {2, 5, 6, 7}
    users = archive.users
    officer = users.principal(users.add("officer", "city-of-example", ["records_officer"],
                                        "clerk"))
    facts = {f.label: f.value for f in archive.viewing.record(officer, 2).post.facts}
    assert facts["visibility"].startswith("private")
    archive.ingesting.ingest([observe(channel.id, "v", "Audience video, released", minutes=5,
                                      visibility="public")], source="test", actor="clerk")
    assert found(archive, "audience") == {1, 4, 5, 8}
    assert archive.publishing.record(SLUG, 5).item.native_id == "v"
    assert archive.finding.search("is:restricted").total == 3
