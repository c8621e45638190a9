"""The append-only triggers the migrations install, written once.

Frozen like the migrations that call it: a later migration that needs other triggers
writes its own, so that no past migration ever changes what it installed.

- `refuse_changes(table)`: UPDATE and DELETE refused (SQLite), or UPDATE, DELETE and
  TRUNCATE refused through `civicarchive_append_only()` (PostgreSQL, from 0001);
- `refuse_replace(table, keys)`: on SQLite, an INSERT that would replace a row with any
  of these unique keys refused, whatever the connection's `recursive_triggers` (0004);
- `guard(unique_keys)`: both, for tables a migration creates.
"""

from __future__ import annotations

from alembic import op


def sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def refuse_changes(table: str) -> None:
    if sqlite():
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'civicarchive: {table} is append-only'); END")
    else:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION civicarchive_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION civicarchive_append_only()")


def refuse_replace(table: str, keys: list[tuple[str, ...]]) -> None:
    if not sqlite():  # PostgreSQL has no REPLACE; upserts fire the UPDATE trigger
        return
    clash = " OR ".join(
        "EXISTS (SELECT 1 FROM {t} WHERE {c})".format(
            t=table, c=" AND ".join(f"{column} = NEW.{column}" for column in key))
        for key in keys)
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {clash} "
        f"BEGIN SELECT RAISE(ABORT, 'civicarchive: {table} is append-only: a row "
        f"with that key exists'); END")


def guard(unique_keys: dict[str, list[tuple[str, ...]]]) -> None:
    for table, keys in unique_keys.items():
        refuse_changes(table)
        refuse_replace(table, keys)
