"""Tracking links of records requests made through the open archive's portal: the
sha256 of each link's secret (never the secret), so that a requester follows their
request without an account. Append-only like the rest (0004, 0007).

Revision ID: 0012_request_trackers
Revises: 0011_items_parent
"""
import sqlalchemy as sa
from alembic import op

from civicarchive.store.migrations.guards import guard

revision = "0012_request_trackers"
down_revision = "0011_items_parent"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "request_trackers",
        sa.Column("request_id", Id, sa.ForeignKey("requests.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("agency_id", Id, sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("created_at", Time, nullable=False))
    guard({"request_trackers": [("request_id",), ("token_sha256",)]})


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
