"""`civicarchive serve` as an engineer runs it: its own uvicorn process on 127.0.0.1,
stopped by SIGTERM, and the proxies it believes about who is asking."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.public.conftest import SLUG, build

CLI = Path(sys.executable).parent / "civicarchive"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """An archive whose adopted policy publishes the open archive and its request form."""
    home = tmp_path_factory.mktemp("serve") / "home"
    build(home).archive.close()
    return home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    def __init__(self, home: Path, log: Path, *options: str) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [str(CLI), "--home", str(home), "serve", "--port", str(port),
                 "--log-level", "WARNING", *options], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"serve did not answer: {log.read_text()}"
            time.sleep(0.2)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def test_serve_answers_on_loopback_and_stops_cleanly_on_sigterm(home, tmp_path):
    served = Served(home, tmp_path / "serve.log")
    try:
        listing = httpx.get(f"{served.url}/public/")
        assert listing.status_code == 200 and f"/public/{SLUG}" in listing.text
        assert "object-src 'none'" in listing.headers["content-security-policy"]
        assert httpx.get(f"{served.url}/api/v1/openapi.json").json()["openapi"]
    finally:
        code = served.stop()
    assert code == 0, served.log.read_text()
    assert "Traceback" not in served.log.read_text()


def _ask(client: httpx.Client, forwarded_for: str) -> int:
    form = client.get(f"/public/{SLUG}/requests/new")
    token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post(f"/public/{SLUG}/requests", headers={"X-Forwarded-For": forwarded_for},
                       data={"requester": "A. Resident", "contact": "a@example.org",
                             "description": "Budget comments", "csrf_token": token}
                       ).status_code


@pytest.mark.parametrize("believed", [True, False])
def test_the_request_forms_limit_is_per_address_behind_a_proxy_it_is_told_of(home, tmp_path,
                                                                             believed):
    # Behind a proxy every request comes from the proxy: believed, the address it forwards
    # is the one limited (five an hour); not believed, all share the proxy's limit.
    proxy = "127.0.0.1" if believed else "192.0.2.1"  # (this test's client is 127.0.0.1)
    served = Served(home, tmp_path / "serve.log", "--forwarded-allow-ips", proxy)
    try:
        with httpx.Client(base_url=served.url) as client:
            assert [_ask(client, "203.0.113.5") for _ in range(5)] == [201] * 5
            assert _ask(client, "203.0.113.5") == 429
            assert _ask(client, "198.51.100.7") == (201 if believed else 429)
    finally:
        assert served.stop() == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_links_the_feed_to_its_public_url_in_every_worker(home, tmp_path, workers):
    served = Served(home, tmp_path / "serve.log", "--workers", workers,
                    "--public-url", "https://records.example.gov/")
    try:
        feed = httpx.get(f"{served.url}/public/{SLUG}/feed.atom",
                         headers={"Host": "evil.example"})
        assert feed.status_code == 200 and "evil.example" not in feed.text
        assert f'href="https://records.example.gov/public/{SLUG}/feed.atom"' in feed.text
    finally:
        assert served.stop() == 0


def test_serve_refuses_a_public_url_that_is_no_web_address(home):
    done = subprocess.run([str(CLI), "--home", str(home), "serve", "--port", "0",
                           "--public-url", "records.example.gov"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "public URL 'records.example.gov'" in done.stderr
    assert "Traceback" not in done.stderr
