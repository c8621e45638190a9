"""The open archive's pages for everyone (WCAG 2.1 AA, which the ADA Title II rule asks of
a government's public web content): axe finds no violation at levels A and AA; on a
320 px wide screen nothing scrolls sideways and the main content shows (1.4.10 Reflow);
with text at 200 % every text has grown, and none is clipped, overlapped or scrolled
sideways (1.4.4 Resize text)."""

from __future__ import annotations

import pytest

from tests.browser.pages import open_public, public_params
from tests.browser.test_accessibility import audit, readable

# Chromium's own text-size setting (Settings > Appearance > Font size > Customize), set
# through the DevTools protocol: the browser's default font size, 16 px, made 32 px.
# A text-only resize, the one WCAG 1.4.4 is about: text the page sized in px, or in
# anything but the user's choice, does not grow, and `grown` below reports it.
TEXT_200 = {"fontSizes": {"standard": 32, "fixed": 26}}
TEXT_100 = {"fontSizes": {"standard": 16, "fixed": 13}}

# The font size of every element that holds text directly, in document order.
FONT_SIZES = """() => [...document.querySelectorAll('body *')]
  .filter(el => [...el.childNodes].some(n => n.nodeType === 3 && n.data.trim()))
  .map(el => [el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
              (el.className ? '.' + el.className : ''),
              parseFloat(getComputedStyle(el).fontSize)])"""

# Sideways scrolling, and text clipped by an element's overflow or overlapping other text.
LAYOUT = """() => {
  const root = document.documentElement;
  const found = {scrollWidth: root.scrollWidth, width: innerWidth, clipped: [],
                 overlaps: []};
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                     (el.className ? '.' + String(el.className).split(' ')[0] : '');
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!el.textContent.trim() || style.display === 'none') continue;
    const hides = v => v === 'hidden' || v === 'clip';
    if ((hides(style.overflowX) && el.scrollWidth > el.clientWidth + 1) ||
        (hides(style.overflowY) && el.scrollHeight > el.clientHeight + 1) ||
        (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth))
      found.clipped.push(`${name(el)} "${el.textContent.trim().slice(0, 40)}"`);
  }
  // Each piece of text's line boxes; two pieces whose boxes cross overlap.
  const boxes = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const parent = node.parentElement;
    if (!node.data.trim() || !parent.checkVisibility({visibilityProperty: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects())
      if (r.width > 0 && r.height > 0 && r.right > 0)
        boxes.push({r, node, what: `${name(parent)} "${node.data.trim().slice(0, 30)}"`});
  }
  const tolerance = 2;  // px: rounding, and glyphs that reach into the line's leading
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      if (boxes[i].node === boxes[j].node) continue;
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > tolerance && y > tolerance)
        found.overlaps.push(`${boxes[i].what} and ${boxes[j].what}`);
    }
  return found;
}"""

MAIN_SHOWN = """() => {
  const main = document.querySelector('main'), h1 = main && main.querySelector('h1');
  if (!h1) return 'no main heading';
  const r = h1.getBoundingClientRect(), m = main.getBoundingClientRect();
  if (r.width === 0 || r.left < 0 || r.right > innerWidth + 1) return `the heading is at ${r.left}..${r.right}`;
  if (m.left < 0 || m.right > innerWidth + 1) return `main is at ${m.left}..${m.right}`;
  return null;
}"""


@pytest.fixture(scope="module")
def axe():  # noqa: ANN201
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def problems_of(layout: dict, where: str) -> list[str]:
    found = []
    if layout["scrollWidth"] > layout["width"]:
        found.append(f"{where}: scrolls sideways ({layout['scrollWidth']} px of content in "
                     f"{layout['width']} px)")
    found += [f"{where}: text clipped: {c}" for c in layout["clipped"][:5]]
    found += [f"{where}: text overlaps: {o}" for o in layout["overlaps"][:5]]
    return found


@pytest.mark.parametrize(("path", "status"), public_params())
def test_public_page_has_no_wcag_a_or_aa_violations(page, live, axe, path, status):
    response = open_public(page, live, path)
    assert response.status == status, page.inner_text("main")[:500]
    violations = audit(page, axe)
    assert violations == [], "axe found violations:\n" + readable(violations)


@pytest.mark.parametrize(("path", "status"), public_params())
def test_public_page_reflows_at_320_px_and_resizes_text_to_200_percent(page, live, path,
                                                                      status):
    """One load: at 320 x 640 px (WCAG's reflow width), then at 640 and 1280 px with the
    text at 200 %: the text grown, nothing scrolled sideways, clipped or overlapped."""
    page.set_viewport_size({"width": 320, "height": 640})
    response = open_public(page, live, path)
    assert response.status == status
    problems = problems_of(page.evaluate(LAYOUT), "at 320 px")
    hidden = page.evaluate(MAIN_SHOWN)
    if hidden:
        problems.append(f"at 320 px the main content does not show: {hidden}")
    page.set_viewport_size({"width": 640, "height": 800})
    before = page.evaluate(FONT_SIZES)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", TEXT_200)
    try:
        after = page.evaluate(FONT_SIZES)
        assert [what for what, _ in after] == [what for what, _ in before]
        small = [f"{what}: {a} px to {b} px" for (what, a), (_, b) in zip(before, after)
                 if b < 1.95 * a]
        problems += [f"text did not grow to 200 %: {s}" for s in small[:5]]
        for width in (640, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            problems += problems_of(page.evaluate(LAYOUT), f"at {width} px, text 200 %")
    finally:
        cdp.send("Page.setFontSizes", TEXT_100)
    assert problems == [], "\n".join(problems)


def test_the_layout_check_finds_planted_faults(page, live):
    """The checks can fail: a wide block, clipped text and text laid over other text,
    planted in the agency page, are each reported; text in px does not grow."""
    open_public(page, live, "/public/{slug}")
    page.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend',
        '<p id="wide">wide</p><p id="clip">a sentence far too long for its box</p>' +
        '<p id="over">laid over</p><p id="px">fixed size</p>');
      Object.assign(document.getElementById('wide').style, {width: '3000px'});
      Object.assign(document.getElementById('clip').style,
                    {width: '3em', overflow: 'hidden', whiteSpace: 'nowrap'});
      Object.assign(document.getElementById('over').style, {marginTop: '-1.5em'});
      Object.assign(document.getElementById('px').style, {fontSize: '16px'});
    }""")
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] > layout["width"]
    assert any("p#clip" in c for c in layout["clipped"]), layout["clipped"]
    assert any("p#over" in o for o in layout["overlaps"]), layout["overlaps"]
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", TEXT_200)
    try:
        sizes = dict(page.evaluate(FONT_SIZES))
    finally:
        cdp.send("Page.setFontSizes", TEXT_100)
    assert sizes["p#over"] == 32 and sizes["p#px"] == 16
