"""Moderation actions carried out on a platform, where its API offers them:

| platform | action | request |
|---|---|---|
| facebook | hide, unhide a comment | `POST /{comment-id}` with `is_hidden=true` / `false` (Graph API) |
| instagram | hide, unhide a comment | `POST /{comment-id}` with `hide=true` / `false` (Graph API) |
| bluesky | hide, unhide a reply | the thread's threadgate (`app.bsky.feed.threadgate`, rkey of the root post) rewritten with the reply's URI added to or taken from `hiddenReplies`, its other rules kept, with `com.atproto.repo.putRecord` in a session opened with the app password |

Every other action (a deletion, a block, any action on another platform) is recorded
only: the moderator carries it out on the platform by hand. Deleting is left to people on
purpose even where Graph could do it: the comment stays in the archive either way, and a
deletion cannot be undone on the platform.

Pure of the store: the caller hands it the comment's native id (and on Bluesky the
thread's root post's), the account's API base URL (Graph; the PDS) and token (the app
password on Bluesky), and records what it answers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import httpx

from civicarchive.capture import bluesky
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.graph import Graph
from civicarchive.errors import FetchRefused

RECORDED_ONLY = "recorded only: the platform offers no API for this action"

# (platform, action) -> (the form field, its value)
_GRAPH_ACTIONS = {
    ("facebook", "hide"): ("is_hidden", "true"), ("facebook", "unhide"): ("is_hidden", "false"),
    ("instagram", "hide"): ("hide", "true"), ("instagram", "unhide"): ("hide", "false"),
}


class Outcome(enum.StrEnum):
    CARRIED_OUT = "carried out"
    RECORDED_ONLY = "recorded only"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str


THREADGATE = "app.bsky.feed.threadgate"
_BLUESKY_ACTIONS = {("bluesky", "hide"), ("bluesky", "unhide")}


def supported(platform: str, action: str) -> bool:
    """Whether civicarchive carries out this action on this platform."""
    return (platform, action) in _GRAPH_ACTIONS or (platform, action) in _BLUESKY_ACTIONS


def carry_out(platform: str, action: str, native_id: str, client: httpx.Client,
              token: str | None, now: datetime, base_url: str | None = None,
              thread: str | None = None) -> Result:
    """Carry the action out on the platform: CARRIED_OUT with what the platform answered,
    FAILED with why (the token scrubbed out), or RECORDED_ONLY when no API is used.
    `thread`: on Bluesky, the URI of the post at the root of the reply's thread."""
    if not supported(platform, action):
        return Result(Outcome.RECORDED_ONLY, RECORDED_ONLY)
    if platform == "bluesky":
        try:
            return _threadgate(action, native_id, thread, client, token, now, base_url)
        except (CaptureFailed, FetchRefused, httpx.HTTPError) as failed:
            return Result(Outcome.FAILED, f"the platform refused: {_scrubbed(failed, token)}")
    field, value = _GRAPH_ACTIONS[(platform, action)]
    graph = Graph(client, token, now, base_url)
    try:
        response = graph.post(f"/{native_id}", {field: value})
    except CaptureFailed as failed:
        return Result(Outcome.FAILED, f"the platform refused: {failed}")
    return Result(Outcome.CARRIED_OUT, f"POST /{native_id} {field}={value}: "
                                       f"{graph.scrub(response.text)[:200]}")


def _threadgate(action: str, reply: str, thread: str | None, client: httpx.Client,
                password: str | None, now: datetime, server: str | None) -> Result:
    """Add the reply to (hide) or take it from (unhide) the root post's threadgate."""
    root = bluesky._parts(thread or "")
    if root is None or not server or not password:
        return Result(Outcome.FAILED, "the reply's thread root, the PDS URL or the app "
                                      "password is missing: capture the thread and store "
                                      "the app password first")
    did, _, rkey = root
    server = server.rstrip("/")
    session = bluesky.create_session(client, server, did, password)
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}
    try:
        found = client.get(f"{server}/xrpc/com.atproto.repo.getRecord", headers=auth,
                           params={"repo": did, "collection": THREADGATE, "rkey": rkey})
        if found.status_code == 200:
            gate = dict(found.json()["value"])
        elif found.status_code == 400 and "RecordNotFound" in found.text:
            gate = {"$type": THREADGATE, "post": thread,
                    "createdAt": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        else:
            raise CaptureFailed(f"reading the threadgate: HTTP {found.status_code}")
        hidden = [uri for uri in gate.get("hiddenReplies", []) if uri != reply]
        if action == "hide":
            hidden.append(reply)
        gate["hiddenReplies"] = hidden
        put = client.post(f"{server}/xrpc/com.atproto.repo.putRecord", headers=auth,
                          json={"repo": did, "collection": THREADGATE, "rkey": rkey,
                                "record": gate})
        if put.status_code != 200:
            raise CaptureFailed(f"writing the threadgate: HTTP {put.status_code} "
                                f"{put.text[:200]}")
    finally:
        if session.get("refreshJwt"):
            try:
                client.post(f"{server}/xrpc/com.atproto.server.deleteSession",
                            headers={"Authorization": f"Bearer {session['refreshJwt']}"})
            except (httpx.HTTPError, FetchRefused):
                pass  # the session expires by itself
    return Result(Outcome.CARRIED_OUT, f"threadgate of {thread}: {len(hidden)} hidden "
                                       f"repl{'y' if len(hidden) == 1 else 'ies'} "
                                       f"(putRecord {put.json().get('uri', '')})")


def _scrubbed(error: Exception, token: str | None) -> str:
    text = str(error)
    return text.replace(token, "[token]") if token else text
