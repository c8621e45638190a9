"""A real OpenID provider, run locally: panva's oidc-provider (OpenID-certified), started by
scripts/oidc/server.mjs from the modules `make oidc` installs into .oidc/ (`make test` does
it first).

It listens on 127.0.0.1 only, on a free port, in a process group of its own that `stop`
ends. Its accounts, client secret and passwords are made fresh for each test session.
Without .oidc/ the tests fail, naming the command that installs it: a test of a real
server never skips (tests/test_layout.py), in CI or elsewhere.

    def test_x(oidc):
        query = oidc.sign_in(authorization_url, "clerk")   # the provider's login form,
                                                            # posted as a browser would
"""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from civicarchive.settings import SsoSettings

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / ".oidc" / "node_modules"
SERVER = ROOT / "scripts" / "oidc" / "server.mjs"
START_SECONDS = 30
CLIENT_ID = "civicarchive"
OTHER_CLIENT_ID = "another-app"  # a second application at the same provider
# Where the app under test receives the provider's answer: the host of the web tests'
# in-process TestClient (tests/web/conftest.py); the tests that only drive the flow never
# load it.
REDIRECT_URI = "http://127.0.0.1/login/sso/callback"
ROLES_CLAIM = "civicarchive_roles"
AGENCY_CLAIM = "civicarchive_agency"

# The test accounts: (username, display name, the roles claim's values, agency claim),
# in the agencies of the web tests' deployment (tests/web/conftest.py)
PEOPLE = (
    ("clerk", "Clara Clerk", ["records_officer"], "city-of-example"),
    ("counsel", "Cole Counsel", ["legal", "audit"], "city-of-example"),
    ("visitor", "Vic Visitor", ["guest"], "city-of-example"),
    ("nobody", "Nora Nobody", [], None),
    ("countyclerk", "Cora County", ["records_officer"], "county-of-other"),
)
ROLE_MAP = {"records_officer": "records_officer", "legal": "attorney", "audit": "auditor",
            "it-admins": "admin"}


@dataclass
class OidcProvider:
    """The running provider: its issuer, the civicarchive client and the accounts."""

    issuer: str
    client_secret: str
    other_client_secret: str
    passwords: dict[str, str]
    subjects: dict[str, str]
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)
    # A port kept for an app served for real (uvicorn, a browser test), whose callback the
    # provider also admits: live_redirect_uri
    app_port: int = 0
    client_id: str = CLIENT_ID
    redirect_uri: str = REDIRECT_URI

    @property
    def live_redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.app_port}/login/sso/callback"

    def settings(self, **changes) -> SsoSettings:
        """SSO settings for this provider, as an administrator would write them."""
        values = dict(issuer=self.issuer, client_id=self.client_id,
                      client_secret=self.client_secret,
                      scopes=("openid", "profile", "email", "civicarchive"),
                      role_claim=ROLES_CLAIM, role_map=dict(ROLE_MAP), agency_claim=AGENCY_CLAIM)
        return SsoSettings(**(values | changes))

    def sign_in(self, authorization_url: str, username: str, password: str | None = None,
                redirect_uri: str | None = None) -> dict[str, str]:
        """Follow `authorization_url` through the provider's login form, as a browser
        without script would, up to the redirect back to the client: that redirect's
        query (code, state, iss; or error)."""
        back = redirect_uri or self.redirect_uri
        password = self.passwords[username] if password is None else password
        with httpx.Client(trust_env=False, timeout=30) as browser:
            response = browser.get(authorization_url)
            for _ in range(10):
                if response.status_code in (302, 303):
                    location = urljoin(str(response.url), response.headers["location"])
                    if location.startswith(back):
                        return dict(parse_qsl(urlsplit(location).query))
                    response = browser.get(location)
                elif response.status_code == 200 and 'name="password"' in response.text:
                    action = re.search(r'<form method="post" action="([^"]+)"', response.text)
                    response = browser.post(urljoin(str(response.url), action.group(1)),
                                            data={"username": username, "password": password})
                else:
                    raise AssertionError(f"the provider answered {response.status_code}: "
                                         f"{response.text[:500]}")
        raise AssertionError("the provider never redirected back to the client")

    def stop(self) -> None:
        _end(self.process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_provider(folder: Path) -> OidcProvider:
    """The provider on 127.0.0.1 with fresh secrets, once its discovery document answers."""
    if not (MODULES / "oidc-provider").is_dir():
        pytest.fail(f"the OpenID provider is not installed in {MODULES.parent}: run "
                    "`make oidc` (make test does it)")
    folder.mkdir(parents=True, exist_ok=True)
    passwords = {name: secrets.token_urlsafe(12) for name, *_ in PEOPLE}
    subjects = {name: f"sub-{secrets.token_hex(6)}" for name, *_ in PEOPLE}
    secret, other_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    app_port = free_port()
    accounts = []
    for name, display, roles, agency in PEOPLE:
        claims = {"preferred_username": name, "name": display, "email": f"{name}@example.org",
                  "email_verified": True, ROLES_CLAIM: roles}
        if agency:
            claims[AGENCY_CLAIM] = agency
        accounts.append({"sub": subjects[name], "password": passwords[name], "claims": claims})
    directory = folder / "accounts.json"
    directory.write_text(json.dumps({
        "scopes": {"civicarchive": [ROLES_CLAIM, AGENCY_CLAIM]},
        "accounts": accounts,
        "clients": [{"client_id": OTHER_CLIENT_ID, "client_secret": other_secret,
                     "redirect_uris": [REDIRECT_URI], "response_types": ["code"],
                     "grant_types": ["authorization_code"]}]}))
    env = {**os.environ, "OIDC_PORT": "0", "OIDC_ACCOUNTS": str(directory),
           "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": secret,
           "OIDC_REDIRECT_URIS": f"{REDIRECT_URI} http://127.0.0.1:{app_port}/login/sso/callback",
           "OIDC_PROVIDER_MODULES": str(MODULES)}
    log = folder / "provider.log"
    with open(log, "wb") as errors:
        process = subprocess.Popen(["node", str(SERVER)], env=env, cwd=folder,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=errors, start_new_session=True)
    line = b""
    deadline = time.monotonic() + START_SECONDS
    while b"\n" not in line and time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line += os.read(process.stdout.fileno(), 4096)
    if b"\n" not in line:
        _end(process)
        pytest.fail(f"the OpenID provider did not start within {START_SECONDS} s: "
                    f"{log.read_text(errors='replace')[-2000:]}")
    issuer = json.loads(line.split(b"\n")[0])["issuer"]
    assert urlsplit(issuer).hostname == "127.0.0.1"
    provider = OidcProvider(issuer, secret, other_secret, passwords, subjects, process, log,
                            app_port)
    _wait_discovery(provider, deadline)
    return provider


def _wait_discovery(provider: OidcProvider, deadline: float) -> None:
    with httpx.Client(trust_env=False, timeout=5) as http:
        while time.monotonic() < deadline:
            try:
                answer = http.get(f"{provider.issuer}/.well-known/openid-configuration")
                if answer.status_code == 200 and answer.json()["issuer"] == provider.issuer:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    provider.stop()
    pytest.fail(f"the OpenID provider at {provider.issuer} never served its discovery "
                f"document: {provider.log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def oidc(tmp_path_factory):
    """The local OpenID provider, started once per test session (per xdist worker)."""
    provider = start_provider(tmp_path_factory.mktemp("oidc"))
    yield provider
    provider.stop()


def _end(process: subprocess.Popen) -> None:
    """End the provider's process group: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        except ProcessLookupError:
            pass
    if process.stdout:
        process.stdout.close()
