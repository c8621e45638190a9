"""The real-browser harness: an ASGI app served by uvicorn on 127.0.0.1 in a thread, and
Debian's Chromium launched by Playwright with no way off the machine.

The public archive's tests reuse both: `serve(app)` and `launch(playwright)`.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = "/usr/bin/chromium"
# The browser stays off the network: no background traffic, no updates, no sync, and every
# host name except loopback resolves to nothing, so not even a DNS query leaves.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
INSTALL = "sudo apt-get install chromium (or `make prerequisites`, which `make test` runs)"


def require_chromium() -> None:
    """Fail, naming the command that installs it, when Chromium is missing. Never a skip:
    tests of real peers fail without them (tests/test_layout.py), in CI and here alike."""
    if not os.access(CHROMIUM, os.X_OK):
        where = "CI" if os.environ.get("CI") == "true" else "this machine"
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}, missing on "
                    f"{where}: {INSTALL}", pytrace=False)


def launch(playwright):  # noqa: ANN001, ANN201 - a playwright.sync_api.Browser
    """Headless Chromium from Debian (Playwright downloads no browser here)."""
    require_chromium()
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)


@contextmanager
def serve(app, port: int = 0) -> Iterator[str]:  # noqa: ANN001
    """Serve `app` with uvicorn on 127.0.0.1 (a free port unless given) in a thread, for
    as long as the block runs; yields its base URL."""
    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="uvicorn-browser-tests")
    thread.start()
    started = threading.Event()
    for _ in range(400):
        if server.started or not thread.is_alive():
            break
        started.wait(0.025)
    if not server.started:
        sock.close()
        pytest.fail("uvicorn did not start on 127.0.0.1", pytrace=False)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
