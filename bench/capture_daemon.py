"""Memory of the capture daemon: 50 accounts captured for N minutes against loopback stubs.

    python bench/capture_daemon.py [--minutes 10] [--accounts 50] [--interval 10]

The daemon's own loop (`archive.capturing.serve`, what `capture daemon` runs) captures a
fresh SQLite archive's accounts, a third each on the Mastodon replay server
(tests/capture/replay.py), the YouTube Data API stub (tests/capture/youtube_stub.py) and
an RSS feed, every `--interval` seconds with jitter. The stubs run in a child process, so
that the figures are the daemon's alone, and keep changing while it runs: a new YouTube
comment every few seconds, a video title edited, a feed entry added. The RSS of this
process is sampled every few seconds.

It ends with `peak_rss_mb:` (the process's high-water mark) and `rss_growth_mb:` (the RSS
at the end less the RSS one minute in): the issue asks that a daemon capturing 50 accounts
for 10 minutes stays flat. `py_blocks_growth_pct` says how much the Python heap grew over
the same stretch (`sys.getallocatedblocks`): a leak of Python objects shows there, while
SQLite's page cache (up to 64 MiB a connection, store/sql.py) fills as the archive grows
and shows in the RSS only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # the stubs live with the tests

SAMPLE_SECONDS = 5.0


def rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


# -- the stubs, in their own process ----------------------------------------------------------

def serve_stubs() -> None:
    """Serve the three stubs on loopback, print their addresses, change them until killed."""
    from tests.capture.loopback import Loopback
    from tests.capture.replay import MastodonReplay
    from tests.capture.test_feed import RSS, Feed
    from tests.capture.youtube_stub import YouTubeStub

    youtube = YouTubeStub.city(page_size=50, embedded=5)
    replay = MastodonReplay.agency()
    feed = Feed(RSS)
    entries: list[bytes] = []
    with Loopback(youtube.answer) as yt, \
            Loopback(lambda m, p, q, h: replay.answer(m, p, q)) as masto, \
            Loopback(feed.answer) as rss:
        replay.base = masto.url   # the Link headers name the server they come from
        print(json.dumps({"youtube": yt.url, "mastodon": masto.url, "feed": rss.url}),
              flush=True)
        tick = 0
        while True:
            time.sleep(3)
            tick += 1
            video = sorted(youtube.videos)[tick % len(youtube.videos)]
            youtube.comment(f"UgxBench{tick}", video, f"Comment {tick} from a resident")
            if tick % 10 == 0:
                youtube.videos[video].title = f"{youtube.videos[video].title.split(' #')[0]}" \
                                              f" #{tick}"
            if tick % 7 == 0:
                entries = [f"<item><title>Notice {tick}</title><guid>https://city.example/n/"
                           f"{tick}</guid><description>Notice {tick}.</description>"
                           "</item>".encode(), *entries][:20]
                feed.body = RSS.replace(b"</channel>", b"".join(entries) + b"</channel>")
                feed.etag = f'"v{tick}"'
                feed.modified = formatdate(usegmt=True)
            # the stubs' own request logs would grow this process, not the daemon's
            for served in (yt, masto, rss):
                served.requests.clear()
            youtube.log.clear()
            replay.log.clear()


# -- the daemon, here ---------------------------------------------------------------------------

def register(archive, urls: dict, accounts: int, interval: int, home: Path) -> dict:  # noqa: ANN001
    from tests.capture.replay import AGENCY
    from tests.capture.youtube_stub import API_KEY, BASE, CHANNEL

    key = home / "youtube-key.txt"
    key.write_text(API_KEY)
    platforms: dict[str, int] = {}
    for n in range(accounts):
        platform = ("mastodon", "youtube", "feed")[n % 3]
        platform_id = {"mastodon": AGENCY, "youtube": CHANNEL}.get(platform)
        account = archive.registry.add_account(platform, f"{platform}-{n:02d}", "agency",
                                               platform_id=platform_id)
        url = {"mastodon": urls["mastodon"], "youtube": f"{urls['youtube']}{BASE}",
               "feed": f"{urls['feed']}/news-{n}.xml"}[platform]
        archive.capturing.configure(account.id, url=url, interval=interval, jitter=0.1,
                                    full_every=3)
        if platform == "youtube":
            archive.credentials.store(account.id, key)
        platforms[platform] = platforms.get(platform, 0) + 1
    return platforms


def run(minutes: float, accounts: int, interval: int) -> dict:
    from civicarchive import Archive

    os.environ["CIVICARCHIVE_CAPTURE_ALLOW_LOOPBACK"] = "1"
    os.environ.pop("CIVICARCHIVE_DATABASE_URL", None)
    stubs = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE,
                             text=True)
    try:
        urls = json.loads(stubs.stdout.readline())
        with tempfile.TemporaryDirectory(prefix="civicarchive-bench-") as folder:
            home = Path(folder) / "home"
            with Archive.init("City of Example", home=home) as archive:
                platforms = register(archive, urls, accounts, interval, Path(folder))
                samples: list[tuple[float, int, int]] = []
                stop = threading.Event()
                started = time.monotonic()

                def sample() -> None:
                    while not stop.wait(SAMPLE_SECONDS):
                        samples.append((time.monotonic() - started, rss_kb(),
                                        sys.getallocatedblocks()))

                def wait(seconds: float) -> bool:
                    if time.monotonic() - started >= minutes * 60:
                        stop.set()
                    return stop.wait(min(seconds, max(0.0, minutes * 60 - (
                        time.monotonic() - started)))) or stop.is_set()

                sampler = threading.Thread(target=sample, daemon=True)
                samples.append((0.0, rss_kb(), sys.getallocatedblocks()))
                sampler.start()
                passes = archive.capturing.serve(wait)
                stop.set()
                sampler.join()
                samples.append((time.monotonic() - started, rss_kb(),
                                sys.getallocatedblocks()))
                runs = archive.reading.stats()
                failed = sum(s.consecutive_failures > 0 for s in archive.capturing.status())
    finally:
        stubs.kill()
        stubs.wait()
    warm = min(samples, key=lambda s: abs(s[0] - 60.0))
    return {"minutes": minutes, "accounts": accounts, "platforms": platforms,
            "interval_s": interval, "passes": passes, "versions": runs["versions"],
            "accounts_failing_at_end": failed,
            "rss_mb_by_minute": {m: round(min(samples, key=lambda s: abs(s[0] - m * 60))[1]
                                          / 1024, 1) for m in range(int(minutes) + 1)},
            "rss_at_1_min_mb": round(warm[1] / 1024, 1),
            "rss_at_end_mb": round(samples[-1][1] / 1024, 1),
            "py_blocks_at_1_min": warm[2], "py_blocks_at_end": samples[-1][2],
            "py_blocks_growth_pct": round(100 * (samples[-1][2] - warm[2]) / warm[2], 1),
            "peak_rss_mb": round(rss_kb("VmHWM") / 1024, 1),
            "rss_growth_mb": round((samples[-1][1] - warm[1]) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--interval", type=int, default=10, help="seconds between passes")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_stubs()
        return
    result = run(args.minutes, args.accounts, args.interval)
    print(json.dumps(result, indent=2))
    print(f"passes: {result['passes']}")
    print(f"py_blocks_growth_pct: {result['py_blocks_growth_pct']}")
    print(f"peak_rss_mb: {result['peak_rss_mb']}")
    print(f"rss_growth_mb: {result['rss_growth_mb']}")


if __name__ == "__main__":
    main()
