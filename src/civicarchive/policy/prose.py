"""Plain-text document blocks and the two writers that mark them up: Markdown and HTML.

Every piece of text is escaped by the writer, so text from a policy file (an agency name,
a clause) can never become markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Definitions:
    items: tuple[tuple[str, str], ...]  # (term, text)


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Bullets | Definitions | Table


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


STYLE = """
@page { size: A4; margin: 2cm; }
body { font-family: "DejaVu Serif", Georgia, serif; font-size: 11pt; line-height: 1.45;
       color: #111; max-width: 48em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; margin: 0.8em 0; }
th, td { border: 1px solid #999; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
dt { font-weight: bold; margin-top: 0.6em; }
dd { margin: 0.2em 0 0 1.5em; }
""".strip()

# CommonMark backslash-escapes any ASCII punctuation; these are the ones that could start
# markup, a table cell or a raw HTML tag in running text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(title: str, sections: tuple[Section, ...]) -> str:
    lines = [f"# {_md(title)}", ""]
    for section in sections:
        lines += [f"## {_md(section.title)}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                lines.append(_md(block.text))
            elif isinstance(block, Bullets):
                lines += [f"- {_md(item)}" for item in block.items]
            elif isinstance(block, Definitions):
                lines += [f"- **{_md(term)}**: {_md(text)}" for term, text in block.items]
            else:
                lines += [_md_row(block.header), "|" + "---|" * len(block.header)]
                lines += [_md_row(row) for row in block.rows]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md(cell) for cell in cells) + " |"


def _h(text: str) -> str:
    return html.escape(text, quote=True)


# A short handout (the officials' guide): the same look, set tighter to fit two pages.
COMPACT_STYLE = STYLE + """
@page { size: A4; margin: 1.5cm 1.8cm; }
body { font-size: 10pt; line-height: 1.32; }
h1 { font-size: 1.45em; }
h2 { font-size: 1.1em; margin-top: 1.1em; }
p, ul { margin: 0.45em 0; }
"""


def to_html(title: str, sections: tuple[Section, ...], style: str = STYLE) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{_h(title)}</title>", f"<style>\n{style}\n</style>", "</head>", "<body>",
           f"<h1>{_h(title)}</h1>"]
    for section in sections:
        out += ["<section>", f"<h2>{_h(section.title)}</h2>"]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.append(f"<p>{_h(block.text)}</p>")
            elif isinstance(block, Bullets):
                out += ["<ul>", *(f"<li>{_h(item)}</li>" for item in block.items), "</ul>"]
            elif isinstance(block, Definitions):
                out.append("<dl>")
                for term, text in block.items:
                    out += [f"<dt>{_h(term)}</dt>", f"<dd>{_h(text)}</dd>"]
                out.append("</dl>")
            else:
                out += ["<table>", "<thead><tr>"
                        + "".join(f"<th>{_h(cell)}</th>" for cell in block.header)
                        + "</tr></thead>", "<tbody>"]
                out += ["<tr>" + "".join(f"<td>{_h(cell)}</td>" for cell in row) + "</tr>"
                        for row in block.rows]
                out += ["</tbody>", "</table>"]
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def to_pdf(page: str) -> bytes:
    """An HTML page as PDF, by WeasyPrint. Nothing is fetched: every URL is refused."""
    import weasyprint  # slow to import; only PDF needs it
    from weasyprint.urls import URLFetcher

    refuse_all = URLFetcher(allowed_protocols=frozenset(), fail_on_errors=False)
    return weasyprint.HTML(string=page, base_url=None, url_fetcher=refuse_all).write_pdf()
