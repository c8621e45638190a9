"""Finding records: the query language, the index interface and its two engines
(tantivy embedded beside SQLite, full text inside PostgreSQL), kept current from the
ledger."""

from civicarchive.search.index import FACETS, Hit, Results, SearchDoc, SearchIndex
from civicarchive.search.plan import SearchRequest, plan
from civicarchive.search.query import FILTERS, parse
from civicarchive.search.sync import catch_up

__all__ = ["FACETS", "FILTERS", "Hit", "Results", "SearchDoc", "SearchIndex", "SearchRequest",
           "catch_up", "parse", "plan"]
