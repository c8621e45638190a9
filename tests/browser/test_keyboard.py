"""Keyboard-only use (Tab, Shift+Tab, Enter, Space, arrows, typing): signing in, searching
and opening a result, the record view's history and proof download, acting on a comment
in the moderation queue, and redacting a phrase and downloading the production. The focus
is visible at every stop, and the skip link is the first."""

from __future__ import annotations

import json

from tests.browser.keys import focused, press, skip_link_first, tab_to
from tests.web.conftest import PASSWORD


def keyboard_sign_in(page, username: str) -> None:  # noqa: ANN001
    page.goto("/login")
    skip_link_first(page)
    tab_to(page, "#username")
    page.keyboard.type(username)
    press(page, "Tab", "#password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, page.inner_text("main")


def test_sign_in_with_the_keyboard_only(page):
    keyboard_sign_in(page, "records_officer")
    assert page.inner_text("h1") == "Dashboard"
    # Shift+Tab goes back up through the navigation, its focus visible too.
    page.goto("/")
    tab_to(page, "form.signout button")
    tab_to(page, "header nav a[href='/']", backwards=True)


def test_every_main_page_starts_with_the_skip_link(browse):
    page = browse("admin")
    for path in ("/", "/login", "/no-such-page"):
        page.goto(path)
        skip_link_first(page)


def test_search_and_open_a_result_then_its_history_and_proof(page, live):
    keyboard_sign_in(page, "records_officer")
    tab_to(page, "header nav a[href='/search']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "input[name=q]")
    page.keyboard.type("zoning hearing")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=zoning" in page.url
    tab_to(page, ".hits a[href^='/records/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/records/" in page.url
    tab_to(page, ".history a[href*='/proof']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    proof = json.loads(open(download.value.path(), "rb").read())
    assert proof, "the proof file is empty"


def test_act_on_a_comment_in_the_moderation_queue(browse, live):
    page = browse("moderator")
    page.goto("/moderation")
    state = tab_to(page, "select[name=action]")
    item = int(state["what"].split("#action-")[1].split()[0])
    page.keyboard.type("hide")  # a select chooses the option its first letters name
    assert page.evaluate("() => document.activeElement.value") == "hide"
    tab_to(page, f"#record-only-{item}")
    page.keyboard.press("Space")
    assert page.is_checked(f"#record-only-{item}")
    tab_to(page, f"form[action='/moderation/{item}/act'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    logged = [row for row in live.archive.moderation.log() if row["item_id"] == item]
    assert logged and logged[-1]["action"] == "hide", logged
    assert focused(page) is not None, "after acting the focus is lost"


def test_redact_a_phrase_and_download_the_production(browse, live):
    from io import BytesIO

    from pypdf import PdfReader
    page = browse("records_officer")
    request, post = live.planted.request, live.planted.posts[0]
    page.goto(f"/requests/{request}")
    tab_to(page, f"a[href='/requests/{request}/items/{post}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "form.text-redaction input[name=phrase]")
    page.keyboard.type("xss00")
    tab_to(page, "form.text-redaction select[name=exemption]")
    page.keyboard.press("ArrowDown")
    tab_to(page, "form.text-redaction button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "error" not in (page.get_attribute("main", "class") or "")
    page.goto(f"/requests/{request}")
    tab_to(page, "form[action$='/produce'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "a[href$='/production.pdf']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    text = "".join(p.extract_text() for p in PdfReader(
        BytesIO(open(download.value.path(), "rb").read())).pages)
    assert "xss05" in text and "xss00" not in text
