"""Search latency on a generated archive, against the bare engine over the same text.

    python bench/search.py [--n 1000000] [--keep DIR]

Builds (timed, reported as the index build rate) a SQLite archive of N records: ten
accounts on five platforms; posts, comments, replies and a few direct messages of 8 to
60 words drawn from a 30,000-word Zipf vocabulary with common civic phrases mixed in; a
few percent edited, deleted or hidden; some with media. Then runs a fixed set of 100
queries (single words of every frequency, several words, "phrases", OR, -exclusions,
and filters: platform:, kind:, account:, author:, from:/to:, is:, has:) three times each
through `Archive.search` as an application calls it: parsing, filters, the catch-up
check against the ledger, the total, the ranked top 20 with highlighted snippets and what
each hit shows (platform, account, author, times, URL); and once more with facet counts
(a second pass over every match, which the CLI asks for and a UI asks for on a first
page), reported separately as facets_p95_ms. The baseline, in the same run, sends the text part of the same
queries straight to a bare tantivy index holding only the same texts
(Index.parse_query, top 20 with a count, each hit's stored text read), the way an
application with no filters, snippets or facets would. ratio = our p95 / bare p95.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import tantivy

from civicarchive import Archive, Event, Kind, Observation

SEED = 2026
VOCABULARY = 30_000
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
PLATFORMS = ["x", "facebook", "instagram", "mastodon", "bluesky"]
PHRASES = ["main street", "city council", "public hearing", "snow removal", "water main",
           "property tax", "bike lanes", "farmers market", "zoning variance", "library levy"]
SYLLABLES = ("ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko la le li lo lu ma me "
             "mi mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to va "
             "ve vi vo za ze zi").split()


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1 / (rank + 1) ** 1.05 for rank in range(VOCABULARY)]
    return words, weights


def corpus(n: int):  # noqa: ANN201
    """(account index, native id, kind, author, created, text, extra) for N records, and
    later events for a few of them; deterministic for the seed."""
    rng = random.Random(SEED)
    words, weights = vocabulary(rng)
    cumulative = []
    total = 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    for i in range(n):
        body = rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 60))
        if rng.random() < 0.3:
            body.insert(rng.randrange(len(body) + 1), rng.choice(PHRASES))
        roll = rng.random()
        kind = (Kind.POST if roll < 0.2 else Kind.COMMENT if roll < 0.8 else
                Kind.REPLY if roll < 0.98 else Kind.MESSAGE)
        author = "agency" if kind is Kind.POST else f"resident{rng.randrange(5000)}"
        extra = {"media": [{"file": f"{i}.jpg"}]} if rng.random() < 0.1 else {}
        yield (i % 10, str(i), kind, author, START + timedelta(minutes=2 * i),
               " ".join(body), extra, rng.random())


def observations(n: int, accounts: list[int]):  # noqa: ANN201
    later = START + timedelta(days=2 * 365)
    for account, native, kind, author, created, text, extra, roll in corpus(n):
        content = {"text": text, "author": author, **extra}
        base = dict(account_id=accounts[account], native_id=native, kind=kind,
                    created_at=created, author=author, raw=None)
        yield Observation(observed_at=created + timedelta(minutes=1), content=content, **base)
        if roll < 0.03:    # edited
            yield Observation(observed_at=later, content={**content, "text": text + " (edited)"},
                              **base)
        elif roll < 0.05:  # deleted
            yield Observation(observed_at=later, content=None, event=Event.DELETED, **base)
        elif roll < 0.06:  # hidden
            yield Observation(observed_at=later, content=content, event=Event.HIDDEN, **base)


def queries(rng: random.Random) -> list[str]:
    words, _ = vocabulary(random.Random(SEED))
    common, middle, rare = words[:50], words[50:2000], words[2000:20000]
    filters = ["platform:facebook", "kind:comment", "kind:post", "is:deleted", "is:edited",
               "has:media", "from:2024-06-01", "to:2024-03-31", "account:acct3",
               "author:agency", "-kind:reply", "is:hidden"]
    made: list[str] = []
    for n in range(100):
        shape = n % 10
        if shape in (0, 1):
            made.append(rng.choice(common if shape == 0 else middle))
        elif shape == 2:
            made.append(rng.choice(rare))
        elif shape == 3:
            made.append(f"{rng.choice(middle)} {rng.choice(common)}")
        elif shape == 4:
            made.append(f'"{rng.choice(PHRASES)}"')
        elif shape == 5:
            made.append(f"{rng.choice(middle)} OR {rng.choice(middle)}")
        elif shape == 6:
            made.append(f"{rng.choice(common)} -{rng.choice(common)}")
        else:
            made.append(f"{rng.choice(middle + common)} {rng.choice(filters)}")
    return made


def text_part(query: str) -> str:
    return " ".join(p for p in query.split() if ":" not in p)


def build(home: Path, n: int) -> dict:
    archive = Archive.init("Bench City", home=home)
    accounts = [archive.registry.add_account(PLATFORMS[i % 5], f"acct{i}", "agency").id
                for i in range(10)]
    started = time.perf_counter()
    archive.ingesting.ingest(observations(n, accounts), source="bench", batch_size=5000)
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    records = archive.finding.rebuild()
    build_s = time.perf_counter() - started
    documents = archive.finding.index.index.searcher().num_docs
    archive.close()
    size = sum(f.stat().st_size for f in (home / "search").rglob("*") if f.is_file())
    return {"ingest_s": ingest_s, "build_s": build_s, "records": records,
            "documents": documents, "bytes": size}


def bare_index(folder: Path, n: int) -> tantivy.Index:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
    index = tantivy.Index(builder.build(), path=str(folder))
    writer = index.writer(256_000_000, 1)
    for _, _, _, _, _, text, _, _ in corpus(n):
        writer.add_document(tantivy.Document(text=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="civicarchive-search-"))
    try:
        home = work / "archive"
        if not (home / "archive.db").exists():
            print(f"building an archive of {args.n:,} records in {home} ...", flush=True)
            built = build(home, args.n)
            print(f"ingest {built['ingest_s']:.0f} s; index rebuild of {built['records']:,} "
                  f"records ({built['documents']:,} versions) {built['build_s']:.1f} s = "
                  f"{built['records'] / built['build_s']:,.0f} records/s; index "
                  f"{built['bytes'] / 2**20:.0f} MB = {built['bytes'] / built['documents']:.0f} "
                  f"bytes/version", flush=True)
        else:
            built = None
        bare_dir = work / "bare"
        if bare_dir.exists():
            shutil.rmtree(bare_dir)
        bare_dir.mkdir()
        started = time.perf_counter()
        bare = bare_index(bare_dir, args.n)
        print(f"bare tantivy index of the same texts: {time.perf_counter() - started:.1f} s",
              flush=True)
        made = queries(random.Random(7))
        ours: list[float] = []
        faceted: list[float] = []
        baseline: list[float] = []
        with Archive.open(home) as archive:
            archive.finding.search(made[0])  # open the index and warm the caches
            searcher = bare.searcher()
            for round_number in range(args.rounds):
                for query in made:
                    started = time.perf_counter()
                    archive.finding.search(query)
                    ours.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    archive.finding.search(query, facets=True)
                    faceted.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    text = text_part(query) or "*"
                    found = searcher.search(bare.parse_query(text, ["text"]), 20, count=True)
                    for _, address in found.hits:
                        searcher.doc(address)
                    baseline.append(time.perf_counter() - started)
        ms = [s * 1000 for s in ours]
        bare_ms = [s * 1000 for s in baseline]
        p95, bare_p95 = percentile(ms, 0.95), percentile(bare_ms, 0.95)
        print(f"civicarchive search: {len(ms)} searches, median {statistics.median(ms):.2f} ms, "
              f"p95 {p95:.2f} ms, max {max(ms):.2f} ms")
        facet_ms = [s * 1000 for s in faceted]
        print(f"civicarchive search with facet counts: median "
              f"{statistics.median(facet_ms):.2f} ms, p95 {percentile(facet_ms, 0.95):.2f} ms")
        print(f"bare tantivy: median {statistics.median(bare_ms):.2f} ms, p95 {bare_p95:.2f} ms")
        if built:
            print(f"index_build_records_per_s: {built['records'] / built['build_s']:.0f}")
            print(f"index_bytes_per_record: {built['bytes'] / built['documents']:.0f}")
        print(f"facets_p95_ms: {percentile(facet_ms, 0.95):.2f}")
        print(f"median_ms: {statistics.median(ms):.2f}")
        print(f"p95_ms: {p95:.2f}")
        print(f"ratio: {p95 / bare_p95:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
