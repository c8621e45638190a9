"""The front door: `Archive.init` and `Archive.open` build one archive's services.

    with Archive.open("civicarchive-data") as archive:
        account = archive.registry.add_account("x", "cityofexample", "agency")
        archive.ingesting.import_export("twitter.zip", account.id)
        archive.finding.search("zoning is:deleted")
        request_id = archive.requests.new(...)
        archive.productions.produce(request_id, actor="clerk")

Each service (app/) takes its collaborators in its constructor and shares one
`ArchiveContext`; none reaches into another's state. A service is built, and its module
imported, the first time it is used: a short command loads only what it needs.
"""

from __future__ import annotations

import base64
import uuid
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from civicarchive.app.context import ArchiveContext
from civicarchive.app.reading import Reading
from civicarchive.app.registry import Registry, slugify
from civicarchive.clock import Clock, SystemClock
from civicarchive.errors import AlreadyInitialised, InvalidInput, NotInitialised
from civicarchive.settings import Settings
from civicarchive.store import open_store
from civicarchive.store.checkpoint import (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, ArchiveKey,
                                           fingerprint)

if TYPE_CHECKING:
    from civicarchive.app.access import Access
    from civicarchive.app.alerting import Alerts
    from civicarchive.app.capturing import Capturing
    from civicarchive.app.casework import Casework
    from civicarchive.app.compliance import Compliance
    from civicarchive.app.credentials import Credentials
    from civicarchive.app.custody import Custody
    from civicarchive.app.disposition import Disposition
    from civicarchive.app.evidence import Evidence
    from civicarchive.app.finding import Finding
    from civicarchive.app.ingesting import Ingesting
    from civicarchive.app.lineage import Lineages
    from civicarchive.app.moderation import Moderation
    from civicarchive.app.people import People
    from civicarchive.app.portal import Portal
    from civicarchive.app.productions import Productions
    from civicarchive.app.publishing import Publishing
    from civicarchive.app.requests import Requests
    from civicarchive.app.users import Users
    from civicarchive.app.webhooks import Webhooks
    from civicarchive.app.witnessing import Witnessing
    # the staff web application's records views (issue 14, webrecords)
    from civicarchive.app.auditing import Auditing
    from civicarchive.app.dashboard import Dashboard
    from civicarchive.app.viewing import Viewing

__all__ = ["Archive"]


