"""Plain dataclasses and Enums that describe archived records. No I/O here."""

from civicarchive.model.account import Account, Agency, Classification
from civicarchive.model.audit import AuditEvent
from civicarchive.model.record import Event, Item, Kind, Observation, Version

__all__ = ["Account", "Agency", "AuditEvent", "Classification", "Event", "Item", "Kind",
           "Observation", "Version"]
