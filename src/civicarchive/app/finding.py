"""Finding records: search over the archive with the engine the store calls for, kept
current from the ledger, with the filters that need the archive (account handles, record
series, holds) resolved here.

The index is derived data: `rebuild` recreates it from the store, and every search first
catches up with the ledger, so a crash between a commit to the store and one to the index
only ever leaves the index behind, never wrong.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from civicarchive import policy as policy_file
from civicarchive.app.context import ArchiveContext
from civicarchive.app.custody import Custody
from civicarchive.app.lineage import Lineages
from civicarchive.app.registry import Registry
from civicarchive.errors import InvalidInput, NotFound, StoreUnavailable
from civicarchive.model.account import Account
from civicarchive.model.record import Kind
from civicarchive.search import Hit, SearchIndex, SearchRequest, catch_up, plan
from civicarchive.search.index import IndexBusy
from civicarchive.search.plan import Match, Nothing, Range
from civicarchive.search.query import AllOf, AnyOf, Not, parse
from civicarchive.search.sync import IngestFeed

MAX_LIMIT = 1000


@dataclass
class SearchResults:
    """One page of a search: hits in rank order, the total, and facet counts if asked."""

    query: str
    engine: str
    total: int
    offset: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]

    def as_dict(self) -> dict:
        """The page as plain JSON-ready data."""
        return {"query": self.query, "engine": self.engine, "total": self.total,
                "offset": self.offset, "hits": [asdict(h) for h in self.hits],
                "facets": self.facets}


class Finding:
    """Search and its index."""

    def __init__(self, context: ArchiveContext, registry: Registry, custody: Custody,
                 lineages: Lineages) -> None:
        self.context = context
        self.registry = registry
        self.custody = custody
        self.lineages = lineages
        self._index: SearchIndex | None = None
        self._scratch: Path | None = None

    @property
    def index(self) -> SearchIndex:
        """The search index: tantivy beside SQLite, full text inside PostgreSQL."""
        if self._index is None:
            context = self.context
            if context.settings.database_url is None:
                from civicarchive.search.tantivy_index import TantivyIndex
                folder = context.settings.home / "search"
                if context.store.readonly:  # tantivy must lock even to read: a copy
                    folder = self._scratch_copy(folder)
                self._index = TantivyIndex(folder)
            else:
                from civicarchive.search.postgres_index import PostgresIndex
                self._index = PostgresIndex(context.store.engine)
        return self._index

    @property
    def engine(self) -> str:
        """The name of the search engine in use."""
        return self.index.name

    def search(self, query: str, all_versions: bool = False, limit: int = 20, offset: int = 0,
               facets: bool = False, public: bool = False,
               accounts: frozenset[int] | None = None, where: object | None = None,
               count: bool = True) -> SearchResults:
        """Search records (each one's latest version, or every version). `facets` adds
        counts by platform, kind and account (a second pass over every match: ask for it
        on a first page, not on every page); `public` leaves out direct messages and what
        was sent in them (a photo is a record of its own, under its message), for answers
        shown outside the agency and staff who may not read messages; `accounts` limits
        the search to those accounts' records (a web user's agency), whatever the query
        says; `where` is a further
        condition (search/plan.py) every hit meets (the open archive's rules); `count`
        False leaves the total uncounted when that is cheaper (offset + hits: a feed)."""
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise InvalidInput(f"results per page must be 1 to {MAX_LIMIT}, and the offset "
                               "0 or more", parameter="limit")
        condition = plan(query, _Resolver(self.registry, self.custody))
        if accounts is not None:
            condition = AllOf((condition, Match("account", accounts) if accounts
                               else Nothing()))
        if where is not None:
            condition = AllOf((condition, where))
        sent = self.lineages.current().under_message() if public else ()
        if sent:
            condition = AllOf((condition, Not(Match("item", sent))))
        self.sync(wait=0.2)  # an ingest holding the writer publishes it soon
        request = SearchRequest(query=query, condition=condition, all_versions=all_versions,
                                limit=limit, offset=offset, facets=facets,
                                exclude_kinds=frozenset({Kind.MESSAGE.value}) if public
                                else frozenset(), count=count)
        results = self.index.search(request)
        counts = dict(results.facets)
        if "account" in counts:
            handles = self.registry.handles()
            counts["account"] = {handles.get(int(k), k): n for k, n in counts["account"].items()}
        return SearchResults(query=query, engine=self.index.name, total=results.total,
                             offset=offset, hits=results.hits, facets=counts)

    def sync(self, progress=None, wait: float = 2.0) -> int:  # noqa: ANN001
        """Index what the ledger holds beyond the index's mark; returns records indexed
        (0 when another process is updating the index: it will catch up for us)."""
        try:
            return catch_up(self.context.store, self.index, progress, wait=wait)
        except IndexBusy:
            return 0

    def rebuild(self, progress=None) -> int:  # noqa: ANN001
        """Recreate the search index from the store; returns the records indexed."""
        try:
            return catch_up(self.context.store, self.index, progress, rebuild=True)
        except IndexBusy:
            raise StoreUnavailable("another process is updating the search index (an ingest "
                                   "or import): rebuild it again when that is done") from None

    def feed(self, accounts: list[Account]) -> IngestFeed:
        """What keeps the index current during an ingest of these accounts' records (see
        search/sync.py)."""
        return IngestFeed(self.context.store, self.index,
                          {a.id: (a.platform, a.handle) for a in accounts})

    def finish(self, feed: IngestFeed) -> int:
        """Publish what an ingest's feed indexed; returns the records indexed."""
        try:
            return feed.finish()
        except IndexBusy:
            return 0  # another process writes the index; the next search catches up

    def close(self) -> None:
        """Release the index (its files or connection)."""
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def _scratch_copy(self, folder: Path) -> Path:
        """A temporary copy of the index of an archive on a read-only file system (what
        it lacks is indexed into the copy), removed at `close`."""
        self._scratch = Path(tempfile.mkdtemp(prefix="civicarchive-search-"))
        copy = self._scratch / "search"
        if folder.is_dir():
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("*.lock"))
        return copy


