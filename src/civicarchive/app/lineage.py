"""What records inherit from the records above them (`publication.Lineage`), followed as
records arrive: the open archive shows nothing under a record it never shows (a photo
sent in a direct message is a record of its own, under the message), under a comment
when it shows no comments, or under a record still under embargo."""

from __future__ import annotations

import threading

from civicarchive.app.context import ArchiveContext
from civicarchive.records import publication
from civicarchive.store import viewing as viewing_sql

CHUNK = 1000  # records whose subtrees are read in one statement


class Lineages:
    """The lineage of the archive's records, kept and brought up to date on asking."""

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context
        self._lineage = publication.Lineage()
        self._through = 0  # the newest item id it follows
        self._lock = threading.Lock()

    def current(self) -> publication.Lineage:
        """The lineage, brought up to the newest record: the links of the records added
        since (an item's parent, kind and times never change), and everything under a
        record that newly inherits something."""
        with self._lock, self.context.read() as conn:
            lineage, after = self._lineage, self._through
            newest = viewing_sql.newest_item(conn)
            if newest == after:
                return lineage
            never = {k.value for k in publication.NEVER_PUBLIC}
            comments = {k.value for k in publication.COMMENTS}
            links = viewing_sql.inheriting_links(conn, never, comments, after)
            if after:  # a new record under one that inherits something inherits it too
                links += [link for link in viewing_sql.links_of_records_after(conn, after)
                          if lineage.inherits(link[0])]
            fresh = sorted(lineage.add(links))
            for start in range(0, len(fresh), CHUNK):
                lineage.add(viewing_sql.links_below(conn, fresh[start:start + CHUNK]))
            self._through = newest
            return lineage
