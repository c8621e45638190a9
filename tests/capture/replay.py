"""A Mastodon server made of recorded traffic: the VCR cassettes in
/work/shared/fixtures/mastodon-api/, recorded against a real Mastodon server by the
Mastodon.py test suite, replayed through an httpx.MockTransport (or a loopback server).

What the cassettes hold is served as recorded, byte for byte: `accounts/lookup`, single
statuses, `statuses/:id/history`, the 404 for a missing status, the rate-limit headers.
What they lack is built from their own shapes and marked so: `accounts/:id/statuses`
(the recorded statuses of the account, paged with Link headers in the form the recorded
timelines use), a context with descendants (the recorded reply), and media files (bytes
of our own). Tests change the server's state (a status deleted, edited, a failure) and
capture again.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import yaml

CASSETTES = Path("/work/shared/fixtures/mastodon-api")
SERVER = "http://localhost:3000"
AGENCY = "117020566092212359"      # mastodonpy_test_2: 200 public statuses, an edit, a reply
OTHER = "117020565966271181"       # mastodonpy_test: public, unlisted and direct statuses
EDITED = "117020586180926938"      # edited once; its history is recorded
REPLIED = "117020583245459824"     # "Toot, finally!", answered by admin
REPLY = "117020583258292382"       # admin's reply to it


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: dict[str, str]
    body: bytes


def _headers(recorded: dict) -> dict[str, str]:
    return {name: values[0] for name, values in recorded.items()
            if name not in ("content-length", "transfer-encoding", "content-encoding")}


@functools.cache
def cassettes() -> tuple[dict, dict, dict]:
    """(GET responses by path and query, the latest recorded body of each status by id,
    the account entities by id), from every cassette."""
    if not CASSETTES.exists():
        pytest.fail(f"the recorded Mastodon traffic is not at {CASSETTES}: the capture tests "
                    "replay it (see tests/capture/replay.py)")
    gets: dict[str, Recorded] = {}
    statuses: dict[str, bytes] = {}
    accounts: dict[str, dict] = {}
    for path in sorted(CASSETTES.glob("*.yaml")):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            request, response = interaction["request"], interaction["response"]
            body = response["body"].get("string", "")
            body = body.encode("utf-8") if isinstance(body, str) else body
            url = urlparse(request["uri"])
            recorded = Recorded(response["status"]["code"], _headers(response["headers"]), body)
            if request["method"] == "GET":
                gets[url.path + ("?" + url.query if url.query else "")] = recorded
            if recorded.status != 200 or not body.startswith(b"{"):
                continue
            entity = json.loads(body)
            if "uri" in entity and "account" in entity and request["method"] != "DELETE":
                statuses[entity["id"]] = body
                accounts[entity["account"]["id"]] = entity["account"]
    return gets, statuses, accounts


def rate_headers() -> dict[str, str]:
    gets, _, _ = cassettes()
    recorded = gets["/api/v1/statuses/0"]
    return {k: v for k, v in recorded.headers.items() if k.startswith(("x-ratelimit", "content-"))}


@dataclass
class MastodonReplay:
    """The server's state; `handler` answers requests from it."""

    account_id: str = AGENCY
    statuses: dict[str, bytes] = field(default_factory=dict)   # id -> body, this account's
    contexts: dict[str, list[str]] = field(default_factory=dict)  # id -> descendant ids
    others: dict[str, bytes] = field(default_factory=dict)      # statuses of other accounts
    gone: set[str] = field(default_factory=set)
    failures: list[Recorded] = field(default_factory=list)      # answered first, in order
    media: dict[str, bytes] = field(default_factory=dict)       # path -> bytes
    log: list[httpx.Request] = field(default_factory=list)
    base: str = SERVER
    moved_to: str | None = None   # a host the API redirects every request to (and answers)

    @classmethod
    def agency(cls, account_id: str = AGENCY, **kwargs) -> MastodonReplay:
        _, statuses, _ = cassettes()
        own = {i: b for i, b in statuses.items() if json.loads(b)["account"]["id"] == account_id}
        others = {i: b for i, b in statuses.items() if i not in own}
        replay = cls(account_id, own, others=others, **kwargs)
        if REPLIED in own:
            # The recorded answer to deleting it counts the reply: replies_count 1.
            replay.edit(REPLIED, replies_count=1)
            replay.contexts[REPLIED] = [REPLY]
        return replay

    # -- changing the server ------------------------------------------------------------

    def delete(self, status_id: str) -> None:
        self.gone.add(status_id)

    def edit(self, status_id: str, **fields) -> None:
        entity = json.loads(self.statuses[status_id])
        entity.update(fields)
        self.statuses[status_id] = json.dumps(entity, separators=(",", ":")).encode()

    def fail(self, status: int, body: bytes = b'{"error":"failure"}', **headers: str) -> None:
        self.failures.append(Recorded(status, {"content-type": "application/json", **{
            k.replace("_", "-"): v for k, v in headers.items()}}, body))

    def account_entity(self) -> dict:
        _, _, accounts = cassettes()
        return accounts[self.account_id]

    # -- answering ----------------------------------------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        if self.moved_to and request.url.host != self.moved_to:
            return httpx.Response(301, headers={
                "location": str(request.url.copy_with(host=self.moved_to))})
        status, headers, body = self.answer(request.method, request.url.path,
                                            parse_qs(request.url.query.decode()))
        return httpx.Response(status, headers=headers, content=body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def client(self, **options) -> httpx.Client:
        return httpx.Client(transport=self.transport(), **options)

    def answer(self, method: str, path: str, query: dict) -> tuple[int, dict, bytes]:
        gets, _, _ = cassettes()
        if self.failures:
            failure = self.failures.pop(0)
            return failure.status, failure.headers, failure.body
        if path in self.media:
            return 200, {"content-type": "video/mp4"}, self.media[path]
        if path == "/api/v1/accounts/lookup":
            acct = query.get("acct", [""])[0]
            recorded = gets.get(f"{path}?acct={acct}")
            if recorded:
                return recorded.status, recorded.headers, recorded.body
            if acct == self.account_entity()["acct"]:
                return self._json(self.account_entity())
            return self._missing()
        match = re.fullmatch(r"/api/v1/accounts/(\d+)(/statuses)?", path)
        if match:
            if match[1] != self.account_id:
                return self._missing()
            if not match[2]:
                return self._json(self.account_entity())
            return self._page(query)
        match = re.fullmatch(r"/api/v1/statuses/(\d+)(/history|/context)?", path)
        if match:
            status_id, part = match[1], match[2]
            body = self.statuses.get(status_id) or self.others.get(status_id)
            if body is None or status_id in self.gone:
                return self._missing()
            if part == "/history":
                recorded = gets.get(path)
                if recorded:
                    return recorded.status, recorded.headers, recorded.body
                return 200, rate_headers(), b"[" + body + b"]"
            if part == "/context":
                descendants = [self.others.get(i) or self.statuses[i]
                               for i in self.contexts.get(status_id, []) if i not in self.gone]
                return 200, rate_headers(), \
                    b'{"ancestors":[],"descendants":[' + b",".join(descendants) + b"]}"
            return 200, rate_headers(), body
        return 404, {"content-type": "application/json"}, b'{"error":"Not Found"}'

    def _json(self, entity: dict) -> tuple[int, dict, bytes]:
        return 200, rate_headers(), json.dumps(entity, separators=(",", ":")).encode()

    def _missing(self) -> tuple[int, dict, bytes]:
        gets, _, _ = cassettes()
        recorded = gets["/api/v1/statuses/0"]   # the recorded 404 of a missing status
        return recorded.status, recorded.headers, recorded.body

    def _page(self, query: dict) -> tuple[int, dict, bytes]:
        """Newest first, bounded by max_id / since_id, `limit` long, with Link headers."""
        limit = int(query.get("limit", ["20"])[0])
        ids = sorted((i for i in self.statuses if i not in self.gone), key=int, reverse=True)
        if "max_id" in query:
            ids = [i for i in ids if int(i) < int(query["max_id"][0])]
        if "since_id" in query:
            ids = [i for i in ids if int(i) > int(query["since_id"][0])]
        page = ids[:limit]
        headers = rate_headers()
        if page:
            here = f"{self.base}/api/v1/accounts/{self.account_id}/statuses?limit={limit}"
            headers["link"] = (f'<{here}&max_id={page[-1]}>; rel="next", '
                               f'<{here}&min_id={page[0]}>; rel="prev"')
        return 200, headers, b"[" + b",".join(self.statuses[i] for i in page) + b"]"


def status(replay: MastodonReplay, status_id: str) -> dict:
    return json.loads(replay.statuses.get(status_id) or replay.others[status_id])


Answer = Callable[[str, str, dict], tuple[int, dict, bytes]]
