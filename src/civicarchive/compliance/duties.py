"""Whether a person's acknowledgement of the officials' guide and training are current
under the policy. Pure: (person, policy, the current guide's hash, now) -> Standing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from civicarchive.clock import parse_time
from civicarchive.model.people import Person
from civicarchive.policy.model import Policy


class DutyStatus(enum.StrEnum):
    CURRENT = "current"
    OUTDATED = "outdated"          # acknowledged an earlier guide: the policy changed since
    EXPIRED = "expired"            # older than the policy's period
    MISSING = "missing"            # never done
    NOT_REQUIRED = "not required"  # the policy does not ask for it

    @property
    def due(self) -> bool:
        """Whether the person must act: acknowledge again, or train."""
        return self in (DutyStatus.OUTDATED, DutyStatus.EXPIRED, DutyStatus.MISSING)


@dataclass(frozen=True)
class Duty:
    status: DutyStatus
    detail: str                # a sentence for the records officer
    last: str | None = None    # when it was last done

    def as_dict(self) -> dict:
        return {"status": self.status.value, "detail": self.detail, "last": self.last}


@dataclass(frozen=True)
class Standing:
    acknowledgement: Duty
    training: Duty

    def as_dict(self) -> dict:
        return {"acknowledgement": self.acknowledgement.as_dict(),
                "training": self.training.as_dict()}


def standing(person: Person, policy: Policy, guide_sha256: str, now: datetime) -> Standing:
    """The person's acknowledgement and training measured against the policy in force and
    the guide rendered from it (its SHA-256)."""
    return Standing(_acknowledgement(person, policy, guide_sha256, now),
                    _training(person, policy, now))


def _age(when: str, now: datetime) -> int:
    return (now - parse_time(when)).days


def _acknowledgement(person: Person, policy: Policy, guide_sha256: str, now: datetime
                     ) -> Duty:
    rules = policy.registration
    latest = person.acknowledgements[-1] if person.acknowledgements else None
    last = latest.acknowledged_at if latest else None
    if not rules.acknowledgement_required:
        return Duty(DutyStatus.NOT_REQUIRED, "the policy does not require an acknowledgement",
                    last)
    if latest is None:
        return Duty(DutyStatus.MISSING, "has not acknowledged the guide for officials")
    if latest.guide_sha256 != guide_sha256:
        return Duty(DutyStatus.OUTDATED,
                    f"acknowledged another version of the guide on {last[:10]} (SHA-256 "
                    f"{latest.guide_sha256[:12]}...); the current guide is "
                    f"{guide_sha256[:12]}...: acknowledge it again", last)
    days = rules.acknowledgement_valid_days
    if days is not None and _age(last, now) > days:
        return Duty(DutyStatus.EXPIRED, f"acknowledged on {last[:10]}, more than the "
                                        f"policy's {days} days ago", last)
    return Duty(DutyStatus.CURRENT, f"acknowledged the current guide on {last[:10]}", last)


def _training(person: Person, policy: Policy, now: datetime) -> Duty:
    rules = policy.training
    latest = person.trainings[-1] if person.trainings else None
    last = latest.completed_at if latest else None
    if not rules.required:
        return Duty(DutyStatus.NOT_REQUIRED, "the policy does not require training", last)
    if latest is None:
        return Duty(DutyStatus.MISSING, "has no training on record")
    days = rules.renew_every_days
    if days is not None and _age(last, now) > days:
        return Duty(DutyStatus.EXPIRED, f"last trained on {last[:10]} ({latest.course}), more "
                                        f"than the policy's {days} days ago", last)
    return Duty(DutyStatus.CURRENT, f"trained on {last[:10]} ({latest.course})", last)
