"""Live capture throughput, and how much of its wall time is our own code.

    python bench/capture.py [--n 5000]

Two servers, each holding N posts by the agency with one reply by someone else to each:

- the reference Bluesky PDS (tests/capture/pds.py starts it; `make pds` installs it),
  seeded with com.atproto.repo.applyWrites batches of 200: the capture reads the
  repository with getRepo and the replies from subscribeRepos;
- the Mastodon replay server (tests/capture/replay.py), in its own process on loopback,
  serving N statuses and N replies built from the recorded shapes: the capture reads
  `accounts/:id/statuses` pages and each status's `context`.

For each, the first (full) pass is timed twice: the capturer alone (`capture()`, which
fetches, verifies and normalises: what an engine worker does), and `capture run` as a
user runs it (the same pass, then ingesting every observation into a fresh SQLite
archive: versions, blobs, ledger entries). "Own code" is this process's CPU time
(`os.times`, every thread, C extensions and the ingest's worker process included) over
the wall time; the rest
is waiting on the server (which runs in another process, so its CPU is not counted) or
on nothing. The Bluesky pass also waits out the stream's quiet spell (1 s by which it
knows the PDS has nothing more); that wait is reported apart.

The baseline is the bare transfer of the same data with the same guarded client: the
getRepo CAR and the stream's frames (with the same quiet spell) for the PDS, the same
pages and contexts for Mastodon, with no parsing. `ratio` is the capturer's wall time
over the baseline's, on the PDS.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from httpx_ws import connect_ws

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from civicarchive import Archive  # noqa: E402
from civicarchive.capture import bluesky as bluesky_capture  # noqa: E402
from civicarchive.capture.base import CaptureJob, CaptureSettings  # noqa: E402
from civicarchive.capture.bluesky import BlueskyCapturer  # noqa: E402
from civicarchive.capture.http import open_client  # noqa: E402
from civicarchive.capture.mastodon import MastodonCapturer  # noqa: E402
from tests.capture.loopback import Loopback  # noqa: E402
from tests.capture.pds import LocalPds  # noqa: E402
from tests.capture.replay import AGENCY, REPLY, MastodonReplay  # noqa: E402

BATCH = 200   # applyWrites' largest batch


def cpu_seconds() -> float:
    """This process's CPU time, every thread, and that of the children it has reaped
    (the ingest's worker process)."""
    used = os.times()
    return used.user + used.system + used.children_user + used.children_system


def timed(run):  # noqa: ANN001, ANN201
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = run()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


# -- Bluesky ------------------------------------------------------------------------------


def session(pds: LocalPds, account) -> dict:  # noqa: ANN001
    response = pds.http.post(f"{pds.url}/xrpc/com.atproto.server.createSession",
                             json={"identifier": account.did, "password": account.password})
    return {"Authorization": f"Bearer {response.json()['accessJwt']}"}


def apply(pds: LocalPds, account, records: list[dict]) -> list[dict]:  # noqa: ANN001
    headers, results = session(pds, account), []
    for start in range(0, len(records), BATCH):
        writes = [{"$type": "com.atproto.repo.applyWrites#create",
                   "collection": "app.bsky.feed.post", "value": record}
                  for record in records[start:start + BATCH]]
        response = pds.http.post(f"{pds.url}/xrpc/com.atproto.repo.applyWrites",
                                 json={"repo": account.did, "writes": writes}, headers=headers)
        response.raise_for_status()
        results += response.json()["results"]
    return results


def seed_pds(pds: LocalPds, n: int):  # noqa: ANN201
    agency, resident = pds.account("benchcity"), pds.account("benchres")
    now = datetime.now(timezone.utc)

    def at(i: int) -> str:
        return (now - timedelta(seconds=n - i)).isoformat().replace("+00:00", "Z")
    posts = apply(pds, agency, [{"$type": "app.bsky.feed.post", "createdAt": at(i),
                                 "text": f"Notice {i}: the council meets on Tuesday",
                                 "langs": ["en"]} for i in range(n)])
    apply(pds, resident, [{"$type": "app.bsky.feed.post", "createdAt": at(i),
                           "text": f"Thanks for notice {i}", "reply": {
                               "root": {"uri": p["uri"], "cid": p["cid"]},
                               "parent": {"uri": p["uri"], "cid": p["cid"]}}}
                          for i, p in enumerate(posts)])
    return agency


def bare_pds(client: httpx.Client, pds: LocalPds, did: str) -> int:
    """The getRepo CAR and every frame of the stream, unparsed: bytes read."""
    size = len(client.get(f"{pds.url}/xrpc/com.atproto.sync.getRepo",
                          params={"did": did}).content)
    with connect_ws(f"{pds.url}/xrpc/com.atproto.sync.subscribeRepos", client,
                    params={"cursor": 0}, max_message_size_bytes=16 * 1024 * 1024,
                    keepalive_ping_interval_seconds=None) as socket:
        while True:
            try:
                size += len(socket.receive_bytes(timeout=bluesky_capture.STREAM_IDLE))
            except queue.Empty:
                return size


def bench_pds(n: int, folder: Path) -> dict:
    figures: dict = {}
    with LocalPds.start(folder / "pds") as pds:
        agency, figures["seed_s"], _ = timed(lambda: seed_pds(pds, n))
        settings = CaptureSettings(url=pds.url, plc_url=pds.plc)
        with open_client(allow_loopback=True) as client:
            _, figures["bare_s"], figures["bare_cpu_s"] = timed(
                lambda: bare_pds(client, pds, agency.did))
            job = CaptureJob(1, "bluesky", agency.handle, agency.did, {}, settings,
                             datetime.now(timezone.utc))
            result, figures["pass_s"], figures["pass_cpu_s"] = timed(
                lambda: BlueskyCapturer().capture(job, client, None))
            figures["items"] = len(result.observations)
            figures["replies"] = result.cursor["stream"]["replies"]
            archive = Archive.init("Bench City", home=folder / "home-bluesky")
            account = archive.registry.add_account("bluesky", agency.handle, "agency",
                                                   platform_id=agency.did)
            archive.capturing.configure(account.id, url=pds.url, plc_url=pds.plc)
            (report,), figures["run_s"], figures["run_cpu_s"] = timed(
                lambda: archive.capturing.run(account.id, client=client))
            archive.close()
    assert report.ok, report.failure
    assert figures["replies"] == n, figures
    figures["run_versions"] = report.counts["created"]
    return figures


# -- Mastodon -----------------------------------------------------------------------------


def replay_of(n: int) -> MastodonReplay:
    """The agency's recorded account, with N statuses and N replies in recorded shapes."""
    replay = MastodonReplay.agency()
    post = json.loads(next(iter(replay.statuses.values())))
    reply = json.loads(replay.others[REPLY])
    base = int(max(replay.statuses, key=int))
    replay.statuses, replay.others, replay.contexts = {}, {}, {}
    for i in range(n):
        own, answer = str(base + 10 * i + 10), str(base + 10 * i + 11)
        replay.statuses[own] = json.dumps({
            **post, "id": own, "uri": post["uri"].rsplit("/", 1)[0] + f"/{own}",
            "url": post["url"].rsplit("/", 1)[0] + f"/{own}", "replies_count": 1,
            "content": f"<p>Notice {i}: the council meets on Tuesday</p>",
            "edited_at": None, "media_attachments": [], "reblog": None, "poll": None,
            "in_reply_to_id": None, "visibility": "public"}).encode()
        replay.others[answer] = json.dumps({
            **reply, "id": answer, "in_reply_to_id": own, "replies_count": 0,
            "uri": reply["uri"].rsplit("/", 1)[0] + f"/{answer}",
            "content": f"<p>Thanks for notice {i}</p>"}).encode()
        replay.contexts[own] = [answer]
    return replay


def serve_replay(n: int, ports) -> None:  # noqa: ANN001
    """In a process of its own, so that its CPU time is not the capture's."""
    replay = replay_of(n)
    with Loopback(lambda method, path, query, headers: replay.answer(method, path, query)) \
            as server:
        replay.base = server.url
        ports.send(server.url)
        ports.recv()   # until told to stop


def bare_mastodon(client: httpx.Client, url: str) -> int:
    """The same listing pages and contexts, unparsed beyond the Link header."""
    count, page = 0, f"{url}/api/v1/accounts/{AGENCY}/statuses?limit=40"
    ids = []
    while page:
        response = client.get(page)
        count += 1
        found = response.json()
        if not found:
            break
        ids += [s["id"] for s in found]
        page = response.links.get("next", {}).get("url")
    for status_id in ids:
        client.get(f"{url}/api/v1/statuses/{status_id}/context")
        count += 1
    return count


def bench_mastodon(n: int, folder: Path) -> dict:
    figures: dict = {}
    mine, theirs = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve_replay, args=(n, theirs))
    server.start()
    try:
        url = mine.recv()
        settings = CaptureSettings(url=url)
        with open_client(allow_loopback=True) as client:
            _, figures["bare_s"], figures["bare_cpu_s"] = timed(lambda: bare_mastodon(client,
                                                                                     url))
            job = CaptureJob(1, "mastodon", "mastodonpy_test_2", AGENCY, {}, settings,
                             datetime.now(timezone.utc))
            result, figures["pass_s"], figures["pass_cpu_s"] = timed(
                lambda: MastodonCapturer().capture(job, client, None))
            figures["items"] = len(result.observations)
            archive = Archive.init("Bench City", home=folder / "home-mastodon")
            account = archive.registry.add_account("mastodon", "mastodonpy_test_2", "agency",
                                                   platform_id=AGENCY)
            archive.capturing.configure(account.id, url=url)
            (report,), figures["run_s"], figures["run_cpu_s"] = timed(
                lambda: archive.capturing.run(account.id, client=client))
            archive.close()
        assert report.ok, report.failure
        figures["run_versions"] = report.counts["created"]
    finally:
        mine.send("stop")
        server.join(30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="posts, each with one reply")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        pds = bench_pds(n, Path(tmp))
        mastodon = bench_mastodon(n, Path(tmp))
    idle = bluesky_capture.STREAM_IDLE
    print(f"posts: {n}, each with one reply by another account")
    print(f"pds_seed_seconds: {pds['seed_s']:.1f}   (applyWrites, {BATCH} a batch)")
    for name, f, extra in (("pds", pds, idle), ("mastodon", mastodon, 0.0)):
        print(f"{name}_pass_items: {f['items']}")
        print(f"{name}_pass_seconds: {f['pass_s']:.2f}   (cpu {f['pass_cpu_s']:.2f})")
        print(f"{name}_pass_items_per_s: {f['items'] / f['pass_s']:.0f}")
        print(f"{name}_pass_own_code_share: {f['pass_cpu_s'] / f['pass_s']:.2f}")
        if extra:
            print(f"{name}_pass_own_code_share_without_stream_quiet: "
                  f"{f['pass_cpu_s'] / (f['pass_s'] - extra):.2f}   ({extra:.1f} s quiet wait)")
        print(f"{name}_run_with_ingest_seconds: {f['run_s']:.2f}   (cpu {f['run_cpu_s']:.2f}, "
              f"{f['run_versions']} versions)")
        print(f"{name}_run_with_ingest_items_per_s: {f['run_versions'] / f['run_s']:.0f}")
        print(f"{name}_run_with_ingest_own_code_share: {f['run_cpu_s'] / f['run_s']:.2f}")
        print(f"{name}_bare_fetch_seconds: {f['bare_s']:.2f}   (cpu {f['bare_cpu_s']:.2f})")
        print(f"{name}_ratio_to_bare_fetch: {f['pass_s'] / f['bare_s']:.2f}")
    print(f"items_per_s: {pds['items'] / pds['pass_s']:.0f}")
    print(f"own_code_share: {pds['pass_cpu_s'] / pds['pass_s']:.2f}")
    print(f"ratio: {pds['pass_s'] / pds['bare_s']:.2f}")


if __name__ == "__main__":
    main()
