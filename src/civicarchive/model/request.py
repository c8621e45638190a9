"""Where a public records request stands: the statuses staff set, and which keep it open."""

from __future__ import annotations

import enum


class RequestStatus(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"        # first response sent, with an estimate
    CLARIFICATION = "clarification"      # waiting for the requester to clarify
    IN_REVIEW = "in_review"
    PARTIALLY_PRODUCED = "partially_produced"
    PRODUCED = "produced"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN = frozenset(RequestStatus) - {RequestStatus.CLOSED, RequestStatus.WITHDRAWN,
                                   RequestStatus.PRODUCED}
