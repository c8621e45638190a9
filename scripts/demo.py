"""Build a demo archive on the embedded default (SQLite and local files) and show it off.

    python scripts/demo.py [--home demo-data]

Generates two captures of a city's account (the second, a month later, with edits,
deletions and hidden comments), ingests them with the real CLI, and proves one record.
Every step is a `civicarchive` command printed before it runs, so you can repeat it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from civicarchive import Archive
from civicarchive.sample import mastodon_archive, observations, recapture, write_jsonl

COUNT = 600
# Members of the public commenting with personal details, for the request's redactions.
PUBLIC_COMMENTS = [
    {"native_id": "pc-1", "kind": "comment", "parent_id": "1800000000000",
     "created_at": "2026-03-02T18:00:00Z", "observed_at": "2026-03-02T19:00:00Z",
     "author": "neighbour1", "text": "I live at 412 Elm Street and nobody told us about the "
     "zoning hearing. Call me at (206) 555-0143."},
    {"native_id": "pc-2", "kind": "comment", "parent_id": "1800000000000",
     "created_at": "2026-03-02T18:30:00Z", "observed_at": "2026-03-02T19:00:00Z",
     "author": "neighbour2", "text": "Same here on Elm Street: write to jane.roe@example.net "
     "before the zoning hearing."},
]


POTHOLES = "Crews will fill potholes on Elm Street this week. Expect lane closures."
MODERATION_SAMPLES = [
    {"post": POTHOLES, "comment": "This council is a bunch of incompetent clowns. Fix the "
                                  "damn roads before you waste more of our money."},
    {"post": POTHOLES, "comment": "Make $500 a day from home!!! Click www.quick-cash.example"},
    {"post": POTHOLES, "comment": "If the foreman blocks my driveway again I will shoot him."},
    {"post": POTHOLES, "comment": "Thanks, does this include the stretch by the library?"},
]


DEMO_PASSWORD = "civicarchive-demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="demo-data", type=Path)
    home = parser.parse_args().home.resolve()
    if home.exists():
        if not (home / "archive.db").exists():
            sys.exit(f"{home} exists and is not a demo archive: choose another --home")
        print(f"Removing the previous demo archive in {home}")
        shutil.rmtree(home)
    samples, exports = home / "samples", home / "exports"
    samples.mkdir(parents=True)

    first = list(observations(COUNT))
    write_jsonl(iter(first), samples / "capture-1.jsonl")
    write_jsonl(recapture(first), samples / "capture-2.jsonl")
    mastodon_archive(samples / "mastodon-archive-january.zip", 40)
    mastodon_archive(samples / "mastodon-archive-march.zip", 40, skip=frozenset({3, 17}),
                     edited=frozenset({5}))
    print(f"Wrote two sample captures of {COUNT} posts and comments, and two Mastodon "
          f"account archives, to {samples}\n")

    def cli(*args: str) -> str:
        shown = " ".join(shlex.quote(str(a)) for a in ("civicarchive", "--home", home, *args))
        print(f"$ {shown}")
        done = subprocess.run([sys.executable, "-m", "civicarchive.cli", "--home", str(home),
                               "--actor", "demo", *map(str, args)], capture_output=True,
                              text=True)
        print(done.stdout.rstrip())
        if done.returncode != 0:
            sys.exit(f"demo step failed: {done.stderr.strip()}")
        print()
        return done.stdout

    cli("init", "--agency", "City of Example")
    cli("accounts", "add", "--platform", "x", "--handle", "cityofexample",
        "--classification", "agency", "--owner", "Communications Office")
    cli("ingest-jsonl", samples / "capture-1.jsonl", "--account", "1")
    cli("ingest-jsonl", samples / "capture-2.jsonl", "--account", "1")
    cli("accounts", "add", "--platform", "mastodon", "--handle",
        "@cityofexample@social.example.gov",
        "--classification", "agency", "--owner", "Communications Office")
    cli("import", samples / "mastodon-archive-january.zip", "--account", "2")
    cli("import", samples / "mastodon-archive-march.zip", "--account", "2")
    cli("stats")

    with Archive.open(home) as archive:  # find a record with a story to tell
        edited = next(i for i in range(1, COUNT + 1) if len(archive.reading.history(i)) > 1
                      and archive.reading.history(i)[-1].event.value == "edited")
        deleted = next(i for i in range(1, COUNT + 1)
                       if archive.reading.history(i)[-1].event.value == "deleted")
        version = archive.reading.history(edited)[-1].id
    cli("history", edited)
    cli("show", deleted)
    cli("verify")
    cli("public-key", "-o", exports / "public-key.pem")
    cli("proof", version, "-o", exports / f"proof-version-{version}.json")
    cli("verify-proof", exports / f"proof-version-{version}.json", "--public-key",
        exports / "public-key.pem")
    cli("export", "--item", edited, "--item", deleted, "--format", "bagit", "-o",
        exports / "evidence-package")
    cli("verify-package", exports / "evidence-package", "--public-key",
        exports / "public-key.pem")
    policy_file = Path(__file__).resolve().parents[1] / "src/civicarchive/policy/examples" \
        / "washington-local.yaml"
    cli("policy", "check", policy_file, "--platform", "x", "--platform", "mastodon")
    cli("policy", "render", policy_file, "--format", "pdf", "-o", exports / "policy.pdf")
    cli("policy", "adopt", policy_file)
    cli("policy", "render", policy_file, "--audience", "officials", "--format", "pdf", "-o",
        exports / "guide-for-officials.pdf")
    # The moderation engine on four comments, as an agency tries a policy before adopting
    # it: harsh criticism is protected, never hidden; spam and a threat are not.
    comments = samples / "comments-to-check.jsonl"
    comments.write_text("".join(json.dumps(line) + "\n" for line in MODERATION_SAMPLES))
    cli("moderation", "check", comments, "--no-embeddings")
    cli("holds", "add", "--name", "Elm Street zoning appeal", "--matter", "LU-2026-014",
        "--reason", "pending land-use litigation", "--query", "zoning")
    cli("retention", "status")
    cli("accounts", "report")

    # A records request, from intake to a verified production.
    write_jsonl(iter(PUBLIC_COMMENTS), samples / "capture-3.jsonl")
    cli("ingest-jsonl", samples / "capture-3.jsonl", "--account", "1")
    cli("search", '"elm street" is:edited OR is:deleted', "--limit", "3")
    received = datetime.now(timezone(timedelta(hours=-8))).isoformat(timespec="minutes")
    cli("requests", "new", "--requester", "A. Reporter, Example Times", "--received",
        received, "--description",
        "Comments about the Elm Street zoning hearing, including deleted ones")
    cli("requests", "add", "1", "--search", "zoning is:deleted OR is:edited OR is:hidden")
    cli("requests", "add", "1", "--search", "author:neighbour1 OR author:neighbour2")
    with Archive.open(home) as archive:
        collected = sorted(archive.requests.state(1).items)
    cli("requests", "mark", "1", *[a for i in collected[:-1] for a in ("--item", i)],
        "--as", "responsive")
    cli("requests", "mark", "1", "--item", collected[-1], "--as", "withheld", "--exemption",
        "personal information", "--citation", "RCW 42.56.230")
    found = cli("requests", "suggestions", "1")
    keys = [line.split()[0] for line in found.splitlines() if "pending" in line]
    cli("requests", "accept", "1", *keys, "--reason", "personal information, RCW 42.56.230")
    cli("requests", "produce", "1", "--prefix", "CITY-", "-o", exports / "request-1-production")
    cli("verify-package", exports / "request-1-production", "--public-key",
        exports / "public-key.pem")
    cli("requests", "show", "1")
    cli("requests", "explain", "1")  # why the due date is what it is

    # A staff user for the web application (a demo password: choose your own for real).
    (samples / "demo-password.txt").write_text(DEMO_PASSWORD + "\n")
    cli("users", "add", "demo", "--role", "admin", "--name", "Demo Records Officer",
        "--password-file", samples / "demo-password.txt")

    print(f"""Done. The demo archive is in {home}:
  archive.db     the records, versions, ledger and audit log (SQLite)
  blobs/         large raw files, content-addressed
  keys/          the archive's Ed25519 signing key (keep it safe) and public key
  samples/       the JSONL captures that were ingested, and the comments the
                 moderation engine judged
  exports/       the public key, an inclusion proof a third party can check offline, a
                 BagIt evidence package of two records, the social media policy
                 rendered from the example Washington policy file with its guide for
                 officials (guide-for-officials.pdf), and the production for request
                 R-2026-0001 (open request-1-production/data/production.pdf)

Try next:
  .venv/bin/civicarchive --home {home} history {edited}
  .venv/bin/civicarchive --home {home} show {edited} --json
  .venv/bin/civicarchive --home {home} verify --json
  .venv/bin/civicarchive --home {home} search 'zoning is:edited' --all-versions
  .venv/bin/civicarchive --home {home} requests log 1
  python docs/examples/verify_proof.py {exports / f'proof-version-{version}.json'}
Read docs/README.md for what each command does and how the ledger proves a record.

Open the staff web application on this archive:
  .venv/bin/civicarchive --home {home} serve
  then browse to http://127.0.0.1:8000/ and sign in as demo / {DEMO_PASSWORD}
  (the REST API is at http://127.0.0.1:8000/api/v1/openapi.json; docs/web.md)
  and the open archive, for everyone, at http://127.0.0.1:8000/public/ (docs/public.md)""")


if __name__ == "__main__":
    main()
