"""Search over both engines (tantivy beside SQLite, full text in PostgreSQL): every part of
the query language, latest versus all versions, snippets, facets, pages, and the index
following ingest and purge."""

from __future__ import annotations

import pytest

from civicarchive import Event, Kind
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.model.custody import HoldScope
from tests.conftest import observe

POLICY = "src/civicarchive/policy/examples/washington-local.yaml"


@pytest.fixture
def corpus(archive, account):
    """Posts, comments, a message, an edit, a deletion, a hidden comment, a photo."""
    other = archive.registry.add_account("facebook", "cityparks", "agency")
    archive.ingesting.ingest([
        observe(account.id, "p1", "Zoning hearing on Main Street moved to Tuesday"),
        observe(account.id, "p1", "Zoning hearing on Main Street moved to Thursday", 60),
        observe(account.id, "p2", "Road closure downtown for the parade", 5),
        observe(account.id, "p2", "Road closure downtown for the parade", 90,
                event=Event.DELETED),
        observe(account.id, "c1", "Rude remark about the parade", 10, kind=Kind.COMMENT),
        observe(account.id, "c1", "Rude remark about the parade", 70, kind=Kind.COMMENT,
                event=Event.HIDDEN),
        observe(account.id, "m1", "Private message about zoning variance", 15,
                kind=Kind.MESSAGE),
        observe(other.id, "f1", "Park budget vote and levy", 20, media=[{"file": "a.jpg"}]),
        observe(other.id, "f2", "Street trees planted on Main", 25),
    ], source="test")
    return account, other


def native(archive, results) -> set[str]:
    return {archive.reading.item(hit.item).native_id for hit in results.hits}


@pytest.mark.parametrize("query, expected", [
    ("zoning", {"p1", "m1"}),
    ('"main street"', {"p1"}),
    ("main street", {"p1", "f2"}),
    ("budget OR parade", {"f1", "p2", "c1"}),
    ("parade -rude", {"p2"}),
    ("platform:facebook", {"f1", "f2"}),
    ("account:cityparks main", {"f2"}),
    ("kind:comment", {"c1"}),
    ("kind:message", {"m1"}),
    ("is:deleted", {"p2"}),
    ("is:edited", {"p1"}),
    ("is:hidden", {"c1"}),
    ("has:media", {"f1"}),
    ("closures", {"p2"}),  # stemming: closure ~ closures
    ("-platform:x", {"f1", "f2"}),
    ("author:cityofexample -kind:post", {"c1", "m1"}),
])
def test_search_finds_what_the_query_says(archive, corpus, query, expected):
    assert native(archive, archive.finding.search(query)) == expected


def test_search_latest_version_by_default_and_every_version_on_request(archive, corpus):
    assert archive.finding.search("tuesday").total == 0
    every = archive.finding.search("tuesday", all_versions=True)
    assert native(archive, every) == {"p1"}
    assert [archive.reading.version(h.version).event for h in every.hits] == [Event.CREATED]
    assert archive.finding.search("thursday", all_versions=True).total == 1


def test_search_dates_filter_on_creation(archive, account):
    archive.ingesting.ingest([observe(account.id, f"d{n}", f"notice {n}", n) for n in range(3)],
                             source="test")
    # observe() creates every record a day before T0 (2025-03-01): 2025-02-28
    assert archive.finding.search("notice from:2025-02-28 to:2025-02-28").total == 3
    assert archive.finding.search("notice from:2025-03-01").total == 0
    assert archive.finding.search("notice to:2025-02-27").total == 0  # whole days, inclusive


def test_search_snippets_highlight_the_matched_words(archive, corpus):
    hit = archive.finding.search("parade").hits[0]
    marked = [hit.snippet[s:e].lower() for s, e in hit.highlights]
    assert marked and set(marked) == {"parade"}


def test_search_facets_count_every_match_not_only_the_page(archive, corpus):
    results = archive.finding.search("main OR parade OR zoning", limit=1, facets=True)
    assert results.total == 5 and len(results.hits) == 1
    assert results.facets["platform"] == {"x": 4, "facebook": 1}
    assert results.facets["account"] == {"cityofexample": 4, "cityparks": 1}
    assert results.facets["kind"] == {"post": 3, "comment": 1, "message": 1}


def test_search_pages_do_not_overlap_and_cover_everything(archive, account):
    archive.ingesting.ingest([observe(account.id, f"n{n}", f"council notice number {n}", n)
                              for n in range(25)], source="test")
    seen = []
    for page in range(3):
        results = archive.finding.search("council", limit=10, offset=page * 10)
        assert results.total == 25
        seen += [hit.item for hit in results.hits]
    assert len(seen) == len(set(seen)) == 25


