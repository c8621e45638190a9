"""SIGKILL in the middle of a large ingest: the archive still verifies, and running the
same ingest again completes it with no duplicate versions."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from civicarchive import Archive
from civicarchive.sample import observations

N = 6000


def versions_in(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def kill_when(command: list[str], db, at: int) -> int:
    """Run `command`, SIGKILL it (and its worker) once `at` versions have landed; return
    how many versions landed."""
    # its own process group, so the kill takes the preparing worker down too
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while versions_in(db) < at and process.poll() is None:
        assert time.monotonic() < deadline, "no progress before the kill point"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the command finished before the kill"
    return versions_in(db)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("crash") / "sample.jsonl"
    with open(path, "w") as out:
        for n, record in enumerate(observations(N)):
            if n % 1000 == 7:  # some raw payloads large enough for the file blob store
                record["raw"] = json.dumps(record) + " " * 70_000
            out.write(json.dumps(record) + "\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [0, 1500, 4200])
def test_sigkill_mid_ingest_verifies_and_rerun_completes(tmp_path, sample, kill_at):
    home = tmp_path / "home"
    with Archive.init("Crash City", home=home) as archive:
        account = archive.registry.add_account("x", "crashcity", "agency")
    command = [sys.executable, "-m", "civicarchive.cli", "--home", str(home), "ingest-jsonl",
               str(sample), "--account", str(account.id), "--batch-size", "300", "--quiet"]
    landed = kill_when(command, home / "archive.db", kill_at)
    assert landed < N

    with Archive.open(home) as archive:
        report = archive.evidence.verify()
        assert report.ok, report.problems[:3]
        assert report.versions == landed

    rerun = subprocess.run(command[:-1] + ["--json"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["created"] == N - landed and summary["unchanged"] == landed

    with Archive.open(home) as archive:
        counts = archive.reading.stats()
        assert counts["items"] == counts["versions"] == N
        report = archive.evidence.verify()
        assert report.ok, report.problems[:3]


@pytest.fixture(scope="module")
def mastodon_export(tmp_path_factory):
    from tests.connectors.test_mastodon import FOLLOWERS, PUBLIC, note
    entries = [note(n, f"<p>Notice {n}: council meets Tuesday.</p>", [PUBLIC], [FOLLOWERS])
               for n in range(N)]
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox",
              "type": "OrderedCollection", "totalItems": N, "orderedItems": entries}
    path = tmp_path_factory.mktemp("export") / "archive.zip"
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("outbox.json", json.dumps(outbox))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [1000, 3500])
def test_sigkill_mid_import_verifies_and_rerun_completes(tmp_path, mastodon_export, kill_at):
    home = tmp_path / "home"
    with Archive.init("Crash City", home=home) as archive:
        account = archive.registry.add_account("mastodon", "@city@social.example.gov", "agency")
    command = [sys.executable, "-m", "civicarchive.cli", "--home", str(home), "import",
               str(mastodon_export), "--account", str(account.id), "--batch-size", "300",
               "--quiet"]
    landed = kill_when(command, home / "archive.db", kill_at)
    with Archive.open(home) as archive:
        assert archive.evidence.verify().ok
    rerun = subprocess.run(command + ["--json"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert (summary["created"], summary["unchanged"], summary["deleted"]) == \
        (N - landed, landed, 0)
    with Archive.open(home) as archive:
        assert archive.reading.stats()["versions"] == N and archive.evidence.verify().ok
