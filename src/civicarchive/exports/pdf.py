"""PDF of a production: every produced item in context, as it looked, with a production
number on every page.

One HTML document, rendered by WeasyPrint: the items flow continuously (a long item spans
pages, short ones share a page). Each item is a card: a header (author, platform, kind,
time, DELETED / HIDDEN markers), the current text, its media, its metadata (account, URL,
native id unless the URL shows it, first seen, and the capture time, content sha256 and
ledger index of every version), its edit history when it was edited (each earlier
version's text), then its comment thread indented under it, each comment a card of its
own. A `Redaction` renders as a black box naming its
reason: the redacted words never reach this module, so they cannot reach the PDF. The
withheld records follow the items as a log table.

Production numbers are CSS, not Python: an `@page` margin box shows the page counter,
reset to `first_number` on the first page and zero-padded to six digits by a
`@counter-style`, after the prefix. `RenderedPdf.ranges` spells the same numbers with
`production_number`, from the pages WeasyPrint placed each item's anchor on.

Speed shapes the markup. WeasyPrint's time goes into lines and inline boxes, and an
element with an id cannot share its computed style (nor its descendants), so the cards
are flat runs of paragraphs (no wrapper per card: indentation and rules are per
paragraph), one style per line where possible, and the only id is on each card's header.
An item's last page is found from the anchor that follows it: its own subtree ends on that
anchor's page, or on the page before when that anchor starts at the top of its page.

Every piece of record text is escaped, nothing is fetched except the `data:` URIs this
module writes for images, and the PDF metadata carries the production title only.
"""

from __future__ import annotations

import base64
import hashlib
import html
from string import Template
from collections.abc import Iterator
from dataclasses import dataclass

from civicarchive.model.production import (ProducedItem, ProducedMedia, ProducedVersion,
                                           Production, RedactedText, WithheldRecord,
                                           plain, production_number)

__all__ = ["RenderedPdf", "production_html", "render_production"]

ANCHOR = "item-"
END = "withheld-log"  # the anchor after the last item, when there is a withheld log
MARGIN_TOP_PT = 42
_TOP_PX = MARGIN_TOP_PT * 96 / 72  # anchors are in CSS px
_DEPTHS = 3  # thread levels indented; deeper replies stay at the last level

STYLE = Template("""
@counter-style bates { system: numeric; symbols: "0" "1" "2" "3" "4" "5" "6" "7" "8" "9";
  pad: 6 "0"; }
@page { size: A4; margin: ${top}pt 40pt 46pt;
  @bottom-right { content: $prefix counter(page, bates); font: bold 9pt sans-serif; } }
@page :first { counter-reset: page $first; }
body { margin: 0; font: 9pt/1.3 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
p { margin: 0; }
h1 { font-size: 14pt; margin: 0 0 2pt; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; }
.h { font-weight: bold; border-top: 0.75pt solid #777; padding-top: 3pt; margin-top: 8pt; }
.t { white-space: pre-wrap; padding: 2pt 0; }
.x { font-size: 7pt; color: #333; padding-bottom: 2pt; overflow-wrap: break-word; }
.v { font-size: 8pt; white-space: pre-wrap; padding: 1pt 0 1pt 8pt; }
.f { font-size: 8pt; border: 0.75pt solid #777; padding: 2pt 4pt; margin: 2pt 0; }
.w { background: #000; color: #fff; padding: 2pt 4pt; margin: 2pt 0; }
.k { background: #000; color: #fff; padding: 0 2pt; }
.m { border: 1pt solid #000; padding: 0 2pt; }
.c1, .c2, .c3 { border-left: 1.5pt solid #aaa; padding-left: 6pt; margin-left: 12pt; }
.c2 { margin-left: 24pt; }
.c3 { margin-left: 36pt; }
.h.c1, .h.c2, .h.c3 { border-top: none; margin-top: 0; padding-top: 4pt; }
img { display: block; max-width: 100%; max-height: 9cm; margin: 2pt 0; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; }
th, td { border: 0.75pt solid #777; padding: 1pt 3pt; text-align: left; vertical-align: top; }
""")


