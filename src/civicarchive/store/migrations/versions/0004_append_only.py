"""Append-only that holds: the registry (archive_info, agencies, accounts) is guarded too,
and on SQLite an INSERT that would replace a row is refused.

SQLite's REPLACE (and INSERT OR REPLACE) deletes the row it conflicts with without firing
its DELETE trigger unless `recursive_triggers` is on for that connection, which a
connection opened by someone else need not be. A BEFORE INSERT trigger per unique key
refuses the conflicting insert itself, whatever the connection's settings. PostgreSQL
has no REPLACE, and INSERT ... ON CONFLICT DO UPDATE and MERGE fire the BEFORE UPDATE and
DELETE row triggers that 0001-0003 installed.

Revision ID: 0004
Revises: 0003
"""

from civicarchive.store.migrations.guards import refuse_changes, refuse_replace

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEWLY_GUARDED = ("archive_info", "agencies", "accounts")

# Every unique key of every guarded table, as 0001-0003 created them: a REPLACE deletes
# whichever row any of them collides with.
UNIQUE_KEYS = {
    "archive_info": [("id",)],
    "agencies": [("id",), ("slug",)],
    "accounts": [("id",), ("agency_id", "platform", "handle")],
    "items": [("id",), ("account_id", "native_id")],
    "versions": [("id",), ("ledger_index",)],
    "ledger_entries": [("idx",)],
    "checkpoints": [("id",)],
    "audit_events": [("id",), ("ledger_index",)],
    "tombstones": [("version_id",), ("ledger_index",)],
    "policies": [("id",)],
    "account_closures": [("account_id",)],
    "account_tags": [("account_id", "tag")],
    "acknowledgements": [("id",)],
    "holds": [("id",)],
    "hold_releases": [("hold_id",)],
    "disposition_batches": [("id",)],
    "disposition_items": [("batch_id", "item_id")],
    "disposition_approvals": [("batch_id", "approver")],
    "disposition_executions": [("batch_id",)],
    "requests": [("id",), ("number",)],
    "request_events": [("id",)],
    "productions": [("id",)],
}


def upgrade() -> None:
    for table in NEWLY_GUARDED:
        refuse_changes(table)
    for table, keys in UNIQUE_KEYS.items():
        refuse_replace(table, keys)

def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
