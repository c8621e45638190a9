"""The registry of people: officials and staff, their terms in the policy's offices, the
accounts linked to them, their acknowledgements of the officials' guide and their
training. Append-only like the rest: UPDATE, DELETE and TRUNCATE refused, and on SQLite
an INSERT that would replace a row (0004, 0007).

Revision ID: 0008_people
Revises: 0007_no_replace
"""
import sqlalchemy as sa
from alembic import op

from civicarchive.store.migrations.guards import guard

revision = "0008_people"
down_revision = "0007_no_replace"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.String(32)
Day = sa.String(10)

UNIQUE_KEYS = {
    "people": [("id",)],
    "people_terms": [("id",)],
    "people_term_ends": [("term_id",)],
    "people_accounts": [("id",)],
    "people_acknowledgements": [("id",)],
    "people_trainings": [("id",)],
}


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", Id, primary_key=True),
        sa.Column("agency_id", Id, sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_at", Time, nullable=False),
        sa.Column("added_by", sa.Text, nullable=False))
    op.create_table(
        "people_terms",
        sa.Column("id", Id, primary_key=True),
        sa.Column("person_id", Id, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("office", sa.String(100), nullable=False),
        sa.Column("starts_on", Day, nullable=False),
        sa.Column("ends_on", Day),
        sa.Column("recorded_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_index("ix_people_terms_person", "people_terms", ["person_id", "id"])
    op.create_table(
        "people_term_ends",
        sa.Column("term_id", Id, sa.ForeignKey("people_terms.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("ends_on", Day, nullable=False),
        sa.Column("recorded_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_table(
        "people_accounts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("person_id", Id, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("linked_at", Time, nullable=False),
        sa.Column("linked_by", sa.Text, nullable=False))
    op.create_index("ix_people_accounts_account", "people_accounts", ["account_id", "id"])
    op.create_table(
        "people_acknowledgements",
        sa.Column("id", Id, primary_key=True),
        sa.Column("person_id", Id, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("policy_id", Id, sa.ForeignKey("policies.id"), nullable=False),
        sa.Column("guide_sha256", sa.String(64), nullable=False),
        sa.Column("acknowledged_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_index("ix_people_acknowledgements_person", "people_acknowledgements",
                    ["person_id", "id"])
    op.create_table(
        "people_trainings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("person_id", Id, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("course", sa.Text, nullable=False),
        sa.Column("completed_at", Time, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False))
    op.create_index("ix_people_trainings_person", "people_trainings", ["person_id", "id"])
    guard(UNIQUE_KEYS)

def downgrade() -> None:
    raise RuntimeError("the archive schema cannot be downgraded: archived data is append-only")
