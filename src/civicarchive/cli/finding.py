"""`civicarchive search` and `civicarchive search-index`: finding records (docs/search.md).
Registered on the main group by importing this module (civicarchive/cli/__init__.py does)."""

from __future__ import annotations

import time

import click

from civicarchive.cli import Context, _emit, handles_errors, main, pass_ctx
from civicarchive.cli.inputs import search_offset
from civicarchive.model.record import LARGEST_ID


def _marked(snippet: str, highlights: tuple) -> str:
    """The snippet with matched words in [brackets], for a terminal."""
    out, at = [], 0
    for start, end in highlights:
        out += [snippet[at:start], "[", snippet[start:end], "]"]
        at = end
    return "".join(out) + snippet[at:]


@main.command()
@click.argument("query")
@click.option("--all-versions", is_flag=True,
              help="Search every version (edits, earlier text), not only each record's "
                   "latest.")
@click.option("--limit", default=20, show_default=True, help="Results per page (1-1000).")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, LARGEST_ID),
              help="Which page of results.")
@click.option("--public", is_flag=True, help="Leave out direct messages, as for an answer "
              "shown outside the agency.")
@click.option("--facets/--no-facets", default=True, show_default=True,
              help="Count the matches by platform, kind and account.")
@click.option("--json", "as_json", is_flag=True, help="Print results and facets as JSON.")
@pass_ctx
@handles_errors
def search(ctx: Context, query: str, all_versions: bool, limit: int, page: int, public: bool,
           facets: bool, as_json: bool) -> None:
    """Search the archive: words, "phrases", OR, -exclusions and filters such as
    platform:facebook kind:comment is:deleted from:2026-01-01 (docs/search.md)."""
    with ctx.open() as archive:
        results = archive.finding.search(query, all_versions=all_versions, limit=limit,
                                         offset=search_offset(page, limit), public=public,
                                         facets=facets)
    if as_json:
        _emit(results.as_dict())
        return
    if not results.total:
        click.echo("No records match.")
        return
    if not results.hits:
        pages = -(-results.total // limit)
        click.echo(f"No records on page {page}: {results.total:,} record(s) match, on "
                   f"{pages:,} page(s) of {limit}")
        return
    first = results.offset + 1
    click.echo(f"{results.total:,} record(s) match; showing {first}-"
               f"{results.offset + len(results.hits)}:")
    for hit in results.hits:
        when = (hit.created_at or hit.observed_at)[:10]
        marks = "" if hit.event in ("created", "edited") else f" [{hit.event}]"
        handle = hit.account if hit.account.startswith("@") else f"@{hit.account}"
        click.echo(f"\n  item {hit.item} (version {hit.version}) {hit.platform} "
                   f"{handle} {hit.kind} by {hit.author or '?'}, {when}{marks}")
        click.echo(f"    {_marked(hit.snippet, hit.highlights)}")
    for name, counts in results.facets.items():
        listing = ", ".join(f"{key} {n:,}" for key, n in counts.items())
        click.echo(f"\n  by {name}: {listing}")


@main.group("search-index")
def search_index() -> None:
    """The search index: derived from the archive, rebuilt at will."""


@search_index.command("rebuild")
@pass_ctx
@handles_errors
def search_index_rebuild(ctx: Context) -> None:
    """Recreate the search index from the archive (e.g. after restoring a backup)."""
    started = last = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= 2:
            last = time.monotonic()
            click.echo(f"  {done:,} of {total:,} records", err=True)

    with ctx.open() as archive:
        records = archive.finding.rebuild(progress)
        engine = archive.finding.engine
    click.echo(f"Indexed {records:,} records with {engine} in "
               f"{time.monotonic() - started:.1f} s")