class _Resolver:
    """Turns account:, series: and hold: into conditions on indexed fields."""

    def __init__(self, registry: Registry, custody: Custody) -> None:
        self.registry = registry
        self.custody = custody

    def accounts(self, value: str) -> frozenset[int]:
        accounts = self.registry.accounts()
        if value.isdigit():
            wanted = {a.id for a in accounts if a.id == int(value)}
        else:
            handle = value.lower().removeprefix("@")
            wanted = {a.id for a in accounts if a.handle.lower().removeprefix("@") == handle}
        if not wanted:
            raise InvalidInput(f"account:{value} names no registered account: see the "
                               "accounts list", parameter="query")
        return frozenset(wanted)

    def series(self, code: str) -> object:
        _, adopted = self.custody.policy()
        if code not in {s.code for s in adopted.series}:
            raise InvalidInput(f"series:{code} is not a series of the adopted policy: use one "
                               "of " + ", ".join(s.code for s in adopted.series),
                               parameter="query")
        tags = self.registry.account_tags()
        parts = []
        for account in self.registry.accounts():
            kinds = frozenset(
                kind.value for kind in Kind
                if [s.code for s in policy_file.series_for(
                    adopted, account.classification, account.platform, kind,
                    tags.get(account.id, frozenset()))] == [code])
            if kinds:
                parts.append(AllOf((Match("account", frozenset({account.id})),
                                    Match("kind", kinds))))
        return AnyOf(tuple(parts)) if parts else Nothing()

    def hold(self, hold_id: int) -> object:
        hold = next((h for h in self.custody.holds() if h.id == hold_id), None)
        if hold is None:
            raise NotFound("hold", hold_id)
        scope, parts = hold.scope, []
        if scope.accounts is not None:
            parts.append(Match("account", frozenset(scope.accounts)))
        if scope.items is not None:
            parts.append(Match("item", frozenset(scope.items)))
        if scope.start or scope.end:
            parts.append(Range("created", _seconds(scope.start), _seconds(scope.end)))
        if scope.query:
            parts.extend(parse(scope.query).clauses)
        return AllOf(tuple(parts))


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())
