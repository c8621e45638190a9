"""Keyboard-only use of the moderation queue in a real browser (Debian's Chromium, kept
off the network): tab to a comment's action form, log a hide with Enter, and land on the
next comment's heading; a refused action lands on its error message. And axe over every
page of the area (moderation, compliance, alerts, capture, users): no violation at WCAG
2.1 levels A and AA."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.server import serve
from tests.web.conftest import PASSWORD, deployment  # noqa: F401 - the fixture, for moderated
from tests.web.test_moderation_queue import CRITIC_ID, THREAT_ID, moderated  # noqa: F401


@pytest.fixture(autouse=True)
def lexical(monkeypatch):
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")


@pytest.fixture
def served(moderated) -> Iterator[str]:  # noqa: F811
    """The moderated deployment on a loopback port (the browser harness's server)."""
    with serve(moderated.app) as url:
        yield url


@pytest.fixture
def signed_in(chromium, served):  # noqa: ANN001, ANN201 - the session's Chromium
    """signed_in(username, target) -> a tab signed in through the form, on `target`;
    closed (with its context) after the test."""
    tabs = []

    def sign_in(username: str, target: str):  # noqa: ANN202
        tab = chromium.new_page()
        tabs.append(tab)
        tab.goto(f"{served}/login?next={target}")
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", PASSWORD)
        tab.press("input[name=password]", "Enter")
        tab.wait_for_url(f"{served}{target}")
        return tab
    yield sign_in
    for tab in tabs:
        tab.close()


@pytest.fixture
def page(signed_in):  # noqa: ANN001, ANN201
    return signed_in("moderator", "/moderation")


def focused(page) -> str:  # noqa: ANN001
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def tab_to(page, element_id: str, limit: int = 80) -> int:  # noqa: ANN001
    """Press Tab until `element_id` has focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page) == element_id:
            return presses
    raise AssertionError(f"Tab never reached #{element_id}")


def test_keyboard_hide_lands_on_the_next_comments_heading(page):
    tab_to(page, f"action-{THREAT_ID}")
    for expected in (f"clause-{THREAT_ID}", f"reason-{THREAT_ID}",
                     f"record-only-{THREAT_ID}"):
        page.keyboard.press("Tab")
        assert focused(page) == expected
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == \
        f"Log action on comment {THREAT_ID}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page) == f"comment-{CRITIC_ID}"
    assert "Logged action 1: hide of comment" in page.inner_text("#acted")
    # and on from there, the next comment's form is reached in reading order
    tab_to(page, f"action-{CRITIC_ID}", limit=10)


def test_keyboard_refusal_lands_on_the_error(page):
    tab_to(page, f"action-{CRITIC_ID}")
    page.keyboard.press("Tab")  # the clause: off topic, by typing
    page.keyboard.type("off")
    for _ in range(3):
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused(page) == f"error-{CRITIC_ID}"
    assert "needs a written reason" in page.inner_text(f"#error-{CRITIC_ID}")
    tab_to(page, f"reason-{CRITIC_ID}", limit=10)
    assert page.get_attribute(f"#reason-{CRITIC_ID}", "aria-invalid") == "true"


def test_every_page_of_the_area_passes_axe(signed_in, served, moderated):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    archive = moderated.archive
    archive.moderation.act(THREAT_ID, "hide", "user:moderator", clause="true_threats")
    archive.moderation.act(CRITIC_ID, "hide", "user:moderator", clause="off_topic",
                           reason="testing the report")
    archive.compliance.monitor("clerk")
    tab = signed_in("admin", "/moderation")
    axe = Axe()
    options = {"runOnly": {"type": "tag",
                           "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    admin = archive.users.by_name("admin").id
    for path in ("/moderation", "/moderation/log", "/moderation/report", "/compliance",
                 "/alerts", "/alerts?show=all", "/capture", "/users", f"/users/{admin}"):
        tab.goto(f"{served}{path}")
        found = axe.run(tab, options=options)
        assert found.response["testEngine"]["name"] == "axe-core"  # it ran
        assert found.violations_count == 0, f"{path}: {found.generate_report()}"
