"""The embedded search engine: a tantivy index in a folder beside the SQLite archive.

Chosen by measurement (bench/search.py): at a million records tantivy answers a
one-word query about a hundred times faster than SQLite FTS5. The folder holds the
index and `indexed-through`, the ledger size it reflects, written after each commit (so
it is never ahead of the index; replaying is harmless, see search/index.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable
from operator import attrgetter
from pathlib import Path

import orjson
import tantivy

from civicarchive.errors import StoreUnavailable
from civicarchive.search import cjk
from civicarchive.search.index import (DISPLAY, FACETS, FLAGS, IndexBusy, Results, SearchDoc,
                                       hit)
from civicarchive.search.plan import (Flag, Match, Nothing, Range, SearchRequest, text_terms)
from civicarchive.search.query import AllOf, AnyOf, Not, Phrase, Word

__all__ = ["TantivyIndex"]

log = logging.getLogger("civicarchive.search")

MARK = "indexed-through"
FORMAT = "format"
FORMAT_VERSION = "7"  # bump when the schema, the analysis or the text changes: an older
#                        index is then rebuilt (5: CJK characters are words, search/cjk.py;
#                        6: the restricted flag; 7: content warnings and poll options)
TEXT = ("text", "earlier")
SNIPPET_CHARS = 160
FEW_TERMS = 64  # an exclusion of up to this many values is looked up term by term
WRITER_HEAP = 64_000_000
TOKENIZER = "en_stem"
_shown = attrgetter(*DISPLAY)
MUST, SHOULD, MUST_NOT = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    for name in ("version", "item"):
        b.add_unsigned_field(name, stored=True, indexed=True, fast=True)
    b.add_unsigned_field("account", indexed=True, fast=True)
    for name in ("platform", "kind"):
        b.add_text_field(name, tokenizer_name="raw", fast=True)
    b.add_text_field("author", tokenizer_name="raw")
    # What a hit shows, stored (not indexed: indexing unique values costs, and finds
    # nothing) as one JSON value.
    b.add_bytes_field("shown", stored=True, indexed=False)
    b.add_integer_field("created", indexed=True, fast=True)
    for name in FLAGS:
        b.add_unsigned_field(name, indexed=True)
    # A record's latest version has its words in `text`, earlier versions in `earlier`: a
    # search of the latest versions is then a plain text query, as fast as the bare engine,
    # instead of a text query intersected with a `latest` filter.
    for name in TEXT:
        b.add_text_field(name, stored=True, tokenizer_name=TOKENIZER)
    return b.build()


def _analyzer(tokenizer: tantivy.Tokenizer) -> tantivy.TextAnalyzer:
    """tantivy's en_stem analysis (TOKENIZER) with another tokenizer."""
    return (tantivy.TextAnalyzerBuilder(tokenizer).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english"))
            .build())


def _cjk_analyzer() -> tantivy.TextAnalyzer:
    return _analyzer(tantivy.Tokenizer.regex(cjk.TOKENS))


# Both give a text without CJK characters the same words, but the regex tokenizer (each
# CJK character a word, search/cjk.py) is three times slower, so only CJK text takes it,
# and is indexed as pre-tokenized words in the en_stem fields: the other texts, nearly all
# of them in most archives, are indexed and highlighted as fast as before.
_PLAIN = _analyzer(tantivy.Tokenizer.simple())
_CJK = _cjk_analyzer()


def _words(text: str) -> list[str]:
    return (_CJK if cjk.has_cjk(text) else _PLAIN).analyze(text)


