"""The open archive with the keyboard only (Tab, Shift+Tab, Enter, typing; no mouse):
searching from the agency page to a result, its record and its check page; sending the
request form, then following the tracking link to "explain this date". The focus is
visible at every stop (keys.py), and the skip link is the first."""

from __future__ import annotations

from tests.browser.corpus import tag
from tests.browser.keys import focused, press, skip_link_first, tab_to
from tests.web.conftest import CITY

HOME = f"/public/{CITY}"


def enter(page) -> None:  # noqa: ANN001
    """Enter on the focused link or control, which loads another page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_every_public_page_starts_with_the_skip_link(page, live):
    for path in ("/public/", HOME, f"{HOME}/requests/new", f"{HOME}/records/0"):
        page.goto(path)
        skip_link_first(page)


def test_search_to_a_record_and_its_check_page_with_the_keyboard_only(page, live):
    index = live.shown("posts")
    page.goto(HOME)
    skip_link_first(page)
    tab_to(page, "input#q")
    page.keyboard.type(tag(index))
    enter(page)
    assert page.url.endswith(f"/search?q={tag(index)}"), page.url
    record = f"{HOME}/records/{live.planted.posts[index]}"
    tab_to(page, f".hits a[href='{record}']")
    enter(page)
    assert page.url.endswith(record), page.url
    assert tag(index) in page.inner_text(".record, main")
    tab_to(page, f"main a[href='{record}/check']")
    enter(page)
    assert page.url.endswith(f"{record}/check"), page.url
    status = page.locator("#check-status.ok")
    status.wait_for()
    assert status.inner_text().startswith("Genuine"), status.inner_text()
    # From the verdict on, the offline way: the proof's link, then back up to the record.
    tab_to(page, f"main a[href='{record}/proof.json']")
    tab_to(page, f"main a[href='{record}']", backwards=True)


def test_send_a_request_and_explain_its_date_with_the_keyboard_only(page, live):
    page.goto(HOME)
    tab_to(page, f"header nav a[href='{HOME}/requests/new']")
    enter(page)
    assert page.url.endswith("/requests/new"), page.url
    tab_to(page, "#requester")
    page.keyboard.type("K. Board")
    press(page, "Tab", "#contact")
    page.keyboard.type("k.board@example.org")
    press(page, "Tab", "#description")
    page.keyboard.type("The city's posts about the keyboard, December 2025.")
    # The honeypot is out of the tab order: the next stop is the button.
    state = press(page, "Tab", "form.stack button[type=submit]")
    assert state["matches"], f"after the description the focus is on {state['what']}"
    enter(page)
    assert page.inner_text("h1") == "Request received"
    state = tab_to(page, "main a[href*='/requests/track/']")
    number = state["what"].split('"Track request ')[1].rstrip('"')
    enter(page)
    assert "/requests/track/" in page.url and page.inner_text("h1") == f"Request {number}"
    tab_to(page, "details summary")
    explanation = page.locator("details .explanation")
    said = explanation.inner_text()
    assert explanation.is_visible() and "Counted from" in said and "business day" in said, said
    page.keyboard.press("Enter")  # closes it ...
    assert not explanation.is_visible()
    page.keyboard.press("Space")  # ... and opens it again
    assert explanation.is_visible()
    assert focused(page, "details summary")["matches"], "toggling lost the focus"
    sent = [r for r in live.archive.requests.list() if r["number"] == number]
    assert [r["requester"] for r in sent] == ["K. Board"], sent