def test_search_public_leaves_out_direct_messages(archive, corpus):
    assert "m1" in native(archive, archive.finding.search("zoning"))
    public = archive.finding.search("zoning", public=True, facets=True)
    assert native(archive, public) == {"p1"} and public.total == 1
    assert public.facets["kind"] == {"post": 1}


def test_search_by_hold_uses_the_hold_scope(archive, corpus):
    account, other = corpus
    hold = archive.custody.add_hold("Parade", "Smith v. City", "litigation",
                                    HoldScope(accounts=frozenset({account.id}), query="parade"),
                                    actor="attorney")
    assert native(archive, archive.finding.search(f"hold:{hold}")) == {"p2", "c1"}
    assert native(archive, archive.finding.search(f"hold:{hold} -rude")) == {"p2"}
    with pytest.raises(NotFound):
        archive.finding.search("hold:99")


def test_search_by_series_follows_the_adopted_policy(archive, corpus):
    with pytest.raises(InvalidInput, match="no policy adopted"):
        archive.finding.search("series:X")
    archive.custody.adopt_policy(POLICY, actor="clerk")
    _, adopted = archive.custody.policy()
    codes = [s.code for s in adopted.series]
    found = {code: native(archive, archive.finding.search(f"series:{code}", limit=50))
             for code in codes}
    everything = set().union(*found.values())
    assert everything <= {"p1", "p2", "c1", "m1", "f1", "f2"} and everything
    assert sum(len(v) for v in found.values()) == len(everything)  # one series per record
    with pytest.raises(InvalidInput, match="is not a series"):
        archive.finding.search("series:NOPE")


def test_search_unknown_account_is_an_error(archive, corpus):
    with pytest.raises(InvalidInput, match="accounts list"):
        archive.finding.search("account:nobody")


def test_search_follows_purge(archive, corpus):
    hit = archive.finding.search('"road closure"').hits[0]
    archive.disposition.purge([v.id for v in archive.reading.history(hit.item)],
                              reason="disposition test",
                              actor="clerk")
    assert archive.finding.search('"road closure"', all_versions=True).total == 0


def test_search_rebuild_gives_the_same_answers(archive, corpus):
    queries = ["main", "parade OR zoning", "kind:comment", "is:deleted", "has:media"]
    search = archive.finding.search
    before = [(r.total, sorted(h.version for h in r.hits)) for r in map(search, queries)]
    assert archive.finding.rebuild() == 6
    after = [(r.total, sorted(h.version for h in r.hits)) for r in map(search, queries)]
    assert after == before


def test_search_catches_up_after_an_index_write_was_lost(archive, account, monkeypatch):
    """A crash after the store commit and before the index commit leaves the index behind;
    the next search catches up."""
    from civicarchive.search.sync import IngestFeed

    def crash(feed, *args, **kwargs):
        feed.abandon()  # as a power cut would: the indexer dies with the ingest
        raise RuntimeError("power cut")
    monkeypatch.setattr(IngestFeed, "finish", crash)
    with pytest.raises(RuntimeError):
        archive.ingesting.ingest([observe(account.id, "late", "late breaking budget news")],
                                 source="test")
    monkeypatch.undo()
    assert archive.reading.stats()["versions"] == 1  # the store has it
    assert native(archive, archive.finding.search("budget")) == {"late"}


def test_search_index_survives_reopening(tmp_path, clock):
    from civicarchive import Archive
    home = tmp_path / "home"
    with Archive.init("Town", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "town", "agency")
        archive.ingesting.ingest([observe(account.id, "a", "snow plow schedule")], source="test")
    with Archive.open(home, clock=clock) as archive:
        assert archive.finding.index.indexed_through() > 0
        assert archive.finding.search("plow").total == 1


@pytest.mark.parametrize("damage", ["meta.json", "segment"])
def test_a_damaged_index_is_set_aside_and_rebuilt_and_never_stops_an_ingest(tmp_path, clock,
                                                                           damage):
    # The index is derived: damaged (a disk fault, a copy cut short), it stopped every
    # search, every ingest and capture, and even `search-index rebuild`.
    from civicarchive import Archive
    home = tmp_path / "home"
    with Archive.init("Town", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "town", "agency")
        archive.ingesting.ingest([observe(account.id, "a", "snow plow schedule")], source="test")
        assert archive.finding.search("plow").total == 1
    folder = home / "search"
    if damage == "meta.json":
        (folder / "meta.json").write_text("garbage")
    else:
        for segment in folder.glob("*.idx"):
            segment.write_bytes(b"\x00" * 10)
    with Archive.open(home, clock=clock) as archive:
        archive.ingesting.ingest([observe(account.id, "b", "plow routes tonight", 5)],
                                 source="test")
        assert archive.finding.search("plow").total == 2  # the old record, re-read
        assert archive.evidence.verify().ok
    (aside,) = home.glob("search.damaged-*")
    assert aside.is_dir()


