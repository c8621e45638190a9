"""The XSS corpus (xss.txt), ingested on the city's account (posts, comments, authors,
display names, mentions, URLs, media alt text) and sent through the public request
form, runs no script and opens no dialog on any page of the open archive, with the CSP
and with it bypassed, and shows as text where its record is shown: record pages and
their threads, search snippets, account pages, the feed, the request form and the
tracking page. The same checks as the staff pages' (test_xss.py, safety.py)."""

from __future__ import annotations

from urllib.parse import quote
from xml.etree import ElementTree

import pytest

from tests.browser.corpus import tag
from tests.browser.pages import PUBLIC_PAGES, open_public
from tests.browser.safety import Findings, crawl
from tests.browser.test_xss import MODES, conclude
from tests.web.conftest import CITY

HOME = f"/public/{CITY}"
ATOM = "{http://www.w3.org/2005/Atom}"
# Pages of the open archive that show the payloads as text: what each must show.
SHOWN = {"tracking": lambda payloads: "Records that say: " + " ".join(payloads)}


@pytest.mark.parametrize("bypass", MODES)
def test_every_public_page_runs_no_payload(browse, live, bypass, record_property):
    """Each page of PUBLIC_PAGES, then the links they lead to (the thread's records,
    accounts, facets, pages of results; bounded)."""
    page = browse(bypass_csp=bypass)
    findings = Findings()
    for name, path, status in PUBLIC_PAGES:
        response = open_public(page, live, path)
        assert response.status == status, f"{name}: answered {response.status}"
        findings.check(page, name)
        if name in SHOWN:
            findings.shows(page, name, SHOWN[name](live.planted.payloads))
        if path == "form:error":  # the values come back in the form, as values
            assert page.input_value("#requester") == live.planted.payloads[0]
    seeds = [live.public_path(p) for _, p, _ in PUBLIC_PAGES if not p.startswith("form:")]
    statuses, downloads = crawl(page, seeds, findings, limit=60, per_shape=3,
                                skipped=("/public/static/",), within="/public/")
    assert statuses[200] >= 10, f"the crawl found too little: {statuses}"
    conclude(findings, record_property)
    record_property("downloads", downloads)


def test_public_record_pages_run_no_payload_and_show_it_as_text(browse, live,
                                                                record_property):
    """Every payload's post, with its comment in the thread (the payload as its author,
    display name, text and mentions) and its media's alt text. Here and in search, with
    the CSP bypassed only: the templates' escaping must hold by itself, and the pages
    under the CSP are loaded above."""
    page = browse(bypass_csp=True)
    findings = Findings()
    for index, payload in enumerate(live.planted.payloads):
        item = live.planted.posts[index]
        where = f"{HOME}/records/{item} ({tag(index)})"
        response = page.goto(where.split()[0])
        assert response.status == 200, f"{where}: answered {response.status}"
        findings.check(page, where)
        findings.shows(page, where, payload)
    conclude(findings, record_property)


def test_public_search_runs_no_payload_and_lists_it_as_text(browse, live, record_property):
    """Each payload as the query (echoed in the search box), then each payload's tag:
    its post's snippet shows the payload as text. A post another test redacted is left
    out of public search by design (app/publishing.py), so it is only searched for."""
    page = browse(bypass_csp=True)
    findings = Findings()
    redacted = live.archive.publishing.overlay().redacted
    for index, payload in enumerate(live.planted.payloads):
        where = f"{HOME}/search?q={quote(payload)}"
        page.goto(where)
        findings.check(page, where)
        where = f"{HOME}/search?q={tag(index)}"
        response = page.goto(where)
        assert response.status == 200, f"{where}: answered {response.status}"
        findings.check(page, where)
        if live.planted.posts[index] not in redacted:
            findings.shows(page, where, f"{tag(index)} {payload[:12]}")
    conclude(findings, record_property)


def test_public_account_pages_list_payloads_as_text(browse, live, record_property):
    """The city's account page, page by page: every listed snippet is text."""
    page = browse()
    findings = Findings()
    path = f"{HOME}/accounts/{live.deployment.accounts['city']}"
    listed = 0
    while path:
        assert page.goto(path).status == 200
        findings.check(page, path)
        listed += page.locator(".hits > li").count()
        following = page.locator("a[rel=next]")
        path = following.get_attribute("href") if following.count() else None
        if path:
            path = f"{HOME}/accounts/{live.deployment.accounts['city']}{path}"
    assert listed >= len(live.planted.payloads), listed
    conclude(findings, record_property)


def test_the_feed_carries_payloads_as_escaped_text(browse, live):
    """The Atom feed is Atom elements only, with each payload in its entries as text; and
    Chromium, opening it, runs nothing."""
    page = browse()
    answer = page.request.get(f"{HOME}/feed.atom")
    assert answer.ok and answer.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(answer.body())
    strays = {e.tag for e in root.iter() if not e.tag.startswith(ATOM)}
    assert strays == set(), f"elements of another namespace in the feed: {strays}"
    summaries = " ".join(e.text or "" for e in root.iter(f"{ATOM}summary"))
    shown = [p for i, p in enumerate(live.planted.payloads) if f"{tag(i)} {p}" in summaries]
    assert len(shown) >= 10, f"too few payloads in the feed's summaries: {len(shown)}"
    page.goto(f"{HOME}/feed.atom")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.watch.dialogs == [] and page.watch.errors == []
