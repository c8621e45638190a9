"""Which version, if any, an observation adds to an item's history. Pure functions.

History is ordered by observed time, so an older capture that arrives late is placed where
it belongs: its predecessor is the latest version observed at or before it. Versions are
never rewritten, so the event of a version describes the change from its predecessor as
known when it was recorded.

A late observation (one with a version observed after it, e.g. from an older export
imported after a newer one) adds nothing when that later version already says it: same
content, same deleted and hidden state. Nor does a late deletion that carries no content
(an absence): if the later version shows the item present, the absence was not a
deletion, and if it shows it deleted, it already says so. So a late import never puts a
`deleted` before a sighting that records no restoration, nor a `restored` or a second
`created` before a version that says the same.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from civicarchive.model.record import Event


@dataclass(frozen=True, slots=True)
class State:
    """An item as one version left it."""

    observed_at: str
    version_id: int
    event: Event
    content_sha256: bytes
    raw_sha256: bytes
    deleted: bool
    hidden: bool


def decide(predecessor: State | None, claimed: Event | None,
           content_sha256: bytes | None) -> Event | None:
    """The event of the new version, or None when the observation adds nothing.

    `content_sha256` is None when the observation carries no content (a bare deletion).
    """
    if predecessor is None:
        if claimed in (Event.DELETED, Event.HIDDEN):
            return claimed
        return Event.CREATED
    same = content_sha256 is None or content_sha256 == predecessor.content_sha256
    if claimed is Event.DELETED:
        return None if predecessor.deleted else Event.DELETED
    if claimed is Event.HIDDEN:
        return None if predecessor.hidden and not predecessor.deleted and same else Event.HIDDEN
    if predecessor.deleted:
        return Event.RESTORED
    if claimed is Event.UNHIDDEN and predecessor.hidden:
        return Event.UNHIDDEN
    return None if same else Event.EDITED


def follow(predecessor: State | None, event: Event) -> tuple[bool, bool]:
    """(deleted, hidden) after `event` is applied to `predecessor`."""
    hidden = predecessor.hidden if predecessor else False
    if event is Event.HIDDEN:
        return False, True
    if event is Event.UNHIDDEN:
        return False, False
    if event is Event.DELETED:
        return True, hidden
    return False, hidden


class History:
    """An item's versions in observed order, for deciding within one batch."""

    __slots__ = ("states",)

    def __init__(self, states: list[State] | None = None) -> None:
        self.states = states or []

    def predecessor(self, observed_at: str) -> State | None:
        position = bisect.bisect_right(self.states, observed_at, key=lambda s: s.observed_at)
        return self.states[position - 1] if position else None

    def seen(self, observed_at: str, content_sha256: bytes | None,
             claimed: Event | None) -> bool:
        """Whether the history already says what this observation says: a version
        observed at the same moment, or (for a late observation) the next version.

        Two observations with one timestamp but different content would otherwise take
        turns being each other's predecessor, adding edits on every re-run.
        """
        start = bisect.bisect_left(self.states, observed_at, key=lambda s: s.observed_at)
        after = bisect.bisect_right(self.states, observed_at, key=lambda s: s.observed_at)
        if after < len(self.states) and self._told_later(
                observed_at, content_sha256, claimed, self.states[after]):
            return True
        for state in self.states[start:]:
            if state.observed_at != observed_at:
                break
            if content_sha256 is not None and state.content_sha256 != content_sha256:
                continue
            if claimed is Event.DELETED and state.deleted or \
                    claimed is Event.HIDDEN and state.hidden and not state.deleted or \
                    claimed in (None, Event.UNHIDDEN) and not state.deleted and \
                    (claimed is None or not state.hidden):
                return True
        return False

    def _told_later(self, observed_at: str, content_sha256: bytes | None,
                    claimed: Event | None, successor: State) -> bool:
        if content_sha256 is None:
            return claimed is Event.DELETED
        predecessor = self.predecessor(observed_at)
        event = decide(predecessor, claimed, content_sha256)
        if event is None:
            return False  # nothing to add anyway
        deleted, hidden = follow(predecessor, event)
        return (content_sha256, deleted, hidden) == \
            (successor.content_sha256, successor.deleted, successor.hidden)

    def insert(self, observed_at: str, version_id: int, event: Event, content: str,
               raw: str) -> None:
        """Place a new version and refold the flags of the versions observed after it."""
        states = self.states
        position = bisect.bisect_right(states, (observed_at, version_id),
                                       key=lambda s: (s.observed_at, s.version_id))
        states.insert(position, State(observed_at, version_id, event, content, raw, False, False))
        for i in range(position, len(states)):
            state = states[i]
            deleted, hidden = follow(states[i - 1] if i else None, state.event)
            states[i] = State(state.observed_at, state.version_id, state.event,
                              state.content_sha256, state.raw_sha256, deleted, hidden)

    @classmethod
    def replay(cls, rows: list[tuple[str, int, Event, str, str]]) -> History:
        """Rebuild states from stored (observed_at, id, event, content, raw) rows."""
        history = cls()
        for row in sorted(rows, key=lambda r: (r[0], r[1])):
            history.insert(*row)
        return history
