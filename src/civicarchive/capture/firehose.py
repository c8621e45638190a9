"""The atproto event stream, `com.atproto.sync.subscribeRepos`, read from a cursor up to
now (what a PDS serves about its own repositories and a relay about the whole network),
and the replies to an account found in it (`Replies`, for capture/bluesky.py).

The stream never ends, so a pass reads it in a bounded way: from the event after the
cursor's `seq` until it has seen an event dated at or after the moment it connected (it
has caught up), or the server has been quiet for `idle` seconds (it has nothing more),
or `limit` seconds have passed (it is not caught up: the next pass goes on from there).

The websocket is opened through the pass's own `httpx.Client` (httpx-ws upgrades an
ordinary GET), so the SSRF guard in its transport checks the stream's address and pins
the connection as it does for every other request.

Each frame is two DAG-CBOR values, a header `{op, t}` and a body; an error frame
(`op` -1) ends the pass with CaptureFailed, naming the server's error.
"""

from __future__ import annotations

import dataclasses
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import libipld
from httpx_ws import HTTPXWSException, WebSocketDisconnect, WebSocketUpgradeError, connect_ws

from civicarchive.capture.failures import CaptureFailed, PlatformUnavailable, RateLimited
from civicarchive.clock import parse_time
from civicarchive.connectors.bluesky import POST, decode_record
from civicarchive.connectors.car import Repository
from civicarchive.errors import FetchRefused, InvalidInput
from civicarchive.model.record import Event as Change
from civicarchive.model.record import Kind, Observation

CAR = "application/vnd.ipld.car"

SUBSCRIBE = "/xrpc/com.atproto.sync.subscribeRepos"
MAX_FRAME_BYTES = 16 * 1024 * 1024   # a commit of 200 writes with its blocks fits well


@dataclass(frozen=True)
class Event:
    """One frame of the stream: its type (`#commit`, `#identity`, `#account`, `#sync`,
    `#info`...) and its body."""

    type: str
    body: dict

    @property
    def seq(self) -> int | None:
        seq = self.body.get("seq")
        return seq if isinstance(seq, int) else None


@dataclass
class Reading:
    """How a read of the stream ended."""

    events: int = 0
    caught_up: bool = False
    timed_out: bool = False


def stream_url(setting: str | None, server: str) -> str:
    """The subscribeRepos address: the setting as given (ws:// and wss:// as http:// and
    https://, which the upgrade starts from), or the PDS's own stream."""
    url = (setting or server).rstrip("/")
    if url.startswith("ws://") or url.startswith("wss://"):
        url = "http" + url[2:]
    return url if url.endswith(SUBSCRIBE) else url + SUBSCRIBE


def read(client: httpx.Client, url: str, cursor: int | None, reading: Reading, *,
         idle: float = 1.0, limit: float = 120.0,
         monotonic: Callable[[], float] = time.monotonic,
         wall: Callable[[], float] = time.time) -> Iterator[Event]:
    """The events after `cursor` (from the oldest the server keeps when None), up to
    now as the module docstring says; `reading` tells how it ended."""
    params = {} if cursor is None else {"cursor": cursor}
    connected_at = wall()
    deadline = monotonic() + limit
    try:
        with connect_ws(url, client, params=params,
                        max_message_size_bytes=MAX_FRAME_BYTES,
                        keepalive_ping_interval_seconds=None) as socket:
            while True:
                left = deadline - monotonic()
                if left <= 0:
                    reading.timed_out = True
                    return
                try:
                    data = socket.receive_bytes(timeout=min(idle, left))
                except queue.Empty:
                    if monotonic() >= deadline:
                        reading.timed_out = True
                    return
                event = _event(data, url)
                reading.events += 1
                yield event
                if _dated_after(event, connected_at):
                    reading.caught_up = True
                    return
    except WebSocketDisconnect:
        return   # the server closed the stream: what it sent is what there is
    except WebSocketUpgradeError as error:
        response = error.response
        failure = PlatformUnavailable if response.status_code >= 500 else CaptureFailed
        raise failure(f"{url}: the stream answered HTTP {response.status_code}, not a "
                      "websocket; check the stream URL", {"status": response.status_code,
                                                         "url": url}) from None
    except FetchRefused as refused:
        raise CaptureFailed(str(refused), {"url": url, "refused": refused.reason}) from None
    except (httpx.TransportError, HTTPXWSException) as error:
        raise PlatformUnavailable(f"{url}: the stream broke off ({type(error).__name__})",
                                  {"url": url, "error": type(error).__name__}) from None


def _event(data: bytes, url: str) -> Event:
    try:
        header, body = libipld.decode_dag_cbor_multi(data)
    except (ValueError, RecursionError, TypeError) as error:
        raise CaptureFailed(f"{url}: a frame of the stream is not two DAG-CBOR values "
                            f"({error}); is this a subscribeRepos stream?",
                            {"url": url}) from None
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise CaptureFailed(f"{url}: a frame's header or body is not a map", {"url": url})
    if header.get("op") == -1:
        raise CaptureFailed(f"{url}: the stream refused: {body.get('error')}: "
                            f"{body.get('message')}", {"url": url, "error": body.get("error"),
                                                       "message": body.get("message")})
    return Event(str(header.get("t") or ""), body)


