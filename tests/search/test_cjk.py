"""Chinese, Japanese and Korean text on both engines: words inside runs with no spaces,
Latin words touching CJK characters, phrases, exclusions and highlighted snippets in the
original text; and the pure pieces (search/cjk.py) on their own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive import Archive
from civicarchive.search import cjk
from tests.conftest import observe

TEXTS = {
    "z1": "土狗和松鼠谁当1",                              # simplified Chinese, a digit
    "z2": "這位Queen Elizabeth訪問了市政廳",              # traditional, Latin touching it
    "z3": "松树和老鼠都在公园里",                         # 松 and 鼠, but not 松鼠
    "z4": "松鼠喜欢松果，老鼠不喜欢",                     # 松鼠 once, 松 and 鼠 elsewhere
    "j1": "東京都の公園でイベントを開催します",            # kanji, hiragana, katakana
    "j2": "パーク・アンド・ライドの駐車場は満車です",      # katakana words with a middle dot
    "k1": "서울시청에서 주민 공청회를 엽니다",             # Hangul, particles attached
    "l1": "Snow removal on Main Street",                  # Latin only
}


@pytest.fixture
def cjk_corpus(archive, account):
    archive.ingesting.ingest([observe(account.id, native, text, n)
                              for n, (native, text) in enumerate(TEXTS.items())], source="test")
    return archive


def native(archive, results) -> set[str]:
    return {archive.reading.item(hit.item).native_id for hit in results.hits}


def marked(hit) -> list[str]:
    return [hit.snippet[start:end] for start, end in hit.highlights]


@pytest.mark.parametrize("query, expected", [
    ("松鼠", {"z1", "z4"}),                    # a word inside a run (issue 11)
    ("Queen", {"z2"}),                          # a Latin word touching CJK (issue 11)
    ("elizabeth", {"z2"}),
    ("市政廳", {"z2"}),
    ("這位Queen", {"z2"}),                      # the query mixes scripts the same way
    ("1", {"z1"}),                              # a digit touching CJK
    ("松", {"z1", "z3", "z4"}),                 # one character
    ("公園", {"j1"}),                           # not 公园 (z3): another character
    ("イベント", {"j1"}),
    ("開催", {"j1"}),
    ("パーク", {"j2"}),
    ("ライド", {"j2"}),
    ("서울시청", {"k1"}),                       # inside an eojeol, before its particle
    ("공청회", {"k1"}),
    ('"狗和松"', {"z1"}),
    ('"松和狗"', set()),                        # the same characters in another order
    ('"Queen Elizabeth"', {"z2"}),
    ('"Elizabeth訪問"', {"z2"}),
    ("鼠 -松鼠", {"z3"}),
    ("松 -老鼠", {"z1"}),
    ("松鼠 OR 공청회", {"z1", "z4", "k1"}),
    ("main street", {"l1"}),
])
def test_search_finds_words_inside_cjk_text(archive, cjk_corpus, query, expected):
    assert native(archive, archive.finding.search(query)) == expected


def test_search_snippet_shows_the_original_cjk_text(archive, cjk_corpus):
    (hit,) = [h for h in archive.finding.search("松鼠").hits
              if archive.reading.item(h.item).native_id == "z1"]
    # the text as written (a fragment of it: PostgreSQL's may leave out a final number)
    assert hit.snippet in TEXTS["z1"] and hit.snippet.startswith("土狗和松鼠")
    assert hit.highlights == ((3, 5),)


def test_search_snippet_highlights_the_word_not_each_of_its_characters(archive, cjk_corpus):
    (hit,) = [h for h in archive.finding.search("松鼠 -狗").hits]
    assert hit.snippet in TEXTS["z4"] and "老鼠" in hit.snippet
    assert marked(hit) == ["松鼠"]  # not 松 of 松果 nor 鼠 of 老鼠


@pytest.mark.parametrize("query, expected", [
    ("Queen", ["Queen"]),
    ("這位Queen", ["這位Queen"]),
    ('"Queen Elizabeth"', ["Queen", "Elizabeth"]),
    ("공청회", ["공청회"]),
    ('"狗和松"', ["狗和松"]),
    ("イベント 開催", ["イベント", "開催"]),
    ("松", ["松"]),
    ("Queen OR street", ["Queen"]),  # with a hit in Latin only (next test) in one search
])
def test_search_snippet_highlights_what_matched_in_mixed_scripts(archive, cjk_corpus, query,
                                                                 expected):
    (hit,) = [h for h in archive.finding.search(query).hits
              if archive.reading.item(h.item).native_id in ("z1", "z2", "j1", "k1")]
    assert marked(hit) == expected


def test_search_snippets_of_latin_and_cjk_hits_in_one_search(archive, cjk_corpus):
    hits = {archive.reading.item(h.item).native_id: h for h in archive.finding.search("queen OR street").hits}
    assert set(hits) == {"z2", "l1"}
    assert marked(hits["z2"]) == ["Queen"] and marked(hits["l1"]) == ["Street"]
    assert hits["l1"].snippet == TEXTS["l1"] and hits["z2"].snippet == TEXTS["z2"]


def test_search_snippet_without_words_is_the_original_text(archive, cjk_corpus):
    results = archive.finding.search("kind:post", limit=50)
    assert {h.snippet for h in results.hits} == set(TEXTS.values())


def test_search_cjk_across_versions_and_hold_scope(archive, account):
    from civicarchive.model.custody import HoldScope
    archive.ingesting.ingest([observe(account.id, "a", "市民会館で説明会"),
                              observe(account.id, "a", "市民会館で報告会", 10)], source="test")
    assert archive.finding.search("説明会").total == 0
    assert archive.finding.search("説明会", all_versions=True).total == 1
    hold = archive.custody.add_hold("Hall", "Case 1", "litigation", HoldScope(query="会館"),
                                    actor="attorney")
    assert archive.finding.search(f"hold:{hold}").total == 1


def test_search_long_cjk_text_without_words_shows_its_beginning(archive, account):
    text = "公告 " + "市民会館で説明会を開催します。" * 20
    archive.ingesting.ingest([observe(account.id, "long", text)], source="test")
    (hit,) = archive.finding.search("kind:post").hits
    assert len(hit.snippet) > 100 and text.startswith(hit.snippet.removesuffix("…"))


def test_search_cjk_indexed_in_a_second_process_equals_a_rebuild(archive, account,
                                                                 monkeypatch):
    monkeypatch.setattr("civicarchive.search.sync.WORKER_AFTER", 1)
    archive.ingesting.ingest([observe(account.id, native, text, n)
                              for n, (native, text) in enumerate(TEXTS.items())], source="test",
                   batch_size=3)
    queries = ["松鼠", "Queen", "公園", "서울시청", '"狗和松"']
    during = [native(archive, archive.finding.search(q)) for q in queries]
    assert during == [{"z1", "z4"}, {"z2"}, {"j1"}, {"k1"}, {"z1"}]
    archive.finding.rebuild()
    assert [native(archive, archive.finding.search(q)) for q in queries] == during


def test_search_postgres_index_in_an_older_format_is_rebuilt(tmp_path, clock, pg_url):
    import sqlalchemy as sa

    from civicarchive.search.postgres_index import PostgresIndex, state
    home = tmp_path / "home"
    with Archive.init("Town", home=home, database_url=pg_url, clock=clock) as archive:
        account = archive.registry.add_account("x", "town", "agency")
        archive.ingesting.ingest([observe(account.id, "a", "土狗和松鼠谁当1")], source="test")
        engine = archive.context.store.engine
        assert archive.finding.search("松鼠").total == 1
        with engine.begin() as conn:
            conn.execute(state.update().values(format=state.c.format - 1))
        assert PostgresIndex(engine).indexed_through() == 0  # emptied, not trusted
        with engine.begin() as conn:  # an index written before the format was recorded
            conn.execute(sa.text("ALTER TABLE search_state DROP COLUMN format"))
    with Archive.open(home, database_url=pg_url, clock=clock) as archive:
        assert archive.finding.index.indexed_through() == 0
        assert archive.finding.search("松鼠").total == 1


# -- the pure pieces ------------------------------------------------------------------

def test_cjk_separate_splits_runs_and_join_restores_the_text():
    separated = cjk.separate("土狗 Queen這位，好")
    assert separated.split(cjk.SEPARATOR) == ["土", "狗 Queen", "這", "位", "，", "好"]
    assert cjk.join(separated) == "土狗 Queen這位，好"
    assert cjk.separate("Main Street") == "Main Street"


@given(st.text(alphabet=st.sampled_from("a1 ,.\x01松鼠の公パー서울ᄀ\U00020000")))
def test_cjk_join_undoes_separate(text):
    assert cjk.join(cjk.separate(text)) == text.replace(cjk.SEPARATOR, " ")


def test_cjk_highlight_marks_runs_of_the_query_not_lone_characters():
    fragment = "松鼠喜欢松果，老鼠 Queen"
    engine = ((0, 1), (1, 2), (4, 5), (8, 9), (10, 15))
    assert cjk.highlight(fragment, engine, cjk.runs(["松鼠", "queen"])) == ((0, 2), (10, 15))
    assert cjk.highlight(fragment, engine, cjk.runs(["松"])) == ((0, 1), (4, 5), (10, 15))
    assert cjk.highlight("Main", ((0, 4),), cjk.runs(["main"])) == ((0, 4),)


def test_cjk_runs_are_the_query_cjk_characters_between_other_words():
    assert cjk.runs(["這位Queen 訪問", '"松鼠 谁当"', "main"]) == {
        ("這", "位"), ("訪", "問"), ("松", "鼠", "谁", "当")}