class TantivyIndex:
    name = "tantivy"
    _cjk_reader: tantivy.Index | None = None
    _newest_made: tuple[object, int | None] | None = None  # (searcher's docs, created)

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / FORMAT
        if not marker.exists() or marker.read_text().strip() != FORMAT_VERSION:
            # Derived data in an older layout (or none): start empty, catch-up refills it.
            for path in self.folder.iterdir():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            marker.write_text(FORMAT_VERSION)
        self.schema = _schema()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.folder), reuse=True)
        except ValueError as error:  # damaged (tantivy says "Data corrupted"): derived data
            self.index = self._start_again(error)
        except OSError as error:
            raise StoreUnavailable(f"the search index in {self.folder} cannot be opened "
                                   f"({error}): check the folder's permissions") from error

    def _start_again(self, error: Exception) -> tantivy.Index:
        """A damaged index is set aside and an empty one started, which catch-up refills
        from the archive (search/sync.py): the records never depended on it, and neither
        may an ingest or a capture."""
        aside = self.folder.with_name(f"{self.folder.name}.damaged-{int(time.time())}")
        log.warning("the search index in %s is damaged (%s): set aside as %s, and rebuilt "
                    "from the archive; delete that folder once you no longer need it",
                    self.folder, str(error)[:200], aside)
        try:
            self.folder.rename(aside)
        except OSError:  # another process (an ingest's indexer) set it aside first
            pass
        self.folder.mkdir(exist_ok=True)
        (self.folder / FORMAT).write_text(FORMAT_VERSION)
        try:
            return tantivy.Index(self.schema, path=str(self.folder), reuse=True)
        except (OSError, ValueError) as again:
            raise StoreUnavailable(f"the search index in {self.folder} cannot be made "
                                   f"({again})") from again

    # -- keeping current ----------------------------------------------------------------

    def indexed_through(self) -> int:
        try:
            return int((self.folder / MARK).read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def apply(self, docs: Iterable[SearchDoc], items: Iterable[int], through: int | None,
              wait: float = 2.0) -> None:
        session = self.session(wait)
        try:
            session.replace(items, docs)
            session.commit(through)
        except BaseException:
            session.abort()
            raise

    def session(self, wait: float = 2.0) -> TantivySession:
        """Hold the index's writer to add documents over time and commit them at once."""
        return TantivySession(self, self._writer(wait))

    def _writer(self, wait: float = 2.0) -> tantivy.IndexWriter:
        """The index's one writer; IndexBusy when another process keeps it past `wait`."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self.index.writer(WRITER_HEAP, 1)
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusy(str(self.folder)) from error
                time.sleep(0.05)

    def reset(self, wait: float = 2.0) -> None:
        writer = self._writer(wait)
        writer.delete_all_documents()
        writer.commit()
        writer.wait_merging_threads()
        self._mark(0)
        self._reload()

    def _reload(self) -> None:
        self.index.reload()
        if self._cjk_reader is not None:
            self._cjk_reader.reload()

    def _cjk_index(self) -> tantivy.Index:
        """A second reader of this index that reads TOKENIZER as `_CJK`, for the snippets of
        CJK texts (a snippet re-tokenizes its text with the field's tokenizer)."""
        if self._cjk_reader is None:
            self._cjk_reader = tantivy.Index(self.schema, path=str(self.folder), reuse=True)
            self._cjk_reader.register_tokenizer(TOKENIZER, _cjk_analyzer())
        return self._cjk_reader

    def _mark(self, through: int) -> None:
        tmp = self.folder / f"{MARK}.tmp"
        with open(tmp, "w") as out:
            out.write(str(through))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.folder / MARK)

    def _document(self, doc: SearchDoc) -> tantivy.Document:
        d = tantivy.Document()
        d.add_unsigned("version", doc.version)
        d.add_unsigned("item", doc.item)
        d.add_unsigned("account", doc.account)
        d.add_text("platform", doc.platform)
        d.add_text("kind", doc.kind)
        d.add_text("author", doc.author)
        d.add_integer("created", doc.created)
        for name in FLAGS:  # only the flags a document has: a query asks for `flag = 1`
            if getattr(doc, name):  # and nothing else (an index of zeros costs, finds nothing)
                d.add_unsigned(name, 1)
        field = "text" if doc.latest else "earlier"
        if cjk.has_cjk(doc.text):  # (token offsets are not indexed: none needed)
            d.add_pre_tokenized_text(field, tantivy.PreTokenizedString(doc.text, [
                tantivy.Token(word, n, 0, 0) for n, word in enumerate(_CJK.analyze(doc.text))]))
        else:
            d.add_text(field, doc.text)
        d.add_bytes("shown", orjson.dumps(dict(zip(DISPLAY, _shown(doc)))))
        return d

    # -- searching ----------------------------------------------------------------------

    def search(self, request: SearchRequest) -> Results:
        fields = TEXT if request.all_versions else TEXT[:1]
        query = self._query(request, fields)
        searcher = self.index.searcher()
        terms = text_terms(request.condition)
        ranked, runs = bool(terms), cjk.runs(terms)
        # With facets, the total is the sum of the kind facet (every record has one kind):
        # one pass over the matches instead of two.
        facets = self._facets(searcher, query) if request.facets else None
        if not (ranked or request.count or facets):
            found = self._newest(searcher, query, request)
            total = request.offset + len(found.hits)  # (not counted, as asked)
        else:
            found = searcher.search(query, request.limit, count=facets is None,
                                    offset=request.offset,
                                    **({} if ranked else {"order_by_field": "created"}))
            total = sum(facets["kind"].values()) if facets is not None else found.count
        generators = {}
        hits = []
        for score, address in found.hits:
            stored = searcher.doc(address)
            field = next((f for f in fields if stored[f]), fields[0])
            text = stored[field][0] if stored[field] else ""
            if ranked:
                kind = (field, cjk.has_cjk(text))
                if kind not in generators:
                    generators[kind] = tantivy.SnippetGenerator.create(
                        self._cjk_index().searcher() if kind[1] else searcher, query,
                        self.schema, field)
                    generators[kind].set_max_num_chars(SNIPPET_CHARS)
                snippet, marks = _snippet(generators[kind].snippet_from_doc(stored))
                marks = cjk.highlight(snippet, marks, runs)
            else:
                snippet, marks = _lead(text), ()
            hits.append(hit(stored["version"][0], stored["item"][0],
                            float(score) if ranked else 0.0, snippet, marks,
                            orjson.loads(stored["shown"][0])))
        return Results(total=total, hits=hits, facets=facets or {})

    def _newest(self, searcher: tantivy.Searcher, query: tantivy.Query,
                request: SearchRequest) -> tantivy.SearchResult:
        """The newest matches without a total (a feed): looked for among the records made
        in the last day before the newest, then 8, 64 and 512 days, then all of them,
        until a window holds the page. A window holds every match made since its start,
        and every match outside was made before it, so its page is the page; a listing
        of every match would read all of them to find the newest few."""
        key = (searcher.num_docs, searcher.num_segments)
        if self._newest_made is None or self._newest_made[0] != key:
            top = searcher.search(tantivy.Query.all_query(), 1, count=False,
                                  order_by_field="created").hits
            self._newest_made = (key, top[0][0] if top else None)
        newest = self._newest_made[1]  # (any value would do: it only sets the windows)
        for days in (1, 8, 64, 512) if newest is not None else ():
            since = tantivy.Query.range_query(self.schema, "created",
                                              tantivy.FieldType.Integer,
                                              newest - days * 86_400, None)
            found = searcher.search(tantivy.Query.boolean_query([(MUST, query),
                                                                 (MUST, since)]),
                                    request.limit, count=False, offset=request.offset,
                                    order_by_field="created")
            if len(found.hits) == request.limit:
                return found
        return searcher.search(query, request.limit, count=False, offset=request.offset,
                               order_by_field="created")

    def _facets(self, searcher: tantivy.Searcher, query: tantivy.Query) -> dict:
        spec = {name: {"terms": {"field": name, "size": 100}} for name in FACETS}
        found = searcher.aggregate(query, spec)
        return {name: {str(b["key"]): b["doc_count"] for b in found[name]["buckets"]}
                for name in FACETS}

    def _query(self, request: SearchRequest, fields: tuple[str, ...]) -> tantivy.Query:
        clauses = [(MUST, self._compile(request.condition, fields))]
        if not (request.all_versions or _text_required(request.condition)):
            clauses.append((MUST, self._term("latest", 1)))
        for kind in sorted(request.exclude_kinds):
            clauses.append((MUST_NOT, self._term("kind", kind)))
        return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def _term(self, field: str, value: object) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _compile(self, node: object, fields: tuple[str, ...]) -> tantivy.Query:
        if isinstance(node, AllOf):
            parts = [(MUST_NOT, self._excluded(c.clause, fields)) if isinstance(c, Not) else
                     (MUST, self._compile(c, fields)) for c in node.clauses]
            if not any(occur == MUST for occur, _ in parts):
                parts.append((MUST, tantivy.Query.all_query()))
            return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)
        if isinstance(node, AnyOf):
            return tantivy.Query.boolean_query([(SHOULD, self._compile(c, fields))
                                                for c in node.clauses])
        if isinstance(node, Not):
            return tantivy.Query.boolean_query([(MUST, tantivy.Query.all_query()),
                                                (MUST_NOT, self._excluded(node.clause, fields))])
        if isinstance(node, (Word, Phrase)):
            tokens = _words(node.text)
            if not tokens:
                return tantivy.Query.all_query()
            per_field = [self._term(f, tokens[0]) if len(tokens) == 1 else
                         tantivy.Query.phrase_query(self.schema, f, tokens)
                         for f in fields]
            return per_field[0] if len(per_field) == 1 else \
                tantivy.Query.boolean_query([(SHOULD, q) for q in per_field])
        if isinstance(node, Match):
            if not node.values:
                return tantivy.Query.empty_query()
            values = sorted(node.values)
            if node.field == "account" and values[-1] - values[0] == len(values) - 1:
                # A run of ids (an agency's accounts, often) as a range on the fast field:
                # two to four times cheaper than the term set, scored as it is (1.0).
                return tantivy.Query.const_score_query(tantivy.Query.range_query(
                    self.schema, "account", tantivy.FieldType.Unsigned, values[0],
                    values[-1]), 1.0)
            return tantivy.Query.term_set_query(self.schema, node.field, values)
        if isinstance(node, Range):
            return tantivy.Query.range_query(self.schema, "created", tantivy.FieldType.Integer,
                                             node.lo, None if node.hi is None else node.hi - 1)
        if isinstance(node, Flag):
            return self._term(node.name, 1)
        if isinstance(node, Nothing):
            return tantivy.Query.empty_query()
        raise TypeError(f"cannot search for {node!r}")

    def _excluded(self, node: object, fields: tuple[str, ...]) -> tantivy.Query:
        """What a MUST_NOT leaves out. A few values are looked up as terms: their short
        lists of documents are skipped through, where a term set reads each candidate's
        value from the fast field (the open archive's "no direct messages" cost two and a
        half times the search it qualified, on a million records). Scores do not matter
        here, so nothing changes but the cost."""
        if isinstance(node, Match) and 0 < len(node.values) <= FEW_TERMS:
            return tantivy.Query.boolean_query([(SHOULD, self._term(node.field, value))
                                                for value in sorted(node.values)])
        return self._compile(node, fields)

    def close(self) -> None:
        self.index = self._cjk_reader = None


