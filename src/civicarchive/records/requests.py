"""A public records request as the sum of what happened to it. Pure: no I/O, no clock.

Every action on a request is an event (added items, a review mark, a redaction, a
decision on a suggested redaction, a status change, a production); `fold` replays them
into the request's current state, so nothing is ever overwritten and the history of a
request is its own audit trail.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from civicarchive.errors import InvalidInput
from civicarchive.model.request import OPEN, RequestStatus
from civicarchive.policy.calendar import as_calendar
from civicarchive.records.deadlines import Holidays, business_days_between

__all__ = ["Action", "FieldRedaction", "Mark", "RequestState", "RequestStatus",
           "TextRedaction", "MediaRedaction", "deadline_status", "fold", "suggestion_key"]


class Mark(enum.StrEnum):
    RESPONSIVE = "responsive"
    NON_RESPONSIVE = "non_responsive"
    WITHHELD = "withheld"


class Action(enum.StrEnum):
    ADD = "add"                  # {"items": [...], "source": "search: ..." | "item"}
    MARK = "mark"                # {"items": [...], "mark": ..., "exemption", "citation"}
    REDACT = "redact"            # {"id", "item", "phrase" | "media" | "field" (+ "url"),
    #                              "reason"}
    UNREDACT = "unredact"        # {"id", "why"}
    DECIDE = "decide"            # {"key", "item", "accepted": bool}
    STATUS = "status"            # {"status", "note"}
    PRODUCED = "produced"        # {"production", "first", "last"}


@dataclass(frozen=True)
class ReviewMark:
    mark: Mark
    exemption: str | None = None
    citation: str | None = None


@dataclass(frozen=True)
class TextRedaction:
    id: int
    item: int
    phrase: str                  # every occurrence, in every version of the item
    reason: str


@dataclass(frozen=True)
class MediaRedaction:
    id: int
    item: int
    media: str                   # the media file's name (or the media item's native id)
    reason: str


@dataclass(frozen=True)
class FieldRedaction:
    id: int
    item: int
    field: str                   # records.fields.Field: author, handle, permalink, url, urls
    reason: str
    url: str | None = None       # with field "url": the URL redacted


Redaction = TextRedaction | MediaRedaction | FieldRedaction


@dataclass
class RequestState:
    status: RequestStatus = RequestStatus.RECEIVED
    items: dict[int, str] = field(default_factory=dict)            # item -> how it came in
    marks: dict[int, ReviewMark] = field(default_factory=dict)
    redactions: dict[int, Redaction] = field(default_factory=dict)
    decisions: dict[str, bool] = field(default_factory=dict)       # suggestion -> accepted
    productions: list[int] = field(default_factory=list)

    def unreviewed(self) -> list[int]:
        return sorted(set(self.items) - set(self.marks))

    def with_mark(self, mark: Mark) -> list[int]:
        return sorted(i for i, m in self.marks.items() if m.mark is mark and i in self.items)

    def redactions_of(self, item: int) -> list[Redaction]:
        return [r for r in self.redactions.values() if r.item == item]


def fold(events: Iterable[tuple[str, dict]]) -> RequestState:
    """The state a request's events, in order, leave it in."""
    state = RequestState()
    for action, details in events:
        action = Action(action)
        if action is Action.ADD:
            for item in details["items"]:
                state.items.setdefault(item, details["source"])
        elif action is Action.MARK:
            mark = ReviewMark(Mark(details["mark"]), details.get("exemption"),
                              details.get("citation"))
            for item in details["items"]:
                state.marks[item] = mark
        elif action is Action.REDACT:
            state.redactions[details["id"]] = (
                MediaRedaction(details["id"], details["item"], details["media"],
                               details["reason"]) if "media" in details else
                FieldRedaction(details["id"], details["item"], details["field"],
                               details["reason"], details.get("url")) if "field" in details
                else TextRedaction(details["id"], details["item"], details["phrase"],
                                   details["reason"]))
        elif action is Action.UNREDACT:
            state.redactions.pop(details["id"], None)
        elif action is Action.DECIDE:
            state.decisions[details["key"]] = details["accepted"]
        elif action is Action.STATUS:
            state.status = RequestStatus(details["status"])
        elif action is Action.PRODUCED:
            state.productions.append(details["production"])
    return state


def review_mark(mark: Mark | str, exemption: str | None, citation: str | None) -> ReviewMark:
    """A checked review mark: withholding names the exemption and the law it rests on."""
    try:
        mark = Mark(str(mark).replace("-", "_"))
    except ValueError:
        raise InvalidInput(f"{mark} is not a review mark: use responsive, non-responsive or "
                           "withheld") from None
    if mark is Mark.WITHHELD and not (exemption and exemption.strip() and citation and
                                      citation.strip()):
        raise InvalidInput("withholding a record needs the exemption and its citation, "
                           "e.g. 'personal information' under 'RCW 42.56.230'",
                           parameter="exemption")
    if mark is not Mark.WITHHELD and (exemption or citation):
        raise InvalidInput("an exemption and citation go with withheld records only")
    return ReviewMark(mark, exemption.strip() if exemption else None,
                      citation.strip() if citation else None)


def suggestion_key(item: int, phrase: str) -> str:
    """A stable name for "this phrase in this record", to accept or reject it by."""
    return f"{item}:{hashlib.sha256(phrase.encode()).hexdigest()[:8]}"


def deadline_status(deadlines: list[dict], today: date, holidays: Holidays,
                    status: RequestStatus, entered: Mapping[str, date] | None = None
                    ) -> list[dict]:
    """Each deadline with business days left (negative: overdue) while it runs. A deadline
    stops running when the request is no longer open, or once it has entered one of the
    deadline's `met_by` statuses (`entered`: the local day it first entered each status):
    then `met_on` is that day and `late` whether it came after the due date. `holidays` is
    the policy's calendar (`Requests.calendar`) or a list of dates."""
    closed = as_calendar(holidays)
    entered = entered or {}
    out = []
    for deadline in deadlines:
        due = date.fromisoformat(deadline["due"])
        answered = [entered[s] for s in deadline.get("met_by", ()) if s in entered]
        met_on = min(answered) if answered else None
        running = status in OPEN and met_on is None
        left = business_days_between(today, due, closed) if running else None
        out.append({**deadline, "business_days_left": left,
                    "overdue": left is not None and left < 0,
                    "met_on": met_on.isoformat() if met_on else None,
                    "late": met_on is not None and met_on > due})
    return out
