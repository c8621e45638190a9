"""civicarchive: social media kept as provable public records.

The one entry point is `Archive` (loaded on first use, so that importing the package,
or starting the command line, stays quick); everything else is re-exported for type hints.
"""

from civicarchive.errors import (AlreadyInitialised, AppendOnlyViolation, ArchiveError,
                                 InvalidInput, MalformedLine, NotFound, NotInitialised,
                                 ProofError, StoreUnavailable)
from civicarchive.model import (Account, Agency, AuditEvent, Classification, Event, Item, Kind,
                                Observation, Version)

__all__ = ["Account", "Agency", "AlreadyInitialised", "AppendOnlyViolation", "Archive",
           "ArchiveError", "AuditEvent", "Classification", "Event", "InvalidInput", "Item",
           "Kind", "MalformedLine", "NotFound", "NotInitialised", "Observation", "ProofError",
           "StoreUnavailable", "Version"]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name == "Archive":
        from civicarchive.archive import Archive
        return Archive
    raise AttributeError(f"module 'civicarchive' has no attribute {name!r}")
