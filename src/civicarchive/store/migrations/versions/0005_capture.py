"""Live capture: settings, encrypted credentials, runs, gaps and alerts, append-only.

Revision ID: 0005_capture
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from civicarchive.store.migrations.guards import refuse_changes

revision = "0005_capture"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)

GUARDED = ("capture_settings", "credentials", "capture_runs", "capture_gaps",
           "capture_gap_closures", "alerts")


def upgrade() -> None:
    op.create_table(
        "capture_settings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("set_at", Time, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False))
    op.create_index("ix_capture_settings_account", "capture_settings", ["account_id", "id"])
    op.create_table(
        "credentials",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("key_fingerprint", sa.String(16), nullable=False),
        sa.Column("expires_at", Time),
        sa.Column("set_at", Time, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False))
    op.create_index("ix_credentials_account", "credentials", ["account_id", "id"])
    op.create_table(
        "capture_runs",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("ended_at", Time, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("full", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("edited", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("hidden", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("expected_replies", sa.BigInteger, nullable=False),
        sa.Column("captured_replies", sa.BigInteger, nullable=False),
        sa.Column("problems", sa.Text, nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("failure", sa.Text),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_index("ix_capture_runs_account", "capture_runs", ["account_id", "id"])
    op.create_table(
        "capture_gaps",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("gap_from", Time, nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("opened_at", Time, nullable=False),
        sa.Column("opened_by", sa.Text, nullable=False))
    op.create_table(
        "capture_gap_closures",
        sa.Column("gap_id", Id, sa.ForeignKey("capture_gaps.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("gap_to", Time, nullable=False),
        sa.Column("closed_at", Time, nullable=False),
        sa.Column("closed_by", sa.Text, nullable=False))
    op.create_table(
        "alerts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id")),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False))
    op.create_index("ix_alerts_account", "alerts", ["account_id", "id"])
    for table in GUARDED:
        refuse_changes(table)

def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
