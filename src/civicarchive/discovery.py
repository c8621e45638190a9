"""Search over the archive: the engine chosen by the store, kept current from the ledger,
with filters that need the archive (account handles, series, holds) resolved here.

Mixed into `Archive`. The index is derived data: `rebuild_search` recreates it from the
store, and every search first catches up with the ledger, so a crash between a commit
to the store and one to the index only ever leaves the index behind, never wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa

from civicarchive import policy as policy_file
from civicarchive.errors import InvalidInput, NotFound, StoreUnavailable
from civicarchive.model.record import Kind
from civicarchive.search import Hit, SearchIndex, SearchRequest, catch_up, plan
from civicarchive.search.index import IndexBusy
from civicarchive.search.sync import IngestFeed
from civicarchive.search.plan import Match, Nothing, Range
from civicarchive.search.query import AllOf, AnyOf, parse
from civicarchive.store import schema as t

MAX_LIMIT = 1000


@dataclass
class SearchResults:
    query: str
    engine: str
    total: int
    offset: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]

    def as_dict(self) -> dict:
        return {"query": self.query, "engine": self.engine, "total": self.total,
                "offset": self.offset, "hits": [asdict(h) for h in self.hits],
                "facets": self.facets}


class Discovery:
    """Search; needs `store`, `settings`, `accounts`, `policy`, `holds`, `account_tags`."""

    _search_index: SearchIndex | None = None

    @property
    def search_index(self) -> SearchIndex:
        if self._search_index is None:
            if self.settings.database_url is None:
                from civicarchive.search.tantivy_index import TantivyIndex
                self._search_index = TantivyIndex(self.settings.home / "search")
            else:
                from civicarchive.search.postgres_index import PostgresIndex
                self._search_index = PostgresIndex(self.store.engine)
        return self._search_index

    def sync_search(self, progress=None, wait: float = 2.0) -> int:  # noqa: ANN001
        """Index what the ledger holds beyond the index's mark; returns records indexed
        (0 when another process is updating the index: it will catch up for us)."""
        try:
            return catch_up(self.store, self.search_index, progress, wait=wait)
        except IndexBusy:
            return 0

    def search_feed(self, accounts: dict[int, tuple[str, str]]) -> IngestFeed:
        """What keeps the index current during an ingest (see search/sync.py)."""
        return IngestFeed(self.store, self.search_index, accounts)

    def finish_feed(self, feed: IngestFeed) -> int:
        try:
            return feed.finish()
        except IndexBusy:
            return 0  # another process writes the index; the next search catches up

    def rebuild_search(self, progress=None) -> int:  # noqa: ANN001
        """Recreate the search index from the store; returns the records indexed."""
        try:
            return catch_up(self.store, self.search_index, progress, rebuild=True)
        except IndexBusy:
            raise StoreUnavailable("another process is updating the search index (an ingest "
                                   "or import): run the rebuild again when it is done") from None

    def search(self, query: str, all_versions: bool = False, limit: int = 20, offset: int = 0,
               facets: bool = False, public: bool = False) -> SearchResults:
        """Search records (each one's latest version, or every version). `facets` adds
        counts by platform, kind and account (a second pass over every match: ask for it
        on a first page, not on every page); `public` leaves out direct messages, for
        answers shown outside the agency."""
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise InvalidInput(f"results per page must be 1 to {MAX_LIMIT}, and the offset "
                               "0 or more")
        condition = plan(query, _Resolver(self))
        self.sync_search(wait=0.2)  # an ingest holding the writer publishes it soon
        request = SearchRequest(query=query, condition=condition, all_versions=all_versions,
                                limit=limit, offset=offset, facets=facets,
                                exclude_kinds=frozenset({Kind.MESSAGE.value}) if public
                                else frozenset())
        results = self.search_index.search(request)
        facets = dict(results.facets)
        if "account" in facets:
            handles = self._handles()
            facets["account"] = {handles.get(int(k), k): n for k, n in facets["account"].items()}
        return SearchResults(query=query, engine=self.search_index.name, total=results.total,
                             offset=offset, hits=results.hits, facets=facets)

    def _handles(self) -> dict[int, str]:
        with self.store.read() as conn:
            return dict(conn.execute(sa.select(t.accounts.c.id, t.accounts.c.handle)).all())


class _Resolver:
    """Turns account:, series: and hold: into conditions on indexed fields."""

    def __init__(self, archive: Discovery) -> None:
        self.archive = archive

    def accounts(self, value: str) -> frozenset[int]:
        accounts = self.archive.accounts()
        if value.isdigit():
            wanted = {a.id for a in accounts if a.id == int(value)}
        else:
            handle = value.lower().removeprefix("@")
            wanted = {a.id for a in accounts if a.handle.lower().removeprefix("@") == handle}
        if not wanted:
            raise InvalidInput(f"account:{value} names no registered account: see "
                               "`civicarchive accounts list`")
        return frozenset(wanted)

    def series(self, code: str) -> object:
        _, adopted = self.archive.policy()
        if code not in {s.code for s in adopted.series}:
            raise InvalidInput(f"series:{code} is not a series of the adopted policy: use one "
                               "of " + ", ".join(s.code for s in adopted.series))
        tags = self.archive.account_tags()
        parts = []
        for account in self.archive.accounts():
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
        hold = next((h for h in self.archive.holds() if h.id == hold_id), None)
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
