"""The moderation log: every hide, unhide, delete, block and unblock with who, when, the
clause relied on and the comment's archived version; the stance labels a reviewer gives
commenters (for the viewpoint-neutrality report); and acknowledgements of alerts (the
alert itself is never changed). Append-only like the rest: UPDATE, DELETE and TRUNCATE
refused, and on SQLite an INSERT that would replace a row (0004, 0007).

Revision ID: 0009_moderation
Revises: 0008_people
"""
import sqlalchemy as sa
from alembic import op

from civicarchive.store.migrations.guards import guard

revision = "0009_moderation"
down_revision = "0008_people"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)

UNIQUE_KEYS = {
    "moderation_actions": [("id",)],
    "moderation_labels": [("id",)],
    "alert_acknowledgements": [("alert_id",)],
}


def upgrade() -> None:
    op.create_table(
        "moderation_actions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("item_id", Id, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("version_id", Id, sa.ForeignKey("versions.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("clause", sa.String(100)),
        sa.Column("reason", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_detail", sa.Text, nullable=False),
        sa.Column("warning", sa.Text),
        sa.Column("acted_at", Time, nullable=False),
        sa.Column("acted_by", sa.Text, nullable=False))
    op.create_index("ix_moderation_actions_item", "moderation_actions", ["item_id", "id"])
    op.create_table(
        "moderation_labels",
        sa.Column("id", Id, primary_key=True),
        sa.Column("item_id", Id, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("stance", sa.String(16), nullable=False),
        sa.Column("labelled_at", Time, nullable=False),
        sa.Column("labelled_by", sa.Text, nullable=False))
    op.create_index("ix_moderation_labels_item", "moderation_labels", ["item_id", "id"])
    op.create_table(
        "alert_acknowledgements",
        sa.Column("alert_id", Id, sa.ForeignKey("alerts.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("note", sa.Text),
        sa.Column("acknowledged_at", Time, nullable=False),
        sa.Column("acknowledged_by", sa.Text, nullable=False))
    guard(UNIQUE_KEYS)

def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
