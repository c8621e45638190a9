"""Search with the PostgreSQL store: full text (tsvector + GIN) in the archive's database.

The documents live in `search_documents`, a derived table outside the record schema
(not ledgered, not append-only), with the ledger mark in `search_state`; `apply` changes
both in one transaction, so the index is never ahead of what it says.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from civicarchive.search import cjk
from civicarchive.search.index import DISPLAY, FACETS, FLAGS, Results, SearchDoc, hit
from civicarchive.search.plan import Flag, Match, Nothing, Range, SearchRequest, text_terms
from civicarchive.search.query import AllOf, AnyOf, Not, Phrase, Word

__all__ = ["PostgresIndex"]

CONFIG = "english"
FORMAT = 4  # bump when what is indexed changes: an older index is then rebuilt (4: content
#            warnings and poll options, model/record.py text_of)
LOCK = 0x63697669  # pg_advisory_xact_lock key for index writers
START, STOP = "\x02", "\x03"  # highlight marks ts_headline puts around matches
# ShortWord=0: the default (3) trims short words off a snippet's ends, every CJK character
SNIPPET_OPTIONS = (f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, "
                   "MaxFragments=1, ShortWord=0")

meta = sa.MetaData()
documents = sa.Table(
    "search_documents", meta,
    sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("item", sa.BigInteger, nullable=False, index=True),
    sa.Column("account", sa.BigInteger, nullable=False),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
    *(sa.Column(name, sa.Boolean, nullable=False)
      for name in FLAGS),
    sa.Column("text", sa.Text, nullable=False),
    *(sa.Column(name, sa.Text, nullable=False)
      for name in DISPLAY if name not in ("platform", "kind")),
    sa.Column("tsv", pg.TSVECTOR, sa.Computed(f"to_tsvector('{CONFIG}', text)", persisted=True),
              nullable=False),
    sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
)
state = sa.Table(
    "search_state", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("indexed_through", sa.BigInteger, nullable=False),
    sa.Column("format", sa.Integer, nullable=False),
)


class PostgresIndex:
    name = "postgresql"

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        found = sa.inspect(engine)
        if found.has_table("search_documents") and not self._current(found):
            meta.drop_all(engine)  # derived data in an older layout: catch-up refills it
        meta.create_all(engine)

    def _current(self, found: sa.Inspector) -> bool:
        """Whether the tables exist in this layout and hold an index of this format."""
        for table in (documents, state):
            if not found.has_table(table.name) or \
                    {c["name"] for c in found.get_columns(table.name)} != \
                    {c.name for c in table.columns}:
                return False
        with self.engine.connect() as conn:
            written = conn.execute(sa.select(state.c.format)).scalar()
        return written in (None, FORMAT)  # None: empty since a reset

    def indexed_through(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(state.c.indexed_through)).scalar() or 0

    def apply(self, docs: Iterable[SearchDoc], items: Iterable[int], through: int | None,
              wait: float = 2.0) -> None:  # writers queue on the advisory lock instead
        items = list(items)
        with self.engine.begin() as conn:
            # One writer at a time: a second process waits, then replays (harmlessly).
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK)))
            if items:
                conn.execute(documents.delete().where(documents.c.item.in_(items)))
            it = iter(docs)
            while rows := [_row(d) for d in islice(it, 1000)]:
                conn.execute(documents.insert(), rows)
            if through is not None:
                conn.execute(state.delete())
                conn.execute(state.insert(), [{"id": 1, "indexed_through": through,
                                               "format": FORMAT}])

    def reset(self, wait: float = 2.0) -> None:
        with self.engine.begin() as conn:
            conn.execute(documents.delete())
            conn.execute(state.delete())

    def search(self, request: SearchRequest) -> Results:
        c = documents.c
        where = [self._compile(request.condition)]
        if not request.all_versions:
            where.append(c.latest)
        if request.exclude_kinds:
            where.append(c.kind.not_in(sorted(request.exclude_kinds)))
        condition = sa.and_(*where)
        terms = text_terms(request.condition)
        tsquery = _tsquery(terms) if terms else None
        rank = sa.func.ts_rank(c.tsv, tsquery) if tsquery is not None else sa.literal(0.0)
        order = (rank.desc(), c.version) if tsquery is not None else (c.created.desc(),
                                                                      c.version)
        shown = [getattr(c, name) for name in DISPLAY]
        page = (sa.select(c.version, c.item, c.text, c.created, rank.label("rank"), *shown)
                .where(condition)
                .order_by(*order).limit(request.limit).offset(request.offset).subquery())
        if tsquery is not None:
            snippet = sa.func.ts_headline(CONFIG, page.c.text, tsquery, SNIPPET_OPTIONS)
        else:
            snippet = sa.func.left(sa.func.replace(page.c.text, cjk.SEPARATOR, ""), 160)
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).where(condition)).scalar_one()
            columns = [page.c.version, page.c.item, page.c.rank, snippet.label("snippet"),
                       *(getattr(page.c, name) for name in DISPLAY)]
            rows = conn.execute(sa.select(*columns).order_by(
                *((page.c.rank.desc(), page.c.version) if tsquery is not None else
                  (page.c.created.desc(), page.c.version)))).all()
            facets = {}
            if request.facets and total:
                for name in FACETS:
                    column = getattr(c, name)
                    facets[name] = {str(key): n for key, n in conn.execute(
                        sa.select(column, sa.func.count()).where(condition).group_by(column)
                        .order_by(sa.func.count().desc(), column).limit(20))}
        hits, runs = [], cjk.runs(terms)
        for r in rows:
            snippet, marks = _marks(r[3])
            hits.append(hit(r[0], r[1], float(r[2]), snippet, cjk.highlight(snippet, marks, runs),
                            dict(zip(DISPLAY, r[4:]))))
        return Results(total=total, hits=hits, facets=facets)

    def _compile(self, node: object) -> sa.ColumnElement:
        c = documents.c
        if isinstance(node, AllOf):
            return sa.and_(sa.true(), *(self._compile(n) for n in node.clauses))
        if isinstance(node, AnyOf):
            return sa.or_(sa.false(), *(self._compile(n) for n in node.clauses))
        if isinstance(node, Not):
            return sa.not_(self._compile(node.clause))
        if isinstance(node, Word) and not cjk.has_cjk(node.text):
            return c.tsv.bool_op("@@")(sa.func.plainto_tsquery(CONFIG, node.text))
        if isinstance(node, (Word, Phrase)):  # a CJK word is the phrase of its characters
            return c.tsv.bool_op("@@")(sa.func.phraseto_tsquery(CONFIG,
                                                               cjk.separate(node.text)))
        if isinstance(node, Match):
            return getattr(c, node.field).in_(sorted(node.values))
        if isinstance(node, Range):
            parts = [sa.true()]
            if node.lo is not None:
                parts.append(c.created >= node.lo)
            if node.hi is not None:
                parts.append(c.created < node.hi)
            return sa.and_(*parts)
        if isinstance(node, Flag):
            return getattr(c, node.name)
        if isinstance(node, Nothing):
            return sa.false()
        raise TypeError(f"cannot search for {node!r}")

    def close(self) -> None:
        pass


def _row(doc: SearchDoc) -> dict:
    row = {name: getattr(doc, name) for name in SearchDoc.__slots__}
    row["text"] = cjk.separate(doc.text)  # each CJK character a word: see search/cjk.py
    return row


def _tsquery(terms: list[str]) -> sa.ColumnElement:
    """Every word and phrase asked for, OR-ed: for ranking and highlighting only."""
    queries = [sa.func.phraseto_tsquery(CONFIG, cjk.separate(term)) for term in terms]
    combined = queries[0]
    for query in queries[1:]:
        combined = combined.op("||")(query)
    return combined


def _marks(headline: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """ts_headline's marked text as the original text (without the separators of
    search/cjk.py) and [start, end) highlight offsets."""
    text, marks, start = [], [], None
    length = 0
    for ch in headline or "":
        if ch == START:
            start = length
        elif ch == STOP and start is not None:
            marks.append((start, length))
            start = None
        elif ch == cjk.SEPARATOR:
            continue
        else:
            text.append(ch)
            length += 1
    return "".join(text), tuple(marks)
