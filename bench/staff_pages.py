"""The moderation queue and the accounts registry of the staff application on a generated
archive: each page loaded a few times in-process (the app through a test client), timed.

    python bench/staff_pages.py [--records 100000] [--loads 3] [--database-url URL]

Builds once, in bench/.cache/staff-N/ (git-ignored), an archive like bench/web.py's: the
City of Example's account (90%: posts, each with a thread of comments, 2% captured
again) and a second agency's (10%), from civicarchive.sample, with the Washington policy
adopted, a moderator and a records officer of the city; each run works on a copy. The
sample's comments are made of the same few words, so the engine finds most of them
repeated: flagged. Embeddings are off (the lexical fallback), as in the tests.

Prints the milliseconds of each load of /accounts, /moderation, /moderation?offset=200 and
/api/v1/moderation/queue, then the same pages after a few comments arrive. The first
queue load pays for parsing the policy and judging the comments a page needs; later
loads reuse the verdicts (app/verdicts.py). With `--database-url` the archive is built in
that PostgreSQL database (an empty schema: put `?options=-csearch_path%3DNAME` in the
URL) and run there, without a copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import time
from pathlib import Path

import orjson

os.environ.setdefault("CIVICARCHIVE_EMBEDDINGS", "off")

from civicarchive import Archive  # noqa: E402 - after the environment is set
from civicarchive.policy import EXAMPLES  # noqa: E402
from civicarchive.sample import observations, recapture  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
PASSWORD = "bench password, not a secret"
PAGES = [("officer", "/accounts"), ("moderator", "/moderation"),
         ("moderator", "/moderation?offset=200"),
         ("moderator", "/api/v1/moderation/queue?limit=20")]


def build(home: Path, records: int, url: str | None) -> None:
    archive = Archive.init("City of Example", home=home, database_url=url, actor="bench")
    try:
        archive.registry.add_agency("County of Other", actor="bench")
        city = archive.registry.add_account("x", "cityofexample", "agency",
                                            agency="city-of-example", actor="bench")
        county = archive.registry.add_account("mastodon", "countyofother", "agency",
                                              agency="county-of-other", actor="bench")
        sample = home.parent / "sample.jsonl"
        city_n = records * 9 // 10
        for account, count, seed in ((city, city_n, 7), (county, records - city_n, 9)):
            write(sample, observations(count, seed=seed))
            archive.ingesting.ingest_jsonl(sample, account.id, actor="bench")
        write(sample, recapture(list(observations(city_n // 50, seed=7))))
        archive.ingesting.ingest_jsonl(sample, city.id, actor="bench")
        sample.unlink()
        archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "bench")
        for name, role in (("moderator", "moderator"), ("officer", "records_officer")):
            archive.users.add(name, "city-of-example", [role], "bench", password=PASSWORD)
    finally:
        archive.close()


def write(path: Path, records) -> None:  # noqa: ANN001
    with open(path, "wb") as out:
        for record in records:
            out.write(orjson.dumps(record) + b"\n")


def signed_in(app, username: str):  # noqa: ANN001, ANN201 - a TestClient
    from fastapi.testclient import TestClient
    client = TestClient(app, base_url="http://127.0.0.1")
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token, "next": "/"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    return client


def run(archive: Archive, loads: int, label: str) -> None:
    from civicarchive.web.app import create_app
    app = create_app(archive)
    clients = {name: signed_in(app, name) for name in ("moderator", "officer")}
    for name, path in PAGES:
        times = []
        for _ in range(loads):
            started = time.perf_counter()
            answer = clients[name].get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
        print(f"{label}{path}: " + ", ".join(f"{t:.0f} ms" for t in times), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = CACHE / (f"staff-{args.records}" + ("-pg" if args.database_url else ""))
    marker = folder / "built.json"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (CACHE / ".gitignore").write_text("*\n")
        started = time.perf_counter()
        print(f"building an archive of {args.records:,} records in {folder} (once) ...")
        build(folder / "home", args.records, args.database_url)
        marker.write_text(json.dumps({"build_s": round(time.perf_counter() - started)}))
    home = folder / "home"
    if not args.database_url:
        home = folder / "run"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(folder / "home", home)
    archive = Archive.open(home, database_url=args.database_url)
    try:
        run(archive, args.loads, "")
        city = archive.registry.accounts()[0].id
        write(folder / "more.jsonl", ({**record, "native_id": f"more-{time.time_ns()}-{n}"}
                                      for n, record in enumerate(observations(6, seed=99))))
        archive.ingesting.ingest_jsonl(folder / "more.jsonl", city, actor="bench")
        run(archive, 2, "after 6 more records: ")
    finally:
        archive.close()
        if not args.database_url:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
