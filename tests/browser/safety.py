"""What a loaded page must show if archived content stayed text: no payload ran (no dialog,
no `window.__xss`, no uncaught error), and no markup from a payload reached the DOM (no
event-handler attribute, no javascript: URL, no script, frame, plugin, <base>, refresh or
inline style that the templates did not write).

The CSP would block most payloads even if a template failed to escape them; the DOM check
and the runs with the CSP bypassed (test_xss.py) show that the templates hold by
themselves. CSP violations are counted and reported: each is an attempt the policy
stopped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Elements and attributes no template writes (the CSP forbids inline script and style).
DOM_CHECK = r"""() => {
  const found = [];
  // A stylesheet, or (in the head) the open archive's link to its feed.
  const linkOk = (el) => {
    const rel = (el.getAttribute('rel') || '').toLowerCase();
    return rel === 'stylesheet' || (rel === 'alternate' && el.parentElement === document.head &&
                                    el.getAttribute('type') === 'application/atom+xml');
  };
  const urls = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster',
                'background', 'srcset'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc' || name === 'style')
        found.push(`<${tag} ${name}="${a.value.slice(0, 80)}">`);
      else if (urls.includes(name) && /^(javascript|vbscript|data:text\/html)/.test(value))
        found.push(`<${tag} ${name}="${a.value.slice(0, 80)}">`);
    }
    if ((tag === 'script' && !/^\/(public\/)?static\//.test(el.getAttribute('src') || '')) ||
        ['iframe', 'frame', 'object', 'embed', 'base', 'style', 'applet', 'portal'].includes(tag) ||
        (tag === 'meta' && el.hasAttribute('http-equiv')) ||
        (tag === 'link' && !linkOk(el)))
      found.push(`<${tag}> ${el.outerHTML.slice(0, 80)}`);
  }
  return found;
}"""
RAN = "() => [typeof window.__xss, window.__cspViolations || []]"


@dataclass
class Findings:
    """Problems found across pages, and the CSP violations seen on each."""

    problems: list[str] = field(default_factory=list)
    violations: dict[str, list] = field(default_factory=dict)
    pages: int = 0

    def check(self, page, where: str) -> None:  # noqa: ANN001
        """Look at the loaded page; note what is wrong with it."""
        self.pages += 1
        xss, violations = page.evaluate(RAN)
        if xss != "undefined":
            self.problems.append(f"{where}: a payload ran (window.__xss is set)")
        if violations:
            self.violations[where] = violations
        injected = page.evaluate(DOM_CHECK)
        if injected:
            self.problems.append(f"{where}: markup from archived content in the DOM: "
                                 f"{injected[:5]}")
        watch = page.watch
        if watch.dialogs:
            self.problems.append(f"{where}: dialogs opened: {watch.dialogs}")
        if watch.errors:
            self.problems.append(f"{where}: script errors: {watch.errors}")
        watch.dialogs.clear()
        watch.errors.clear()

    def shows(self, page, where: str, text: str, hidden: bool = False) -> None:  # noqa: ANN001
        """Note it if `text` (whitespace aside) is not visible as text in the page's main
        (or, with `hidden`, in its text at all: behind a closed content warning, say)."""
        shown = page.text_content("main") if hidden else page.inner_text("main")
        shown = " ".join(shown.split())
        if " ".join(text.split()) not in shown:
            self.problems.append(f"{where}: the payload is not shown as text: {text!r}")

    def report(self, record_property) -> str:  # noqa: ANN001
        """Record the CSP figures on the test (--junitxml shows them); a readable summary."""
        count = sum(len(v) for v in self.violations.values())
        record_property("pages_checked", self.pages)
        record_property("csp_violations", count)
        return (f"{self.pages} pages checked; {count} CSP violations on "
                f"{len(self.violations)} pages" + "".join(
                    f"\n  {where}: {[v['directive'] + ' ' + (v['sample'] or v['blocked']) for v in found][:3]}"
                    for where, found in list(self.violations.items())[:10]))


def shape(path: str) -> str:
    """A path with its numbers as N: /records/N/check."""
    return "/".join("N" if part.isdigit() else part for part in path.split("/"))


def crawl(page, seeds: list[str], findings: Findings, limit: int, per_shape: int,  # noqa: ANN001
          skipped: tuple[str, ...], within: str = "/") -> tuple[Counter, list[str]]:
    """Load `seeds`, then every same-site link under `within` they lead to (at most
    `limit` pages, `per_shape` of each path shape found), checking each HTML page into
    `findings`. Returns the statuses seen and the paths that were downloads."""
    origin = None  # the site's host:port, from the first page loaded
    queue, seen, shapes, downloads = list(dict.fromkeys(seeds)), set(), Counter(), []
    statuses: Counter = Counter()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        try:
            response = page.goto(path)
        except Exception as error:  # noqa: BLE001 - a download is no page
            if "Download is starting" not in str(error):
                raise
            downloads.append(path)
            continue
        origin = origin or urlsplit(page.url).netloc
        statuses[response.status if response else None] += 1
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        findings.check(page, path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            link = urlsplit(href)
            target = link.path + (f"?{link.query}" if link.query else "")
            if link.netloc != origin or target in seen or target.startswith(skipped) or \
                    not target.startswith(within):
                continue
            if shapes[shape(link.path)] < per_shape:
                shapes[shape(link.path)] += 1
                queue.append(target)
    return statuses, downloads
