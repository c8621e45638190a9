"""Records management: adopted policies, account closures, acknowledgements, legal holds
and disposition batches. All append-only: a release, an approval or an execution is a
new row, never an update.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)

GUARDED = ("policies", "account_closures", "account_tags", "acknowledgements", "holds", "hold_releases",
           "disposition_batches", "disposition_items", "disposition_approvals",
           "disposition_executions")


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", Id, primary_key=True),
        sa.Column("adopted_at", Time, nullable=False),
        sa.Column("adopted_by", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False))
    op.create_table(
        "account_closures",
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("closed_at", Time, nullable=False),
        sa.Column("recorded_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_table(
        "account_tags",
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("tag", sa.Text, primary_key=True),
        sa.Column("tagged_at", Time, nullable=False),
        sa.Column("tagged_by", sa.Text, nullable=False))
    op.create_table(
        "acknowledgements",
        sa.Column("id", Id, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("policy_id", Id, sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("acknowledged_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_table(
        "holds",
        sa.Column("id", Id, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("matter", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False))
    op.create_table(
        "hold_releases",
        sa.Column("hold_id", Id, sa.ForeignKey("holds.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("released_at", Time, nullable=False),
        sa.Column("released_by", sa.Text, nullable=False))
    op.create_table(
        "disposition_batches",
        sa.Column("id", Id, primary_key=True),
        sa.Column("series", sa.Text, nullable=False),
        sa.Column("policy_id", Id, sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False))
    op.create_table(
        "disposition_items",
        sa.Column("batch_id", Id, sa.ForeignKey("disposition_batches.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("item_id", Id, sa.ForeignKey("items.id"), primary_key=True,
                  autoincrement=False))
    op.create_table(
        "disposition_approvals",
        sa.Column("batch_id", Id, sa.ForeignKey("disposition_batches.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("approver", sa.Text, primary_key=True),
        sa.Column("approved_at", Time, nullable=False))
    op.create_table(
        "disposition_executions",
        sa.Column("batch_id", Id, sa.ForeignKey("disposition_batches.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("executed_at", Time, nullable=False),
        sa.Column("executed_by", sa.Text, nullable=False),
        sa.Column("certificate", sa.Text, nullable=False))
    dialect = op.get_bind().dialect.name
    for table in GUARDED:
        if dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'civicarchive: {table} is append-only'); END")
        else:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION civicarchive_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION civicarchive_append_only()")


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
