"""An index of an account's records in id order, so that the staff account page lists
them newest first, a page at a time, without scanning the account (the thread index is
0011_items_parent).

Revision ID: 0013_items_account
Revises: 0012_request_trackers
"""
from alembic import op

revision = "0013_items_account"
down_revision = "0012_request_trackers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_account_id", "items", ["account_id", "id"])


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
