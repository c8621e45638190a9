"""Alembic migrations for the archive schema (run by `civicarchive init` and on open)."""
