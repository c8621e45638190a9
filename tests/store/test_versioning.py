"""Which event an observation adds, as a pure function of the item's history."""

import pytest

from civicarchive.model.record import Event
from civicarchive.store.versioning import History, State, decide


def state(content="a", deleted=False, hidden=False):
    return State("2025-01-01T00:00:00.000000Z", 1, Event.CREATED, content, "r", deleted, hidden)


@pytest.mark.parametrize("predecessor,claimed,content,expected", [
    (None, None, "a", Event.CREATED),
    (None, Event.DELETED, "a", Event.DELETED),
    (None, Event.HIDDEN, "a", Event.HIDDEN),
    (None, Event.UNHIDDEN, "a", Event.CREATED),
    (state(), None, "a", None),
    (state(), None, "b", Event.EDITED),
    (state(), Event.DELETED, None, Event.DELETED),
    (state(), Event.DELETED, "b", Event.DELETED),
    (state(deleted=True), Event.DELETED, None, None),
    (state(deleted=True), None, "a", Event.RESTORED),
    (state(), Event.HIDDEN, "a", Event.HIDDEN),
    (state(hidden=True), Event.HIDDEN, "a", None),
    (state(hidden=True), Event.HIDDEN, "b", Event.HIDDEN),
    (state(hidden=True), Event.UNHIDDEN, "a", Event.UNHIDDEN),
    (state(), Event.UNHIDDEN, "a", None),
    (state(), Event.UNHIDDEN, "b", Event.EDITED),
    (state(hidden=True), None, "a", None),
    (state(hidden=True), None, "b", Event.EDITED),
])
def test_decide_event(predecessor, claimed, content, expected):
    assert decide(predecessor, claimed, content) is expected


def test_history_places_late_observation_by_observed_time_and_refolds_flags():
    history = History.replay([("t1", 1, Event.CREATED, "a", "r"), ("t3", 2, Event.EDITED, "c", "r")])
    assert history.predecessor("t2").version_id == 1
    history.insert("t2", 3, Event.DELETED, "a", "r")
    assert [s.version_id for s in history.states] == [1, 3, 2]
    # the edit observed after the deletion now follows a deleted state and is not deleted
    assert history.states[1].deleted and not history.states[2].deleted
    assert history.predecessor("t0") is None
    assert history.predecessor("t3").version_id == 2


def test_history_hidden_flag_survives_edits():
    history = History.replay([("t1", 1, Event.CREATED, "a", "r"), ("t2", 2, Event.HIDDEN, "a", "r"),
                              ("t3", 3, Event.EDITED, "b", "r")])
    assert [s.hidden for s in history.states] == [False, True, True]


def test_history_seen_recognises_a_repeat_at_the_same_moment():
    history = History.replay([("t1", 1, Event.CREATED, "a", "r"), ("t1", 2, Event.EDITED, "b", "r"),
                              ("t2", 3, Event.DELETED, "b", "r")])
    assert history.seen("t1", "a", None) and history.seen("t1", "b", None)
    assert not history.seen("t1", "c", None)
    assert history.seen("t2", None, Event.DELETED) and not history.seen("t2", "b", None)
    assert not history.seen("t3", "a", None)
