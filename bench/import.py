"""X archive import: throughput against bare orjson parsing, and peak memory as N grows.

    python bench/import.py                    # 100,000 and 1,000,000 tweets
    python bench/import.py --quick            # 20,000 and 100,000
    python bench/import.py --sizes 50000 200000

For each size a generated X archive zip (tweets.js pretty-printed as X writes it, ~1.2 KB
a tweet, with edit chains, deleted tweets, long posts joined by note-tweet.js, photos,
a manifest and account.js) is written to a temporary folder, then imported into a fresh
archive (Archive.init + add_account + import_export, SQLite, the embedded default) in a
child process; its peak RSS is the largest of that process and the worker it forks
(RUSAGE_CHILDREN). The baseline, in another child process, reads the same tweets.js from
the zip and parses it whole with orjson (about 9 GB of memory at 1,000,000 tweets). The
ratio is baseline seconds / import seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

START = datetime(2019, 1, 1, tzinfo=timezone.utc)
ACCOUNT_ID = "1500000000000000001"
EDIT_EVERY, LONG_EVERY, MEDIA_EVERY, DELETED_EVERY = 97, 101, 53, 89  # primes: few overlap
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


def _x_json(value: object) -> bytes:
    """An entry as X writes it: two-space indent, ` : ` separators, inside the array."""
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b'": ', b'" : ')
    return b"  " + text.replace(b"\n", b"\n  ")


def _time(i: int) -> datetime:
    """37 s apart, but a long post and the next tweet share a second (a thread)."""
    return START + timedelta(seconds=37 * (i - (i % LONG_EVERY == 1)))


def _id(i: int) -> str:
    return str(1_100_000_000_000_000_000 + i)


def _tweet(i: int, text: str, **extra) -> dict:
    tweet_id = _id(i)
    return {"tweet": {
        "edit_info": {"initial": {"editTweetIds": [tweet_id],
                                  "editableUntil": "2019-01-01T01:00:00.000Z",
                                  "editsRemaining": "5", "isEditEligible": True}},
        "retweeted": False,
        "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
        "entities": {"hashtags": [{"text": "CityCouncil", "indices": ["0", "12"]}],
                     "symbols": [], "user_mentions": [{
                         "name": "A Resident", "screen_name": "resident1",
                         "indices": ["13", "23"], "id_str": "42", "id": "42"}],
                     "urls": [{"url": "https://t.co/abc", "expanded_url":
                               "https://example.gov/agenda", "display_url":
                               "example.gov/agenda", "indices": ["30", "53"]}]},
        "display_text_range": ["0", str(len(text))], "favorite_count": str(i % 300),
        "id_str": tweet_id, "truncated": False, "retweet_count": str(i % 40),
        "id": tweet_id, "created_at": _time(i).strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorited": False, "full_text": text, "lang": "en", **extra}}


def _entries(n: int):  # noqa: ANN202 - (tweet entries, deleted entries, notes, media ids)
    """Every kind of entry for `n` tweets, yielded as (file, entry)."""
    for i in range(n):
        text = f"#CityCouncil @resident1 agenda item {i}: road repairs on Main St " \
               f"https://t.co/abc and the library's hours, see the minutes. {i * 7919 % 10007}"
        if i % LONG_EVERY == 0:
            long_text = f"Long post {i}: " + "the budget hearing covered parks and roads. " * 20
            yield "note", {"noteTweet": {
                "noteTweetId": str(1_900_000_000_000_000_000 + i),
                "createdAt": _time(i).isoformat().replace("+00:00", ".000Z"),
                "updatedAt": _time(i).isoformat().replace("+00:00", ".000Z"),
                "lifecycle": {"value": "live", "name": "Live", "originalName": "live",
                              "annotations": {}},
                "core": {"styletags": [], "urls": [], "text": long_text, "mentions": [],
                         "cashtags": [], "hashtags": []}}}
            text = long_text[:270] + "… https://t.co/more"
        extra = {}
        if i % MEDIA_EVERY == 0:
            extra["extended_entities"] = {"media": [{
                "media_url_https": f"https://pbs.twimg.com/media/P{i}.jpg", "type": "photo",
                "id_str": str(i), "ext_alt_text": "Council chamber"}]}
            yield "media", f"{_id(i)}-P{i}.jpg"
        if i % DELETED_EVERY == 0:
            yield "deleted", _tweet(i, text, deleted_at=(_time(i) + timedelta(hours=1))
                                    .strftime("%a %b %d %H:%M:%S +0000 %Y"), **extra)
            continue
        chain = [_id(i - 1), _id(i)] if i % EDIT_EVERY == 1 else \
            [_id(i), _id(i + 1)] if i % EDIT_EVERY == 0 else None
        if chain and i > 1:  # pairs: a tweet and its edit
            control = {"editTweetIds": chain, "editableUntil": "2019-01-01T01:00:00.000Z",
                       "editsRemaining": "4", "isEditEligible": True}
            extra["edit_info"] = {"initial": control} if chain[0] == _id(i) else \
                {"edit": {"initialTweetId": chain[0], "editControlInitial": control}}
        yield "tweet", _tweet(i, text, **extra)


def write_archive(path: Path, n: int) -> dict:
    """A generated X archive zip of `n` tweets; returns what it holds."""
    counts = {"tweet": 0, "deleted": 0, "note": 0, "media": 0}
    script = {"tweet": b"window.YTD.tweets.part0 = [\n",
              "deleted": b"window.YTD.deleted_tweets.part0 = [\n",
              "note": b"window.YTD.note_tweet.part0 = [\n"}
    names = {"tweet": "data/tweets.js", "deleted": "data/deleted-tweets.js",
             "note": "data/note-tweet.js"}
    with tempfile.TemporaryDirectory() as tmp, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        parts = {kind: open(Path(tmp) / kind, "wb") for kind in script}
        media = []
        for kind, entry in _entries(n):
            if kind == "media":
                media.append(entry)
            else:
                parts[kind].write((b",\n" if counts[kind] else b"") + _x_json(entry))
            counts[kind] += 1
        for kind, stream in parts.items():
            stream.close()
            with archive.open(names[kind], "w", force_zip64=True) as out, \
                    open(Path(tmp) / kind, "rb") as source:
                out.write(script[kind])
                while chunk := source.read(1 << 20):
                    out.write(chunk)
                out.write(b"\n]")
        for name in media:
            archive.writestr(f"data/tweets_media/{name}", PHOTO)
        archive.writestr("data/account.js", b"window.YTD.account.part0 = [\n" + _x_json(
            {"account": {"username": "benchcity", "accountId": ACCOUNT_ID,
                         "createdAt": "2012-05-01T10:00:00.000Z"}}) + b"\n]")
        archive.writestr("data/manifest.js", b"window.__THAR_CONFIG = " + orjson.dumps({
            "userInfo": {"accountId": ACCOUNT_ID, "userName": "benchcity"},
            "archiveInfo": {"generationDate": "2025-02-01T09:30:00.000Z",
                            "isPartialArchive": False},
            "dataTypes": {"tweets": {"files": [{"fileName": "data/tweets.js"}]}}},
            option=orjson.OPT_INDENT_2))
    return counts


def run_import(path: Path) -> dict:
    from civicarchive import Archive

    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        archive = Archive.init("Bench City", home=Path(tmp) / "home")
        account = archive.registry.add_account("x", "benchcity", "agency")
        start = time.perf_counter()
        report = archive.ingesting.import_export(path, account.id)
        elapsed = time.perf_counter() - start
        archive.close()
    return {"seconds": elapsed, "entries": report.entries, "versions": report.ingest.versions,
            "problems": len(report.problems), "first_problems": [str(p) for p in
                                                                 report.problems[:3]],
            # which process of the import peaks: this one, or its worker and indexer
            "main_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "helpers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def run_orjson(path: Path) -> dict:
    start = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        data = archive.read("data/tweets.js")
    tweets = orjson.loads(memoryview(data)[data.index(b"=") + 1:])
    return {"seconds": time.perf_counter() - start, "entries": len(tweets)}


def child(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)],
                         capture_output=True, text=True)
    if out.returncode:
        print(f"the {kind} child failed:\n{out.stderr}", file=sys.stderr)
        sys.exit(1)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(kind: str, path: Path) -> dict:
    """Run one measurement in a fresh child; its peak RSS is the largest in its tree."""
    pid = os.fork()
    if pid == 0:  # a middle process whose RUSAGE_CHILDREN holds this one run only
        code = 1
        try:
            result = child(kind, path)
            result["peak_rss_mb"] = resource.getrusage(
                resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            (path.parent / f"{kind}.json").write_text(json.dumps(result))
            code = 0
        finally:
            os._exit(code)
    if os.waitpid(pid, 0)[1]:
        sys.exit(f"measuring {kind} failed")
    return json.loads((path.parent / f"{kind}.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="sizes 20,000 and 100,000")
    parser.add_argument("--child", choices=["import", "orjson"])
    parser.add_argument("archive", nargs="?", type=Path)
    args = parser.parse_args()
    if args.child:
        fn = run_import if args.child == "import" else run_orjson
        print(json.dumps(fn(args.archive)))
        return
    sizes = [20_000, 100_000] if args.quick else args.sizes
    results = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "twitter-archive.zip"
            started = time.perf_counter()
            counts = write_archive(path, n)
            size = sum(i.file_size for i in zipfile.ZipFile(path).infolist()
                       if i.filename == "data/tweets.js")
            print(f"N={n:,}: archive of {counts['tweet']:,} tweets ({size / 1e6:,.0f} MB "
                  f"tweets.js), {counts['deleted']:,} deleted, {counts['note']:,} long "
                  f"posts, {counts['media']:,} photos; written in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            base = measure("orjson", path)
            full = measure("import", path)
        rate = full["entries"] / full["seconds"]
        ratio = base["seconds"] / full["seconds"]
        results[n] = (rate, ratio, full["peak_rss_mb"])
        print(f"N={n:,}: import {full['seconds']:.1f} s, {rate:,.0f} records/s, "
              f"{full['versions']:,} versions, {full['problems']} problems "
              f"{full['first_problems']}; peak RSS {full['peak_rss_mb']:.0f} MB (importing "
              f"process {full['main_rss_mb']:.0f} MB, its worker and indexer "
              f"{full['helpers_rss_mb']:.0f} MB)", flush=True)
        print(f"N={n:,}: orjson alone parses tweets.js in {base['seconds']:.1f} s "
              f"(peak RSS {base['peak_rss_mb']:.0f} MB); ratio {ratio:.3f}", flush=True)
    rate, ratio, rss = results[sizes[-1]]
    print(f"records_per_s: {rate:.0f}")
    print(f"import_ratio: {ratio:.3f}")
    print(f"peak_rss_mb: {rss:.0f}")


if __name__ == "__main__":
    main()
