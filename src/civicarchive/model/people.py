"""People in the registry: officials and staff, the offices they hold and when, the
accounts that are theirs, and their acknowledgements of the guide and their training."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class Role(enum.StrEnum):
    OFFICIAL = "official"  # elected or appointed
    STAFF = "staff"


@dataclass(frozen=True)
class Term:
    """A person's term in an office (a key of the policy's `offices`), from `starts_on`
    to `ends_on` inclusive (ISO dates; None: no end set)."""

    id: int
    person_id: int
    office: str
    starts_on: str
    ends_on: str | None
    recorded_at: str
    recorded_by: str

    def holds_on(self, day: date) -> bool:
        """Whether the term covers this day."""
        text = day.isoformat()
        return self.starts_on <= text and (self.ends_on is None or text <= self.ends_on)

    def as_dict(self) -> dict:
        return {"id": self.id, "office": self.office, "starts_on": self.starts_on,
                "ends_on": self.ends_on, "recorded_at": self.recorded_at,
                "recorded_by": self.recorded_by}


@dataclass(frozen=True)
class GuideAcknowledgement:
    """A person acknowledged the officials' guide with this SHA-256 (of its Markdown),
    rendered from adopted policy `policy_id`."""

    id: int
    person_id: int
    policy_id: int
    guide_sha256: str
    acknowledged_at: str
    recorded_by: str

    def as_dict(self) -> dict:
        return {"id": self.id, "policy_id": self.policy_id, "guide_sha256": self.guide_sha256,
                "acknowledged_at": self.acknowledged_at, "recorded_by": self.recorded_by}


@dataclass(frozen=True)
class Training:
    id: int
    person_id: int
    course: str
    completed_at: str
    recorded_by: str

    def as_dict(self) -> dict:
        return {"id": self.id, "course": self.course, "completed_at": self.completed_at,
                "recorded_by": self.recorded_by}


@dataclass(frozen=True)
class Person:
    id: int
    agency_id: int
    name: str
    role: Role
    added_at: str
    added_by: str
    terms: tuple[Term, ...] = ()
    accounts: tuple[int, ...] = ()  # ids of the registry accounts linked to the person
    acknowledgements: tuple[GuideAcknowledgement, ...] = ()  # oldest first
    trainings: tuple[Training, ...] = ()  # oldest first

    def offices_on(self, day: date) -> tuple[str, ...]:
        """The office keys the person held on this day."""
        return tuple(dict.fromkeys(t.office for t in self.terms if t.holds_on(day)))

    def as_dict(self) -> dict:
        return {"id": self.id, "agency_id": self.agency_id, "name": self.name,
                "role": self.role.value, "added_at": self.added_at, "added_by": self.added_by,
                "terms": [t.as_dict() for t in self.terms], "accounts": list(self.accounts),
                "acknowledgements": [a.as_dict() for a in self.acknowledgements],
                "trainings": [t.as_dict() for t in self.trainings]}
