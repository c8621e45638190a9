"""The moderation queue a page at a time (`review_page`) on both stores: the pages, put
together, are exactly the full review (the engine's stream over every comment), whatever
the page size, with repetition seen across pages, threads found through their replies,
comments created in another order than archived; verdicts are kept until what they
depend on changes; acted-on comments leave the pending queue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from civicarchive import Kind, Observation
from civicarchive.policy import EXAMPLES

T0 = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
SPAM = "BUY CHEAP WATCHES!!! Best prices at http://cheap-watches.example.com click now {}"
THREAT = "I know where you live and I am going to kill you tonight {}"
CRITIC = "The mayor is a corrupt incompetent clown and this council is a disgrace {}"
PLAIN = "Will the shelter on 5th Avenue have cots for the kids this weekend {}"
ECHO = "Please fix the potholes on Elm Street before somebody breaks an axle there"


@pytest.fixture(autouse=True)
def lexical(monkeypatch):
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")  # the engine's fallback: fast


def seen(account_id: int, native: str, text: str, kind: Kind = Kind.COMMENT,
         parent: str | None = None, created: int | None = 0, author: str = "resident",
         observed: int = 0) -> Observation:
    return Observation(account_id=account_id, native_id=native, kind=kind,
                       observed_at=T0 + timedelta(days=observed), content={"text": text},
                       raw=f"{native}:{text}:{observed}".encode(),
                       created_at=None if created is None else T0 + timedelta(minutes=created),
                       parent_native_id=parent, author=author)


@pytest.fixture
def busy(archive):
    """Two agency accounts, two posts, 40 comments and replies of every kind the engine
    tells apart: an author repeating himself (flagged only by what he wrote before), a
    reply under a comment, a comment whose post is not archived, comments created in
    another order than they were archived, and one without a creation time."""
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    city = archive.registry.add_account("mastodon", "city@example.social", "agency")
    parks = archive.registry.add_account("mastodon", "parks@example.social", "agency")
    records = [seen(city.id, "p1", "Warming shelter open tonight", Kind.POST, author="city"),
               seen(parks.id, "q1", "Riverside park renovations begin", Kind.POST,
                    author="parks")]
    texts = [SPAM, THREAT, CRITIC, PLAIN]
    for n in range(32):
        account, post = (city.id, "p1") if n % 3 else (parks.id, "q1")
        # created out of order: every fifth was created long before it was archived
        created = n * 7 if n % 5 else n - 200
        records.append(seen(account, f"c{n}", texts[n % 4].format(n), parent=post,
                            created=created, author=f"resident{n % 6}"))
    records += [seen(city.id, f"e{n}", ECHO, parent="p1", created=300 + n, author="echo")
                for n in range(4)]
    records += [seen(parks.id, f"e{n + 4}", ECHO, parent="q1", created=310 + n,
                     author="echo") for n in range(2)]
    records += [seen(city.id, "r1", THREAT.format("again"), Kind.REPLY, parent="c1",
                     created=400),
                seen(city.id, "o1", SPAM.format("orphan"), parent="gone", created=401),
                seen(city.id, "u1", THREAT.format("untimed"), parent="p1", created=None),
                # a loop of replies, each the other's parent: no post
                seen(city.id, "l1", PLAIN.format("loop"), Kind.REPLY, parent="l2", created=402),
                seen(city.id, "l2", PLAIN.format("pool"), Kind.REPLY, parent="l1", created=403)]
    archive.ingesting.ingest(records, source="test")
    return archive


def pages(archive, limit: int, **options) -> tuple[list[dict], list[dict]]:
    """Every page of the queue in turn, and what each said of itself."""
    rows, said, offset = [], [], 0
    while True:
        page = archive.moderation.review_page(offset=offset, limit=limit, **options)
        rows += page["rows"]
        said.append({k: page[k] for k in ("more", "total")} | {"size": len(page["rows"])})
        if not page["more"]:
            return rows, said
        offset += limit


def brief(rows: list[dict]) -> list[tuple]:
    return [(r["item_id"], r["verdict"]["action"], r["verdict"]["protected"],
             tuple(r["verdict"]["categories"]), r["post_id"], r["post"], r["text"],
             r["deleted"], r["handle"]) for r in rows]


@pytest.mark.parametrize("limit", [1, 6, 20, 100])
def test_pages_together_are_the_full_review(busy, limit):
    full = busy.moderation.review()
    assert 20 < len(full) < 44  # some comments are not flagged
    rows, said = pages(busy, limit)
    assert brief(rows) == brief(full)
    assert said[-1]["total"] == len(full) and all(s["more"] for s in said[:-1])
    assert all(s["total"] is None for s in said[:-1])  # unknown until the last page
    assert [s["size"] for s in said[:-1]] == [limit] * (len(said) - 1)


def test_every_comment_paged_is_the_full_review_of_every_comment(busy):
    full = busy.moderation.review(everything=True)
    assert len(full) == 43
    rows, _ = pages(busy, 9, everything=True)
    assert brief(rows) == brief(full)


def test_repetition_is_seen_across_pages_threads_through_replies(busy):
    rows, _ = pages(busy, 1, everything=True)
    by_native = {r["native_id"]: r for r in rows}
    echoes = [by_native[f"e{n}"]["verdict"]["categories"] for n in range(6)]
    assert echoes[0] == [] and all(found == ["spam"] for found in echoes[1:])
    assert by_native["r1"]["post"] == "Warming shelter open tonight"
    assert by_native["r1"]["post_id"] == by_native["c1"]["post_id"] is not None
    assert (by_native["o1"]["post_id"], by_native["o1"]["post"]) == (None, "")
    order = [(r["created_at"] or r["first_seen_at"], r["item_id"]) for r in rows]
    assert order == sorted(order, reverse=True)


def test_one_account_and_the_accounts_within_are_judged_on_their_own(busy):
    city, parks = (a.id for a in busy.registry.accounts())
    for options in ({"account_id": parks}, {"within": [city]}):
        rows, _ = pages(busy, 4, **options)
        assert brief(rows) == brief(busy.moderation.review(**options))
    # the parks account's echoes: the first there repeats nothing the parks account holds
    parks_only = {r["native_id"]: r for r in busy.moderation.review_page(
        account_id=parks, everything=True, limit=100)["rows"]}
    assert parks_only["e4"]["verdict"]["categories"] == []


def test_an_acted_on_comment_leaves_the_pending_queue(busy):
    first = busy.moderation.review_page(limit=3, pending=True)["rows"]
    busy.moderation.act(first[0]["item_id"], "hide", "moderator", clause="true_threats",
                        reason="a threat")
    after, _ = pages(busy, 5, pending=True)
    assert first[0]["item_id"] not in {r["item_id"] for r in after}
    assert [r["item_id"] for r in after[:2]] == [r["item_id"] for r in first[1:]]
    everything = busy.moderation.review()
    assert brief(after) == brief([r for r in everything if r["last_action"] is None])
    shown = busy.moderation.review_page(limit=1)["rows"][0]
    assert shown["item_id"] == first[0]["item_id"]
    assert shown["last_action"]["action"] == "hide"


def test_verdicts_are_kept_until_what_they_depend_on_changes(busy):
    verdicts = busy.moderation.verdicts
    busy.moderation.review_page(limit=100, everything=True)
    judged = verdicts.judged
    assert judged >= 43
    busy.moderation.review_page(limit=100, everything=True)
    busy.moderation.review()
    assert verdicts.judged == judged  # the same comments under the same policy: once
    city = busy.registry.accounts()[0].id
    # The first echo is edited: the second is now the first of its kind, the rest repeat.
    busy.ingesting.ingest([seen(city, "e0", "Thanks for plowing Elm Street so quickly",
                                parent="p1", created=300, author="echo", observed=1)],
                          source="test")
    rows = {r["native_id"]: r for r in busy.moderation.review_page(
        limit=100, everything=True)["rows"]}
    assert 0 < verdicts.judged - judged <= 6  # e0 and the echoes that compared with it
    assert [rows[f"e{n}"]["verdict"]["categories"] for n in range(3)] == [[], [], ["spam"]]
    assert rows["e0"]["text"] == "Thanks for plowing Elm Street so quickly"
    assert brief(list(rows.values())) == brief(busy.moderation.review(everything=True))


def test_threads_are_those_every_comment_read_at_once_finds(busy):
    from civicarchive.store import moderation as store
    ids = [a.id for a in busy.registry.accounts()]
    with busy.context.read() as conn:
        whole = {c["item_id"]: (c["post_id"], c["post"], c["text"], c["deleted"])
                 for c in store.comments(conn, busy.context.store.blob, ids)}
    rows, _ = pages(busy, 7, everything=True)
    assert {r["item_id"]: (r["post_id"], r["post"], r["text"], r["deleted"])
            for r in rows} == whole
    loop = [r for r in rows if r["native_id"] in ("l1", "l2")]
    assert [r["post_id"] for r in loop] == [None, None]
