"""Staff users of the web application, their versions (roles, password, disabled), their
sessions and API tokens (kept by the sha256 of their secret) and the ends of both.
Append-only like the rest: UPDATE, DELETE and TRUNCATE refused, and on SQLite an INSERT
that would replace a row (0004, 0007).

Revision ID: 0010_staff
Revises: 0009_moderation
"""
import sqlalchemy as sa
from alembic import op

from civicarchive.store.migrations.guards import guard

revision = "0010_staff"
down_revision = "0009_moderation"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)

UNIQUE_KEYS = {
    "staff_users": [("id",), ("username",)],
    "staff_user_versions": [("id",)],
    "staff_sessions": [("id",), ("token_sha256",)],
    "staff_session_ends": [("session_id",)],
    "api_tokens": [("id",), ("token_sha256",)],
    "api_token_revocations": [("token_id",)],
}


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", Id, primary_key=True),
        sa.Column("agency_id", Id, sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False))
    op.create_table(
        "staff_user_versions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("person_id", Id, sa.ForeignKey("people.id")),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("sso_issuer", sa.Text),
        sa.Column("sso_subject", sa.Text),
        sa.Column("recorded_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_index("ix_staff_user_versions_user", "staff_user_versions", ["user_id", "id"])
    op.create_table(
        "staff_sessions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False))
    op.create_table(
        "staff_session_ends",
        sa.Column("session_id", Id, sa.ForeignKey("staff_sessions.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("ended_at", Time, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False))
    op.create_table(
        "api_tokens",
        sa.Column("id", Id, primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time),
        sa.Column("created_by", sa.Text, nullable=False))
    op.create_table(
        "api_token_revocations",
        sa.Column("token_id", Id, sa.ForeignKey("api_tokens.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("revoked_at", Time, nullable=False),
        sa.Column("revoked_by", sa.Text, nullable=False))
    guard(UNIQUE_KEYS)


def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
