"""RFC 3161 timestamps on checkpoints: each answer of the time-stamping authority, and
each miss, is a new row (append-only).

Revision ID: 0006_timestamps
Revises: 0005_capture
"""
import sqlalchemy as sa
from alembic import op

from civicarchive.store.migrations.guards import refuse_changes

revision = "0006_timestamps"
down_revision = "0005_capture"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)
TABLE = "checkpoint_timestamps"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", Id, primary_key=True),
        sa.Column("checkpoint_id", Id, sa.ForeignKey("checkpoints.id"), nullable=False),
        sa.Column("tsa_url", sa.Text, nullable=False),
        sa.Column("requested_at", Time, nullable=False),
        sa.Column("token", sa.LargeBinary),
        sa.Column("error", sa.Text))
    op.create_index("ix_checkpoint_timestamps_checkpoint", TABLE, ["checkpoint_id"])
    refuse_changes(TABLE)

def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
