"""What the per-request shortcuts must keep: a session cookie re-issued once it has been
used a while, HTML kept out of caches, and record counts that stay exact when they are
counted only since the last count."""

from __future__ import annotations

import time

from civicarchive.web.sessions import COOKIE, REFRESH_SECONDS
from tests.conftest import observe
from tests.web.conftest import ACCOUNTS
from tests.web.test_sessions import replace_cookie


def session_cookies(response) -> list[str]:  # noqa: ANN001
    return [v for v in response.headers.get_list("set-cookie") if v.startswith(f"{COOKIE}=")]


def test_a_cookie_used_a_while_ago_is_reissued_with_a_fresh_time(deployment):
    client = deployment.client("auditor")
    sessions = deployment.app.state.sessions
    secret = client.cookies[COOKIE].split(".")[0]
    before = int(time.time()) - REFRESH_SECONDS - 30
    replace_cookie(client, sessions.cookie_value(secret, last=before))
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    (cookie,) = session_cookies(response)
    value = cookie.split(";")[0].split("=", 1)[1]
    reissued_secret, last, _ = value.split(".")
    assert reissued_secret == secret and int(last) > before
    assert "HttpOnly" in cookie
    # Re-issued, it is not re-issued again on the next request.
    assert session_cookies(client.get("/api/v1/me")) == []


def test_a_fresh_cookie_is_not_reissued(deployment):
    client = deployment.client("auditor")
    assert session_cookies(client.get("/api/v1/me")) == []


def test_staff_answers_are_kept_out_of_caches_and_static_files_are_not(deployment):
    client = deployment.client("auditor")
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "content-security-policy" in page.headers  # the outer middleware still runs
    # JSON read with the session cookie, a problem and a proof download too: a shared
    # cache must not keep one user's answer for the next.
    version = deployment.archive.reading.history(1)[-1].id
    for answer in (client.get("/api/v1/me"), client.get("/api/v1/items/99999"),
                   client.get(f"/records/1/versions/{version}/proof")):
        assert answer.headers["cache-control"] == "no-store", answer.request.url
    assert "cache-control" not in client.get("/static/site.css").headers


def test_item_counts_stay_exact_as_records_arrive(deployment):
    archive = deployment.archive
    assert archive.registry.item_counts() == {1: 3, 2: 1, 3: 1}
    archive.ingesting.ingest([observe(ACCOUNTS["county"], "301", "Another notice"),
                              observe(ACCOUNTS["county"], "302", "And another")],
                             source="test", actor="clerk")
    assert archive.registry.item_counts() == {1: 3, 2: 1, 3: 3}
    added = archive.registry.add_account("x", "newaccount", "agency",
                                         agency="city-of-example", actor="clerk")
    archive.ingesting.ingest([observe(added.id, "400", "First post")], source="test",
                             actor="clerk")
    # Seen by another process too: a fresh registry counts them all from scratch.
    fresh = type(archive.registry)(archive.context)
    assert archive.registry.item_counts() == fresh.item_counts() == \
        {1: 3, 2: 1, 3: 3, added.id: 1}


def staff(archive, roles=("records_officer",)):  # noqa: ANN001, ANN201
    user = archive.users.add("officer", "city-of-example", list(roles), "clerk")
    return archive.users.principal(user)


def found_items(results) -> set[int]:  # noqa: ANN001
    return {hit.item for hit in results.hits}


def test_search_seeing_every_account_finds_every_record(archive, account):
    other = archive.registry.add_account("mastodon", "cityparks", "agency", actor="clerk")
    archive.ingesting.ingest([observe(account.id, "1", "zoning hearing"),
                              observe(other.id, "2", "zoning in the parks")],
                             source="test", actor="clerk")
    principal = staff(archive)
    assert found_items(archive.access.search(principal, "zoning")) == {1, 2}


def test_search_leaves_out_an_agency_added_while_it_ran(archive, account, monkeypatch):
    archive.ingesting.ingest([observe(account.id, "1", "zoning hearing")], source="test",
                             actor="clerk")
    principal = staff(archive)
    search = archive.finding.search

    def meanwhile(*args, **options):  # noqa: ANN002, ANN003, ANN202
        if not archive.registry.agencies()[1:]:  # once: another agency and its records
            archive.registry.add_agency("County of Other", actor="clerk")
            county = archive.registry.add_account("x", "county", "agency",
                                                  agency="county-of-other", actor="clerk")
            archive.ingesting.ingest([observe(county.id, "9", "county zoning")],
                                     source="test", actor="clerk")
        return search(*args, **options)

    monkeypatch.setattr(archive.finding, "search", meanwhile)
    results = archive.access.search(principal, "zoning")
    assert found_items(results) == {1} and results.total == 1
    # And from then on the county's record stays out.
    assert found_items(archive.access.search(principal, "zoning")) == {1}


def test_search_of_an_official_keeps_to_their_accounts(deployment):
    archive = deployment.archive
    official = archive.users.principal(archive.users.by_name("official"))
    officer = archive.users.principal(archive.users.by_name("records_officer"))
    assert found_items(archive.access.search(official, "zoning")) == {4}
    assert found_items(archive.access.search(officer, "zoning")) == {1, 3, 4}


def test_search_keeps_to_accounts_that_are_not_a_run_of_ids(archive, account):
    archive.registry.add_agency("County of Other", actor="clerk")
    county = archive.registry.add_account("x", "county", "agency", agency="county-of-other",
                                          actor="clerk")
    parks = archive.registry.add_account("x", "cityparks", "agency",
                                         agency="city-of-example", actor="clerk")
    archive.ingesting.ingest([observe(account.id, "1", "zoning hearing"),
                              observe(county.id, "2", "county zoning"),
                              observe(parks.id, "3", "zoning in the parks")],
                             source="test", actor="clerk")
    officer = staff(archive)  # sees accounts 1 and 3, not 2
    results = archive.access.search(officer, "zoning", facets=True)
    assert found_items(results) == {1, 3} and results.total == 2
    assert set(results.facets["account"]) == {"cityofexample", "cityparks"}
