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
        account = archive.add_account("x", "crashcity", "agency")
    command = [sys.executable, "-m", "civicarchive.cli", "--home", str(home), "ingest-jsonl",
               str(sample), "--account", str(account.id), "--batch-size", "300", "--quiet"]
    # its own process group, so the kill takes the preparing worker down too
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while versions_in(home / "archive.db") < kill_at and process.poll() is None:
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the ingest finished before the kill"
    landed = versions_in(home / "archive.db")
    assert landed < N

    with Archive.open(home) as archive:
        report = archive.verify()
        assert report.ok, report.problems[:3]
        assert report.versions == landed

    rerun = subprocess.run(command[:-1] + ["--json"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["created"] == N - landed and summary["unchanged"] == landed

    with Archive.open(home) as archive:
        counts = archive.stats()
        assert counts["items"] == counts["versions"] == N
        report = archive.verify()
        assert report.ok, report.problems[:3]
