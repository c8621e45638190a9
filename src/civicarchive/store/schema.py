"""The archive's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Migrations in `store/migrations` create exactly this; a test compares the two.
Append-only tables are guarded by triggers (see APPEND_ONLY_TABLES).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import (BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint)

metadata = MetaData()

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")
Time = String(32)
Sha256 = LargeBinary(32)  # raw digests: half the index of hex text

archive_info = Table(
    "archive_info", metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", Time, nullable=False),
    Column("public_key", String(64), nullable=False),
)

agencies = Table(
    "agencies", metadata,
    Column("id", Id, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", Time, nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Id, primary_key=True),
    Column("agency_id", Id, ForeignKey("agencies.id"), nullable=False),
    Column("platform", String(50), nullable=False),
    Column("handle", Text, nullable=False),
    Column("platform_id", Text),
    Column("owner", Text),
    Column("classification", String(32), nullable=False),
    Column("registered_at", Time, nullable=False),
    Column("registered_by", Text, nullable=False),
    UniqueConstraint("agency_id", "platform", "handle", name="uq_accounts_handle"),
)

items = Table(
    "items", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("native_id", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_native_id", Text),
    Column("author", Text),
    Column("url", Text),
    Column("created_at", Time),
    Column("first_seen_at", Time, nullable=False),
    UniqueConstraint("account_id", "native_id", name="uq_items_native"),
    Index("ix_items_parent", "account_id", "parent_native_id"),  # threads (0011)
    Index("ix_items_account_id", "account_id", "id"),  # an account's records in order (0013)
)
# The moderation queue's indexes (0014): comments and replies only, newest first per
# account and in order per author. A query must name COMMENTS itself to use them.
COMMENTS = "kind IN ('comment', 'reply')"
SORT_AT = sa.func.coalesce(items.c.created_at, items.c.first_seen_at)  # the queue's order
Index("ix_items_comments_newest", items.c.account_id, SORT_AT, items.c.id,
      sqlite_where=sa.text(COMMENTS), postgresql_where=sa.text(COMMENTS))
Index("ix_items_comments_author", items.c.author, items.c.id,
      sqlite_where=sa.text(COMMENTS), postgresql_where=sa.text(COMMENTS))

blobs = Table(
    "blobs", metadata,
    Column("sha256", Sha256, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(255), nullable=False),
    # Small blobs live in `data`, in the same transaction as their version; large ones in
    # the BlobStore (`data` is NULL).
    Column("data", LargeBinary),
    Column("created_at", Time, nullable=False),
)

versions = Table(
    "versions", metadata,
    Column("id", Id, primary_key=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("observed_at", Time, nullable=False),
    Column("recorded_at", Time, nullable=False),
    Column("content_sha256", Sha256, nullable=False),
    Column("raw_sha256", Sha256, nullable=False),
    Column("source", Text, nullable=False),
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    Index("ix_versions_item_observed", "item_id", "observed_at"),
)

# A leaf hash per entry. The entry itself is not stored: it is rebuilt from the record it
# describes (entries.py), so the rows are the one source of truth and any change to them
# shows as a leaf that no longer matches.
ledger_entries = Table(
    "ledger_entries", metadata,
    Column("idx", Id, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("id", Id, primary_key=True),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("frontier", Text, nullable=False),
    Column("created_at", Time, nullable=False),
)

audit_events = Table(
    "audit_events", metadata,
    Column("id", Id, primary_key=True),
    Column("at", Time, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    # The events of one thing (a batch's transfer packages), without reading the log (0015)
    Index("ix_audit_events_action_subject", "action", "subject"),
)

tombstones = Table(
    "tombstones", metadata,
    Column("version_id", Id, ForeignKey("versions.id"), primary_key=True, autoincrement=False),
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    Column("reason", Text, nullable=False),
    Column("purged_at", Time, nullable=False),
)

# Records management (migration 0002): releases, approvals and executions are new rows.
policies = Table(
    "policies", metadata,
    Column("id", Id, primary_key=True),
    Column("adopted_at", Time, nullable=False),
    Column("adopted_by", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
)

account_closures = Table(
    "account_closures", metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    Column("closed_at", Time, nullable=False),
    Column("recorded_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
)

# Tags select record series in the policy's assignment rules (e.g. "council").
account_tags = Table(
    "account_tags", metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    Column("tag", Text, primary_key=True),
    Column("tagged_at", Time, nullable=False),
    Column("tagged_by", Text, nullable=False),
)

acknowledgements = Table(
    "acknowledgements", metadata,
    Column("id", Id, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("policy_id", Id, ForeignKey("policies.id"), nullable=False),
    Column("acknowledged_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
)

holds = Table(
    "holds", metadata,
    Column("id", Id, primary_key=True),
    Column("name", Text, nullable=False),
    Column("matter", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("scope", Text, nullable=False),  # canonical JSON of the HoldScope
    Column("created_at", Time, nullable=False),
    Column("created_by", Text, nullable=False),
)

hold_releases = Table(
    "hold_releases", metadata,
    Column("hold_id", Id, ForeignKey("holds.id"), primary_key=True, autoincrement=False),
    Column("reason", Text, nullable=False),
    Column("released_at", Time, nullable=False),
    Column("released_by", Text, nullable=False),
)

disposition_batches = Table(
    "disposition_batches", metadata,
    Column("id", Id, primary_key=True),
    Column("series", Text, nullable=False),
    Column("policy_id", Id, ForeignKey("policies.id"), nullable=False),
    Column("created_at", Time, nullable=False),
    Column("created_by", Text, nullable=False),
)

disposition_items = Table(
    "disposition_items", metadata,
    Column("batch_id", Id, ForeignKey("disposition_batches.id"), primary_key=True,
           autoincrement=False),
    Column("item_id", Id, ForeignKey("items.id"), primary_key=True, autoincrement=False),
)

disposition_approvals = Table(
    "disposition_approvals", metadata,
    Column("batch_id", Id, ForeignKey("disposition_batches.id"), primary_key=True,
           autoincrement=False),
    Column("approver", Text, primary_key=True),
    Column("approved_at", Time, nullable=False),
)

disposition_executions = Table(
    "disposition_executions", metadata,
    Column("batch_id", Id, ForeignKey("disposition_batches.id"), primary_key=True,
           autoincrement=False),
    Column("executed_at", Time, nullable=False),
    Column("executed_by", Text, nullable=False),
    Column("certificate", Text, nullable=False),  # the certificate's canonical JSON
)

# Public records requests (migration 0003). What happens to a request (items added,
# review marks, redactions, decisions on suggestions, status) is a new request_events row;
# its state is those events folded in order (records/requests.py).
requests = Table(
    "requests", metadata,
    Column("id", Id, primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("requester", Text, nullable=False),
    Column("contact", Text),
    Column("description", Text, nullable=False),
    Column("received_at", String(40), nullable=False),  # as given, with its UTC offset
    Column("deadlines", Text, nullable=False),          # JSON, computed when received
    Column("policy_id", Id, ForeignKey("policies.id")),
    Column("created_at", Time, nullable=False),
    Column("created_by", Text, nullable=False),
)

request_events = Table(
    "request_events", metadata,
    Column("id", Id, primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id"), nullable=False),
    Column("at", Time, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("details", Text, nullable=False),            # JSON
    Index("ix_request_events_request", "request_id", "id"),
)

productions = Table(
    "productions", metadata,
    Column("id", Id, primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id"), nullable=False),
    Column("prefix", String(32), nullable=False),
    Column("first_number", BigInteger, nullable=False),
    Column("last_number", BigInteger, nullable=False),
    Column("items", Integer, nullable=False),
    Column("withheld", Integer, nullable=False),
    Column("folder", Text, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("produced_at", Time, nullable=False),
    Column("produced_by", Text, nullable=False),
)

# Live capture (migration 0005_capture). Settings and credentials are new rows, the latest
# per account in force; a run is one row written when it ends; a gap is opened and closed
# by rows of its own. Every row is also an audit event in the ledger with its fields
# (a token's ciphertext by its sha256 only).
capture_settings = Table(
    "capture_settings", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("settings", Text, nullable=False),          # canonical JSON of CaptureSettings
    Column("set_at", Time, nullable=False),
    Column("set_by", Text, nullable=False),
    Index("ix_capture_settings_account", "account_id", "id"),
)

credentials = Table(
    "credentials", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("ciphertext", Text, nullable=False),        # Fernet; the key is outside the database
    Column("key_fingerprint", String(16), nullable=False),
    Column("expires_at", Time),
    Column("set_at", Time, nullable=False),
    Column("set_by", Text, nullable=False),
    Index("ix_credentials_account", "account_id", "id"),
)

capture_runs = Table(
    "capture_runs", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("source", Text, nullable=False),            # the versions' source
    Column("started_at", Time, nullable=False),
    Column("ended_at", Time, nullable=False),
    Column("outcome", String(16), nullable=False),     # ok | failed
    Column("full", Integer, nullable=False),
    Column("created", Integer, nullable=False),
    Column("edited", Integer, nullable=False),
    Column("deleted", Integer, nullable=False),
    Column("hidden", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("expected_replies", BigInteger, nullable=False),
    Column("captured_replies", BigInteger, nullable=False),
    Column("problems", Text, nullable=False),          # JSON list
    Column("cursor", Text),                            # JSON; NULL when the run failed
    Column("failure", Text),                           # JSON: cause, message, evidence
    Column("recorded_by", Text, nullable=False),
    Index("ix_capture_runs_account", "account_id", "id"),
)

capture_gaps = Table(
    "capture_gaps", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("gap_from", Time, nullable=False),          # the last capture that succeeded
    Column("cause", String(32), nullable=False),
    Column("evidence", Text, nullable=False),          # JSON, without secrets
    Column("opened_at", Time, nullable=False),
    Column("opened_by", Text, nullable=False),
)

capture_gap_closures = Table(
    "capture_gap_closures", metadata,
    Column("gap_id", Id, ForeignKey("capture_gaps.id"), primary_key=True, autoincrement=False),
    Column("gap_to", Time, nullable=False),            # when capture resumed
    Column("closed_at", Time, nullable=False),
    Column("closed_by", Text, nullable=False),
)

alerts = Table(
    "alerts", metadata,
    Column("id", Id, primary_key=True),
    Column("at", Time, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("account_id", Id, ForeignKey("accounts.id")),
    Column("message", Text, nullable=False),
    Column("details", Text, nullable=False),           # JSON
    Index("ix_alerts_account", "account_id", "id"),
)

# RFC 3161 timestamps of checkpoints (migration 0006_timestamps): a token, or a miss with
# its error, per request to the time-stamping authority.
checkpoint_timestamps = Table(
    "checkpoint_timestamps", metadata,
    Column("id", Id, primary_key=True),
    Column("checkpoint_id", Id, ForeignKey("checkpoints.id"), nullable=False),
    Column("tsa_url", Text, nullable=False),
    Column("requested_at", Time, nullable=False),
    Column("token", LargeBinary),  # the DER TimeStampResp; NULL for a miss
    Column("error", Text),
    Index("ix_checkpoint_timestamps_checkpoint", "checkpoint_id"),
)

# The registry of people (migration 0008_people): officials and staff, their terms in
# the policy's offices, the accounts linked to them (the latest link of an account is in
# force), their acknowledgements of the officials' guide and their training. Every row is
# also an audit event in the ledger with its fields (store/people.py).
people = Table(
    "people", metadata,
    Column("id", Id, primary_key=True),
    Column("agency_id", Id, ForeignKey("agencies.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("added_at", Time, nullable=False),
    Column("added_by", Text, nullable=False),
)

people_terms = Table(
    "people_terms", metadata,
    Column("id", Id, primary_key=True),
    Column("person_id", Id, ForeignKey("people.id"), nullable=False),
    Column("office", String(100), nullable=False),
    Column("starts_on", String(10), nullable=False),   # ISO date
    Column("ends_on", String(10)),                     # inclusive; NULL: no end set
    Column("recorded_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Index("ix_people_terms_person", "person_id", "id"),
)

# A term ended early (a resignation, a recall): its own row, as a hold's release is.
people_term_ends = Table(
    "people_term_ends", metadata,
    Column("term_id", Id, ForeignKey("people_terms.id"), primary_key=True,
           autoincrement=False),
    Column("ends_on", String(10), nullable=False),
    Column("recorded_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
)

people_accounts = Table(
    "people_accounts", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("person_id", Id, ForeignKey("people.id"), nullable=False),
    Column("linked_at", Time, nullable=False),
    Column("linked_by", Text, nullable=False),
    Index("ix_people_accounts_account", "account_id", "id"),
)

people_acknowledgements = Table(
    "people_acknowledgements", metadata,
    Column("id", Id, primary_key=True),
    Column("person_id", Id, ForeignKey("people.id"), nullable=False),
    Column("policy_id", Id, ForeignKey("policies.id"), nullable=False),
    Column("guide_sha256", String(64), nullable=False),  # of the guide's Markdown
    Column("acknowledged_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Index("ix_people_acknowledgements_person", "person_id", "id"),
)

people_trainings = Table(
    "people_trainings", metadata,
    Column("id", Id, primary_key=True),
    Column("person_id", Id, ForeignKey("people.id"), nullable=False),
    Column("course", Text, nullable=False),
    Column("completed_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Index("ix_people_trainings_person", "person_id", "id"),
)

# The moderation log (migration 0009_moderation): every action on a comment or its
# author, with the clause relied on and the archived version it acted on; reviewers'
# stance labels; acknowledgements of alerts. Each row is also an audit event in the
# ledger with its fields (store/moderation.py).
moderation_actions = Table(
    "moderation_actions", metadata,
    Column("id", Id, primary_key=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("version_id", Id, ForeignKey("versions.id"), nullable=False),
    Column("action", String(16), nullable=False),      # hide unhide delete block unblock
    Column("clause", String(100)),                     # the policy category's key
    Column("reason", Text),                            # the moderator's written reason
    Column("author", Text),                            # the commenter (whom a block shuts out)
    Column("verdict", Text, nullable=False),           # JSON: the engine's, at the time
    Column("outcome", String(16), nullable=False),     # carried out | recorded only | failed
    Column("outcome_detail", Text, nullable=False),
    Column("warning", Text),                           # JSON: the state-action warning shown
    Column("acted_at", Time, nullable=False),
    Column("acted_by", Text, nullable=False),
    Index("ix_moderation_actions_item", "item_id", "id"),
)

moderation_labels = Table(
    "moderation_labels", metadata,
    Column("id", Id, primary_key=True),
    Column("item_id", Id, ForeignKey("items.id"), nullable=False),
    Column("stance", String(16), nullable=False),      # for | against | neutral
    Column("labelled_at", Time, nullable=False),
    Column("labelled_by", Text, nullable=False),
    Index("ix_moderation_labels_item", "item_id", "id"),
)

alert_acknowledgements = Table(
    "alert_acknowledgements", metadata,
    Column("alert_id", Id, ForeignKey("alerts.id"), primary_key=True, autoincrement=False),
    Column("note", Text),
    Column("acknowledged_at", Time, nullable=False),
    Column("acknowledged_by", Text, nullable=False),
)

# Staff users of the web application (migration 0010_staff). A user is one row; what
# changes (name, roles, password, disabled) is a new version, the latest in force. Sessions
# and API tokens are kept by the sha256 of their secret, never the secret; their ends are
# rows of their own. Each row is also an audit event, without hashes (store/staff.py).
staff_users = Table(
    "staff_users", metadata,
    Column("id", Id, primary_key=True),
    Column("agency_id", Id, ForeignKey("agencies.id"), nullable=False),
    Column("username", String(100), nullable=False, unique=True),
    Column("created_at", Time, nullable=False),
    Column("created_by", Text, nullable=False),
)

staff_user_versions = Table(
    "staff_user_versions", metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("staff_users.id"), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("roles", Text, nullable=False),             # comma-separated StaffRole values
    Column("password_hash", Text),                     # argon2id; NULL: no local password
    Column("person_id", Id, ForeignKey("people.id")),
    Column("disabled", Boolean, nullable=False),
    Column("sso_issuer", Text),
    Column("sso_subject", Text),
    Column("recorded_at", Time, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Index("ix_staff_user_versions_user", "user_id", "id"),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("staff_users.id"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("via", String(16), nullable=False),         # password | sso
    Column("started_at", Time, nullable=False),
    Column("expires_at", Time, nullable=False),        # the absolute timeout
)

staff_session_ends = Table(
    "staff_session_ends", metadata,
    Column("session_id", Id, ForeignKey("staff_sessions.id"), primary_key=True,
           autoincrement=False),
    Column("ended_at", Time, nullable=False),
    Column("reason", String(32), nullable=False),      # logout | idle | disabled ...
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("staff_users.id"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("expires_at", Time),
    Column("created_by", Text, nullable=False),
)

api_token_revocations = Table(
    "api_token_revocations", metadata,
    Column("token_id", Id, ForeignKey("api_tokens.id"), primary_key=True,
           autoincrement=False),
    Column("revoked_at", Time, nullable=False),
    Column("revoked_by", Text, nullable=False),
)

# Tracking links of requests made through the open archive (migration 0012): the sha256
# of each link's secret, and the agency the request was made to (store/requests.py).
request_trackers = Table(
    "request_trackers", metadata,
    Column("request_id", Id, ForeignKey("requests.id"), primary_key=True,
           autoincrement=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("agency_id", Id, ForeignKey("agencies.id"), nullable=False),
    Column("created_at", Time, nullable=False),
)

# Guarded by triggers: UPDATE, DELETE and TRUNCATE are refused, and on SQLite so is an
# INSERT whose key exists (REPLACE). Blobs are not: a disposition deletes them, and verify
# re-hashes each one. search_* tables are a derived cache.
APPEND_ONLY_TABLES = ("archive_info", "agencies", "accounts", "items", "versions",
                      "ledger_entries", "checkpoints", "audit_events",
                      "tombstones", "policies", "account_closures", "account_tags",
                      "acknowledgements", "holds", "hold_releases", "disposition_batches",
                      "disposition_items", "disposition_approvals", "disposition_executions",
                      "requests", "request_events", "productions", "capture_settings",
                      "credentials", "capture_runs", "capture_gaps", "capture_gap_closures",
                      "alerts", "checkpoint_timestamps", "people", "people_terms",
                      "people_term_ends", "people_accounts", "people_acknowledgements",
                      "people_trainings", "moderation_actions", "moderation_labels",
                      "alert_acknowledgements", "staff_users", "staff_user_versions",
                      "staff_sessions", "staff_session_ends", "api_tokens",
                      "api_token_revocations", "request_trackers")
