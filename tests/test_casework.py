"""Records requests on both stores: intake with due dates from the policy, the
collection, review marks, redactions, suggested redactions and status."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import orjson
import pytest
import sqlalchemy as sa

from civicarchive import Kind
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.store import schema as t
from tests.conftest import observe

WASHINGTON = "src/civicarchive/policy/examples/washington-local.yaml"
PACIFIC = timezone(timedelta(hours=-8))
WEDNESDAY = datetime(2026, 11, 4, 10, 30, tzinfo=PACIFIC)
PII_EMAIL = "jane.roe@example.net"
PII_PHONE = "(206) 555-0143"


@pytest.fixture
def desk(archive, account):
    """An archive with the Washington policy, a post and comments from the public."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    archive.ingesting.ingest([
        observe(account.id, "p1", "Zoning hearing on Elm Street tonight"),
        _comment(account.id, "c1", f"Call me at {PII_PHONE} or write {PII_EMAIL} about zoning",
                 "p1"),
        _comment(account.id, "c2", "Zoning is a mess", "p1"),
        observe(account.id, "p2", "Agency desk: call 206-555-0100 for zoning", 3),
    ], source="test")
    return archive


def _comment(account_id, native_id, text, parent, minutes=1):
    obs = observe(account_id, native_id, text, minutes, kind=Kind.COMMENT)
    return type(obs)(**{**{f: getattr(obs, f) for f in obs.__slots__},
                        "author": "resident7", "parent_native_id": parent,
                        "content": {"text": text, "author": "resident7"}})


def item_id(archive, native: str) -> int:
    with archive.context.store.read() as conn:
        return conn.execute(sa.select(t.items.c.id).where(t.items.c.native_id == native)
                            ).scalar_one()


def test_new_request_due_dates_follow_the_policy_calendar(desk):
    first = desk.requests.new("A. Reporter", WEDNESDAY, "zoning posts", "clerk")
    late = desk.requests.new("B. Neighbour", WEDNESDAY.replace(hour=18), "zoning", "clerk")
    # Received Wed 4 Nov: count Thu 5, Fri 6, Mon 9, Tue 10, (Wed 11 Veterans Day), Thu 12.
    assert [d["due"] for d in desk.requests.show(first)["deadlines"]] == ["2026-11-12"]
    # After hours: received Thu 5, so due Fri 13.
    assert [d["due"] for d in desk.requests.show(late)["deadlines"]] == ["2026-11-13"]
    assert [r["number"] for r in desk.requests.list()] == ["R-2026-0001", "R-2026-0002"]


def test_new_request_needs_a_policy_an_offset_and_a_description(archive):
    with pytest.raises(InvalidInput, match="no policy adopted"):
        archive.requests.new("A", WEDNESDAY, "x", "clerk")
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    with pytest.raises(InvalidInput, match="UTC offset"):
        archive.requests.new("A", WEDNESDAY.replace(tzinfo=None), "x", "clerk")
    with pytest.raises(InvalidInput, match="description"):
        archive.requests.new("A", WEDNESDAY, " ", "clerk")


def test_request_deadlines_count_business_days_left_until_closed(desk):
    request = desk.requests.new("A. Reporter", WEDNESDAY, "zoning", "clerk")
    (on_tuesday,) = desk.requests.show(request, today=date(2026, 11, 10))["deadlines"]
    assert on_tuesday["business_days_left"] == 1 and not on_tuesday["overdue"]  # 11th closed
    (late,) = desk.requests.show(request, today=date(2026, 11, 16))["deadlines"]
    assert late["business_days_left"] == -2 and late["overdue"]
    desk.requests.set_status(request, "closed", "clerk", "answered")
    (closed,) = desk.requests.show(request, today=date(2026, 11, 16))["deadlines"]
    assert closed["business_days_left"] is None
    assert desk.requests.show(request)["status"] == "closed"
    with pytest.raises(InvalidInput, match="not a request status"):
        desk.requests.set_status(request, "lost", "clerk")


def test_collect_from_a_search_and_single_items(desk):
    request = desk.requests.new("A. Reporter", WEDNESDAY, "zoning", "clerk")
    assert desk.requests.collect(request, "clerk", query="zoning kind:comment") == 2
    assert desk.requests.collect(request, "clerk", items=[item_id(desk, "p1")]) == 1
    assert desk.requests.collect(request, "clerk", query="zoning") == 1  # only p2 is new
    state = desk.requests.state(request)
    assert len(state.items) == 4 and state.items[item_id(desk, "p1")] == "item"
    with pytest.raises(NotFound):
        desk.requests.collect(request, "clerk", items=[999])


