"""The atproto event stream, `com.atproto.sync.subscribeRepos`, read from a cursor up to
now: what a PDS serves about its own repositories and a relay about the whole network.

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

import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import libipld
from httpx_ws import HTTPXWSException, WebSocketDisconnect, WebSocketUpgradeError, connect_ws

from civicarchive.capture.failures import CaptureFailed, PlatformUnavailable
from civicarchive.clock import parse_time
from civicarchive.errors import FetchRefused

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
