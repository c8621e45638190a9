"""axe (axe-core, bundled by axe-playwright-python) on every main page of the staff
application: zero violations of WCAG 2.0 and 2.1, levels A and AA."""

from __future__ import annotations

import pytest

from tests.browser.pages import page_params

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def axe():  # noqa: ANN201
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def readable(violations: list[dict]) -> str:
    """Each violation: its rule, what it asks, and the selector of every element failing."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']} "
                     f"[{violation['helpUrl']}]")
        for node in violation["nodes"][:10]:
            summary = (node.get("failureSummary") or "").splitlines()
            lines.append(f"    at {' '.join(map(str, node['target']))}: "
                         f"{summary[1].strip() if len(summary) > 1 else ''}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def audit(page, axe) -> list[dict]:  # noqa: ANN001
    return axe.run(page, options=OPTIONS).response["violations"]


@pytest.mark.parametrize(("path", "user", "missing"), page_params())
def test_page_has_no_wcag_a_or_aa_violations(browse, live, axe, path, user, missing):
    page = browse(user)
    response = page.goto(live.path(path))
    assert response.status == (404 if missing else 200), page.inner_text("main")[:500]
    violations = audit(page, axe)
    assert violations == [], "axe found violations:\n" + readable(violations)


def test_sign_in_error_has_no_violations(page, axe):
    """The sign-in page after a wrong password: the error tied to its field."""
    page.goto("/login")
    page.fill("#username", "no_such_user")
    page.fill("#password", "not the password")
    page.click("form[action='/login'] button[type=submit]")
    assert page.get_attribute("#username", "aria-invalid") == "true"
    violations = audit(page, axe)
    assert violations == [], "axe found violations:\n" + readable(violations)


def test_axe_finds_a_planted_violation(page, axe):
    """The check can fail: an image without alt text and an unlabelled field, planted in
    the sign-in page's DOM, are reported."""
    page.goto("/login")
    page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<img src="/static/x.png"><input type="text">');
    }""")
    found = {v["id"] for v in audit(page, axe)}
    assert {"image-alt", "label"} <= found