def test_marks_and_withholding_need_an_exemption_and_citation(desk):
    request = desk.requests.new("A. Reporter", WEDNESDAY, "zoning", "clerk")
    desk.requests.collect(request, "clerk", query="zoning")
    c1, c2, p1 = (item_id(desk, n) for n in ("c1", "c2", "p1"))
    desk.requests.mark(request, [p1, c1], "responsive", "clerk")
    with pytest.raises(InvalidInput, match="exemption and its citation"):
        desk.requests.mark(request, [c2], "withheld", "clerk")
    desk.requests.mark(request, [c2], "withheld", "clerk", exemption="privacy",
                       citation="RCW 42.56.050")
    detail = desk.requests.show(request)
    assert detail["marks"] == {"responsive": 2, "non_responsive": 0, "withheld": 1}
    assert detail["unreviewed"] == 1
    with pytest.raises(InvalidInput, match="not in request"):
        desk.requests.mark(request, [12345], "responsive", "clerk")


def test_redactions_by_phrase_span_and_their_errors(desk):
    request = desk.requests.new("A. Reporter", WEDNESDAY, "zoning", "clerk")
    desk.requests.collect(request, "clerk", query="zoning")
    c1 = item_id(desk, "c1")
    version = desk.reading.history(c1)[0]
    text = desk.reading.content(version)["text"]
    start = text.index(PII_EMAIL)
    desk.requests.redact(request, c1, "RCW 42.56.230", "clerk", version=version.id,
                         span=(start, start + len(PII_EMAIL)))
    (redaction,) = desk.requests.state(request).redactions.values()
    assert redaction.phrase == PII_EMAIL
    with pytest.raises(InvalidInput, match="does not contain"):
        desk.requests.redact(request, c1, "RCW 42.56.230", "clerk", phrase="not there")
    with pytest.raises(InvalidInput, match="outside"):
        desk.requests.redact(request, c1, "RCW 42.56.230", "clerk", version=version.id,
                             span=(0, 999))
    with pytest.raises(InvalidInput, match="reason"):
        desk.requests.redact(request, c1, " ", "clerk", phrase="Call")
    with pytest.raises(InvalidInput, match="no media file"):
        desk.requests.redact(request, c1, "RCW 42.56.230", "clerk", media="photo.jpg")
    desk.requests.unredact(request, redaction.id, "public figure after all", "clerk")
    assert desk.requests.state(request).redactions == {}


def test_suggestions_cover_the_public_not_the_agency_and_can_be_decided(desk):
    request = desk.requests.new("A. Reporter", WEDNESDAY, "zoning", "clerk")
    desk.requests.collect(request, "clerk", query="zoning")
    found = desk.requests.suggestions(request)
    assert {(s["category"], s["phrase"]) for s in found} == {("phone", PII_PHONE),
                                                             ("email", PII_EMAIL)}
    assert {s["item"] for s in found} == {item_id(desk, "c1")}  # not the agency's p2
    phone = next(s["key"] for s in found if s["category"] == "phone")
    email = next(s["key"] for s in found if s["category"] == "email")
    with pytest.raises(InvalidInput, match="needs the reason"):
        desk.requests.decide(request, [phone], True, "clerk")
    desk.requests.decide(request, [phone], True, "clerk", reason="RCW 42.56.230")
    desk.requests.decide(request, [email], False, "clerk")
    left = desk.requests.suggestions(request)
    assert [(s["key"], s["decision"]) for s in left] == [(email, "rejected")]
    assert [r.phrase for r in desk.requests.state(request).redactions.values()] == [PII_PHONE]
    with pytest.raises(InvalidInput, match="no suggestion"):
        desk.requests.decide(request, ["1:deadbeef"], False, "clerk")


def test_redacted_words_stay_out_of_the_log_and_the_ledgered_audit(desk):
    request = desk.requests.new("A. Reporter", WEDNESDAY, "zoning", "clerk")
    desk.requests.collect(request, "clerk", query="zoning")
    desk.requests.redact(request, item_id(desk, "c1"), "RCW 42.56.230", "clerk", phrase=PII_EMAIL)
    log = desk.requests.log(request)
    assert [e["action"] for e in log] == ["add", "redact"]
    assert PII_EMAIL not in orjson.dumps(log).decode()
    with desk.context.store.read() as conn:
        audit = conn.execute(sa.select(t.audit_events.c.details)).scalars().all()
    assert not any(PII_EMAIL in details for details in audit)
    assert desk.evidence.verify().ok


def test_request_deadline_met_on_the_local_day_after_daylight_saving_begins(desk):
    """A request logged in winter (-08:00) and acknowledged at 00:30 on the day after its
    due date, when Seattle is on -07:00: the answer came the day after, so it is late."""
    received = datetime(2026, 3, 5, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    request = desk.requests.new("A. Reporter", received, "zoning", "clerk")
    (running,) = desk.requests.show(request)["deadlines"]
    assert running["due"] == "2026-03-12"  # Fri 6, Mon 9 (clocks changed Sun 8) ... Thu 12
    acknowledged = datetime(2026, 3, 13, 0, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    desk.context.clock._now = acknowledged.astimezone(timezone.utc)
    desk.requests.set_status(request, "acknowledged", "clerk", "estimate: 2 weeks")
    (answered,) = desk.requests.show(request)["deadlines"]
    assert answered["met_on"] == "2026-03-13" and answered["late"]