def event_time(event: Event) -> datetime | None:
    """When the server says the event happened (its `time`), if it says so readably."""
    when = event.body.get("time")
    try:
        return parse_time(when) if isinstance(when, str) else None
    except ValueError:
        return None


def _dated_after(event: Event, moment: float) -> bool:
    when = event_time(event)
    return when is not None and when.timestamp() >= moment


class Replies:
    """Posts of other repositories, seen on the stream, that reply to the account; and
    the deletion of any post the archive holds.

    A reply whose commit does not verify with its author's key is a problem, never
    content, and the stream goes on; a directory that cannot be reached stops the pass
    (the next one reads the same events again). Deletions are kept only for posts the
    archive holds or this pass saw, asked of the archive PENDING at a time, so that a
    relay's stream of the whole network's deletions is never held at once.
    """

    PENDING = 500

    def __init__(self, run, did: str) -> None:  # noqa: ANN001
        self.run = run
        self.prefix = f"at://{did}/"
        # in stream order: (event time, observation, for a deletion its commit to check)
        self.seen: list[tuple[datetime | None, Observation, tuple | None]] = []
        self.created: set[str] = set()
        self.pending = 0
        self.count = 0

    def commit(self, event: Event, url: str) -> None:
        body = event.body
        author, ops = body.get("repo"), body.get("ops") or []
        posts = [op for op in ops if str(op.get("path", "")).startswith(f"{POST}/")]
        if not posts or not isinstance(author, str):
            return
        where = f"{url} seq {event.seq}"
        if body.get("tooBig"):
            self.run.result.problem(where, f"a commit of {author} too big to be sent whole; "
                                    "replies in it are not captured")
            return
        try:
            repo = Repository(body.get("blocks") or b"", where)
        except InvalidInput as error:
            self.run.result.problem(where, f"{error}; its replies are not captured")
            return
        when, checked, trails = event_time(event), False, None
        for op in posts:
            path, cid = op["path"], op.get("cid")
            if op.get("action") == "delete":
                self.seen.append((when, Observation(
                    account_id=self.run.job.account_id, native_id=f"at://{author}/{path}",
                    kind=Kind.COMMENT, observed_at=self.run.job.observed_at, content=None,
                    raw=body.get("blocks") or b"", raw_media_type=CAR, event=Change.DELETED),
                    (repo, author, where)))
                self.pending += 1
                continue
            if not self.replies(repo.block(cid) if isinstance(cid, bytes) else None):
                continue
            if not checked:
                if not self.checked(repo, author, where):
                    return
                checked = True
            if trails is None:   # where each record sits in the tree: one walk per commit
                trails = {key: t for key, _, t in repo.leaves(self.run.context, partial=True)}
            collection, _, rkey = path.partition("/")
            found = self.run.observe(repo, author, collection, rkey, cid,
                                     trails.get(path, ()), where)
            if found is not None:
                self.seen.append((when, dataclasses.replace(found, kind=Kind.COMMENT), None))
                self.created.add(found.native_id)
                self.count += 1
        if self.pending >= self.PENDING:
            self.prune()

    def checked(self, repo: Repository, author: str, where: str) -> bool:
        """Whether the commit verifies with its author's key; a problem when not."""
        try:
            self.run.check(repo, self.run.identity(author), where)
        except (PlatformUnavailable, RateLimited):
            raise
        except CaptureFailed as refused:
            self.run.result.problem(where, f"{refused}; not captured")
            return False
        return True

    def replies(self, block: bytes | None) -> bool:
        """Whether a post's record replies to one of the account's records."""
        try:
            record = decode_record(block) if block is not None else {}
        except (ValueError, RecursionError):
            return False
        reply = record.get("reply")
        if not isinstance(reply, dict):
            return False
        return any(isinstance(end, dict) and str(end.get("uri") or "").startswith(self.prefix)
                   for end in (reply.get("parent"), reply.get("root")))

    def prune(self) -> None:
        """Drop the deletions of posts neither the archive nor this pass holds; check
        the commits of the others."""
        asked = {o.native_id for _, o, commit in self.seen if commit is not None}
        held = (self.run.known(asked) if asked else set()) | self.created
        kept = []
        for when, observation, commit in self.seen:
            if commit is not None:
                if observation.native_id not in held:
                    continue
                repo, author, where = commit
                if not self.checked(repo, author, where):
                    continue
            kept.append((when, observation, None))
        self.seen, self.pending = kept, 0

    def finish(self) -> None:
        """The observations, in the stream's order, each dated by its event but never
        after the pass (clocks differ) and a microsecond after the one before at least."""
        self.prune()
        end, previous = self.run.job.observed_at, None
        for position, (when, observation, _) in enumerate(self.seen):
            latest = end - timedelta(microseconds=len(self.seen) - position)
            moment = min(when or latest, latest)
            if previous is not None and moment <= previous:
                moment = previous + timedelta(microseconds=1)
            previous = moment
            self.run.result.observations.append(dataclasses.replace(observation,
                                                                    observed_at=moment))
