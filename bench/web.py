"""The staff web application and the open archive under load, against a bare endpoint
of the same stack.

    python bench/web.py [--records 1000000] [--seconds 10] [--concurrency 16]
                        [--workers N] [--compare DIR] [--rebuild]

Builds once, and keeps in bench/.cache/web-N/ (git-ignored), a SQLite + tantivy archive
(the embedded default) of N records from civicarchive.sample: the City of Example's
account (90%: posts, each with a thread of comments; 2% of them captured again edited,
deleted or hidden) and a second agency's account (10%), a records officer of the city,
and a policy (the Washington example) whose `public_archive` publishes both agencies'
accounts with a 30-day embargo. The sample spaces records 37 minutes apart, which would
put most of a large archive's in the future, under any embargo: here they are spaced so
that all of them were made in the year before their first capture, and every record of
the city is public but its few hidden comments. `--records 100000` builds and runs a
smaller one for a quick look (2 minutes to build on a busy 2-core machine; 1,000,000
took 23 minutes and 3.7 GB there). A cache built by an earlier version of this script
(without the policy) is built again.

Then starts `civicarchive serve --workers N` (default: the machine's core count, as it
would be deployed) in a subprocess on 127.0.0.1 and a free port, signs in through the
form (a session cookie, like a browser), and loads each page with an async httpx client
at the given concurrency for a fixed time (after a short warm-up that is not counted).
The client only ever talks to 127.0.0.1. Pages, in order:

    bare           /healthz: the same stack (middleware, security headers) answering
                   "ok": the ceiling every ratio is taken against
    record page    /records/{id} for random ids of the city's records (the staff record
                   view; until it exists, /api/v1/items/{id}, said so in the output)
    search         /search?q=... with one or two words of the corpus (the staff search
                   page; until it exists, /api/v1/search, said so). The sample's words
                   are few: most are in nearly every record, the worst case for a total
    api search     /api/v1/search?q=...
    dashboard      /
    public record  /public/city-of-example/records/{id}, random public ids of the city,
                   signed out (the open archive's record page, with its thread)
    public search  /public/city-of-example/search?q=..., the same words, signed out
    public feed    /public/city-of-example/feed.atom, signed out

Each prints requests/s, the p50, p95 and p99 latency and the server's CPU time per
request (user + system of the server and its worker processes, from /proc: steadier
than the latency when other work shares the machine, as the client itself does; with
the client on the same 2 cores, the p95 at concurrency 16 is roughly 16 x CPU per
request / cores), and the run ends with `name: value` lines: record_page_p95_ms,
search_p95_ms, api_search_p95_ms, dashboard_p95_ms, public_record_p95_ms,
public_search_p95_ms, public_feed_p95_ms, ratio (record page requests/s / bare
requests/s) and public_ratio (public record requests/s / bare requests/s). Targets
(issues 14 and 15): record page and public record p95 <= 25 ms, search and public search
p95 <= 50 ms, both ratios >= 0.3. Another page is one more entry in PAGES.

`--compare DIR` also serves the same archive from the source tree DIR/src (e.g. an
earlier commit: `git archive main src pyproject.toml | tar -x -C /tmp/before`; without
uvicorn[standard] in that pyproject.toml, its server runs on asyncio and h11, as that
tree would install) and loads every page on
both, alternating, so that before and after are measured in the same run on a noisy
machine; the name: value lines are this checkout's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import orjson

from civicarchive import Archive
from civicarchive.sample import START, TOPICS, WORDS, observations, recapture

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
HOST = "127.0.0.1"  # the only address the client ever talks to
USERNAME, PASSWORD = "bench-officer", "bench password, not a secret"
CITY, COUNTY = "City of Example", "County of Other"
RECAPTURED = 0.02
FORMAT = 2  # of the cached archive: bump when build() changes, so that an old one is rebuilt
SLUG = "city-of-example"
POLICY = ROOT / "src" / "civicarchive" / "policy" / "examples" / "washington-local.yaml"
EMBARGO_DAYS = 30
MADE_WITHIN = timedelta(days=390)  # every record is made in the year before its capture
NATIVE_BASE = 1_800_000_000_000    # civicarchive.sample's native ids: this + record number
SEARCH_WORDS = WORDS + sorted({w for t in TOPICS for w in t.split() if len(w) > 3})


# Pages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """One page under load: `path(rng, built)` makes each request's path; `fallback` is
    used while `path` answers 404 (a page not built yet); `metric` names its p95 line,
    `ratio` its requests/s against the bare endpoint's, if wanted."""

    name: str
    path: Callable[[random.Random, dict], str]
    fallback: Callable[[random.Random, dict], str] | None = None
    metric: str | None = None
    ratio: str | None = None
    signed_in: bool = True


