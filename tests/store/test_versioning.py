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


def test_history_late_observation_the_next_version_already_tells_adds_nothing():
    # a newer export seen first: created at t3; then an older export observed at t2
    history = History.replay([("t3", 1, Event.CREATED, "a", "r")])
    assert history.seen("t2", "a", None)
    # different content is kept: it is something the history lacks
    assert not history.seen("t2", "b", None)


def test_history_late_absence_never_deletes_before_a_later_sighting():
    history = History.replay([("t1", 1, Event.CREATED, "a", "r"), ("t3", 2, Event.EDITED, "b", "r")])
    # absent from an older export observed at t2, though seen at t3: not a deletion
    assert history.seen("t2", None, Event.DELETED)
    # nor before the item's first version (a post the older export predates)
    assert history.seen("t0", None, Event.DELETED)
    # at the end of the history a deletion is news
    assert not history.seen("t4", None, Event.DELETED)


def test_history_late_sighting_after_a_deletion_is_no_restoration_out_of_order():
    history = History.replay([("t1", 1, Event.CREATED, "a", "r"), ("t2", 2, Event.DELETED, "a", "r"),
                              ("t4", 3, Event.RESTORED, "a", "r")])
    # seen again at t3 with the content the restoration at t4 records: nothing to add
    assert history.seen("t3", "a", None)
    # between the creation and the deletion, the same content adds nothing either
    assert decide(history.predecessor("t1.5"), None, "a") is None
