"""An archive with rows in every table, written through the Archive API, for the
append-only and tamper tests: two of most kinds, so that a change can move a value onto
another row's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import httpx
import sqlalchemy as sa

from civicarchive import Kind, Observation
from civicarchive.policy import EXAMPLES
from civicarchive.model.custody import HoldScope
from civicarchive.store import schema as t
from civicarchive.store.sql import INLINE_BLOB_LIMIT
from tests.conftest import T0, observe

LATER = datetime(2027, 3, 1, tzinfo=timezone.utc)  # employees' records (2 years) are due
RECEIVED = datetime(2026, 11, 4, 10, 30, tzinfo=timezone(timedelta(hours=-8)))
LARGE_MEDIA = bytes(range(256)) * (INLINE_BLOB_LIMIT // 256 + 8)  # kept in the blob store


def fill_every_table(archive, production_folder) -> None:
    """Accounts, records (one with a large media file), a policy, closure, tags,
    acknowledgements, holds and a release, an executed disposition, a request with every
    kind of event, a production, capture rows and the registry of people."""
    archive.custody.adopt_policy(EXAMPLES / "texas-local.yaml", "clerk")
    staff = archive.registry.add_account("x", "parks.staff", "employee", owner="Parks Dept",
                                platform_id="9001", actor="clerk")
    city = archive.registry.add_account("mastodon", "city@example.social", "agency",
                               owner="Comms Office", actor="registrar")
    archive.ingesting.ingest([observe(staff.id, f"s{n}", f"staff post {n} about the park budget", n)
                    for n in range(3)], source="import-a")
    archive.ingesting.ingest([
        observe(city.id, "c0", "city post about zoning", 1),
        observe(city.id, "c0", "city post about zoning, edited", 5),
        Observation(account_id=city.id, native_id="c0-map", kind=Kind.MEDIA,
                    observed_at=T0 + timedelta(minutes=2), parent_native_id="c0",
                    content={"file": "hearing.mp4", "media_type": "video/mp4"},
                    raw=LARGE_MEDIA, raw_media_type="video/mp4", author="cityofexample",
                    url="https://example.social/media/1"),
    ], source="import-b")
    archive.registry.tag_account(staff.id, "parks", "clerk")
    archive.registry.tag_account(city.id, "council", "clerk")
    archive.registry.close_account(staff.id, T0 + timedelta(days=3), "clerk")
    archive.custody.acknowledge("Parks Dept", "clerk", at=T0 + timedelta(days=1))
    archive.custody.acknowledge("Comms Office", "registrar", at=T0 + timedelta(days=2))
    held = archive.custody.add_hold("Smith v. City", "2026-CV-001", "litigation",
                            HoldScope(items=frozenset({1}), accounts=frozenset({city.id})),
                            "attorney")
    released = archive.custody.add_hold("Budget audit", "AUD-7", "audit",
                                HoldScope(query='"park budget"'), "auditor")
    archive.custody.release_hold(released, "audit closed", "auditor")
    assert held != released
    batch = archive.disposition.review("GR1000-26b", "clerk", LATER)
    archive.disposition.approve(batch, "records officer")
    archive.disposition.approve(batch, "city attorney")
    archive.disposition.execute(batch, "records officer", LATER)

    request = archive.requests.new("A. Reporter", RECEIVED, "zoning posts", "clerk",
                                  contact="reporter@example.net")
    archive.requests.new("B. Neighbour", RECEIVED, "park budget posts", "clerk")
    archive.portal.submit(archive.registry.agency().slug, "A. Resident",
                          "resident@example.org", "the zoning posts")  # a tracking link
    zoning = _item_id(archive, "c0")
    archive.requests.collect(request, "clerk", items=[zoning, _item_id(archive, "c0-map")])
    archive.requests.mark(request, [zoning], "responsive", "clerk")
    archive.requests.mark(request, [_item_id(archive, "c0-map")], "withheld", "clerk",
                 exemption="security", citation="Tex. Gov't Code 552.101")
    redaction = archive.requests.redact(request, zoning, "privacy", "clerk", phrase="zoning")
    archive.requests.unredact(request, redaction, "not private", "clerk")
    archive.requests.set_status(request, "in_review", "clerk", note="reviewing")
    archive.productions.produce(request, "clerk", folder=production_folder, prefix="CITY-")
    _capture(archive, production_folder.parent)
    _people(archive, staff.id, city.id)
    _moderation(archive, city.id)
    _timestamp_missed(archive)
    _staff(archive)


def _staff(archive) -> None:
    """A staff user with a password and one without, a session signed out, an API token
    revoked, and a second agency."""
    from civicarchive.model.staff import SignIn
    clerk = archive.users.add("clerk", None, ["records_officer"], "admin",
                              password="correct horse battery staple")
    archive.users.add("mod", None, ["moderator"], "admin")
    archive.users.change(clerk.id, "admin", roles=["records_officer", "attorney"])
    _, session = archive.users.start_session(clerk, SignIn.PASSWORD)
    archive.users.end_session(session, "logout", "user:clerk")
    _, token = archive.users.create_token(clerk.id, "nightly export", "admin")
    archive.users.revoke_token(clerk.id, token.id, "admin")
    archive.registry.add_agency("County of Example", "admin")


def _people(archive, staff_account: int, city_account: int) -> None:
    """Two people with terms (one ended early), linked accounts, acknowledgements of the
    officials' guide and training."""
    mayor = archive.people.add("Pat Mayor", "official", "clerk",
                               [("mayor", date(2024, 1, 1), date(2027, 12, 31))],
                               accounts=[city_account])
    chief = archive.people.add("Sam Chief", "staff", "registrar",
                               [("police_chief", date(2023, 5, 1), None)])
    term = archive.people.add_term(mayor.id, "council_member", date(2020, 1, 1),
                                   date(2023, 12, 31), "clerk")
    archive.people.end_term(term.id, date(2023, 6, 30), "clerk")
    archive.people.end_term(chief.terms[0].id, date(2026, 3, 31), "registrar")
    archive.people.link_account(chief.id, staff_account, "registrar")
    archive.people.acknowledge(mayor.id, "clerk", at=T0 + timedelta(days=4))
    archive.people.acknowledge(chief.id, "registrar", at=T0 + timedelta(days=5),
                               guide="0" * 64)
    archive.people.train(mayor.id, "Public records 101", "clerk", at=T0 + timedelta(days=6))
    archive.people.train(chief.id, "Moderation", "registrar", at=T0 + timedelta(days=7))


