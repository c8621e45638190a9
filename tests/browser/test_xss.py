"""The XSS corpus (xss.txt), ingested as posts, comments, authors, display names, handles
in text, URLs, media alt text, archived HTML, an account, a person, a user, a request and
a hold, runs no script and opens no dialog on any page of the staff application, with the
CSP and with it bypassed (so that the templates' escaping is shown to hold by itself), and
shows as text where its record is shown."""

from __future__ import annotations

import warnings
from urllib.parse import quote

import pytest

from tests.browser.corpus import XSS_USER, tag
from tests.browser.pages import PAGES
from tests.browser.safety import Findings, crawl

MODES = [pytest.param(False, id="csp"), pytest.param(True, id="csp-bypassed")]
CRAWL_LIMIT = 120          # pages in all
PER_SHAPE = 3              # pages per path shape (/records/N...) found by crawling
SKIPPED = ("/logout", "/static/", "/api/")


def conclude(findings: Findings, record_property) -> None:  # noqa: ANN001
    summary = findings.report(record_property)
    assert findings.problems == [], "\n".join(findings.problems[:40]) + "\n" + summary
    if findings.violations:
        warnings.warn(f"CSP stopped payloads (nothing ran): {summary}", stacklevel=2)


# With the CSP bypassed, the posts only: their pages show the comments too.
@pytest.mark.parametrize(("kind", "bypass"), [
    pytest.param("posts", False, id="posts-csp"), pytest.param("comments", False,
                                                               id="comments-csp"),
    pytest.param("posts", True, id="posts-csp-bypassed")])
def test_record_views_run_no_payload_and_show_it_as_text(browse, live, kind, bypass,
                                                         record_property):
    page = browse(XSS_USER, bypass_csp=bypass)
    findings = Findings()
    for index, payload in enumerate(live.planted.payloads):
        where = f"/records/{getattr(live.planted, kind)[index]} ({tag(index)} {kind})"
        response = page.goto(where.split()[0])
        assert response.status == 200, f"{where}: answered {response.status}"
        findings.check(page, where)
        findings.shows(page, where, payload)
    conclude(findings, record_property)


def test_archived_html_is_shown_sanitised(browse, live, record_property):
    page = browse(XSS_USER)
    findings = Findings()
    for index, item in live.planted.html_posts.items():
        where = f"/records/{item} ({tag(index)} archived HTML)"
        assert page.goto(f"/records/{item}").status == 200
        findings.check(page, where)
        findings.shows(page, where, tag(index), hidden=True)  # the sanitised HTML's text
    conclude(findings, record_property)


def test_an_archived_svg_that_scripts_runs_nothing(browse, live):
    """Media are served under the same CSP (and not as a page of the site's own script)."""
    page = browse(XSS_USER)
    assert page.goto(f"/records/{live.planted.svg_post}").status == 200
    links = page.eval_on_selector_all(
        "[src*='evil.svg'], [href*='evil.svg']",
        "els => els.map(e => e.getAttribute('src') || e.getAttribute('href'))")
    assert links, "the record view links its media"
    answer = page.request.get(links[0])
    assert answer.ok
    attachment = answer.headers.get("content-disposition", "").startswith("attachment")
    policy = answer.headers.get("content-security-policy", "")
    assert attachment or "sandbox" in policy, f"the SVG is served inline: {answer.headers}"
    try:
        page.goto(links[0])
    except Exception as error:  # noqa: BLE001 - served as a download: nothing runs
        assert attachment and "Download is starting" in str(error)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.watch.dialogs == []


def test_search_for_each_payload_runs_nothing_and_lists_it_as_text(browse, live,
                                                                  record_property):
    page = browse(XSS_USER)
    findings = Findings()
    for index, payload in enumerate(live.planted.payloads):
        # The payload as the query: echoed in the search box, maybe in an error.
        where = f"/search?q={quote(payload)}"
        page.goto(where)
        findings.check(page, where)
        where = f"/search?q={tag(index)}"
        response = page.goto(where)
        assert response.status == 200, f"{where}: answered {response.status}"
        findings.check(page, where)
        # A snippet may stop short of the record's end: its start, markup as text.
        findings.shows(page, where, f"{tag(index)} {payload[:12]}")
    conclude(findings, record_property)


@pytest.mark.parametrize("bypass", MODES)
def test_every_page_found_by_crawling_runs_no_payload(browse, live, bypass, record_property):
    """From the main pages and the nav, every same-site link (bounded), as a user whose
    display name is a payload; downloads are only noted."""
    page = browse(XSS_USER, bypass_csp=bypass)
    seeds = [live.path(path) for _, _, path in PAGES] + [
        live.path("/accounts/{hostile}"), live.path("/records/{post}", 5),
        live.path("/requests/{request}/items/{comment}"),
        f"/search?q={quote('author:' + live.planted.payloads[0])}"]
    findings = Findings()
    statuses, downloads = crawl(page, seeds, findings, CRAWL_LIMIT, PER_SHAPE, SKIPPED)
    assert statuses[200] >= 2, f"the crawl found too little: {statuses}"
    conclude(findings, record_property)
    record_property("statuses", dict(statuses))
    record_property("downloads", downloads)