def test_search_hits_carry_what_a_person_recognises_and_facets_only_on_request(archive,
                                                                               corpus):
    results = archive.finding.search('"main street"')
    assert results.facets == {}
    (hit,) = results.hits
    version = archive.reading.version(hit.version)
    item = archive.reading.item(hit.item)
    assert (hit.platform, hit.account, hit.kind, hit.author) == ("x", "cityofexample", "post",
                                                                 "cityofexample")
    assert (hit.event, hit.observed_at, hit.created_at, hit.url) == (
        version.event.value, version.observed_at, item.created_at, item.url)


def test_search_while_another_process_holds_the_index_writer(tmp_path, clock):
    """Searching never fails because an ingest elsewhere is writing the index: it answers
    from the index as it is, and catches up once the writer is gone."""
    import tantivy

    from civicarchive import Archive
    from civicarchive.search.tantivy_index import WRITER_HEAP, _schema
    home = tmp_path / "home"
    with Archive.init("Town", home=home, clock=clock) as archive:
        account = archive.registry.add_account("x", "town", "agency")
        archive.ingesting.ingest([observe(account.id, "a", "snow plow schedule")], source="test")
        other = tantivy.Index(_schema(), path=str(home / "search"), reuse=True)
        writer = other.writer(WRITER_HEAP, 1)  # as another process would
        archive.ingesting.ingest([observe(account.id, "b", "snow day closures")], source="test")
        assert archive.finding.search("snow").total == 1  # behind, not broken
        with pytest.raises(Exception, match="another process"):
            archive.finding.rebuild()
        writer.rollback()
        del writer
        assert archive.finding.search("snow").total == 2


def _snapshot(archive) -> dict:
    everything = "kind:post OR -kind:post"
    return {query: sorted((h.version, h.event) for h in archive.finding.search(
                query, all_versions=all_versions, limit=1000).hits)
            for query in (everything, "is:edited", "is:deleted", "is:hidden", "alpha", "omega")
            for all_versions in (False, True)}


@pytest.mark.parametrize("worker_after", [1, 5000], ids=["second-process", "in-process"])
def test_search_index_built_during_ingest_equals_a_rebuild(archive, account, monkeypatch,
                                                           worker_after):
    """New records are indexed from memory batch by batch (in a second process once there
    are many); records edited later in the same ingest, or that existed before, are
    re-read. Either way: what a rebuild gives."""
    monkeypatch.setattr("civicarchive.search.sync.WORKER_AFTER", worker_after)
    a = account.id
    archive.ingesting.ingest([observe(a, "old", "alpha before"), observe(a, "gone", "alpha gone")],
                             source="test")
    archive.ingesting.ingest([
        observe(a, "n1", "alpha one"), observe(a, "n2", "alpha two"),
        observe(a, "n3", "alpha three", kind=Kind.COMMENT),
        observe(a, "n1", "omega one", 30),                       # a new record, edited later
        observe(a, "old", "omega before", 31),                   # an existing record, edited
        observe(a, "gone", None, 32, event=Event.DELETED),       # deleted
        observe(a, "n3", "alpha three", 33, kind=Kind.COMMENT, event=Event.HIDDEN),
        observe(a, "n4", "alpha four", 34),
    ], source="test", batch_size=2)
    during = _snapshot(archive)
    assert archive.finding.rebuild() == 6
    assert _snapshot(archive) == during
    hits = archive.finding.search("omega").hits
    assert {archive.reading.item(h.item).native_id for h in hits} == {"n1", "old"}


