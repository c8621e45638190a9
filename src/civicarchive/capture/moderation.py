"""Moderation actions carried out on a platform, where its API offers them:

| platform | action | request |
|---|---|---|
| facebook | hide, unhide a comment | `POST /{comment-id}` with `is_hidden=true` / `false` (Graph API) |
| instagram | hide, unhide a comment | `POST /{comment-id}` with `hide=true` / `false` (Graph API) |

Every other action (a deletion, a block, any action on another platform) is recorded
only: the moderator carries it out on the platform by hand. Deleting is left to people on
purpose even where Graph could do it: the comment stays in the archive either way, and a
deletion cannot be undone on the platform.

Pure of the store: the caller hands it the comment's native id, the account's Graph
base URL and token, and records what it answers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import httpx

from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.graph import Graph

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


def supported(platform: str, action: str) -> bool:
    """Whether civicarchive carries out this action on this platform."""
    return (platform, action) in _GRAPH_ACTIONS


def carry_out(platform: str, action: str, native_id: str, client: httpx.Client,
              token: str | None, now: datetime, base_url: str | None = None) -> Result:
    """Carry the action out on the platform: CARRIED_OUT with what the platform answered,
    FAILED with why (the token scrubbed out), or RECORDED_ONLY when no API is used."""
    if not supported(platform, action):
        return Result(Outcome.RECORDED_ONLY, RECORDED_ONLY)
    field, value = _GRAPH_ACTIONS[(platform, action)]
    graph = Graph(client, token, now, base_url)
    try:
        response = graph.post(f"/{native_id}", {field: value})
    except CaptureFailed as failed:
        return Result(Outcome.FAILED, f"the platform refused: {failed}")
    return Result(Outcome.CARRIED_OUT, f"POST /{native_id} {field}={value}: "
                                       f"{graph.scrub(response.text)[:200]}")
