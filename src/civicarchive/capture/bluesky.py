"""Bluesky (atproto): the account's own repository from its PDS, checked against the key
its DID names, and other people's replies from the event stream.

The account is known by its DID, never by its handle: the first pass, when the registry
holds no `did:` id, resolves the handle once (`com.atproto.identity.resolveHandle` on the
PDS) and keeps the DID in the cursor. Each pass then:

- resolves the DID document (did:plc from the PLC directory, `plc_url`, by default
  https://plc.directory; did:web from its host): the `#atproto` signing key and the
  handle it claims (`alsoKnownAs`). A handle change is a new version of the PROFILE item,
  whose content is the importer's profile fields plus `handle`;
- with an app password stored (`accounts credentials`), opens a session
  (`com.atproto.server.createSession`, a refusal is CredentialsRejected) and reads with
  it, and closes it at the end; without one it reads what the PDS shows anyone;
- reads the repository with `com.atproto.sync.getRepo`: all of it on a full pass (the
  first, then every `full_every`), else only what changed since the last pass's commit
  (`since` = its rev; nothing at all when `getLatestCommit` shows the same rev). Every
  block is re-hashed against its CID and the commit's signature checked with the DID's
  key (connectors/bluesky.py's `verify_commit`, shared with the CAR importer); a CAR that
  fails either is CaptureFailed, never content. Records are normalised exactly as the
  importer does (`record_observation`), so a captured post and the same post imported
  from an export are one item; a record edited with putRecord has new content and so an
  edited version. The profile record, when a pass's CAR does not hold it, is read with
  `com.atproto.sync.getRecord`, which proves it the same way;
- keeps as each record's raw bytes a CAR proving it: the signed commit, the tree nodes
  from the root down to the record, and the record's block (what `sync.getRecord`
  returns). Anyone holding the DID's key can re-check a version from its raw bytes alone
  (`check_proof` below); `verify` re-hashes them like every raw byte string. The run's
  cursor keeps the commit checked (`commit`: did, rev, CID, signature outcome, key);
- downloads the blobs (images, video) its posts and profile name, with
  `com.atproto.sync.getBlob`, each up to the size cap and checked against its CID;
- reads the event stream (`com.atproto.sync.subscribeRepos`; `stream_url`, by default the
  PDS's own; a relay in production) from the seq the cursor keeps up to now (see
  capture/firehose.py). A post from another repository that replies to one of the
  account's records (its `reply.parent` or `reply.root`) is a COMMENT whose parent is
  that record's `at://` URI; its commit is checked with the author's own DID key and its
  raw bytes prove it as above. An update of such a reply is a new version; a delete of
  one the archive holds is a deletion event.

A full pass claims posts and replies complete: one the archive holds that the repository
no longer has is re-checked with `com.atproto.repo.getRecord`, and only the PDS's
`RecordNotFound` error (HTTP 400, or 404) says it is gone.

Completeness: a PDS has no reply counts (those come from an AppView, which is not used),
so no figure is compared; the cursor's `stream` says how many events and replies each
pass's stream delivered, and a stream that no longer holds the events since the cursor
(`OutdatedCursor`) is a problem of the pass.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from datetime import datetime
from urllib.parse import quote

import httpx
from atproto_core.did_doc import DidDocument
from atproto_core.exceptions import AtProtocolError

from civicarchive.capture import firehose
from civicarchive.capture.base import (Absent, CaptureJob, CaptureProblem, Checked, Known, Pass,
                                       Recheck, answers_checked)
from civicarchive.capture.failures import (CaptureFailed, CredentialsRejected,
                                           PlatformUnavailable, RateLimited)
from civicarchive.capture.guard import deadline
from civicarchive.capture.http import REQUEST_DEADLINE, UNANSWERED, Fetcher, Scrubber
from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.bluesky import (FIELDS, PROFILE, blob_digest,
                                             decode_record, media_observation,
                                             profile_content, record_observation,
                                             verify_commit)
from civicarchive.connectors.car import Repository
from civicarchive.connectors.reading import Unread
from civicarchive.errors import FetchRefused, InvalidInput
from civicarchive.model.record import Kind, Observation

JSON = "application/json"
CAR = "application/vnd.ipld.car"
PLC_DIRECTORY = "https://plc.directory"
COMPLETE_KINDS = frozenset({Kind.POST, Kind.REPLY})
PROFILE_KEY = f"{PROFILE}/self"
STREAM_IDLE = 1.0      # seconds of quiet after which the stream has nothing more
STREAM_LIMIT = 120.0   # seconds a pass reads the stream at most


class BlueskyCapturer:
    platform = "bluesky"

    @answers_checked
    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """One pass over the account (see the module docstring)."""
        return _Run(job, client, token, known).run()

    @answers_checked
    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """`com.atproto.repo.getRecord` for one absent record: GONE only when the PDS
        answers the XRPC error RecordNotFound (HTTP 400, or 404); any other answer, a
        bare 404 included (a proxy's, a wrong route's), is UNKNOWN."""
        parts = _parts(absent.native_id)
        if parts is None:
            return Checked(Recheck.UNKNOWN, {"reason": "not an at:// record URI"})
        did, collection, rkey = parts
        fetch = Fetcher(client, None, job.observed_at, _server(job))
        response = fetch.get("/xrpc/com.atproto.repo.getRecord",
                             {"repo": did, "collection": collection, "rkey": rkey},
                             allow=(400, 404))
        if response.status_code == 200:
            return Checked(Recheck.PRESENT, {"status": 200})
        error = _error(response)
        if error == "RecordNotFound":
            return Checked(Recheck.GONE, fetch.evidence(response))
        return Checked(Recheck.UNKNOWN, {"reason": f"HTTP {response.status_code} {error}",
                                         **fetch.evidence(response)})


def _server(job: CaptureJob) -> str:
    if not job.settings.url:
        raise CaptureFailed(f"account {job.account_id} has no PDS configured: set its URL "
                            "(capture configure), e.g. https://bsky.social")
    return job.settings.url.rstrip("/")


def _parts(uri: str) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of an at:// record URI."""
    if not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def create_session(client: httpx.Client, server: str, did: str, password: str,
                   within: float = REQUEST_DEADLINE) -> dict:
    """`com.atproto.server.createSession` with the account's app password: the session
    (accessJwt, refreshJwt), or the failure a refusal means. The password is sent only
    over https, or to a server on this machine (a test PDS on loopback); the answer must
    be whole `within` seconds, as every capture request's."""
    url = f"{server}/xrpc/com.atproto.server.createSession"
    scrub = Scrubber([password])
    parsed = httpx.URL(url)
    if parsed.scheme != "https" and parsed.host not in ("127.0.0.1", "::1", "localhost"):
        raise CaptureFailed(f"{url}: the app password is sent only over https, and this "
                            "server's address is plain http; configure its https address",
                            {"url": url})
    until = time.monotonic() + within
    try:  # never on to a redirect's target: the password is in the body and 307 resends it
        with deadline(until):
            response = client.post(url, json={"identifier": did, "password": password},
                                   follow_redirects=False)
    except FetchRefused as refused:
        raise CaptureFailed(str(refused), {"url": url, "refused": refused.reason}) from None
    except UNANSWERED as error:
        if time.monotonic() >= until:
            raise PlatformUnavailable(f"{url}: no whole answer within {within:g} s; given up",
                                      {"url": url, "deadline": within}) from None
        raise PlatformUnavailable(f"{url}: {type(error).__name__}",
                                  {"url": url, "error": type(error).__name__}) from None
    if response.is_redirect:
        target = scrub(response.headers.get("location", ""))
        raise CaptureFailed(f"{url}: HTTP {response.status_code}: the PDS redirects the login "
                            f"to {target or 'nowhere'}; the app password is not sent on to a "
                            "redirect. Set the account's server to the PDS that holds it",
                            {"status": response.status_code, "url": url, "location": target})
    if response.status_code != 200:
        evidence = {"status": response.status_code, "url": url,
                    "body": scrub(response.text[:2000])}
        where = f"{url}: HTTP {response.status_code}"
        if response.status_code in (400, 401, 403):
            raise CredentialsRejected(f"{where}: the PDS refused the app password "
                                      f"({_error(response) or 'refused'}); store a new "
                                      "one (accounts credentials)", evidence)
        if response.status_code == 429:
            raise RateLimited(f"{where}: rate limited", evidence)
        raise PlatformUnavailable(f"{where}: server error", evidence)
    session = response.json()
    if session.get("did") != did:
        raise CredentialsRejected(f"the app password opens {session.get('did')}, not "
                                  f"{did}: store the account's own app password",
                                  {"status": 200, "url": url})
    return session