def _record(rng: random.Random, built: dict) -> str:
    return f"/records/{rng.randint(built['first_item'], built['last_item'])}"


def _api_item(rng: random.Random, built: dict) -> str:
    return f"/api/v1/items/{rng.randint(built['first_item'], built['last_item'])}"


def _words(rng: random.Random) -> str:
    return " ".join(rng.sample(SEARCH_WORDS, 1 if rng.random() < 0.7 else 2))


def _public_record(rng: random.Random, built: dict) -> str:
    """A public record of the city: any of its records but the hidden comments."""
    hidden = built["not_public"]
    while (item := rng.randint(built["first_item"], built["last_item"])) in hidden:
        pass
    return f"/public/{SLUG}/records/{item}"


PAGES = [
    Page("bare", lambda rng, built: "/healthz", signed_in=False),
    Page("record page", _record, fallback=_api_item, metric="record_page_p95_ms",
         ratio="ratio"),
    Page("search", lambda rng, built: f"/search?q={_words(rng)}",
         fallback=lambda rng, built: f"/api/v1/search?q={_words(rng)}",
         metric="search_p95_ms"),
    Page("api search", lambda rng, built: f"/api/v1/search?q={_words(rng)}",
         metric="api_search_p95_ms"),
    Page("dashboard", lambda rng, built: "/", metric="dashboard_p95_ms"),
    Page("public record", _public_record, metric="public_record_p95_ms",
         ratio="public_ratio", signed_in=False),
    Page("public search", lambda rng, built: f"/public/{SLUG}/search?q={_words(rng)}",
         metric="public_search_p95_ms", signed_in=False),
    Page("public feed", lambda rng, built: f"/public/{SLUG}/feed.atom",
         metric="public_feed_p95_ms", signed_in=False),
]


# The archive ------------------------------------------------------------------------

def _made_earlier(record: dict, count: int) -> dict:
    """The sample's record made `MADE_WITHIN / count` (at most 37 minutes) after the one
    before it, instead of 37 minutes: all of them before their capture, and out of the
    embargo."""
    n = int(record["native_id"]) - NATIVE_BASE
    step = min(timedelta(minutes=37), MADE_WITHIN / max(count, 1))
    made = (START + n * step).replace(microsecond=0)
    return {**record, "created_at": made.isoformat().replace("+00:00", "Z")}


