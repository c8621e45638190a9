"""The reference Bluesky PDS, run locally: @atproto/pds with an in-memory PLC directory
(@did-plc/server), started by scripts/pds/launcher.js from the modules `make pds`
installs into .pds/ (`make test` does it first).

Both servers listen on 127.0.0.1 only, on a free port, with a fresh data folder; the
launcher runs in a process group of its own, which `stop` ends (SIGTERM, then SIGKILL),
so nothing is left running. When the PDS cannot start, the test fails, saying why: a test
of a real server never skips.

    with LocalPds.start(tmp_path) as pds:
        agency = pds.account("agency")           # createAccount
        post = agency.client.send_post("Hi", profile_identify=agency.did)
"""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from atproto import Client, models
from atproto_core.did_doc import DidDocument

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / ".pds" / "node_modules"
LAUNCHER = ROOT / "scripts" / "pds" / "launcher.js"
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Account:
    """An account on the local PDS and an atproto client logged in as it."""

    handle: str
    did: str
    password: str
    client: Client

    def post(self, text: str, reply_to=None, root=None):  # noqa: ANN001
        """A post (a reply when `reply_to`, a post's uri and cid, is given): its uri and
        cid."""
        reply = None
        if reply_to is not None:
            reply = models.AppBskyFeedPost.ReplyRef(parent=models.create_strong_ref(reply_to),
                                                    root=models.create_strong_ref(root or
                                                                                  reply_to))
        return self.client.send_post(text, profile_identify=self.did, reply_to=reply)


class LocalPds:
    def __init__(self, process: subprocess.Popen, url: str, plc: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.plc = plc
        self.log = log
        self.http = httpx.Client(timeout=60, trust_env=False)

    @classmethod
    def start(cls, folder: Path) -> LocalPds:
        """A PDS and PLC on 127.0.0.1, answering `_health`; pytest.fail when not."""
        if not (MODULES / "@atproto" / "pds").is_dir():
            pytest.fail(f"the reference PDS is not installed in {MODULES.parent}: run "
                        "`make pds` (make test does it)")
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {**os.environ,
               "PDS_MODULES": str(MODULES), "PDS_HOSTNAME": "localhost", "PDS_PORT": str(port),
               "PDS_DATA_DIRECTORY": str(folder / "data"),
               "PDS_BLOBSTORE_DISK_LOCATION": str(folder / "blobs"),
               "PDS_JWT_SECRET": secrets.token_hex(16),
               "PDS_ADMIN_PASSWORD": secrets.token_hex(16),
               "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": secrets.token_hex(32),
               "PDS_DEV_MODE": "true", "PDS_INVITE_REQUIRED": "false",
               "PDS_RATE_LIMITS_ENABLED": "false", "PDS_CRAWLERS": "",
               "LOG_ENABLED": "false"}
        (folder / "data").mkdir(exist_ok=True)
        log = folder / "launcher.log"
        with open(log, "wb") as errors:
            process = subprocess.Popen(["node", str(LAUNCHER)], env=env, cwd=folder,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=errors, start_new_session=True)
        line = b""
        deadline = time.monotonic() + START_SECONDS
        while b"\n" not in line and time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:
                line += os.read(process.stdout.fileno(), 4096)
        if b"\n" not in line:
            _end(process)
            pytest.fail(f"the reference PDS did not start within {START_SECONDS} s: "
                        f"{log.read_text(errors='replace')[-2000:]}")
        ready = json.loads(line.split(b"\n")[0])
        pds = cls(process, ready["pds"], ready["plc"], log)
        pds.wait_healthy(deadline)
        return pds

    def wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if self.http.get(f"{self.url}/xrpc/_health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the reference PDS at {self.url} never answered /xrpc/_health")

    def stop(self) -> None:
        self.http.close()
        _end(self.process)

    def __enter__(self) -> LocalPds:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- accounts ------------------------------------------------------------------------

    def account(self, name: str) -> Account:
        """A new account `<name>.test` (createAccount), logged in with the atproto client
        (no AppView here: no profile fetched)."""
        handle, password = f"{name}.test", secrets.token_hex(12)
        response = self.http.post(f"{self.url}/xrpc/com.atproto.server.createAccount",
                                  json={"handle": handle, "email": f"{name}@example.com",
                                        "password": password})
        assert response.status_code == 200, response.text
        client = Client(base_url=self.url)
        client.login(handle, password, fetch_bsky_profile=False)
        return Account(handle, response.json()["did"], password, client)

    def key(self, did: str) -> str:
        """The #atproto key the PLC directory gives for `did`, as a did:key."""
        return DidDocument.from_dict(self.http.get(f"{self.plc}/{did}").json()).get_did_key()


def _end(process: subprocess.Popen) -> None:
    """End the launcher's process group: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        except ProcessLookupError:
            pass
    for stream in (process.stdin, process.stdout):
        if stream:
            stream.close()