@pytest.mark.parametrize("worker_after", [1, 5000], ids=["second-process", "in-process"])
def test_search_index_built_during_ingest_follows_writes_between_its_batches(
        archive, account, monkeypatch, worker_after):
    """Another writer commits between an ingest's batches (an edit of an existing record,
    a new record, one of the ingest's own records edited): the index the ingest publishes
    holds those too, as a rebuild does."""
    from civicarchive.store.ingest import Prepared, ingest_batch
    monkeypatch.setattr("civicarchive.search.sync.WORKER_AFTER", worker_after)
    a = account.id
    archive.ingesting.ingest([observe(a, "old", "alpha before")], source="test")
    platforms = {a: "x"}

    def other_writer(total):
        if total.batches == 1:  # as another process would, without the ingest's feed
            with archive.context.write() as tx:
                ingest_batch(tx, [Prepared.of(o) for o in (
                    observe(a, "old", "omega before", 40), observe(a, "else", "omega else", 41),
                    observe(a, "n1", "omega one", 42))], platforms, "elsewhere", "system")

    archive.ingesting.ingest([observe(a, "n1", "alpha one"), observe(a, "n2", "alpha two"),
                              observe(a, "n3", "alpha three"), observe(a, "n4", "alpha four")],
                             source="test", batch_size=2, progress=other_writer)
    during = _snapshot(archive)
    assert archive.finding.rebuild() == 6
    assert _snapshot(archive) == during
    assert native(archive, archive.finding.search("omega")) == {"old", "else", "n1"}


def test_search_newest_first_without_a_total_lists_what_the_counted_one_does(archive,
                                                                             account):
    from dataclasses import replace
    from datetime import timedelta

    from tests.conftest import T0
    ages = [0, 0.2, 0.5, 3, 3, 9, 40, 100, 300, 700, 1500, 1500]  # days before the newest
    archive.ingesting.ingest([replace(observe(account.id, f"n{n}", f"notice {n}", n),
                                      created_at=T0 - timedelta(days=age))
                              for n, age in enumerate(ages)], source="test")
    for limit, offset in [(1, 0), (2, 0), (3, 1), (5, 2), (4, 8), (20, 0), (3, 11)]:
        counted = archive.finding.search("", limit=limit, offset=offset)
        listed = archive.finding.search("", limit=limit, offset=offset, count=False)
        assert [h.item for h in listed.hits] == [h.item for h in counted.hits]
        assert counted.total == len(ages)
        assert listed.total in (offset + len(listed.hits), len(ages))  # counted or not
    newest = [h.created_at for h in archive.finding.search("", limit=20, count=False).hits]
    assert newest == sorted(newest, reverse=True) and len(newest) == len(ages)


@pytest.mark.parametrize("excluded", [3, 70], ids=["few-looked-up-as-terms", "many-as-a-set"])
def test_search_leaves_out_every_excluded_value(archive, account, excluded):
    from civicarchive.search.plan import AllOf, Match, Not
    other = archive.registry.add_account("facebook", "cityparks", "agency")
    archive.ingesting.ingest(
        [observe(account.id, f"n{n}", f"council notice {n}", n) for n in range(90)] +
        [observe(other.id, "o1", "council notice elsewhere", 95),
         observe(account.id, "c1", "council comment", 96, kind=Kind.COMMENT)], source="test")
    items = {archive.reading.item(hit.item).native_id: hit.item
             for hit in archive.finding.search("council", limit=100).hits}
    left_out = {items[f"n{n}"] for n in range(0, 90, 90 // excluded)[:excluded]}
    where = AllOf((Not(Match("item", frozenset(left_out))),
                   Not(Match("kind", frozenset({"comment", "message"}))),
                   Not(Match("account", frozenset({other.id})))))
    found = archive.finding.search("council", limit=100, where=where)
    expected = {f"n{n}" for n in range(90)} - {n for n, i in items.items() if i in left_out}
    assert native(archive, found) == expected and found.total == len(expected)
    assert len(expected) == 90 - excluded


def test_search_indexer_fed_one_message_at_a_time_still_gets_everything(archive, account,
                                                                       monkeypatch):
    """The feed to the indexer process holds at most BEHIND_BYTES: made one byte, every
    batch waits for the one before it to be written to the child, and the ingest still
    ends with the index a rebuild gives (a send that never found room would hang it)."""
    import threading
    monkeypatch.setattr("civicarchive.search.sync.WORKER_AFTER", 1)
    monkeypatch.setattr("civicarchive.search.indexer.BEHIND_BYTES", 1)
    a = account.id
    done = []
    ingest = threading.Thread(target=lambda: done.append(archive.ingesting.ingest(
        [observe(a, f"n{n}", f"alpha {n}", n) for n in range(30)], source="test",
        batch_size=3)), daemon=True)
    ingest.start()
    ingest.join(timeout=120)
    assert done and done[0].versions == 30 and done[0].batches == 10
    during = _snapshot(archive)
    assert archive.finding.rebuild() == 30
    assert _snapshot(archive) == during
