"""On SQLite, refuse an INSERT that would replace a row (REPLACE, INSERT OR REPLACE) in
the tables that live capture (0005) and checkpoint timestamps (0006) added, as 0004 does
for the others: a BEFORE INSERT trigger per unique key, whatever the connection's
settings. PostgreSQL has no REPLACE; its UPDATE and DELETE triggers cover upserts.

Revision ID: 0007_no_replace
Revises: 0006_timestamps
"""

from civicarchive.store.migrations.guards import refuse_replace

revision = "0007_no_replace"
down_revision = "0006_timestamps"
branch_labels = None
depends_on = None

UNIQUE_KEYS = {
    "capture_settings": [("id",)],
    "credentials": [("id",)],
    "capture_runs": [("id",)],
    "capture_gaps": [("id",)],
    "capture_gap_closures": [("gap_id",)],
    "alerts": [("id",)],
    "checkpoint_timestamps": [("id",)],
}


def upgrade() -> None:
    for table, keys in UNIQUE_KEYS.items():
        refuse_replace(table, keys)

def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
