"""The capture daemon: intervals with jitter, backoff that honours the platform, one
failing account never stopping the others, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from civicarchive import Archive
from civicarchive.capture.base import CaptureSettings
from civicarchive.capture.schedule import BASE_BACKOFF, MAX_BACKOFF, Daemon, Outcome, next_delay
from tests.capture.loopback import Loopback
from tests.capture.replay import MastodonReplay


def test_schedule_interval_has_jitter_within_bounds():
    settings = CaptureSettings(interval=600, jitter=0.1)
    rng = random.Random(7)
    delays = {next_delay(settings, 0, None, rng) for _ in range(50)}
    assert all(540 <= d <= 660 for d in delays) and len(delays) > 1


def test_schedule_backoff_doubles_and_honours_retry_after():
    settings = CaptureSettings(interval=600, jitter=0.0)
    rng = random.Random(1)
    first, second, third = (next_delay(settings, n, None, rng) for n in (1, 2, 3))
    assert BASE_BACKOFF <= first < 2 * BASE_BACKOFF <= second < 4 * BASE_BACKOFF <= third
    assert next_delay(settings, 1, 3600, rng) == 3600   # the platform's reset wins


def test_schedule_never_waits_longer_than_the_backoff_cap_whatever_the_platform_asks():
    settings = CaptureSettings(interval=600, jitter=0.0)
    seventy_years = 70 * 365 * 86400.0      # Retry-After: Thu, 01 Jan 2099 00:00:00 GMT
    assert next_delay(settings, 1, seventy_years, random.Random(1)) == MAX_BACKOFF


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.stop_after = None

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return self.stop_after is not None and self.now >= self.stop_after


def test_daemon_failing_account_never_stops_the_others():
    clock = FakeTime()
    clock.stop_after = 3000
    ran: list[int] = []

    def run_pass(account_id):
        ran.append(account_id)
        if account_id == 1:
            raise RuntimeError("boom")          # a bug, not just a platform failure
        if account_id == 2:
            return Outcome(False, retry_after=900)
        return Outcome(True)
    settings = CaptureSettings(interval=600, jitter=0.0)
    daemon = Daemon(lambda: {1: settings, 2: settings, 3: settings}, run_pass,
                    clock.monotonic, clock.wait, random.Random(3))
    daemon.run()
    assert ran.count(3) == 5              # every 600 s over 3000 s, from 0
    assert ran.count(1) > ran.count(3)    # backed off, still retried
    assert 2 <= ran.count(2) <= 4         # waited the 900 s it was told
    assert daemon.failures[1] >= 3 and daemon.failures[3] == 0


@pytest.mark.slow
def test_daemon_subprocess_stops_cleanly_on_sigterm(tmp_path):
    home = tmp_path / "home"
    replay = MastodonReplay.agency()
    with Loopback(lambda m, p, q, h: replay.answer(m, p, q)) as server:
        replay.base = server.url   # the Link headers name the server they come from
        with Archive.init("City of Example", home=home) as archive:
            account = archive.registry.add_account("mastodon", "mastodonpy_test_2", "agency")
            archive.capturing.configure(account.id, url=server.url, interval=3600)
        env = {**os.environ, "CIVICARCHIVE_HOME": str(home)}
        env.pop("CIVICARCHIVE_DATABASE_URL", None)
        process = subprocess.Popen([sys.executable, "-m", "civicarchive.cli", "capture",
                                    "daemon"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            runs = []
            while time.monotonic() < deadline and not runs:
                time.sleep(0.5)
                assert process.poll() is None, process.stderr.read()
                with Archive.open(home) as archive:
                    runs = [s for s in archive.capturing.status() if s.last_run]
            assert runs and runs[0].last_outcome == "ok"
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, stderr
    assert "capture daemon stopped" in stderr
    assert all(path.startswith("/api/v1/") for _, path, _ in server.requests)


def test_daemon_keeps_a_small_page_cache(archive, mastodon, replay):
    """A daemon's many small writes need no bulk writer's cache, which would only fill
    with the archive and grow the daemon's memory."""
    def read_cache() -> int:
        with archive.context.read() as conn:
            return conn.exec_driver_sql("PRAGMA cache_size").scalar()

    sqlite = archive.context.store.engine.dialect.name == "sqlite"
    if sqlite:
        assert read_cache() == -64 * 1024
    waits = []

    def wait(seconds: float) -> bool:   # stop once a pass has run
        waits.append(seconds)
        return len(waits) > 1

    passes = archive.capturing.serve(wait, client=replay.client())
    assert passes == 1
    if sqlite:
        assert read_cache() == -8 * 1024
        assert len(archive.capturing.gaps(mastodon.id)) == 0