@dataclass(frozen=True)
class RenderedPdf:
    """The PDF bytes, its page count, and each item's first and last production number.

    `ranges` holds every produced item, comments included: item_id -> (first, last). An
    item's range covers its thread, since the thread is shown under it.
    """

    pdf: bytes
    pages: int
    ranges: dict[int, tuple[str, str]]


def render_production(production: Production) -> RenderedPdf:
    """Render the production as a PDF numbered from `production.first_number`."""
    import weasyprint  # slow to import; only PDF needs it
    from weasyprint.urls import URLFetcher

    # Only the data: URIs written here can be fetched; record text is escaped, so a
    # record cannot name any other URL.
    data_only = URLFetcher(allowed_protocols=frozenset({"data"}), fail_on_errors=False)
    document = weasyprint.HTML(string=production_html(production), base_url=None,
                               url_fetcher=data_only).render()
    starts: dict[str, tuple[int, bool]] = {}  # anchor -> (first page, starts at its top)
    for index, page in enumerate(document.pages):
        for name, position in page.anchors.items():
            if name not in starts:
                starts[name] = (index, position[1] <= _TOP_PX + 0.5)
    last_index = len(document.pages) - 1
    pages = {}
    for item, following in _subtrees(production):
        first, _ = starts[ANCHOR + str(item.item_id)]
        if following is None or following not in starts:
            last = last_index
        else:
            page, at_top = starts[following]
            last = max(first, page - 1 if at_top else page)
        pages[item.item_id] = (first, last)
    number = production.first_number
    ranges = {item_id: (production_number(production.prefix, number + first),
                        production_number(production.prefix, number + last))
              for item_id, (first, last) in pages.items()}
    return RenderedPdf(pdf=document.write_pdf(), pages=len(document.pages), ranges=ranges)


def production_html(production: Production) -> str:
    """The HTML that `render_production` renders (no scripts, no external resources)."""
    style = STYLE.substitute(top=MARGIN_TOP_PT, prefix=_css_string(production.prefix),
                             first=int(production.first_number))
    count = len(production.items)
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           f"<title>{_h(production.title)}</title><style>{style}</style></head><body>",
           f"<h1>{_h(production.title)}</h1>",
           f'<p class="x">{_h(production.agency)} · produced {_h(production.produced_at)} · '
           f"{count:,} item{'' if count == 1 else 's'} · "
           f"{len(production.withheld):,} withheld</p>"]
    if production.gaps:
        out.append("<h2>Gaps in capture</h2><p>The archive could not capture these accounts "
                   "during the times below. Records made, changed or deleted then may be "
                   "missing here, or shown in an older state.</p><table><thead><tr>"
                   "<th>Account</th><th>From</th><th>To</th><th>Cause</th></tr></thead><tbody>")
        out.extend(f"<tr><td>{_h(gap.account)}</td><td>{_h(gap.gap_from)}</td>"
                   f"<td>{_h(gap.gap_to or 'still open')}</td><td>{_h(gap.cause)}</td></tr>"
                   for gap in production.gaps)
        out.append("</tbody></table>")
    for item in production.items:
        out.extend(_card(item, 0))
    if production.withheld:
        out.append(f'<h2 id="{END}">Withheld records</h2><table><thead><tr><th>Item</th>'
                   "<th>Kind</th><th>Date</th><th>Exemption</th><th>Citation</th></tr>"
                   "</thead><tbody>")
        out.extend(f"<tr><td>{record.item_id}</td><td>{_h(record.kind)}</td>"
                   f"<td>{_h(record.created_at or '')}</td><td>{_h(record.exemption)}</td>"
                   f"<td>{_h(record.citation)}</td></tr>" for record in production.withheld)
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out)


