"""The moderation queue's indexes (migration 0014) exist on both stores, partial over
comments and replies, and SQLite answers the queue's queries from them: a page of an
account's newest comments (and the next page) and an author's earlier comments, without
reading the account's other records or sorting them."""

from __future__ import annotations

import sqlalchemy as sa

from civicarchive.store import moderation as sql
from civicarchive.store import schema as t

INDEXES = {"ix_items_comments_newest", "ix_items_comments_author"}


def definitions(archive) -> dict[str, str]:  # noqa: ANN001
    engine = archive.context.store.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return dict(conn.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all())
        return dict(conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items'")).all())


def test_the_queue_indexes_hold_only_comments_and_replies(archive):
    found = definitions(archive)
    assert INDEXES <= set(found)
    for name in INDEXES:
        assert "comment" in found[name] and "reply" in found[name], found[name]
    assert "coalesce" in found["ix_items_comments_newest"].lower()


def plan(conn, query) -> str:  # noqa: ANN001
    text = str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
    return " | ".join(row[-1] for row in conn.execute(sa.text(f"EXPLAIN QUERY PLAN {text}")))


def test_sqlite_reads_the_queue_from_its_indexes(tmp_path):
    from civicarchive.archive import Archive
    archive = Archive.init("City of Example", home=tmp_path / "home", actor="clerk")
    try:
        i, m = t.items.c, t.moderation_actions.c
        newest = sa.select(*sql.ROW).where(i.account_id == 1, sql.IS_COMMENT,
                                           ~sa.exists().where(m.item_id == i.id)) \
            .order_by(t.SORT_AT.desc(), i.id.desc()).limit(100)
        following = newest.where(t.SORT_AT <= "2025-01-01", ~sa.and_(
            t.SORT_AT == "2025-01-01", i.id >= 10))
        earlier = sa.select(i.id).where(i.author == "resident", sql.IS_COMMENT, i.id < 10,
                                        i.account_id.in_([1, 2])).order_by(i.id.desc())
        with archive.context.read() as conn:
            first, then, author = (plan(conn, q) for q in (newest, following, earlier))
        assert "USING INDEX ix_items_comments_newest (account_id=?)" in first, first
        assert "ix_items_comments_newest (account_id=? AND <expr><?)" in then, then
        assert "USING INDEX ix_items_comments_author (author=? AND id<?)" in author, author
        assert "TEMP B-TREE" not in first + then + author  # no sort: read in order
    finally:
        archive.close()