def _moderation(archive, city_account: int) -> None:
    """Two comments under the city's post, each acted on (one with a reason and so an
    alert), and two stance labels."""
    archive.ingesting.ingest([
        replace(observe(city_account, "cm1", "BUY CHEAP WATCHES at http://watches.example.com "
                        "http://watches.example.com/deal", 7, kind=Kind.COMMENT),
                parent_native_id="c0", author="bot"),
        replace(observe(city_account, "cm2", "This zoning plan is a disgrace", 8,
                        kind=Kind.COMMENT), parent_native_id="c0", author="critic"),
    ], source="import-c")
    spam, critic = _item_id(archive, "cm1"), _item_id(archive, "cm2")
    archive.moderation.act(spam, "hide", "moderator", clause="spam")
    archive.moderation.act(critic, "delete", "moderator", clause="off_topic",
                           reason="posted twice")
    archive.moderation.label(critic, "against", "reviewer")
    archive.moderation.label(spam, "neutral", "reviewer")
    first, second = (a["id"] for a in archive.alerts.list(limit=2))
    archive.alerts.ack(first, "records officer", note="reviewed with the moderator")
    archive.alerts.ack(second, "records officer")


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>Road closure</title><guid>https://city.example/n/1</guid>
<description>Main St closed.</description></item></channel></rss>"""


def _capture(archive, folder) -> None:
    """Capture settings, a credential, runs, a gap opened and closed, alerts."""
    news = archive.registry.add_account("feed", "city-news", "agency", owner="Comms Office",
                                        actor="clerk")
    archive.capturing.configure(news.id, "clerk", url="https://city.example/news.xml")
    token = folder / "token.txt"
    token.write_text("not-a-real-token\n")
    archive.credentials.store(news.id, token, expires=T0 + timedelta(days=3), actor="clerk")
    answers = iter([(200, RSS), (401, b"expired"), (200, RSS)])

    def answer(request: httpx.Request) -> httpx.Response:
        status, body = next(answers)
        return httpx.Response(status, content=body,
                              headers={"Content-Type": "application/rss+xml"})
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        for _ in range(3):
            archive.capturing.run(news.id, actor="clerk", client=client)


def _timestamp_missed(archive) -> None:
    """A checkpoint timestamp row: a miss, from an authority that is not listening."""
    archive.context.settings = replace(archive.context.settings,
                                       tsa_url="http://127.0.0.1:9/tsa", tsa_timeout=1.0)
    assert archive.witnessing.timestamp().status != "ok"


def _item_id(archive, native: str) -> int:
    with archive.context.store.read() as conn:
        return conn.execute(sa.select(t.items.c.id).where(t.items.c.native_id == native)
                            ).scalar_one()
