"""Start-up time of the command a clerk types many times a day, as whole processes.

    python bench/cli.py [--runs 15] [--records 2000] [--source OTHER_CHECKOUT/src]

Times `civicarchive --version` and `civicarchive search WORDS` on a small archive (SQLite,
the embedded default, with its search index) as fresh processes, against the baseline of
a bare `python -c pass` measured in the same run. Each figure is the median of `--runs`
runs, after one untimed warm-up (the page cache). Targets: start 300 ms, search 600 ms.
`--source` times the commands of another checkout's code on the same archive (a before
and after comparison; the schema must be the same).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from civicarchive import Archive, Kind, Observation
from civicarchive.sample import observations
from civicarchive.clock import parse_time

COMMAND = [sys.executable, "-m", "civicarchive.cli"]


def build(home: Path, records: int) -> None:
    archive = Archive.init("Bench City", home=home)
    account = archive.registry.add_account("x", "benchcity", "agency")
    archive.ingesting.ingest(
        (Observation(account_id=account.id, native_id=r["native_id"], kind=Kind(r["kind"]),
                     observed_at=parse_time(r["observed_at"]), content={"text": r["text"]},
                     raw=r["text"].encode(), author=r["author"])
         for r in observations(records)), source="bench")
    archive.finding.search("budget")  # the index is current before timing
    archive.close()


def median_ms(argv: list[str], runs: int, env: dict | None = None) -> tuple[float, float]:
    """Median wall and CPU (user + system) milliseconds of a whole process. CPU time is
    steadier on a loaded machine: waiting for a core does not count."""
    subprocess.run(argv, check=True, capture_output=True, env=env)  # warm-up, untimed
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                    * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--source", help="time this src/ folder's code instead")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": args.source} if args.source else None
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        build(home, args.records)
        bare, bare_cpu = median_ms([sys.executable, "-c", "pass"], args.runs)
        start, start_cpu = median_ms([*COMMAND, "--version"], args.runs, env)
        search, search_cpu = median_ms([*COMMAND, "--home", str(home), "search",
                                        "budget hearing", "--limit", "5"], args.runs, env)
    print(f"{'':34} {'wall ms':>8} {'cpu ms':>8}")
    print(f"{'python -c pass (baseline)':34} {bare:8.1f} {bare_cpu:8.1f}")
    print(f"{'civicarchive --version':34} {start:8.1f} {start_cpu:8.1f}")
    print(f"{f'civicarchive search ({args.records:,} records)':34} {search:8.1f} "
          f"{search_cpu:8.1f}")
    print(f"start_ratio: {start / bare:.2f}")
    print(f"search_ratio: {search / bare:.2f}")
    print(f"cli_start_ms: {start:.0f}")
    print(f"cli_search_ms: {search:.0f}")


if __name__ == "__main__":
    main()
