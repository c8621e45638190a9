"""The pure record monitors, on plain rows."""

from __future__ import annotations

from datetime import datetime, timezone

from civicarchive.compliance import monitors
from civicarchive.model.account import Classification
from civicarchive.model.custody import RecordFacts
from civicarchive.model.record import Kind
from civicarchive.policy.model import DispositionAction, RecordSeries, Retention, Trigger

T0 = datetime(2025, 1, 31, tzinfo=timezone.utc)


def facts(deleted_at, created_at=T0) -> RecordFacts:
    return RecordFacts(1, 2, Classification.AGENCY, "x", Kind.POST, created_at, created_at,
                       deleted_at, None, ("",))


def series(trigger=Trigger.CREATED, event=None) -> RecordSeries:
    return RecordSeries("S1", "Posts", "Schedule 1", Retention(years=1), trigger,
                        list(DispositionAction)[0], event)


def test_deleted_before_retention_ended_is_flagged_after_is_not():
    early = facts(datetime(2025, 6, 1, tzinfo=timezone.utc))
    late = facts(datetime(2026, 2, 1, tzinfo=timezone.utc))
    found = monitors.deleted_early([(early, series(), "city"), (late, series(), "city")])
    assert [s.evidence["retention_ends"][:10] for s in found] == ["2026-01-31"]
    unstarted = monitors.deleted_early([(early, series(Trigger.ACCOUNT_CLOSED), "city")])
    assert "had not even started" in unstarted[0].message


def test_keywords_match_whole_words_and_phrases_in_any_case():
    rows = [{"item_id": 1, "account_id": 1, "handle": "city", "kind": "post",
             "text": "We may SUE   the city over lawsuits"},
            {"item_id": 2, "account_id": 1, "handle": "city", "kind": "comment",
             "text": "A lawsuit, filed today"}]
    found = monitors.keywords(rows, ["sue the city", "lawsuit"])
    assert [(s.key) for s in found] == [(1, "sue the city"), (2, "lawsuit")]
    assert monitors.keywords(rows, []) == []


def test_unregistered_matches_names_and_handles_not_registered_accounts():
    comments = [{"item_id": i, "account_id": 1, "platform": "facebook", "handle": "city",
                 "author": author}
                for i, author in enumerate(["Dana Whitfield", "dana.whitfield", "Dan Whit",
                                            "Luis Ortega"], 1)]
    officials = [(7, "Dana Whitfield", ["DanaW"]), (8, "Luis Ortega", [])]
    found = monitors.unregistered(comments, officials, [("facebook", "luis.ortega")], "c")
    assert [(s.evidence["item_id"], s.evidence["person_id"]) for s in found] == [(1, 7)]
