"""The records pages in a real browser (Debian's Chromium, kept off the network): axe
finds no WCAG 2.1 A or AA violation on the dashboard, registry, search, record view,
policy and audit log, and no payload of the hostile items opens a dialog."""

from __future__ import annotations

import threading

import pytest
import uvicorn

from tests.web.conftest import PASSWORD, records_items

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--no-default-browser-check",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
pytestmark = pytest.mark.slow


@pytest.fixture
def served(hostile):
    """The app on a loopback port, in a thread."""
    from civicarchive.policy import EXAMPLES
    hostile.archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    server = uvicorn.Server(uvicorn.Config(hostile.app, host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


@pytest.fixture
def browser(chromium):  # noqa: ANN001, ANN201 - one Playwright per process (tests/conftest.py)
    return chromium


def test_records_pages_pass_axe_and_run_no_payload(browser, served, hostile):
    from axe_playwright_python.sync_playwright import Axe
    ids = records_items(hostile.archive)
    version = hostile.archive.reading.history(ids["400"])[-1].id
    tab = browser.new_page()
    dialogs = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(f"{served}/login?next=/")
    tab.fill("input[name=username]", "records_officer")
    tab.fill("input[name=password]", PASSWORD)
    tab.press("input[name=password]", "Enter")
    tab.wait_for_url(f"{served}/")
    axe = Axe()
    options = {"runOnly": {"type": "tag",
                           "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    for path in ("/", "/accounts", "/accounts/1", "/people", "/people/1",
                 "/search?q=zoning", "/search?q=hostile", f"/records/{ids['400']}",
                 f"/records/{ids['401']}", f"/records/{ids['400']}/versions/{version}/verify",
                 "/policy", "/audit"):
        tab.goto(f"{served}{path}")
        found = axe.run(tab, options=options)
        assert found.response["testEngine"]["name"] == "axe-core"  # it ran
        assert found.violations_count == 0, f"{path}: {found.generate_report()}"
    assert dialogs == []
