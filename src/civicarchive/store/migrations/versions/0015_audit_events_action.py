"""An index of the audit log by action and subject, so that the events of one thing (the
transfer packages written of a disposition batch, which the retention page shows for
every batch) are found without reading the whole log.

Revision ID: 0015_audit_events_action
Revises: 0014_items_comments
"""
from alembic import op

revision = "0015_audit_events_action"
down_revision = "0014_items_comments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_events_action_subject", "audit_events", ["action", "subject"])


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