class Archive:
    """One agency archive, as its services:

    - `registry`: agencies and accounts;
    - `reading`: items, versions, content, raw bytes;
    - `ingesting`: observations, JSONL and the platforms' exports;
    - `finding`: search and its index;
    - `custody`: the adopted policy, acknowledgements, legal holds;
    - `people`: officials and staff, their offices and terms, accounts, acknowledgements
      of the officials' guide and training;
    - `compliance`: the state-action (Lindke) assessment of officials' posts, public
      business on their personal accounts, people's duties due, and their alerts;
    - `moderation`: the review queue of comments, the moderation log (every hide, unhide,
      delete, block and unblock, carried out on the platform where its API allows), stance
      labels and the viewpoint-neutrality report;
    - `disposition`: retention, disposition batches, purges;
    - `evidence`: verification, proofs, WARC and BagIt exports;
    - `witnessing`: RFC 3161 timestamps on checkpoints, checkpoint files to publish;
    - `requests`: records requests; `productions`: what is produced for them;
    - `alerts`: every alert raised, open or acknowledged, and acknowledging one;
    - `credentials`: platform tokens, encrypted; `capturing`: live capture passes, runs,
      gaps, alerts and each account's capture health; `webhooks`: Meta's Page feed
      notifications, checked, kept and recorded;
    - `users`: staff users of the web application, their sessions and API tokens;
      `access`: reads scoped to who is asking (their agency, accounts and roles);
      `casework`: requests, holds and disposition batches scoped to an agency's staff;
    - `publishing`: the open archive, what the public sees, decided on read; `portal`:
      records requests the public makes there, and their tracking links;
    - `viewing`: records as the staff record view shows them (the native look's
      view-model, threads, histories, media, ledger standing); `dashboard`: its figures;
      `auditing`: the audit log as one agency's auditors see it.
    """

    def __init__(self, context: ArchiveContext) -> None:
        self.context = context
        self.registry = Registry(context)
        self.reading = Reading(context)
        if context.settings.tsa_url:
            self.witnessing  # built now: it timestamps every checkpoint signed from here on

    @cached_property
    def alerts(self) -> Alerts:
        from civicarchive.app.alerting import Alerts
        return Alerts(self.context)

    @cached_property
    def custody(self) -> Custody:
        from civicarchive.app.custody import Custody
        return Custody(self.context, self.registry)

    @cached_property
    def people(self) -> People:
        from civicarchive.app.people import People
        return People(self.context, self.registry, self.custody)

    @cached_property
    def compliance(self) -> Compliance:
        from civicarchive.app.compliance import Compliance
        return Compliance(self.context, self.registry, self.custody, self.people)

    @cached_property
    def moderation(self) -> Moderation:
        from civicarchive.app.moderation import Moderation
        return Moderation(self.context, self.registry, self.reading, self.custody,
                          self.compliance, self.credentials)

    @cached_property
    def finding(self) -> Finding:
        from civicarchive.app.finding import Finding
        return Finding(self.context, self.registry, self.custody, self.lineages)

    @cached_property
    def ingesting(self) -> Ingesting:
        from civicarchive.app.ingesting import Ingesting
        return Ingesting(self.context, self.registry, self.finding)

    @cached_property
    def disposition(self) -> Disposition:
        from civicarchive.app.disposition import Disposition
        return Disposition(self.context, self.registry, self.custody, self.evidence.package,
                           on_purged=self.finding.sync)

    @cached_property
    def evidence(self) -> Evidence:
        from civicarchive.app.evidence import Evidence
        return Evidence(self.context, self.registry, self.reading)

    @cached_property
    def requests(self) -> Requests:
        from civicarchive.app.requests import Requests
        return Requests(self.context, self.registry, self.reading, self.custody,
                        self.finding)

    @cached_property
    def productions(self) -> Productions:
        from civicarchive.app.productions import Productions
        return Productions(self.context, self.registry, self.reading, self.requests,
                           self.evidence)

    @cached_property
    def credentials(self) -> Credentials:
        from civicarchive.app.credentials import Credentials
        return Credentials(self.context, self.registry)

    @cached_property
    def capturing(self) -> Capturing:
        from civicarchive.app.capturing import Capturing
        return Capturing(self.context, self.registry, self.reading, self.ingesting,
                         self.credentials)

    @cached_property
    def webhooks(self) -> Webhooks:
        from civicarchive.app.webhooks import Webhooks
        return Webhooks(self.context, self.registry, self.ingesting)

    @cached_property
    def publishing(self) -> Publishing:
        from civicarchive.app.publishing import Publishing
        return Publishing(self.context, self.registry, self.reading, self.custody,
                          self.finding, self.lineages)

    @cached_property
    def lineages(self) -> Lineages:
        from civicarchive.app.lineage import Lineages
        return Lineages(self.context)

    @cached_property
    def portal(self) -> Portal:
        from civicarchive.app.portal import Portal
        return Portal(self.context, self.requests, self.publishing)

    @cached_property
    def users(self) -> Users:
        from civicarchive.app.users import Users
        return Users(self.context, self.registry, self.people)

    @cached_property
    def access(self) -> Access:
        from civicarchive.app.access import Access
        return Access(self.registry, self.reading, self.finding, self.lineages)

    # -- the staff web application's records views (issue 14, webrecords) --------------

    @cached_property
    def viewing(self) -> Viewing:
        from civicarchive.app.viewing import Viewing
        return Viewing(self.context, self.access, self.reading, self.evidence,
                       self.custody)

    @cached_property
    def dashboard(self) -> Dashboard:
        from civicarchive.app.dashboard import Dashboard
        return Dashboard(self.capturing, self.moderation)

    @cached_property
    def auditing(self) -> Auditing:
        from civicarchive.app.auditing import Auditing
        return Auditing(self.context, self.registry)

    @cached_property
    def casework(self) -> Casework:
        from civicarchive.app.casework import Casework
        return Casework(self.registry, self.users, self.access, self.requests, self.custody,
                        self.disposition)

    @cached_property
    def witnessing(self) -> Witnessing:
        from civicarchive.app.witnessing import Witnessing
        return Witnessing(self.context)

    @classmethod
    def init(cls, agency: str, home: str | Path | None = None, database_url: str | None = None,
             clock: Clock | None = None, actor: str = "system") -> Archive:
        """Create a new archive with its first agency and signing key."""
        settings = Settings.resolve(home, database_url)
        clock = clock or SystemClock()
        if not agency.strip():
            raise InvalidInput("the agency needs a name, e.g. 'City of Example'",
                               parameter="agency")
        if (settings.keys_dir / PRIVATE_KEY_FILE).exists():
            raise AlreadyInitialised(str(settings.home))
        settings.home.mkdir(parents=True, exist_ok=True)
        store = open_store(settings)
        if store.is_initialised():
            raise AlreadyInitialised(store.where)
        store.migrate()
        key = ArchiveKey.generate(settings.keys_dir)
        for folder in (settings.blobs_dir, settings.exports_dir):
            folder.mkdir(exist_ok=True)
        context = ArchiveContext(settings, store, clock, str(uuid.uuid4()),
                                 base64.b64encode(key.public_raw()).decode(), key)
        try:
            with context.write() as tx:
                tx.set_identity(context.archive_id, context.public_key_b64)
                agency_id = tx.next_id("agencies")
                tx.add("agencies", {"id": agency_id, "slug": slugify(agency),
                                    "name": agency.strip(), "created_at": tx.now})
                tx.audit(actor, "archive.init", f"archive {context.archive_id}",
                         {"agency": agency.strip(), "agency_id": agency_id,
                          "slug": slugify(agency),
                          "public_key_sha256": fingerprint(key.public_raw())})
        except BaseException:
            # Nothing was archived: drop the key, so that `init` can simply be run again.
            for name in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE):
                (settings.keys_dir / name).unlink(missing_ok=True)
            store.dispose()
            raise
        return cls(context)

    @classmethod
    def open(cls, home: str | Path | None = None, database_url: str | None = None,
             clock: Clock | None = None, upgrade: bool = True) -> Archive:
        """Open an existing archive (the schema is brought up to date). With `upgrade`
        False nothing is written: a schema an older civicarchive wrote is refused
        (verifying reads an archive as it is)."""
        settings = Settings.resolve(home, database_url)
        if settings.database_url is None and not settings.sqlite_path.exists():
            raise NotInitialised(str(settings.home))  # and do not create an empty database
        store = open_store(settings)
        store.require_initialised()
        if upgrade:
            store.migrate()
        else:
            store.refuse_older_schema()
        archive_id, public_key = store.identity()
        return cls(ArchiveContext(settings, store, clock or SystemClock(), archive_id,
                                  public_key))

    def close(self) -> None:
        """Timestamp the last checkpoint if due, close the search index (if it was
        opened) and the database."""
        if "witnessing" in self.__dict__:
            self.witnessing.close()
        if "finding" in self.__dict__:
            self.finding.close()
        self.context.store.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
