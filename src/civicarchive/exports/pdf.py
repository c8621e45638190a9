"""PDF of a production: every produced item in context, as it looked on its platform, with a
production number on every page.

One HTML document, rendered by WeasyPrint. Each item is the same native-look card the
staff record view shows (`exports.native`, templates/native/post.html, fed by
`exports.produced.view_of`; a little flatter, see post.html): author and handle, the
platform's way of writing the time, Deleted / Hidden / Edited markers, the current text,
its media, then its metadata (platform, account, native id unless the URL shows it,
first-seen time, the capture time, content sha256 and ledger index of every version,
and the URL), its version history as a word diff when it was edited, and its comment
thread indented under it. A `Redaction` renders as a black box naming its reason: the redacted words never reach this
module, so they cannot reach the PDF. The items follow the "Gaps in capture" section, and
the withheld records follow the items as a log table.

Production numbers are CSS, not Python: an `@page` margin box shows the page counter,
reset to `first_number` on the first page and zero-padded to six digits by a
`@counter-style`, after the prefix. `RenderedPdf.ranges` spells the same numbers with
`production_number`, from the pages WeasyPrint placed each item's anchor on.

Speed shapes the stylesheet: WeasyPrint's time goes into lines and inline boxes, so the
cards use class selectors, no flex or grid, one font (chosen here, once, for the whole
document) and the only id is on each card's header. An item's last page is found from the
anchor that follows it: its own subtree ends on that anchor's page, or on the page before
when that anchor starts at the top of its page.

Every piece of record text is escaped (the templates autoescape), nothing is fetched
except the `data:` URIs written for images, and the PDF metadata carries the production
title only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from string import Template

from markupsafe import Markup

from civicarchive.exports import native
from civicarchive.exports.produced import ANCHOR, view_of
from civicarchive.model.production import ProducedItem, Production, production_number

__all__ = ["RenderedPdf", "production_html", "render_production"]

END = "withheld-log"  # the anchor after the last item, when there is a withheld log
MARGIN_TOP_PT = 42
# Liberation Sans (Arial's metrics) before DejaVu Sans: narrower, so a production has about
# a fifth fewer lines, and WeasyPrint's time goes by the line (bench/export.py: 11% fewer
# instructions). DejaVu Sans covers what Liberation lacks, and stands in where it is missing.
FONTS = '"Liberation Sans", "DejaVu Sans", Arial, sans-serif'
_TOP_PX = MARGIN_TOP_PT * 96 / 72  # anchors are in CSS px

PAGE = Template("""
@counter-style bates { system: numeric; symbols: "0" "1" "2" "3" "4" "5" "6" "7" "8" "9";
  pad: 6 "0"; }
@page { size: A4; margin: ${top}pt 40pt 46pt;
  @bottom-right { content: $prefix counter(page, bates); font: bold 9pt $family; } }
@page :first { counter-reset: page $first; }
body { margin: 0; font: 9pt/1.3 $family; }
p { margin: 0; }
h1 { font-size: 14pt; margin: 0 0 2pt; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; }
/* on paper the diff is its strike-through and underline: the screen reader words go */
.vh { display: none; }
.doc-facts { font-size: 7pt; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; }
th, td { border: 0.75pt solid #767676; padding: 1pt 3pt; text-align: left; vertical-align: top; }
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
    page = PAGE.substitute(top=MARGIN_TOP_PT, prefix=_css_string(production.prefix),
                           first=int(production.first_number), family=FONTS)
    template = native.environment().get_template("production.html")
    return template.render(production=production, count=_count(production.items),
                           views=[view_of(item) for item in production.items],
                           style=Markup(native.stylesheet() + page), end=END)


def _count(items) -> int:
    return sum(1 + _count(e for e in item.thread if isinstance(e, ProducedItem))
               for item in items)


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


def _css_string(text: str) -> str:
    """`text` as a CSS string literal: anything but ASCII letters, digits, - _ . is a hex
    escape, so a prefix cannot end the string or the style element. The space after each
    escape ends it and is consumed by the CSS parser."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else
                         f"\\{ord(c):x} " for c in text) + '"'
