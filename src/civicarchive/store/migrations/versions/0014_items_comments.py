"""Two indexes of comments and replies, so that the moderation queue reads a page of them
instead of every record of the accounts: an account's comments newest first (by creation,
else first sight: the queue's order), and an author's comments in id order (the earlier
comments the engine compares a comment with, to see repetition). Partial: only the rows
of those two kinds; a query uses them when it names the same condition (COMMENTS).

Revision ID: 0014_items_comments
Revises: 0013_items_account
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_items_comments"
down_revision = "0013_items_account"
branch_labels = None
depends_on = None

COMMENTS = "kind IN ('comment', 'reply')"


def upgrade() -> None:
    where = {"sqlite_where": sa.text(COMMENTS), "postgresql_where": sa.text(COMMENTS)}
    op.create_index("ix_items_comments_newest", "items",
                    ["account_id", sa.text("coalesce(created_at, first_seen_at)"), "id"],
                    **where)
    op.create_index("ix_items_comments_author", "items", ["author", "id"], **where)


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
