"""The initial archive schema and its append-only triggers.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)
Sha256 = sa.LargeBinary(32)

GUARDED = ("items", "versions", "ledger_entries", "checkpoints", "audit_events", "tombstones")


def upgrade() -> None:
    op.create_table(
        "archive_info",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False))
    op.create_table(
        "agencies",
        sa.Column("id", Id, primary_key=True),
        sa.Column("slug", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False))
    op.create_table(
        "accounts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("agency_id", Id, sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("platform", sa.String(50), nullable=False),
        sa.Column("handle", sa.Text, nullable=False),
        sa.Column("platform_id", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("classification", sa.String(32), nullable=False),
        sa.Column("registered_at", Time, nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.UniqueConstraint("agency_id", "platform", "handle", name="uq_accounts_handle"))
    op.create_table(
        "items",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("native_id", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_native_id", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("created_at", Time),
        sa.Column("first_seen_at", Time, nullable=False),
        sa.UniqueConstraint("account_id", "native_id", name="uq_items_native"))
    op.create_table(
        "blobs",
        sa.Column("sha256", Sha256, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary),
        sa.Column("created_at", Time, nullable=False))
    op.create_table(
        "versions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("item_id", Id, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("observed_at", Time, nullable=False),
        sa.Column("recorded_at", Time, nullable=False),
        sa.Column("content_sha256", Sha256, nullable=False),
        sa.Column("raw_sha256", Sha256, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, unique=True))
    op.create_index("ix_versions_item_observed", "versions", ["item_id", "observed_at"])
    op.create_table(
        "ledger_entries",
        sa.Column("idx", Id, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False))
    op.create_table(
        "checkpoints",
        sa.Column("id", Id, primary_key=True),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.Column("frontier", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False))
    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, unique=True))
    op.create_table(
        "tombstones",
        sa.Column("version_id", Id, sa.ForeignKey("versions.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, unique=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("purged_at", Time, nullable=False))
    _guard_append_only()


def _guard_append_only() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in GUARDED:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'civicarchive: {table} is append-only'); END")
    elif dialect == "postgresql":
        op.execute("""
            CREATE FUNCTION civicarchive_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'civicarchive: % is append-only', TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
            END $$""")
        for table in GUARDED:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION civicarchive_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION civicarchive_append_only()")
    else:
        raise RuntimeError(f"civicarchive supports SQLite and PostgreSQL, not {dialect}")


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
