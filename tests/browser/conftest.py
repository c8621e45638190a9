"""The real-browser tests: the staff application and the open archive beside it (/public/,
published by the policy corpus.py adopts) served by uvicorn on 127.0.0.1 over the web
tests' deployment (tests/web/conftest.py) with the XSS corpus planted in it (corpus.py),
driven by Debian's Chromium through Playwright.

One server and one browser per session (per xdist worker), a new browser context per
test. Every test here is marked `browser`.

    def test_x(browse):
        page = browse("moderator")          # signed in through the form, once per user
        page.goto("/moderation")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from civicarchive.web.sessions import Throttle
from tests.browser.corpus import Planted, plant
from tests.browser.server import serve
from tests.web.conftest import (  # noqa: F401 - deployment_template: the fixture, shared
    CITY, PASSWORD, Deployment, clock, deployment_template)

HERE = Path(__file__).parent
VIEWPORT = {"width": 1280, "height": 800}

# Records what script could do if a payload ran; read back after each page load.
WATCH_SCRIPT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               sample: e.sample, line: e.lineNumber});
}, true);
"""


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Live:
    """The running staff application."""

    url: str
    deployment: Deployment
    planted: Planted

    @property
    def archive(self):  # noqa: ANN201
        return self.deployment.archive

    def path(self, template: str, index: int = 0) -> str:
        """A page's path with the planted records' ids filled in (pages.PAGES)."""
        return template.format(post=self.planted.posts[index],
                               comment=self.planted.comments[index],
                               request=self.planted.request, person=self.planted.person,
                               city=self.deployment.accounts["city"],
                               hostile=self.planted.account)

    def public_path(self, template: str) -> str:
        """An open archive page's path (pages.PUBLIC_PAGES): {post} and {comment} are
        planted records the open archive shows whole now (other tests redact a post, which
        then drops out of public search, or hide a comment)."""
        return template.format(slug=CITY, tracking=self.planted.tracking,
                               city=self.deployment.accounts["city"],
                               message=self.deployment.items["message"],
                               post=self.planted.posts[self.shown("posts")],
                               comment=self.planted.comments[self.shown("comments")])

    def shown(self, kind: str, start: int = 2) -> int:
        """The first payload index from `start` whose record of `kind` ("posts",
        "comments") the open archive shows with its text and no redaction."""
        from civicarchive.errors import NotFound
        publishing = self.archive.publishing
        for index, item in sorted(getattr(self.planted, kind).items()):
            if index < start or item in publishing.overlay().redacted:
                continue
            try:
                if publishing.record(CITY, item).showing.text_shown:
                    return index
            except NotFound:
                continue
        raise AssertionError(f"the open archive shows none of the planted {kind}")


@pytest.fixture(scope="session")
def live(tmp_path_factory, deployment_template) -> Iterator[Live]:  # noqa: F811
    """The web tests' deployment (a copy of its template, built once per worker) with the
    XSS corpus planted, served on 127.0.0.1."""
    import shutil

    from civicarchive.archive import Archive
    from civicarchive.web.app import create_app
    from tests.web.conftest import ACCOUNTS, ITEMS
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(deployment_template, home)
    with pytest.MonkeyPatch.context() as patch:  # read once, at open: nothing else sees it
        patch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")  # the moderation engine's fast fallback
        archive = Archive.open(home, clock=clock())
    deployment = Deployment(archive, create_app(archive), dict(ITEMS), dict(ACCOUNTS))
    planted = plant(deployment.archive, deployment.accounts["city"], CITY)
    # The public tests send the request form many times from 127.0.0.1; the portal's
    # limit per address has its own test (tests/public/test_portal.py).
    deployment.app.state.portal_limit = Throttle(limit=1000, window=3600)
    with serve(deployment.app) as url:
        yield Live(url, deployment, planted)
    deployment.archive.close()


class Watch:
    """What a page did that it should not: dialogs opened, uncaught script errors, console
    errors; CSP violations are read from the page itself (`violations`)."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and
                self.console.append(message.text))

    def _dialog(self, dialog) -> None:  # noqa: ANN001
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture(scope="session")
def storage(live, chromium) -> Callable[[str], dict]:
    """A user's signed-in browser state (cookies), made once through the sign-in form."""
    states: dict[str, dict] = {}

    def state_of(username: str) -> dict:
        if username not in states:
            context = chromium.new_context(base_url=live.url)
            page = context.new_page()
            sign_in(page, username)
            states[username] = context.storage_state()
            context.close()
        return states[username]
    return state_of


@pytest.fixture
def browse(live, chromium, storage) -> Iterator[Callable]:
    """browse(username=None, bypass_csp=False) -> a page in a new context, signed in as
    `username` (None: nobody), with `page.watch` recording dialogs and errors."""
    contexts = []

    def open_page(username: str | None = None, bypass_csp: bool = False):  # noqa: ANN202
        context = chromium.new_context(
            base_url=live.url, viewport=VIEWPORT, bypass_csp=bypass_csp,
            storage_state=storage(username) if username else None)
        context.set_default_timeout(30_000)  # a loaded CI machine; pages answer in ms
        context.add_init_script(WATCH_SCRIPT)
        contexts.append(context)
        page = context.new_page()
        page.watch = Watch(page)
        return page
    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(browse):  # noqa: ANN201
    """A page in a new context, nobody signed in."""
    return browse()


def sign_in(page, username: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    """Sign in through the sign-in form, as a person would (with the mouse)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in page.url, f"signing in as {username} failed: " \
        f"{page.inner_text('main')}"