def _policy(folder: Path) -> Path:
    """The Washington example policy, publishing the open archive with an embargo."""
    text = POLICY.read_text(encoding="utf-8")
    text, changed = re.subn(r"(?m)^(  embargo_days:) 0\b", rf"\g<1> {EMBARGO_DAYS}", text)
    if not changed or not re.search(r"(?m)^  published: true\b", text):
        raise SystemExit(f"{POLICY} no longer publishes with `embargo_days: 0`: update "
                         "bench/web.py's _policy")
    path = folder / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def build(home: Path, records: int) -> dict:
    """The archive in `home`, from nothing; returns what the load needs to know."""
    started = time.perf_counter()
    city_n = records * 9 // 10
    county_n = records - city_n
    archive = Archive.init(CITY, home=home, actor="bench")
    try:
        archive.custody.adopt_policy(_policy(home.parent), actor="bench")
        archive.registry.add_agency(COUNTY, actor="bench")
        city = archive.registry.add_account("x", "cityofexample", "agency",
                                            agency="city-of-example", actor="bench")
        county = archive.registry.add_account("mastodon", "countyofother", "agency",
                                              agency="county-of-other", actor="bench")
        sample = home.parent / "sample.jsonl"
        for account, count, seed in ((city, city_n, 7), (county, county_n, 9)):
            with open(sample, "wb") as out:
                for record in observations(count, seed=seed):
                    out.write(orjson.dumps(_made_earlier(record, count)) + b"\n")
            archive.ingesting.ingest_jsonl(sample, account.id, actor="bench")
            print(f"  ingested {count:,} records of {account.handle} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
        again = [_made_earlier(r, city_n)
                 for r in observations(int(city_n * RECAPTURED), seed=7)]
        hidden = []
        with open(sample, "wb") as out:
            for record in recapture(again):
                out.write(orjson.dumps(record) + b"\n")
                if record.get("event") == "hidden":
                    hidden.append(int(record["native_id"]) - NATIVE_BASE + 1)
        archive.ingesting.ingest_jsonl(sample, city.id, actor="bench")
        sample.unlink()
        archive.finding.sync()
        archive.users.add(USERNAME, SLUG, ["records_officer"], "bench",
                          password=PASSWORD)
        # The city's records were ingested first, into a new archive: ids 1..city_n,
        # record n of the sample is item n + 1 (checked on a few).
        for item_id in hidden[:5] + [1, city_n]:
            native = int(archive.reading.item(item_id).native_id)
            if native != NATIVE_BASE + item_id - 1:
                raise SystemExit(f"item {item_id} is not the sample's record "
                                 f"{item_id - 1}: update bench/web.py's build")
    finally:
        archive.close()
    return {"format": FORMAT, "records": records, "first_item": 1, "last_item": city_n,
            "not_public": sorted(hidden), "build_s": round(time.perf_counter() - started, 1)}


def cached(records: int, rebuild: bool) -> tuple[Path, dict]:
    folder = CACHE / f"web-{records}"
    marker = folder / "built.json"
    if rebuild or not marker.exists() or \
            json.loads(marker.read_text()).get("format") != FORMAT:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (CACHE / ".gitignore").write_text("*\n")
        print(f"building an archive of {records:,} records in {folder} (once) ...",
              flush=True)
        built = build(folder / "home", records)
        marker.write_text(json.dumps(built))
        print(f"built in {built['build_s']:.0f} s", flush=True)
    built = json.loads(marker.read_text())
    built["not_public"] = frozenset(built["not_public"])
    return folder / "home", built


# The server -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`civicarchive serve` on 127.0.0.1 in a subprocess, from this checkout's code or
    another source tree's."""

    def __init__(self, home: Path, workers: int, src: Path | None = None) -> None:
        self.port = free_port()
        env = {**os.environ, "CIVICARCHIVE_HOME": str(home)}
        start = "from civicarchive.cli import main; main()"
        if src is not None:
            env["PYTHONPATH"] = str(src)
            project = src.parent / "pyproject.toml"
            if project.exists() and "uvicorn[standard]" not in project.read_text():
                # as that tree installs: uvicorn on asyncio and h11, not uvloop, httptools
                start = "import sys; sys.modules['uvloop'] = sys.modules['httptools'] = None; "\
                    + start
        command = [sys.executable, "-c", start,
                   "--home", str(home), "serve", "--host", HOST, "--port", str(self.port),
                   "--workers", str(workers), "--log-level", "WARNING"]
        self.log = home.parent / f"server-{'this' if src is None else 'compared'}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                            stderr=log)
        self.url = f"http://{HOST}:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not answer within 120 s")

    def cpu_seconds(self) -> float:
        """CPU time the server and its live worker processes have used so far (user +
        system, all their threads)."""
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:  # gone meanwhile
                    continue
                stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
        tree, grew = {self.process.pid}, True
        while grew:
            more = {pid for pid, (parent, _) in stats.items() if parent in tree} - tree
            tree |= more
            grew = bool(more)
        ticks = sum(stats[pid][1] for pid in tree if pid in stats)
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# The load ---------------------------------------------------------------------------

async def sign_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = await client.post("/login", data={"username": USERNAME, "password": PASSWORD,
                                               "csrf_token": token, "next": "/"})
    if answer.status_code != 303:
        raise SystemExit(f"signing in failed: {answer.status_code} {answer.text[:200]}")


