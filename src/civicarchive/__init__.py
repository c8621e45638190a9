"""civicarchive: social media kept as provable public records.

The one entry point is `Archive`; everything else is re-exported for type hints.
"""

from civicarchive.archive import Archive
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
