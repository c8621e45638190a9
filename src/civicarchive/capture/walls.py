"""Login walls and consent pages: what a browser capture must record as a problem, never
as the page's content.

The heuristics are simple on purpose, so that a records officer can read why a capture
was set aside:

- the page answered HTTP 401, 403 or 407 (`status`);
- the page, or a redirect on the way to it, has a login or consent address: a path
  segment such as `login`, `signin`, `accounts/login`, `checkpoint` or `consent`, or a
  host that begins `login.`, `signin.`, `auth.`, `sso.` or `consent.`;
- the rendered page has a password field (`input[type=password]`);
- the rendered page shows a known consent dialog (OneTrust, Cookiebot, Usercentrics,
  Didomi, Quantcast, Funding Choices, Sourcepoint, TrustArc, Meta's cookie dialog), or a
  modal dialog that asks about cookies.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from civicarchive.capture.guard import shown

__all__ = ["CONSENT_SELECTORS", "DOM_PROBE", "Wall", "WallKind", "wall_in_dom",
           "wall_in_response"]

WALL_STATUSES = {401: "asks for a login (HTTP 401)", 403: "refuses access (HTTP 403)",
                 407: "asks for proxy credentials (HTTP 407)"}
LOGIN_PATH = re.compile(r"/(login|log-in|signin|sign-in|logon|sign_in|auth|authenticate|"
                        r"accounts/login|session/new|sso|checkpoint)(/|\.|$)", re.IGNORECASE)
CONSENT_PATH = re.compile(r"/(consent|cookie-consent|privacy-consent|gdpr)(/|\.|$)",
                          re.IGNORECASE)
LOGIN_HOSTS = ("login.", "signin.", "auth.", "sso.")
CONSENT_HOSTS = ("consent.",)
CONSENT_SELECTORS = (
    "#onetrust-banner-sdk", "#onetrust-consent-sdk", "#CybotCookiebotDialog",
    "#usercentrics-root", "#didomi-host", "#qc-cmp2-container", ".fc-consent-root",
    "[id^='sp_message_container']", "#truste-consent-track",
    "[data-testid='cookie-policy-manage-dialog']", "form[action*='consent']")
# Run in the page: what the heuristics above need from the DOM.
DOM_PROBE = """(selectors) => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const password = [...document.querySelectorAll('input[type=password]')].some(visible);
  const marker = selectors.find((s) => { const el = document.querySelector(s);
                                          return el && visible(el); }) || null;
  const dialogs = [...document.querySelectorAll('[role=dialog],[aria-modal=true],dialog[open]')]
    .filter(visible).map((el) => el.innerText || '');
  const cookies = dialogs.some((t) => /cookie|consent/i.test(t));
  return {password, marker, cookies};
}"""


class WallKind(enum.StrEnum):
    LOGIN = "login_wall"
    CONSENT = "consent_wall"


@dataclass(frozen=True)
class Wall:
    kind: WallKind
    why: str


def wall_in_response(status: int | None, urls: Iterable[str]) -> Wall | None:
    """A wall the answer shows before anything is rendered: its status, or a login or
    consent address among the page's redirects (`urls`: every hop, the page's last)."""
    if status in WALL_STATUSES:
        return Wall(WallKind.LOGIN, f"the page {WALL_STATUSES[status]}")
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if CONSENT_PATH.search(parts.path) or host.startswith(CONSENT_HOSTS):
            return Wall(WallKind.CONSENT, f"the page leads to a consent page ({shown(url)})")
        if LOGIN_PATH.search(parts.path) or host.startswith(LOGIN_HOSTS):
            return Wall(WallKind.LOGIN, f"the page leads to a login page ({shown(url)})")
    return None


def wall_in_dom(facts: dict) -> Wall | None:
    """A wall the rendered page shows: `facts` is what DOM_PROBE returned."""
    if facts.get("password"):
        return Wall(WallKind.LOGIN, "the page shows a password field")
    if facts.get("marker"):
        return Wall(WallKind.CONSENT, f"the page shows a consent dialog ({facts['marker']})")
    if facts.get("cookies"):
        return Wall(WallKind.CONSENT, "the page shows a dialog about cookies or consent")
    return None

