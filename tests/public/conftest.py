"""An agency with a published open archive for the public pages' tests: posts, comments,
and canaries where nothing public may show them (a direct message, a withheld comment, a
redacted phrase, an embargoed post, an employee's account, a hidden comment, a post to
followers only)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import civicarchive
from civicarchive.archive import Archive
from civicarchive.clock import FixedClock
from civicarchive.model.record import Event, Kind
from tests.conftest import T0, observe

EXAMPLES = Path(civicarchive.__file__).parent / "policy" / "examples"
SLUG = "city-of-example"
CANARIES = {"message": "CANARY-DM-7f3a", "withheld": "CANARY-WITHHELD-51c2",
            "redacted": "CANARY-REDACTED-9d04", "embargoed": "CANARY-EMBARGO-a611",
            "employee": "CANARY-EMPLOYEE-3be8", "hidden": "CANARY-HIDDEN-c7d9",
            "followers": "CANARY-FOLLOWERS-e25b"}
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


@dataclass
class OpenArchive:
    archive: Archive
    client: TestClient
    items: dict[str, int]


def build(home: Path, embargo_days: int = 7) -> OpenArchive:
    from civicarchive.web.app import create_app
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=timezone.utc))
    archive = Archive.init("City of Example", home=home, clock=clock, actor="clerk")
    city = archive.registry.add_account("x", "cityofexample", "agency", actor="clerk")
    staff = archive.registry.add_account("x", "parks.staff", "employee", actor="clerk")
    old = T0  # 2025: long out of any embargo
    recent = datetime(2026, 2, 28, tzinfo=timezone.utc)

    def made(obs, when):  # noqa: ANN001, ANN202
        return replace(obs, created_at=when)

    archive.ingesting.ingest([
        made(observe(city.id, "1", f"Budget hearing tonight {XSS}"), old),
        made(replace(observe(city.id, "2", "Will the budget cover parks?", kind=Kind.COMMENT),
                     parent_native_id="1", author="neighbour1"), old),
        made(replace(observe(city.id, "3", f"My address is {CANARIES['withheld']}",
                             kind=Kind.COMMENT), parent_native_id="1", author="neighbour2"),
             old),
        made(replace(observe(city.id, "4", f"Call me at {CANARIES['redacted']} about the budget",
                             kind=Kind.COMMENT), parent_native_id="1", author="neighbour3"),
             old),
        made(observe(city.id, "5", f"direct message {CANARIES['message']}",
                     kind=Kind.MESSAGE), old),
        made(observe(city.id, "6", f"Budget news {CANARIES['embargoed']}"), recent),
        made(observe(staff.id, "7", f"Staff budget {CANARIES['employee']}"), old),
        made(replace(observe(city.id, "8", f"Budget spam {CANARIES['hidden']}",
                             kind=Kind.COMMENT), parent_native_id="1", author="spammer"), old),
        made(observe(city.id, "followers-1", f"Budget note {CANARIES['followers']}",
                     visibility="private"),
             old),
    ], source="test", actor="clerk")
    archive.ingesting.ingest([replace(observe(city.id, "8", f"Budget spam {CANARIES['hidden']}",
                                              minutes=5, kind=Kind.COMMENT, event=Event.HIDDEN),
                                      parent_native_id="1", author="spammer")],
                             source="test", actor="clerk")
    text = (EXAMPLES / "washington-local.yaml").read_text().replace(
        "  embargo_days: 0 ", f"  embargo_days: {embargo_days} ", 1)
    policy = home.parent / "policy.yaml"
    policy.write_text(text)
    archive.custody.adopt_policy(policy, "clerk")
    request = archive.requests.new("A. Reporter", T0 + timedelta(days=400), "budget", "clerk")
    archive.requests.collect(request, "clerk", items=[3, 4])
    archive.requests.mark(request, [3], "withheld", "clerk", exemption="personal information",
                          citation="RCW 42.56.230")
    archive.requests.redact(request, 4, "personal information", "clerk",
                            phrase=CANARIES["redacted"])
    items = {"post": 1, "comment": 2, "withheld": 3, "redacted": 4, "message": 5,
             "embargoed": 6, "employee": 7, "hidden": 8, "followers": 9}
    return OpenArchive(archive, TestClient(create_app(archive), base_url="http://127.0.0.1"),
                       items)


@pytest.fixture
def public(tmp_path):
    built = build(tmp_path / "home")
    yield built
    built.archive.close()
