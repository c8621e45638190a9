"""Ingest throughput against a bare sqlite3 baseline, and peak memory as N grows.

    python bench/ingest.py [--n 200000]

Each measurement runs in a fresh subprocess on a fresh temporary archive (SQLite, the
embedded default). The civicarchive run is `ingest-jsonl`'s path: it checks every line of a JSONL file, then
parses it again in a worker process while this one writes; versions, stores blobs, writes
ledger entries and signs a checkpoint per batch; the baseline inserts equivalent rows
(native id, kind, author, times, text, raw line) into one bare table with executemany.
Peak RSS is measured at N/4 and N to show it stays flat (streaming, batched writes).
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from civicarchive import Archive
from civicarchive.app.ingesting import DEFAULT_BATCH
from civicarchive.sample import observations


def lines(n: int):  # noqa: ANN201
    for record in observations(n):
        yield orjson.dumps(record)


def run_archive(n: int, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        with open(sample, "wb") as out:  # written before timing, read while timed
            for line in lines(n):
                out.write(line + b"\n")
        archive = Archive.init("Bench City", home=Path(tmp) / "home")
        account = archive.registry.add_account("x", "benchcity", "agency")
        start = time.perf_counter()
        report = archive.ingesting.ingest_jsonl(sample, account.id, batch_size=batch)
        elapsed = time.perf_counter() - start
        size = (Path(tmp) / "home" / "archive.db").stat().st_size
        archive.close()
    assert report.versions == n, report
    return {"seconds": elapsed, "rate": n / elapsed, "db_mb": size / 1e6,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def run_baseline(n: int, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "bare.db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE records (native_id TEXT, kind TEXT, author TEXT, "
                   "created_at TEXT, observed_at TEXT, text TEXT, raw BLOB)")
        rows = []
        for line in lines(n):  # built before timing: the baseline is the bare insert
            r = orjson.loads(line)
            rows.append((r["native_id"], r["kind"], r["author"], r["created_at"],
                         r["observed_at"], r["text"], line))
        start = time.perf_counter()
        for i in range(0, n, batch):
            with db:
                db.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?)", rows[i:i + batch])
        elapsed = time.perf_counter() - start
        db.close()
    return {"seconds": elapsed, "rate": n / elapsed}


def child(kind: str, n: int, batch: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--n", str(n),
                          "--batch", str(batch)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=["archive", "baseline"])
    args = parser.parse_args()
    if args.child:
        fn = run_archive if args.child == "archive" else run_baseline
        print(json.dumps(fn(args.n, args.batch)))
        return
    n = args.n
    print(f"ingest benchmark: {n:,} observations of ~1.2 KB, batches of {args.batch}; "
          f"best of {args.rounds} rounds, alternating (this machine is noisy)", flush=True)
    baselines, fulls = [], []
    for round_number in range(1, args.rounds + 1):
        baselines.append(child("baseline", n, args.batch))
        fulls.append(child("archive", n, args.batch))
        print(f"round {round_number}: baseline sqlite3 executemany "
              f"{baselines[-1]['rate']:,.0f} rows/s; civicarchive {fulls[-1]['rate']:,.0f} "
              f"records/s", flush=True)
    baseline = max(baselines, key=lambda r: r["rate"])
    full = max(fulls, key=lambda r: r["rate"])
    small = child("archive", max(1, n // 4), args.batch)
    print(f"civicarchive ingest, N={n // 4:,}: {small['rate']:,.0f} records/s, "
          f"peak RSS {small['peak_rss_mb']:.0f} MB (worker {small['worker_rss_mb']:.0f} MB)",
          flush=True)
    print(f"civicarchive ingest, N={n:,}: {full['rate']:,.0f} records/s, peak RSS "
          f"{full['peak_rss_mb']:.0f} MB (worker {full['worker_rss_mb']:.0f} MB), database "
          f"{full['db_mb']:.0f} MB", flush=True)
    print(f"records_per_s: {full['rate']:.0f}")
    print(f"baseline_rows_per_s: {baseline['rate']:.0f}")
    print(f"peak_rss_mb_quarter: {small['peak_rss_mb']:.0f}")
    print(f"peak_rss_mb: {full['peak_rss_mb']:.0f}")
    print(f"ratio: {full['rate'] / baseline['rate']:.2f}")


if __name__ == "__main__":
    main()
