"""Moving through a page with the keyboard only, checking at every stop that the focused
element shows it (a computed outline or box-shadow: WCAG 2.4.7)."""

from __future__ import annotations

FOCUSED = """(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = !!style.boxShadow && style.boxShadow !== 'none';
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
  return {visible: outline || shadow, matches: selector ? el.matches(selector) : false,
          what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (el.getAttribute('href') ? ` href=${el.getAttribute('href')}` : '') +
                (text ? ` "${text.slice(0, 50)}"` : '')};
}"""


def focused(page, selector: str | None = None) -> dict | None:  # noqa: ANN001
    return page.evaluate(FOCUSED, selector)


def press(page, key: str, selector: str | None = None) -> dict:  # noqa: ANN001
    """Press `key`; the element then focused, which must show its focus."""
    page.keyboard.press(key)
    state = focused(page, selector)
    assert state is not None, f"after {key} nothing has the focus"
    assert state["visible"], f"the focus is not visible on {state['what']} (after {key})"
    return state


def tab_to(page, selector: str, limit: int = 120, backwards: bool = False) -> dict:  # noqa: ANN001
    """Tab (or Shift+Tab) until the focused element matches `selector`; every stop on the
    way must show its focus."""
    key = "Shift+Tab" if backwards else "Tab"
    stops = []
    for _ in range(limit):
        state = press(page, key, selector)
        if state["matches"]:
            return state
        stops.append(state["what"])
    raise AssertionError(f"{selector} not reached in {limit} presses of {key}; "
                         f"the last stops: {stops[-8:]}")


def skip_link_first(page) -> None:  # noqa: ANN001
    """The first Tab stop of a freshly loaded page is the skip link, and Enter on it moves
    the focus to the main content."""
    state = press(page, "Tab", "a.skip[href='#main']")
    assert state["matches"], f"the first Tab stop is {state['what']}, not the skip link"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
