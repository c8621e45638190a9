"""Audit events: who did what to which subject, and when."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditEvent:
    """One event of the audit log, as a reader of one agency sees it (app/auditing.py)."""

    id: int
    at: str
    actor: str
    action: str
    subject: str
    ledger_index: int
    scope: str               # "agency": the reader's own; "deployment": of no agency
    details: dict | None     # None when withheld
