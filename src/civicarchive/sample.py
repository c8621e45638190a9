"""Realistic synthetic observations, for the demo and the benchmarks.

Deterministic for a seed: a city's account with posts and a public comment thread,
captured twice; the second capture edits, deletes, hides and restores some records.
Each line is about 1 KB, like a platform API item.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import orjson

TOPICS = ["the zoning hearing on Elm Street", "snow removal routes", "the library levy",
          "park renovations at Riverside", "the water main replacement", "council minutes",
          "the budget workshop", "road closures downtown", "the farmers market",
          "the new bike lanes", "property tax assessments", "the summer reading program"]
WORDS = ("public meeting council resident neighborhood traffic safety budget permit street "
         "park community hearing schedule update notice comment service project").split()
AUTHORS = ["cityofexample"] + [f"resident{n}" for n in range(1, 400)]
START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


def _text(rng: random.Random, topic: str, words: int) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return f"About {topic}: {body}."


def _record(rng: random.Random, native_id: str, kind: str, author: str, created: datetime,
            observed: datetime, text: str, parent: str | None, **extra: object) -> dict:
    record = {"native_id": native_id, "kind": kind, "author": author,
              "created_at": created.isoformat().replace("+00:00", "Z"),
              "observed_at": observed.isoformat().replace("+00:00", "Z"), "text": text,
              "url": f"https://social.example/@{author}/{native_id}",
              "lang": "en", "likes": rng.randint(0, 250), "reposts": rng.randint(0, 40),
              "client": "civicarchive-sample", **extra}
    if parent:
        record["parent_id"] = parent
    return record


def observations(count: int, seed: int = 7, observed: datetime | None = None) -> Iterator[dict]:
    """`count` first-capture observations: posts, each followed by a few comments."""
    rng = random.Random(seed)
    # A pool of bodies keeps generation cheap next to what is measured; the record
    # number keeps every text distinct.
    pool = [_text(rng, TOPICS[i % len(TOPICS)], 100) for i in range(257)]
    observed = observed or START + timedelta(days=400)
    post_id = None
    for n in range(count):
        created = START + timedelta(minutes=37 * n)
        text = f"{pool[rng.randrange(len(pool))]} (#{n})"
        if n % 6 == 0:
            post_id = f"{1_800_000_000_000 + n}"
            yield _record(rng, post_id, "post", "cityofexample", created, observed, text,
                          None, hashtags=["cityofexample"])
        else:
            yield _record(rng, f"{1_800_000_000_000 + n}", "comment",
                          AUTHORS[1 + rng.randrange(len(AUTHORS) - 1)], created, observed,
                          text, post_id)


def recapture(first: list[dict], seed: int = 8, later: timedelta = timedelta(days=30)
              ) -> Iterator[dict]:
    """A later capture of the same records: ~5% edited, ~3% deleted, ~2% hidden."""
    rng = random.Random(seed)
    for record in first:
        again = dict(record)
        again["observed_at"] = (datetime.fromisoformat(record["observed_at"]) + later) \
            .isoformat().replace("+00:00", "Z")
        roll = rng.random()
        if roll < 0.05:
            again["text"] = record["text"] + " [edited: corrected the meeting date]"
        elif roll < 0.08:
            again["event"] = "deleted"
        elif roll < 0.10 and record["kind"] == "comment":
            again["event"] = "hidden"
        yield again


def write_jsonl(records: Iterator[dict], path) -> int:  # noqa: ANN001
    written = 0
    with open(path, "wb") as out:
        for record in records:
            out.write(orjson.dumps(record) + b"\n")
            written += 1
    return written


MASTODON = "https://social.example.gov"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def mastodon_archive(path, count: int, seed: int = 11, skip: frozenset = frozenset(),  # noqa: ANN001
                     edited: frozenset = frozenset()) -> None:
    """A Mastodon account archive (zip) as the server's backup writes it: outbox.json with
    its duplicate `orderedItems` key, and actor.json. `skip` leaves statuses out (deleted
    since); `edited` changes their text (edited since)."""
    import zipfile

    rng = random.Random(seed)
    actor = f"{MASTODON}/users/cityofexample"
    items = []
    for n in range(count):
        if n in skip:
            continue
        uri = f"{actor}/statuses/1135012074468{n:05d}"
        published = (START + timedelta(hours=9 * n)).isoformat().replace("+00:00", "Z")
        text = f"{TOPICS[n % len(TOPICS)].capitalize()}: update #{n}."
        if n in edited:
            text += " (Corrected time: 6pm.)"
        note = {"id": uri, "type": "Note", "summary": None, "inReplyTo": None,
                "published": published, "url": f"{MASTODON}/@cityofexample/{n}",
                "attributedTo": actor, "to": [AS_PUBLIC], "cc": [f"{actor}/followers"],
                "sensitive": False, "content": f"<p>{text}</p>", "attachment": [],
                "tag": [], "contentMap": {"en": f"<p>{text}</p>"}}
        items.append({"id": f"{uri}/activity", "type": "Create", "actor": actor,
                      "published": published, "to": note["to"], "cc": note["cc"],
                      "object": note})
        rng.random()
    body = json.dumps(items, indent=1)
    outbox = ('{"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", '
              f'"type": "OrderedCollection", "totalItems": {len(items)}, "orderedItems": [], '
              f'"orderedItems": {body}}}')
    profile = {"@context": "https://www.w3.org/ns/activitystreams", "id": actor,
               "type": "Person", "preferredUsername": "cityofexample",
               "name": "City of Example", "summary": "<p>Official account.</p>",
               "published": "2023-01-01T00:00:00Z", "url": f"{MASTODON}/@cityofexample"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("outbox.json", outbox)
        bundle.writestr("actor.json", json.dumps(profile, indent=1))
