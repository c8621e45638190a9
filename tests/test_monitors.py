"""The record monitors of `compliance monitor`: a record deleted by its account before its
retention ended, an official seen under an unregistered account, personal information in
staff's posts, the policy's keywords; each alert once, with a kind, a severity, the
evidence and the clause."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from civicarchive import Event, Kind
from civicarchive.policy import EXAMPLES
from tests.conftest import observe

TEXAS = EXAMPLES / "texas-local.yaml"
WASHINGTON = EXAMPLES / "washington-local.yaml"
PII = "Call Jane about the permit at jane.doe@example.com"


@pytest.fixture
def town(archive):
    archive.custody.adopt_policy(TEXAS, "clerk")
    agency = archive.registry.add_account("mastodon", "city@town.social", "agency")
    staff = archive.registry.add_account("x", "parks.staff", "employee")
    mayor = archive.registry.add_account("x", "dana.whitfield", "official_personal")
    archive.people.add("Dana Whitfield", "official", "clerk", [("mayor", date(2024, 1, 1), None)],
                       [mayor.id])
    archive.ingesting.ingest([
        observe(agency.id, "a1", "Road closure on Elm starts Monday", 0),
        observe(agency.id, "a1", None, 30, event=Event.DELETED),
        observe(agency.id, "a2", "The city faces a LAWSUIT over the Elm project", 1),
        replace(observe(agency.id, "c1", "Thanks for the update", 2, kind=Kind.COMMENT),
                parent_native_id="a2", author="@danawhitfield@town.social"),
        replace(observe(agency.id, "c2", "When does it end?", 3, kind=Kind.COMMENT),
                parent_native_id="a2", author="resident"),
        observe(staff.id, "s1", PII, 4),
        observe(staff.id, "s2", "The park opens at nine", 5),
    ], source="test")
    return archive


def by_kind(archive) -> dict:
    found: dict = {}
    for alert in archive.alerts.list(limit=1000):
        found.setdefault(alert["kind"], []).append(alert)
    return found


def test_monitor_raises_each_record_alert_once(town):
    first = town.compliance.monitor("clerk")
    alerts = by_kind(town)
    (deleted,) = alerts["compliance.deleted_early"]
    assert deleted["details"]["severity"] == "high"
    assert deleted["details"]["evidence"]["series"] == "GR1000-26a"
    assert deleted["details"]["clause"].startswith("GR1000-26a")
    assert "possible unlawful destruction" in deleted["message"]
    assert deleted["details"]["evidence"]["retention_ends"].startswith("2029-02-28")
    (seen,) = alerts["compliance.unregistered_account"]
    assert seen["details"]["evidence"]["author"] == "@danawhitfield@town.social"
    assert "looks like Dana Whitfield" in seen["message"]
    assert seen["details"]["clause"].startswith("registration:")
    (leaked,) = alerts["compliance.staff_personal_information"]
    assert leaked["details"]["evidence"]["categories"] == ["email"]
    assert "jane.doe" not in leaked["message"] + str(leaked["details"])  # never copied
    (keyword,) = alerts["compliance.keyword"]
    assert keyword["details"]["evidence"]["keyword"] == "lawsuit"
    assert keyword["details"]["clause"] == "policy keywords"
    assert "LAWSUIT" not in keyword["message"]   # alerts never quote the record
    again = town.compliance.monitor("clerk")
    assert first and again == []
    assert town.evidence.verify().ok


def test_a_registered_account_is_not_suspected(town):
    town.registry.add_account("mastodon", "@danawhitfield@town.social", "official_personal")
    town.compliance.monitor("clerk")
    assert "compliance.unregistered_account" not in by_kind(town)


def test_a_series_kept_from_take_down_expects_deletion(archive):
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    agency = archive.registry.add_account("mastodon", "city@town.social", "agency")
    archive.ingesting.ingest([observe(agency.id, "a1", "Road closure on Elm", 0),
                              observe(agency.id, "a1", None, 30, event=Event.DELETED)],
                             source="test")
    archive.compliance.monitor("clerk")
    assert "compliance.deleted_early" not in by_kind(archive)
