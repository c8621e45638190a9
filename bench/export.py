"""Export speed: PDF productions against WeasyPrint rendering the same texts bare, then
WARC export against warcio writing the same payloads (bench/export_warc.py, run here).

    python bench/export.py [--n 2000] [--rounds 2] [--profile] [--warc-n 20000]

A synthetic Production of N items is built untimed, in memory, with a seeded generator
(no archive, no network): posts of 100-400 characters with 0-3 comments of 100-300 (a
comment is an item too: N counts both); one
item (post or comment) in eight edited (two or three versions), one in ten with a
redaction, one in twenty deleted and one in twenty hidden; one thread in fifteen with a
comment withheld, listed in the withheld-records log. The
civicarchive run times `render_production`: each item converted to the native-look
view-model and rendered through the same Jinja2 templates as the staff record view (the
card with name, handle, time, markers, text, thread, the version history
as a word diff, metadata with each version's sha256 and ledger index), WeasyPrint layout
and PDF writing, and reading each item's anchors into production-number ranges. The
edits are whole new sentences, so each edited item's history shows them as rewritten.
The baseline, in the same run, times WeasyPrint's `HTML(string=...).write_pdf()` of a bare
page holding the same current texts (posts and comments) as plain <p> paragraphs: no
cards, no metadata, no edit history, no page numbers. One small render of each warms up
fonts and imports first; the rounds alternate, and the best of each is kept.
Rates are from wall-clock seconds; CPU seconds are printed too, since other work on the
machine slows both runs. ratio = civicarchive items/s / baseline items/s: 1.0 means the
cards cost nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import html
import io
import pstats
import random
import subprocess
import sys
import time
from pathlib import Path

from civicarchive.exports.pdf import render_production
from civicarchive.model.production import (ProducedItem, ProducedVersion, Production,
                                           Redaction, WithheldRecord, plain)

WORDS = ("the city council will meet on tuesday to discuss the budget for parks and "
         "libraries residents can comment online or in person at city hall thank you "
         "for your patience while crews repair the water main on fifth avenue road "
         "closures expected until friday evening please share this update with your "
         "neighbours why was my permit delayed again this is unacceptable great work "
         "team summer reading program registration opens monday").split()
EXEMPTIONS = (("personal information", "RCW 42.56.230"),
              ("investigative records", "RCW 42.56.240"))


def _sentence(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    words: list[str] = []
    while sum(map(len, words)) + len(words) < target:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def _version(vid: int, event: str, text: tuple) -> ProducedVersion:
    digest = hashlib.sha256(str(vid).encode()).hexdigest()
    minute = vid % 60
    return ProducedVersion(version_id=vid, event=event,
                           observed_at=f"2025-03-01T12:{minute:02d}:00Z",
                           recorded_at=f"2025-03-01T12:{minute:02d}:05Z", text=text,
                           content_sha256=digest, raw_sha256=digest[::-1],
                           ledger_index=vid * 3, source="bench")


def _item(rng: random.Random, ids: list[int], kind: str, low: int, high: int,
          thread: tuple = ()) -> ProducedItem:
    ids[0] += 1
    item_id = ids[0]
    text: tuple = (_sentence(rng, low, high),)
    if rng.random() < 0.1:
        text = (*text, " ", Redaction("personal information (RCW 42.56.230)"), " ",
                _sentence(rng, 20, 60))
    versions = [_version(item_id * 10, "created", text)]
    if rng.random() < 0.125:
        for n in range(rng.randint(1, 2)):
            versions.append(_version(item_id * 10 + n + 1, "edited", (_sentence(rng, low, high),)))
    deleted, hidden = rng.random() < 0.05, rng.random() < 0.05
    return ProducedItem(
        item_id=item_id, platform="facebook", account="benchcity", kind=kind,
        native_id=f"{item_id:012d}", url=f"https://facebook.com/benchcity/posts/{item_id:012d}",
        author="Bench City" if kind == "post" else f"resident{rng.randint(1, 999)}",
        created_at="2025-03-01T12:00:00Z", first_seen_at="2025-03-01T12:00:30Z",
        versions=tuple(versions), deleted=deleted, hidden=hidden, thread=thread)


def production(n: int, seed: int = 7) -> Production:
    """N produced items (posts, and comments in their threads), deterministic for a seed."""
    rng = random.Random(seed)
    ids = [0]
    items, withheld = [], []
    produced = 0
    while produced < n:
        comments = min(rng.randint(0, 3), n - produced - 1)
        produced += comments + 1
        thread: list = [_item(rng, ids, "comment", 100, 300) for _ in range(comments)]
        if rng.random() < 1 / 15:
            ids[0] += 1
            exemption, citation = rng.choice(EXEMPTIONS)
            record = WithheldRecord(ids[0], "comment", "2025-03-01T12:00:00Z", exemption,
                                    citation)
            thread.append(record)
            withheld.append(record)
        items.append(_item(rng, ids, "post", 100, 400, tuple(thread)))
    return Production(agency="Bench City", title="Request R-2026-0007, production 1",
                      prefix="BENCH-", first_number=1, produced_at="2026-01-15T09:00:00Z",
                      items=tuple(items), withheld=tuple(withheld))


def baseline_html(prod: Production) -> str:
    texts = []
    for item in prod.items:
        texts.append(plain(item.versions[-1].text))
        texts.extend(plain(c.versions[-1].text) for c in item.thread
                     if isinstance(c, ProducedItem))
    body = "\n".join(f"<p>{html.escape(t)}</p>" for t in texts)
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def run_ours(prod: Production, profile: bool = False) -> dict:
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    rendered = render_production(prod)
    if profiler:
        profiler.disable()
    out = {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
           "pages": rendered.pages, "bytes": len(rendered.pdf)}
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        out["profile"] = text.getvalue()
    return out


def run_baseline(prod: Production) -> dict:
    import weasyprint

    source = baseline_html(prod)
    start, cpu = time.perf_counter(), time.process_time()
    document = weasyprint.HTML(string=source).render()  # what write_pdf() does, in two steps
    pdf = document.write_pdf()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": elapsed, "cpu": cpu, "pages": len(document.pages), "bytes": len(pdf)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warc-n", type=int, default=20000,
                        help="versions for the WARC part (bench/export_warc.py)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of render_production (slower)")
    args = parser.parse_args()
    prod = production(args.n)
    comments = sum(isinstance(c, ProducedItem) for item in prod.items for c in item.thread)
    versions = sum(len(item.versions) for item in prod.items)
    print(f"pdf benchmark: {args.n:,} produced items: {len(prod.items):,} posts, "
          f"{comments:,} comments; {versions:,} post versions, {len(prod.withheld):,} "
          "withheld", flush=True)
    run_ours(production(20, seed=1))  # warm up imports and fonts, untimed
    run_baseline(production(20, seed=1))
    ours, bases = [], []
    for round_number in range(1, args.rounds + 1):  # alternating: the machine is noisy
        ours.append(run_ours(prod))
        bases.append(run_baseline(prod))
        print(f"round {round_number}: civicarchive {ours[-1]['seconds']:.2f} s, baseline "
              f"{bases[-1]['seconds']:.2f} s", flush=True)
    best = min(ours, key=lambda r: r["seconds"])
    base = min(bases, key=lambda r: r["seconds"])
    items_per_s, base_items_per_s = args.n / best["seconds"], args.n / base["seconds"]
    for name, result, rate in (("civicarchive render_production", best, items_per_s),
                               ("baseline bare <p> paragraphs", base, base_items_per_s)):
        print(f"{name}: {result['pages']:,} pages ({result['bytes'] / 1e6:.1f} MB) in "
              f"{result['seconds']:.2f} s ({result['cpu']:.2f} s CPU): "
              f"{result['pages'] / result['seconds']:.1f} pages/s, {rate:.1f} items/s "
              f"(best of {args.rounds})", flush=True)
    if args.profile:
        profiled = run_ours(prod, profile=True)
        print(f"cProfile of render_production ({profiled['seconds']:.2f} s profiled):")
        print(profiled["profile"])
    warc = subprocess.run([sys.executable, str(Path(__file__).with_name("export_warc.py")),
                           "--n", str(args.warc_n)], capture_output=True, text=True)
    if warc.returncode != 0:
        sys.exit(f"the WARC benchmark failed: {warc.stderr.strip()}")
    print(warc.stdout.rstrip())
    print(f"pdf_items_per_s: {items_per_s:.1f}")
    print(f"pdf_pages_per_s: {best['pages'] / best['seconds']:.1f}")
    print(f"pdf_ratio: {items_per_s / base_items_per_s:.2f}")


if __name__ == "__main__":
    main()
