"""Audit events: who did what to which subject, and when."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict = field(default_factory=dict)
    ledger_index: int | None = None
