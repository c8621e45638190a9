"""Public records requests: the request, what happens to it (append-only events) and its
productions.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)

GUARDED = ("requests", "request_events", "productions")


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", Id, primary_key=True),
        sa.Column("number", sa.String(64), nullable=False, unique=True),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("contact", sa.Text),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("deadlines", sa.Text, nullable=False),
        sa.Column("policy_id", Id, sa.ForeignKey("policies.id")),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False))
    op.create_table(
        "request_events",
        sa.Column("id", Id, primary_key=True),
        sa.Column("request_id", Id, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("details", sa.Text, nullable=False))
    op.create_index("ix_request_events_request", "request_events", ["request_id", "id"])
    op.create_table(
        "productions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("request_id", Id, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("first_number", sa.BigInteger, nullable=False),
        sa.Column("last_number", sa.BigInteger, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("withheld", sa.Integer, nullable=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("produced_at", Time, nullable=False),
        sa.Column("produced_by", sa.Text, nullable=False))
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
