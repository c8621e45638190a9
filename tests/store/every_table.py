"""An archive with rows in every table, written through the Archive API, for the
append-only and tamper tests: two of most kinds, so that a change can move a value onto
another row's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from civicarchive import Kind, Observation
from civicarchive.policy import EXAMPLES
from civicarchive.records.model import HoldScope
from civicarchive.store import schema as t
from civicarchive.store.sql import INLINE_BLOB_LIMIT
from tests.conftest import T0, observe

LATER = datetime(2027, 3, 1, tzinfo=timezone.utc)  # employees' records (2 years) are due
RECEIVED = datetime(2026, 11, 4, 10, 30, tzinfo=timezone(timedelta(hours=-8)))
LARGE_MEDIA = bytes(range(256)) * (INLINE_BLOB_LIMIT // 256 + 8)  # kept in the blob store


def fill_every_table(archive, production_folder) -> None:
    """Accounts, records (one with a large media file), a policy, closure, tags,
    acknowledgements, holds and a release, an executed disposition, a request with every
    kind of event, and a production."""
    archive.adopt_policy(EXAMPLES / "texas-local.yaml", "clerk")
    staff = archive.add_account("x", "parks.staff", "employee", owner="Parks Dept",
                                platform_id="9001", actor="clerk")
    city = archive.add_account("mastodon", "city@example.social", "agency",
                               owner="Comms Office", actor="registrar")
    archive.ingest([observe(staff.id, f"s{n}", f"staff post {n} about the park budget", n)
                    for n in range(3)], source="import-a")
    archive.ingest([
        observe(city.id, "c0", "city post about zoning", 1),
        observe(city.id, "c0", "city post about zoning, edited", 5),
        Observation(account_id=city.id, native_id="c0-map", kind=Kind.MEDIA,
                    observed_at=T0 + timedelta(minutes=2), parent_native_id="c0",
                    content={"file": "hearing.mp4", "media_type": "video/mp4"},
                    raw=LARGE_MEDIA, raw_media_type="video/mp4", author="cityofexample",
                    url="https://example.social/media/1"),
    ], source="import-b")
    archive.tag_account(staff.id, "parks", "clerk")
    archive.tag_account(city.id, "council", "clerk")
    archive.close_account(staff.id, T0 + timedelta(days=3), "clerk")
    archive.acknowledge("Parks Dept", "clerk", at=T0 + timedelta(days=1))
    archive.acknowledge("Comms Office", "registrar", at=T0 + timedelta(days=2))
    held = archive.add_hold("Smith v. City", "2026-CV-001", "litigation",
                            HoldScope(items=frozenset({1}), accounts=frozenset({city.id})),
                            "attorney")
    released = archive.add_hold("Budget audit", "AUD-7", "audit",
                                HoldScope(query='"park budget"'), "auditor")
    archive.release_hold(released, "audit closed", "auditor")
    assert held != released
    batch = archive.review("GR1000-26b", "clerk", LATER)
    archive.approve(batch, "records officer")
    archive.approve(batch, "city attorney")
    archive.execute(batch, "records officer", LATER)

    request = archive.new_request("A. Reporter", RECEIVED, "zoning posts", "clerk",
                                  contact="reporter@example.net")
    archive.new_request("B. Neighbour", RECEIVED, "park budget posts", "clerk")
    zoning = _item_id(archive, "c0")
    archive.collect(request, "clerk", items=[zoning, _item_id(archive, "c0-map")])
    archive.mark(request, [zoning], "responsive", "clerk")
    archive.mark(request, [_item_id(archive, "c0-map")], "withheld", "clerk",
                 exemption="security", citation="Tex. Gov't Code 552.101")
    redaction = archive.redact(request, zoning, "privacy", "clerk", phrase="zoning")
    archive.unredact(request, redaction, "not private", "clerk")
    archive.set_status(request, "in_review", "clerk", note="reviewing")
    archive.produce(request, "clerk", folder=production_folder, prefix="CITY-")


def _item_id(archive, native: str) -> int:
    with archive.store.read() as conn:
        return conn.execute(sa.select(t.items.c.id).where(t.items.c.native_id == native)
                            ).scalar_one()