def _error(response: httpx.Response) -> str:
    """The XRPC error name of an answer ("RecordNotFound"), or ""."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


def check_proof(data: bytes, key: str, where: str = "proof") -> tuple[str, str, dict]:
    """Re-check a record's raw bytes as capture keeps them (a CAR of the signed commit,
    the tree path and the record): every block against its CID, the commit's signature
    with `key` (a did:key or publicKeyMultibase), and the record's place in the signed
    tree. Returns (did, "collection/rkey", record); InvalidInput when any check fails."""
    repo = Repository(data, where)
    commit = verify_commit(repo, key, {})
    context = ImportContext(0, datetime.now().astimezone())
    found = [(name, cid) for name, cid, _ in repo.leaves(context, partial=True)
             if repo.block(cid) is not None and cid != repo.root]
    if len(found) != 1:
        raise InvalidInput(f"{where}: the tree under the signed commit leads to "
                           f"{len(found)} records held in the file, not one: not a proof")
    name, cid = found[0]
    return commit["did"], name, decode_record(repo.block(cid))


@dataclasses.dataclass
class _Identity:
    did: str
    key: str
    handle: str | None
    document: bytes


class _Run:
    """The state of one pass."""

    def __init__(self, job: CaptureJob, client: httpx.Client, token: str | None,
                 known: Known) -> None:
        self.job = job
        self.client = client
        self.token = token
        self.server = _server(job)
        self.fetch = Fetcher(client, None, job.observed_at, self.server)
        self.public = Fetcher(client, None, job.observed_at)   # the directory: no token
        self.known = known
        self.cursor = dict(job.cursor)
        self.result = Pass()
        self.context = ImportContext(job.account_id, job.observed_at)
        self.unread = Unread(self.context)
        self.identities: dict[str, _Identity] = {}
        self.refresh: str | None = None
        self.requests = 0

    def run(self) -> Pass:
        did = self.did()
        self.login(did)
        try:
            identity = self.identity(did)
            records = self.repository(identity)
            records.append(self.profile(identity, records))
            for observation in records:
                self.result.observations.append(observation)
            self.media(records)
            self.stream(did)
        finally:
            self.logout()
        self.unread.report()
        self.result.problems += [CaptureProblem(p.where, p.what)
                                 for p in self.context.problems]
        self.cursor["passes_since_full"] = 0 if self.job.full else \
            self.cursor.get("passes_since_full", 0) + 1
        self.result.cursor = self.cursor
        self.result.requests = self.fetch.requests + self.public.requests + self.requests
        return self.result

    # -- who -----------------------------------------------------------------------------

    def did(self) -> str:
        """The account's DID: the registry's id, else the one found before, else its
        handle resolved once."""
        given = self.job.platform_id if (self.job.platform_id or "").startswith("did:") \
            else None
        before = self.cursor.get("did")
        if given and before and given != before:
            raise CaptureFailed(f"account {self.job.account_id} is registered as {given} but "
                                f"was captured as {before}: capture stopped rather than "
                                "archive another account")
        if given or before:
            self.cursor["did"] = given or before
            return self.cursor["did"]
        handle = self.job.handle.lstrip("@")
        response = self.fetch.get("/xrpc/com.atproto.identity.resolveHandle",
                                  {"handle": handle}, allow=(400, 404))
        if response.status_code != 200:
            raise CaptureFailed(f"the PDS {self.server} does not know the handle {handle}: "
                                "check the handle or the PDS, or register the account's DID",
                                self.fetch.evidence(response))
        self.cursor["did"] = response.json()["did"]
        return self.cursor["did"]

    def login(self, did: str) -> None:
        """A session with the app password, when one is stored."""
        if not self.token:
            return
        self.requests += 1
        session = create_session(self.client, self.server, did, self.token)
        access, self.refresh = session["accessJwt"], session.get("refreshJwt")
        self.fetch.token = access
        self.fetch.scrub = Scrubber([self.token, access, self.refresh])

    def logout(self) -> None:
        if not self.refresh:
            return
        self.requests += 1
        try:
            self.client.post(f"{self.server}/xrpc/com.atproto.server.deleteSession",
                             headers={"Authorization": f"Bearer {self.refresh}"})
        except (httpx.HTTPError, FetchRefused):
            pass   # the session expires by itself
        self.refresh = None

    def identity(self, did: str) -> _Identity:
        """The DID document: the #atproto key and the handle it claims."""
        if did in self.identities:
            return self.identities[did]
        if did.startswith("did:plc:"):
            url = f"{(self.job.settings.plc_url or PLC_DIRECTORY).rstrip('/')}/{did}"
        elif did.startswith("did:web:"):
            url = f"https://{did[8:].replace('%3A', ':')}/.well-known/did.json"
        else:
            raise CaptureFailed(f"{did}: only did:plc and did:web are resolved")
        response = self.public.get(url, allow=(404, 410))
        if response.status_code != 200:
            raise CaptureFailed(f"{did} is not in its directory ({url}: HTTP "
                                f"{response.status_code}): the account may be deleted",
                                self.public.evidence(response))
        try:
            found = DidDocument.from_dict(response.json()).to_atproto_data()
        except (ValueError, AtProtocolError) as error:
            raise CaptureFailed(f"{url}: not a DID document ({type(error).__name__}): "
                                f"{did}'s repository cannot be checked",
                                {"url": url, "status": 200}) from None
        if found.did != did or not found.signing_key:
            raise CaptureFailed(f"{url}: the DID document is not {did}'s or names no #atproto "
                                "key: its repository cannot be checked",
                                {"url": url, "status": 200})
        key, handle = found.signing_key, found.handle
        self.identities[did] = _Identity(did, key, handle, response.content)
        return self.identities[did]

    # -- the account's own records -------------------------------------------------------

    def verified(self, data: bytes, where: str, identity: _Identity,
                 evidence: dict | None = None) -> Repository:
        """The CAR, every block checked against its CID and the commit's signature
        against the DID's key; CaptureFailed (not content) when either fails."""
        try:
            repo = Repository(data, where)
        except InvalidInput as refused:
            raise CaptureFailed(f"{refused}", {"where": where}) from None
        self.check(repo, identity, where, evidence)
        return repo

    def check(self, repo: Repository, identity: _Identity, where: str,
              evidence: dict | None = None) -> None:
        """The commit's signature against the DID's key, and the commit the DID's."""
        evidence = {} if evidence is None else evidence
        try:
            commit = verify_commit(repo, identity.key, evidence)
        except InvalidInput as refused:
            raise CaptureFailed(f"{refused}", {"where": where, "key": identity.key,
                                               **evidence}) from None
        if commit["did"] != identity.did:
            raise CaptureFailed(f"{where}: the commit is {commit['did']}'s, not "
                                f"{identity.did}'s: refusing it", {"where": where})
        evidence["key"] = identity.key

    def repository(self, identity: _Identity) -> list[Observation]:
        """The records of a full getRepo, or those changed since the last pass."""
        full, since = self.job.full, self.cursor.get("rev")
        did = identity.did
        if not full and since:
            latest = self.fetch.get("/xrpc/com.atproto.sync.getLatestCommit",
                                    {"did": did}).json()
            if latest.get("rev") == since:
                return []
        params = {"did": did, **({} if full or not since else {"since": since})}
        response = self.fetch.get("/xrpc/com.atproto.sync.getRepo", params)
        where = self.fetch.url(f"/xrpc/com.atproto.sync.getRepo?did={did}")
        evidence: dict = {}
        repo = self.verified(response.content, where, identity, evidence)
        observations = self.records(repo, did, where, partial="since" in params)
        self.cursor["rev"] = evidence["rev"]
        self.cursor["commit"] = evidence
        if full and not repo.gaps:
            self.result.complete_kinds = set(COMPLETE_KINDS)
        return observations

    def records(self, repo: Repository, did: str, where: str, partial: bool
                ) -> list[Observation]:
        found = []
        for key, cid, path in repo.leaves(self.context, partial):
            collection, _, rkey = key.partition("/")
            block = repo.block(cid)
            if collection not in FIELDS or (block is None and partial):
                continue   # not a kind we keep, or unchanged since the last pass
            observation = self.observe(repo, did, collection, rkey, cid, path, where)
            if observation is None:
                repo.gaps += 1
            else:
                found.append(observation)
        return found

    def observe(self, repo: Repository, did: str, collection: str, rkey: str, cid: bytes,
                path: tuple[bytes, ...], where: str) -> Observation | None:
        uri = f"at://{did}/{collection}/{rkey}"
        block = repo.block(cid)
        try:
            if block is None:
                raise ValueError("its block is not in the repository")
            return record_observation(collection, rkey, decode_record(block),
                                      repo.proof(path, cid), did, self.job.account_id,
                                      self.job.observed_at,
                                      lambda what: self.unread.note(where, what, uri),
                                      raw_media_type=CAR)
        except (ValueError, RecursionError, OverflowError) as error:
            self.result.problem(uri, f"cannot be read ({error}); skipped, and no deletion "
                                "is inferred from this pass")
            return None

    def profile(self, identity: _Identity, records: list[Observation]) -> Observation:
        """The PROFILE item: the profile record (proved) and the DID's handle."""
        did = identity.did
        found = next((o for o in records if o.kind is Kind.PROFILE), None)
        if found is not None:
            records.remove(found)
        else:
            response = self.fetch.get("/xrpc/com.atproto.sync.getRecord",
                                      {"did": did, "collection": PROFILE, "rkey": "self"},
                                      allow=(400, 404))
            if response.status_code == 200:
                where = self.fetch.url(f"/xrpc/com.atproto.sync.getRecord?did={did}")
                repo = self.verified(response.content, where, identity)
                for key, cid, path in repo.leaves(self.context, partial=True):
                    if key == PROFILE_KEY and repo.block(cid) is not None:
                        found = self.observe(repo, did, PROFILE, "self", cid, path, where)
        if found is None:   # no profile record: the handle alone, proved by the DID document
            found = Observation(
                account_id=self.job.account_id, native_id=f"at://{did}/{PROFILE_KEY}",
                kind=Kind.PROFILE, observed_at=self.job.observed_at,
                content=profile_content({}, did), raw=identity.document,
                raw_media_type=JSON, author=did, url=f"https://bsky.app/profile/{did}")
        self.cursor["handle"] = identity.handle
        return dataclasses.replace(found, content={**found.content, "handle": identity.handle})

    def media(self, records: list[Observation]) -> None:
        """The blobs the records name and the archive does not hold, each up to the cap
        and checked against its CID."""
        wanted = {f"{o.native_id}/{a['blob']}": (o, a) for o in records
                  for a in (o.content or {}).get("attachments", []) if a.get("blob")}
        have = self.known(wanted) if wanted else set()
        cap = self.job.settings.media_max_bytes
        for native_id, (owner, attachment) in wanted.items():
            if native_id in have:
                continue
            url = (f"{self.server}/xrpc/com.atproto.sync.getBlob?did={quote(owner.author)}"
                   f"&cid={quote(attachment['blob'])}")
            if (attachment.get("size") or 0) > cap:
                self.result.problem(url, f"{attachment['size']} bytes is over the {cap}-byte "
                                    "cap; not downloaded")
                continue
            data, _, problem = self.fetch.download(url, cap)
            if problem:
                self.result.problem(url, problem)
            elif hashlib.sha256(data).digest() != blob_digest(attachment["blob"]):
                self.result.problem(url, "the bytes do not match the blob's CID; not kept")
            else:
                self.result.observations.append(
                    media_observation(owner, attachment, data, attachment["blob"]))

    # -- other people's replies, from the stream ------------------------------------------

    def stream(self, did: str) -> None:
        """Replies from the event stream, from the cursor's seq. With no seq yet, the
        PDS's own stream is read from its oldest event; a relay's from now, since its
        window holds the whole network's events."""
        url = firehose.stream_url(self.job.settings.stream_url, self.server)
        own = url == firehose.stream_url(None, self.server)
        before = self.cursor.get("stream") or {}
        seq = before.get("seq") if before.get("url") == url else None
        reading = firehose.Reading()
        self.requests += 1
        replies = firehose.Replies(self, did)
        last = seq
        start = seq if seq is not None else 0 if own else None
        for event in firehose.read(self.client, url, start, reading,
                                   idle=STREAM_IDLE, limit=STREAM_LIMIT):
            if event.type == "#info" and event.body.get("name") == "OutdatedCursor":
                self.result.problem(url, (
                    f"the stream no longer holds the events after seq {seq}: replies made "
                    "meanwhile may be missing" if seq is not None else "the stream holds "
                    "only its recent events: older replies are not captured") +
                    f" ({event.body.get('message')})")
            elif event.type == "#commit" and event.body.get("repo") != did:
                replies.commit(event, url)
            last = event.seq if event.seq is not None else last
        replies.finish()
        if reading.timed_out:
            self.result.problem(url, f"the stream was not caught up after {STREAM_LIMIT:.0f} "
                                "s; the next pass goes on from here")
        self.cursor["stream"] = {"url": url, "seq": last, "events": reading.events,
                                 "replies": replies.count, "caught_up": reading.caught_up}
