"""The records pages in a real browser (Debian's Chromium, kept off the network): axe
finds no WCAG 2.1 A or AA violation on the dashboard, registry, search, record view,
policy and audit log, and no payload of the hostile items opens a dialog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.server import serve
from tests.web.conftest import (  # noqa: F401 - deployment, hostile: the fixtures
    PASSWORD, deployment, hostile, records_items)


@pytest.fixture
def served(hostile) -> Iterator[str]:  # noqa: F811
    """The deployment with the hostile records and a policy, on a loopback port (the
    browser harness's server)."""
    from civicarchive.policy import EXAMPLES
    hostile.archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    with serve(hostile.app) as url:
        yield url


@pytest.fixture
def tab(chromium):  # noqa: ANN001, ANN201 - a page of the session's Chromium
    context = chromium.new_context()
    yield context.new_page()
    context.close()


def test_records_pages_pass_axe_and_run_no_payload(tab, served, hostile):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    ids = records_items(hostile.archive)
    version = hostile.archive.reading.history(ids["400"])[-1].id
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
