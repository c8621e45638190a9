"""Agencies (tenants) and the accounts registered as doing agency business."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Classification(enum.StrEnum):
    AGENCY = "agency"
    OFFICIAL_PROFESSIONAL = "official_professional"
    OFFICIAL_PERSONAL = "official_personal"
    EMPLOYEE = "employee"


@dataclass(frozen=True)
class Agency:
    id: int
    slug: str
    name: str
    created_at: str


@dataclass(frozen=True)
class Account:
    id: int
    agency_id: int
    platform: str
    handle: str
    platform_id: str | None
    owner: str | None
    classification: Classification
    registered_at: str
    registered_by: str

    def as_dict(self) -> dict:
        return {"id": self.id, "agency_id": self.agency_id, "platform": self.platform,
                "handle": self.handle, "platform_id": self.platform_id, "owner": self.owner,
                "classification": self.classification.value,
                "registered_at": self.registered_at, "registered_by": self.registered_by}