def _subtrees(production: Production) -> Iterator[tuple[ProducedItem, str | None]]:
    """Each produced item with the anchor that follows its card and thread (None: last)."""
    order: list[tuple[ProducedItem, int]] = []  # document order, with each subtree's size

    def visit(item: ProducedItem) -> None:
        at = len(order)
        order.append((item, 0))
        for entry in item.thread:
            if isinstance(entry, ProducedItem):
                visit(entry)
        order[at] = (item, len(order) - at)

    for item in production.items:
        visit(item)
    after_all = END if production.withheld else None
    for at, (item, size) in enumerate(order):
        following = at + size
        yield item, (ANCHOR + str(order[following][0].item_id) if following < len(order)
                     else after_all)


def _card(item: ProducedItem, depth: int) -> Iterator[str]:
    indent = f" c{min(depth, _DEPTHS)}" if depth else ""
    head = [_h(plain(item.author) if item.author else item.account),
            f"{_h(item.platform)} {_h(item.kind)}"]
    if item.created_at:
        head.append(_h(item.created_at))
    markers = "".join(f' <span class="m">{word}</span>' for word, on in
                      (("DELETED", item.deleted), ("HIDDEN", item.hidden)) if on)
    yield (f'<p class="h{indent}" id="{ANCHOR}{item.item_id}">{" · ".join(head)}{markers}'
           f"</p>")
    if item.versions:
        yield f'<p class="t{indent}">{_text(item.versions[-1].text)}</p>'
    for media in item.media:
        yield _media(media, indent)
    url = plain(item.url) if item.url else None  # RedactedText: markers, never the words
    facts = [f"Item {item.item_id}", f"@{_h(plain(item.handle))}"]
    if not url or item.native_id not in url:  # else the URL already shows it
        facts.append(f"native id {_h(item.native_id)}")
    if url:
        facts.append(_h(url))
    facts.append(f"first seen {_h(item.first_seen_at)}")
    if len(item.versions) == 1:
        facts.append(_version_facts(item.versions[0]))
    elif item.versions:
        facts.append(f"edit history, {len(item.versions)} versions:")
    yield f'<p class="x{indent}">{" · ".join(facts)}</p>'
    if len(item.versions) > 1:
        yield from (f'<p class="v{indent}">{_version_facts(v)}: {_text(v.text)}</p>'
                    for v in item.versions[:-1])
        yield (f'<p class="v{indent}">{_version_facts(item.versions[-1])}: the current text, '
               f"shown above</p>")
    for entry in item.thread:
        if isinstance(entry, WithheldRecord):
            yield (f'<p class="w c{min(depth + 1, _DEPTHS)}">Comment withheld: '
                   f"{_h(entry.exemption)} ({_h(entry.citation)})</p>")
        else:
            yield from _card(entry, depth + 1)


def _version_facts(version: ProducedVersion) -> str:
    return (f"v{version.version_id} {_h(version.event)}, captured {_h(version.observed_at)}, "
            f"sha256 {_h(version.content_sha256)}, ledger #{version.ledger_index}")


def _media(media: ProducedMedia, indent: str) -> str:
    name = _h(media.name)
    if media.withheld_reason is not None:
        return f'<p class="w{indent}">Withheld: {_h(media.withheld_reason)} ({name})</p>'
    if media.data is None:
        return f'<p class="f{indent}">{name} ({_h(media.media_type)}): not captured</p>'
    if media.media_type.startswith("image/"):
        encoded = base64.b64encode(media.data).decode("ascii")
        return (f'<img class="{indent}" src="data:{_h(media.media_type)};base64,{encoded}" '
                f'alt="{name}"><p class="x{indent}">{name}</p>')
    digest = hashlib.sha256(media.data).hexdigest()
    return (f'<p class="f{indent}">{name} ({_h(media.media_type)}, {len(media.data):,} bytes, '
            f"sha256 {digest})</p>")


def _text(text: RedactedText) -> str:
    return "".join(_h(s) if isinstance(s, str) else
                   f'<span class="k">REDACTED: {_h(s.reason)}</span>' for s in text)


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _css_string(text: str) -> str:
    """`text` as a CSS string literal: anything but ASCII letters, digits, - _ . is a hex
    escape, so a prefix cannot end the string or the style element. The space after each
    escape ends it and is consumed by the CSS parser."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else
                         f"\\{ord(c):x} " for c in text) + '"'
