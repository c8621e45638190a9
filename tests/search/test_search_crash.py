"""The index is derived data: SIGKILL in the middle of an ingest (store and index commits
interleaved) leaves it behind at worst, and the next search makes it agree with the store
exactly. An index in an older format is rebuilt when opened."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from civicarchive import Archive
from tests.test_crash import kill_when, sample  # noqa: F401  (sample is a fixture)


def items_by_kind(db) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT kind, count(*) FROM items GROUP BY kind"))


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [900, 3300])
def test_search_agrees_with_the_store_after_a_sigkill(tmp_path, sample, kill_at):  # noqa: F811
    home = tmp_path / "home"
    with Archive.init("Crash City", home=home) as archive:
        account = archive.registry.add_account("x", "crashcity", "agency")
    command = [sys.executable, "-m", "civicarchive.cli", "--home", str(home), "ingest-jsonl",
               str(sample), "--account", str(account.id), "--batch-size", "300", "--quiet"]
    kill_when(command, home / "archive.db", kill_at)
    stored = items_by_kind(home / "archive.db")
    with Archive.open(home) as archive:
        found = archive.finding.search("council OR -council", limit=1, facets=True)
        assert found.total == sum(stored.values())
        assert found.facets["kind"] == stored
        for kind, count in stored.items():
            assert archive.finding.search(f"kind:{kind}", limit=1).total == count


def test_search_index_in_an_older_format_is_rebuilt(tmp_path, clock):
    from tests.conftest import observe
    home = tmp_path / "home"
    with Archive.init("Town", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "town", "agency")
        archive.ingesting.ingest([observe(account.id, "a", "snow plow schedule")], source="test")
    (home / "search" / "format").write_text("0")
    with Archive.open(home, clock=clock) as archive:
        assert archive.finding.index.indexed_through() == 0  # emptied, not trusted
        assert archive.finding.search("plow").total == 1
