"""An index of records by the post they answer, so that a record's comment thread (the
staff record view, the open archive, productions) is found without scanning the account.

Revision ID: 0011_items_parent
Revises: 0010_staff
"""
from alembic import op

revision = "0011_items_parent"
down_revision = "0010_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_parent", "items", ["account_id", "parent_native_id"])


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
