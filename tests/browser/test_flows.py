"""The staff application's main flows in a real browser, as a person with a mouse would use
them: sign in through OpenID Connect at a real provider, search, open a record and its
history, moderate a comment, and redact and download a production."""

from __future__ import annotations

from io import BytesIO

from tests.browser.server import serve


def test_sign_in_through_openid_connect(browse, live, tmp_path):
    from civicarchive.web.app import create_app
    from civicarchive.web.ui.sso import install
    from tests.web.oidc import start_provider
    provider = start_provider(tmp_path / "oidc")
    try:
        app = create_app(live.archive)
        install(app, provider.settings())
        with serve(app, port=provider.app_port) as url:
            page = browse()
            page.goto(f"{url}/login?next=/")
            page.click("text=Sign in with your agency's account")
            page.wait_for_url(f"{provider.issuer}/**")
            page.fill("input[name=username]", "clerk")
            page.fill("input[name=password]", provider.passwords["clerk"])
            with page.expect_navigation(url=f"{url}/", timeout=30_000):
                page.click("button[type=submit]")
            assert "Signed in as Clara Clerk" in page.inner_text("header")
            assert page.inner_text("h1") == "Dashboard"
            assert page.watch.errors == []
    finally:
        provider.stop()
    assert live.archive.users.by_name("clerk").sso_subject.startswith(provider.issuer)


def test_search_then_open_a_record_and_its_history(browse, live):
    page = browse("records_officer")
    page.goto("/")
    page.click("header nav >> text=Search")
    page.fill("input[name=q]", "zoning")
    page.click("form[role=search] button[type=submit]")
    assert page.locator(".hits li").count() >= 3  # the city's post, comment and the mayor's
    page.locator(".hits a[href^='/records/']").first.click()
    page.wait_for_url("**/records/*")
    assert "zoning" in page.inner_text(".record").lower()
    history = page.locator("section.history")
    assert history.is_visible() and history.locator("tbody tr").count() >= 1
    with page.expect_download() as download:
        history.locator("a[href*='/proof']").first.click()
    assert download.value.suggested_filename.startswith("proof-version-")


def test_moderate_a_comment(browse, live):
    page = browse("moderator")
    page.goto("/moderation")
    form = page.locator("form.act").last
    item = int(form.get_attribute("action").split("/")[2])
    form.locator("select[name=action]").select_option("hide")
    form.locator("input[name=record_only]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    logged = [row for row in live.archive.moderation.log() if row["item_id"] == item]
    assert logged and logged[-1]["action"] == "hide", logged
    page.goto("/moderation/log")
    assert f"{item}" in page.inner_text("main")


def test_redact_and_download_a_production(browse, live):
    from pypdf import PdfReader
    page = browse("records_officer")
    request, post = live.planted.flow_request, live.planted.posts[1]
    page.goto(f"/requests/{request}")
    page.click(f"a[href='/requests/{request}/items/{post}']")
    form = page.locator("form.text-redaction").first
    form.locator("input[name=phrase]").fill("xss01")
    form.locator("select[name=exemption]").select_option(index=0)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"/requests/{request}")
    page.click("form[action$='/produce'] button[type=submit]")
    with page.expect_download() as download:
        page.locator("a[href$='/production.pdf']").first.click()
    with open(download.value.path(), "rb") as pdf:
        text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.read())).pages)
    assert "xss02" in text and "xss01" not in text