class TantivySession:
    """Changes to the index under its one writer, published together by `commit`."""

    def __init__(self, index: TantivyIndex, writer: tantivy.IndexWriter) -> None:
        self.index = index
        self.writer = writer

    def add(self, docs: Iterable[SearchDoc]) -> None:
        for doc in docs:
            self.writer.add_document(self.index._document(doc))

    def replace(self, items: Iterable[int], docs: Iterable[SearchDoc]) -> None:
        """Drop every document of `items` (added earlier in this session too), add `docs`."""
        items = sorted(items)
        if items:  # (delete_documents_by_term misses unsigned fields: it makes i64 terms)
            self.writer.delete_documents_by_query(
                tantivy.Query.term_set_query(self.index.schema, "item", items))
        self.add(docs)

    def commit(self, through: int | None) -> None:
        self.writer.commit()
        self.writer.wait_merging_threads()
        if through is not None:
            self.index._mark(through)
        self.index._reload()

    def abort(self) -> None:
        self.writer.rollback()
        self.writer.wait_merging_threads()


def _text_required(condition: AllOf) -> bool:
    """Whether every match must contain some words (so it is found through a text field,
    which holds only latest versions unless all versions are searched)."""
    def needs_text(node: object) -> bool:
        if isinstance(node, (Word, Phrase)):
            return bool(_words(node.text))
        if isinstance(node, AnyOf):
            return all(needs_text(c) for c in node.clauses)
        if isinstance(node, AllOf):
            return any(needs_text(c) for c in node.clauses)
        return False
    return needs_text(condition)


def _snippet(snippet: tantivy.Snippet) -> tuple[str, tuple[tuple[int, int], ...]]:
    """tantivy's fragment with its highlights as character (not byte) offsets."""
    fragment = snippet.fragment()
    data = fragment.encode()
    marks = tuple((len(data[:h.start].decode(errors="ignore")),
                   len(data[:h.end].decode(errors="ignore"))) for h in snippet.highlighted())
    return fragment, marks


def _lead(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS]
    words = cut.rsplit(" ", 1)[0]  # whole words, unless that leaves little (CJK has no spaces)
    return (words if len(words) > SNIPPET_CHARS // 2 else cut) + "…"
