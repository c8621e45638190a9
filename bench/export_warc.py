"""WARC export throughput against writing the same payloads with warcio directly.

    python bench/export_warc.py [--n 20000] [--rounds 3]

A fresh temporary archive (SQLite, the embedded default) is built untimed in its own
subprocess: N sample observations ingested in batches of 2000. Each measurement then
runs in a fresh subprocess on that archive, writing to a file in the same folder.
The civicarchive run times `write_warc` over every version: versions, items and blobs
read from the database, a gzipped `resource` record of the raw bytes and a `metadata`
record of the content and ledger facts per version. The baseline, in the same run, times
warcio's WARCWriter (same gzip, same WARC version, same record count: a warcinfo record,
then one `resource` record of the raw bytes and one `metadata` record of the content
JSON per version) over bytes already in memory, read out of the database before timing.
MB counts the payload bytes both write (raw bytes and content JSON), so
ratio = ours MB/s / baseline MB/s = baseline seconds / ours seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa
from warcio.warcwriter import WARCWriter

from civicarchive import Archive
from civicarchive.exports import write_warc
from civicarchive.store import schema as t
from verify import build  # bench/verify.py: the same sample archive

def version_ids(archive: Archive) -> list[int]:
    with archive.context.store.read() as conn:
        return list(conn.execute(sa.select(t.versions.c.id).order_by(t.versions.c.id))
                    .scalars())


def run_export(home: Path) -> dict:
    archive = Archive.open(home)
    ids = version_ids(archive)
    target = home.parent / "ours.warc.gz"
    start = time.perf_counter()
    with open(target, "wb") as out:
        records = write_warc(archive.evidence.source, ids, out)
    elapsed = time.perf_counter() - start
    archive.close()
    size = target.stat().st_size
    target.unlink()
    return {"seconds": elapsed, "records": records, "versions": len(ids),
            "warc_bytes": size, "peak_rss_mb": _peak_rss_mb()}


def payloads(home: Path) -> list[tuple[str, bytes, bytes]]:
    """(uri, raw bytes, content JSON) of every version, read before timing."""
    archive = Archive.open(home)
    found = []
    for version_id in version_ids(archive):
        version = archive.reading.version(version_id)
        raw = archive.context.store.blob(bytes.fromhex(version.raw_sha256))
        content = archive.context.store.blob(bytes.fromhex(version.content_sha256))
        found.append((f"urn:civicarchive:bench:item:{version.item_id}", raw, content))
    archive.close()
    return found


def run_baseline(home: Path) -> dict:
    items = payloads(home)
    target = home.parent / "baseline.warc.gz"
    start = time.perf_counter()
    with open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(None, {"software": "baseline"}))
        records = 1
        for uri, raw, content in items:
            for kind, data in (("resource", raw), ("metadata", content)):
                writer.write_record(writer.create_warc_record(
                    uri, kind, payload=BytesIO(data), length=len(data),
                    warc_headers_dict={"Content-Type": "application/octet-stream"
                                       if kind == "resource" else "application/json"}))
                records += 1
    elapsed = time.perf_counter() - start
    size = target.stat().st_size
    target.unlink()
    mb = sum(len(raw) + len(content) for _, raw, content in items) / 1e6
    return {"seconds": elapsed, "records": records, "mb": mb, "warc_bytes": size}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, home: Path, n: int) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--home", str(home), "--n", str(n)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["build", "export", "baseline"])
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    if args.child:
        runs = {"build": lambda: build(args.home, args.n),
                "export": lambda: run_export(args.home),
                "baseline": lambda: run_baseline(args.home)}
        print(json.dumps(runs[args.child]()))
        return
    print(f"WARC export benchmark: {args.n:,} versions of ~1.2 KB observations", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        built = child("build", home, args.n)
        print(f"built archive (untimed): ingest {built['seconds']:.1f} s", flush=True)
        ours, baselines = [], []
        for round_number in range(1, args.rounds + 1):  # alternating: the machine is noisy
            ours.append(child("export", home, args.n))
            baselines.append(child("baseline", home, args.n))
            print(f"round {round_number}: write_warc {ours[-1]['seconds']:.2f} s, baseline "
                  f"{baselines[-1]['seconds']:.2f} s", flush=True)
    best = min(ours, key=lambda r: r["seconds"])
    baseline = min(baselines, key=lambda r: r["seconds"])
    assert best["records"] == baseline["records"], (best, baseline)
    mb = baseline["mb"]  # the same payload bytes in both
    ours_rate, baseline_rate = mb / best["seconds"], mb / baseline["seconds"]
    print(f"civicarchive write_warc: {best['versions']:,} versions, {best['records']:,} "
          f"records, {mb:.1f} MB payload in {best['seconds']:.2f} s: {ours_rate:.1f} MB/s "
          f"(WARC {best['warc_bytes'] / 1e6:.1f} MB, peak RSS {best['peak_rss_mb']:.0f} MB, "
          f"best of {args.rounds})")
    print(f"baseline warcio WARCWriter: {baseline['records']:,} records, {mb:.1f} MB payload "
          f"in {baseline['seconds']:.2f} s: {baseline_rate:.1f} MB/s "
          f"(WARC {baseline['warc_bytes'] / 1e6:.1f} MB)")
    print(f"warc_mb_per_s: {ours_rate:.1f}")
    print(f"warc_ratio: {ours_rate / baseline_rate:.2f}")


if __name__ == "__main__":
    main()