async def load(client: httpx.AsyncClient, path: Callable[[random.Random], str],
               seconds: float, concurrency: int, seed: int) -> tuple[int, float, list[float]]:
    """Requests made for `seconds` by `concurrency` workers: (count, wall s, latencies)."""
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        while time.perf_counter() < deadline:
            target = path(rng)
            started = time.perf_counter()
            answer = await client.get(target)
            await answer.aread()
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200:
                failures.append(f"{target}: {answer.status_code} {answer.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]} (the "
                         f"servers' logs are in {CACHE})")
    return len(latencies), wall, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


async def probe(client: httpx.AsyncClient, page: Page, built: dict
                ) -> tuple[Callable[[random.Random], str], str]:
    """The page's path maker, or its fallback's if the page does not exist yet."""
    rng = random.Random(0)
    first = page.path(rng, built)
    answer = await client.get(first)
    if answer.status_code == 404 and page.fallback is not None:
        fallback = page.fallback(rng, built)
        note = (f" (not built yet: {first.split('?')[0]} answered 404; measured "
                f"{fallback.split('?')[0]} instead)")
        return (lambda r: page.fallback(r, built)), note
    if answer.status_code != 200:
        raise SystemExit(f"{page.name}: {first} answered {answer.status_code}")
    return (lambda r: page.path(r, built)), ""


async def run_pages(servers: dict[str, Server], built: dict, args: argparse.Namespace
                    ) -> dict:
    """{server label: {page name: figures}}, pages in order, servers alternating."""
    urls = {label: server.url for label, server in servers.items()}
    limits = httpx.Limits(max_connections=args.concurrency,
                          max_keepalive_connections=args.concurrency)
    clients, public = {}, {}
    for label, url in urls.items():
        clients[label] = httpx.AsyncClient(base_url=url, limits=limits, timeout=60)
        public[label] = httpx.AsyncClient(base_url=url, limits=limits, timeout=60)
        await sign_in(clients[label])
    results: dict[str, dict] = {label: {} for label in urls}
    try:
        for n, page in enumerate(PAGES):
            for label in urls:
                client = clients[label] if page.signed_in else public[label]
                path, note = await probe(client, page, built)
                await load(client, path, args.warmup, args.concurrency, seed=999)
                cpu = servers[label].cpu_seconds()
                count, wall, latencies = await load(client, path, args.seconds,
                                                    args.concurrency, seed=n)
                cpu = servers[label].cpu_seconds() - cpu
                ms = [s * 1000 for s in latencies]
                figures = {"rps": count / wall, "p50": percentile(ms, 0.50),
                           "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99),
                           "cpu_ms": cpu * 1000 / count, "count": count, "note": note}
                results[label][page.name] = figures
                print(f"{label:>6} {page.name:<13} {figures['rps']:7.1f} requests/s  "
                      f"p50 {figures['p50']:7.2f}  p95 {figures['p95']:7.2f}  "
                      f"p99 {figures['p99']:7.2f} ms  server CPU {figures['cpu_ms']:6.2f} "
                      f"ms/request  ({count:,} requests){note}", flush=True)
    finally:
        for client in [*clients.values(), *public.values()]:
            await client.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="load time per page (after the warm-up)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="the server's worker processes (default: the machine's cores)")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="also serve from the source tree DIR/src (before/after)")
    parser.add_argument("--rebuild", action="store_true", help="build the archive again")
    parser.add_argument("--build-only", action="store_true", help="build (or find) it; no load")
    args = parser.parse_args()
    home, built = cached(args.records, args.rebuild)
    if args.build_only:
        return
    cores = os.cpu_count() or 1
    print(f"web benchmark: {built['records']:,} records (built in {built['build_s']:.0f} "
          f"s), concurrency {args.concurrency}, {args.seconds:g} s a page, server workers "
          f"{args.workers} ({cores} cores here)", flush=True)
    servers = {"this": Server(home, args.workers)}
    try:
        if args.compare:
            servers["before"] = Server(home, args.workers, args.compare.resolve() / "src")
        results = asyncio.run(run_pages(servers, built, args))
    finally:
        for server in servers.values():
            server.stop()
    ours = results["this"]
    bare = ours["bare"]["rps"]
    for page in PAGES:
        if page.metric:
            print(f"{page.metric}: {ours[page.name]['p95']:.2f}")
    for page in PAGES:
        if page.ratio:
            print(f"{page.ratio}: {ours[page.name]['rps'] / bare:.2f}")


if __name__ == "__main__":
    main()
