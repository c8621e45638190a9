"""`civicarchive requests ...`: public records requests from intake to production
(docs/requests.md). Registered on the main group by importing this module."""

from __future__ import annotations

from datetime import datetime

import click

from civicarchive.cli import Context, _emit, as_argument, handles_errors, main, pass_ctx
from civicarchive.cli.inputs import ID, require_parent
from civicarchive.errors import InvalidInput


@main.group("requests")
def requests_group() -> None:
    """Public records requests: due dates, collection, review, redaction, productions."""


def _received(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--received {text!r} is not a time: e.g. 2026-11-04T10:30-08:00"
                           ) from None
    if moment.tzinfo is None:
        raise InvalidInput("--received needs the UTC offset of the agency's local time, "
                           "e.g. 2026-11-04T10:30-08:00")
    return moment


def _left(deadline: dict) -> str:
    left = deadline["business_days_left"]
    if deadline.get("met_on"):
        return f" met {deadline['met_on']}{' (LATE)' if deadline.get('late') else ''}"
    if left is None:
        return ""
    if left < 0:
        return f" OVERDUE by {-left} business day(s)"
    return " due today" if left == 0 else f" ({left} business day(s) left)"


@requests_group.command("new")
@click.option("--requester", required=True, help="Who asked (name, organisation).")
@click.option("--received", required=True,
              help="When it arrived, local time with offset: 2026-11-04T10:30-08:00.")
@click.option("--description", required=True, help="The records asked for, in their words.")
@click.option("--contact", help="How to reach the requester.")
@click.option("--json", "as_json", is_flag=True, help="Print the request as JSON.")
@pass_ctx
@handles_errors
def requests_new(ctx: Context, requester: str, received: str, description: str,
                 contact: str | None, as_json: bool) -> None:
    """Log a request; due dates come from the adopted policy's deadlines and holidays."""
    with ctx.open() as archive:
        request_id = archive.requests.new(requester, _received(received), description,
                                          ctx.actor, contact=contact)
        detail = archive.requests.show(request_id)
    if as_json:
        _emit(detail)
        return
    click.echo(f"Request {detail['number']} (id {request_id}) from {detail['requester']}")
    for deadline in detail["deadlines"]:
        click.echo(f"  due {deadline['due']}{_left(deadline)}: {deadline['name']} "
                   f"[{deadline['citation']}]")


@requests_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the requests as JSON.")
@pass_ctx
@handles_errors
def requests_list(ctx: Context, as_json: bool) -> None:
    """Every request, its status and its next deadline."""
    with ctx.open() as archive:
        listing = archive.requests.list()
    if as_json:
        _emit(listing)
        return
    if not listing:
        click.echo("No requests yet: `civicarchive requests new`.")
    for r in listing:
        deadline = r["next_deadline"]
        due = f", next due {deadline['due']}{_left(deadline)}" if deadline else ""
        click.echo(f"{r['id']:>4}  {r['number']}  {r['status']:<18} {r['requester']}: "
                   f"{r['items']} record(s), {r['unreviewed']} unreviewed{due}")


@requests_group.command("show")
@click.argument("request_id", type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print the request as JSON.")
@pass_ctx
@handles_errors
def requests_show(ctx: Context, request_id: int, as_json: bool) -> None:
    """A request's deadlines, collection, review and productions."""
    with ctx.open() as archive:
        detail = archive.requests.show(request_id)
    if as_json:
        _emit(detail)
        return
    click.echo(f"{detail['number']} ({detail['status']}) from {detail['requester']}, "
               f"received {detail['received_at']}\n  {detail['description']}")
    for deadline in detail["deadlines"]:
        click.echo(f"  due {deadline['due']}{_left(deadline)}: {deadline['name']} "
                   f"[{deadline['citation']}]")
    marks = ", ".join(f"{n} {mark.replace('_', '-')}" for mark, n in detail["marks"].items())
    click.echo(f"  {detail['items']} record(s): {marks}, {detail['unreviewed']} unreviewed; "
               f"{detail['redactions']} redaction(s)")
    for p in detail["productions"]:
        click.echo(f"  production {p['id']}: {p['numbers']}, {p['items']} record(s), "
                   f"{p['withheld']} withheld, {p['folder']}")


@requests_group.command("explain")
@click.argument("request_id", type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print the computation as JSON.")
@pass_ctx
@handles_errors
def requests_explain(ctx: Context, request_id: int, as_json: bool) -> None:
    """How each due date was computed: every day counted, every day skipped and why."""
    from dataclasses import asdict

    from civicarchive.app.requests import explanation_lines
    with ctx.open() as archive:
        explanation = archive.requests.explain(request_id)
        stored = [d["due"] for d in archive.requests.show(request_id)["deadlines"]]
    if as_json:
        _emit(asdict(explanation))
        return
    for line in explanation_lines(explanation):
        click.echo(line)
    computed = [d.due.due.isoformat() for d in explanation.deadlines]
    if computed != stored:
        click.echo(f"note: the due dates recorded at intake ({', '.join(stored)}) differ from "
                   "today's computation: the holiday calendar changed since", err=True)


@requests_group.command("add")
@click.argument("request_id", type=ID)
@click.option("--search", "query", help="Add every record this search finds (docs/search.md).")
@click.option("--all-versions", is_flag=True, help="With --search: match earlier versions too.")
@click.option("--item", "items", type=ID, multiple=True, help="Add this record (repeat).")
@pass_ctx
@handles_errors
def requests_add(ctx: Context, request_id: int, query: str | None, all_versions: bool,
                 items: tuple[int, ...]) -> None:
    """Add records to the request's collection."""
    if not query and not items:
        raise click.UsageError("give --search QUERY or --item ID")
    with ctx.open() as archive:
        added = archive.requests.collect(request_id, ctx.actor, items=list(items), query=query,
                                         all_versions=all_versions)
    click.echo(f"Added {added} record(s) to request {request_id}")


@requests_group.command("mark")
@click.argument("request_id", type=ID)
@click.option("--item", "items", type=ID, multiple=True, required=True,
              help="The record (repeat for several).")
@click.option("--as", "mark", required=True,
              type=click.Choice(["responsive", "non-responsive", "withheld"]),
              help="The review decision.")
@click.option("--exemption", help="With --as withheld: the exemption, e.g. 'personal "
              "information'.")
@click.option("--citation", help="With --as withheld: the law, e.g. 'RCW 42.56.230'.")
@pass_ctx
@handles_errors
def requests_mark(ctx: Context, request_id: int, items: tuple[int, ...], mark: str,
                  exemption: str | None, citation: str | None) -> None:
    """Review records: responsive, non-responsive, or withheld under an exemption."""
    with ctx.open() as archive:
        archive.requests.mark(request_id, list(items), mark, ctx.actor, exemption=exemption,
                              citation=citation)
    click.echo(f"Marked {len(set(items))} record(s) {mark}")


@requests_group.command("redact")
@click.argument("request_id", type=ID)
@click.option("--item", type=ID, required=True, help="The record.")
@click.option("--phrase", help="Words to redact (every occurrence, every version).")
@click.option("--version", type=ID, help="With --span: the version whose text it counts in.")
@click.option("--span", help="START:END character offsets in that version's text.")
@click.option("--media", help="A media file's name, to withhold the whole file.")
@click.option("--author", is_flag=True, help="The author's name, wherever the production "
              "shows it (every record of that author, mentions, URLs).")
@click.option("--handle", is_flag=True, help="The handle of the account the record is shown "
              "under, wherever the production shows it.")
@click.option("--url", is_flag=False, flag_value="", default=None, metavar="[URL]",
              help="Alone: the record's permalink; with a URL: that URL wherever the record "
              "holds it.")
@click.option("--all-urls", is_flag=True, help="Every URL in the record's text, and its "
              "permalink.")
@click.option("--reason", required=True, help="The exemption and citation, e.g. "
              "'personal information, RCW 42.56.230'.")
@pass_ctx
@handles_errors
def requests_redact(ctx: Context, request_id: int, item: int, phrase: str | None,
                    version: int | None, span: str | None, media: str | None, author: bool,
                    handle: bool, url: str | None, all_urls: bool, reason: str) -> None:
    """Redact words, a media file, the author, the handle or URLs of one record."""
    bounds = None
    if span:
        try:
            start, end = (int(x) for x in span.split(":"))
        except ValueError:
            raise click.BadParameter("write it as START:END, e.g. 12:24", param_hint="--span")
        bounds = (start, end)
    chosen = [name for name, on in (("--phrase/--span", phrase or span), ("--media", media),
                                    ("--author", author), ("--handle", handle),
                                    ("--url", url is not None), ("--all-urls", all_urls)) if on]
    if len(chosen) > 1:
        raise click.UsageError(f"redact one thing at a time, not {' and '.join(chosen)}")
    with ctx.open() as archive:
        requests = archive.requests
        if author:
            redaction = requests.redact_author(request_id, item, reason, ctx.actor)
        elif handle:
            redaction = requests.redact_handle(request_id, item, reason, ctx.actor)
        elif url is not None or all_urls:
            redaction = requests.redact_url(request_id, item, reason, ctx.actor,
                                            url=url or None, every=all_urls)
        else:
            redaction = requests.redact(request_id, item, reason, ctx.actor, phrase=phrase,
                                        version=version, span=bounds, media=media)
    click.echo(f"Redaction {redaction} added to item {item}")


@requests_group.command("unredact")
@click.argument("request_id", type=ID)
@click.argument("redaction_id", type=ID)
@click.option("--why", required=True, help="Why the redaction is removed.")
@pass_ctx
@handles_errors
def requests_unredact(ctx: Context, request_id: int, redaction_id: int, why: str) -> None:
    """Remove a redaction (it stays in the request's log)."""
    with ctx.open() as archive:
        archive.requests.unredact(request_id, redaction_id, why, ctx.actor)
    click.echo(f"Redaction {redaction_id} removed")


@requests_group.command("redactions")
@click.argument("request_id", type=ID)
@click.option("--item", type=ID, help="Only this record's redactions.")
@click.option("--json", "as_json", is_flag=True, help="Print the redactions as JSON.")
@pass_ctx
@handles_errors
def requests_redactions(ctx: Context, request_id: int, item: int | None, as_json: bool
                        ) -> None:
    """The redactions in force, with the ids to unredact them by (staff only: they show the
    redacted words)."""
    with ctx.open() as archive:
        found = archive.requests.redactions(request_id, item)
    if as_json:
        _emit(found)
        return
    for r in found:
        what = {"text": lambda: f"phrase {r['phrase']!r}", "media": lambda: f"media {r['media']}",
                "field": lambda: r["field"] + (f" {r['url']}" if r["url"] else "")}[r["kind"]]()
        click.echo(f"{r['id']}: item {r['item']}, {what}: {r['reason']}")
    if not found:
        click.echo("No redactions")


@requests_group.command("suggestions")
@click.argument("request_id", type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print the suggestions as JSON.")
@pass_ctx
@handles_errors
def requests_suggestions(ctx: Context, request_id: int, as_json: bool) -> None:
    """Personal information found in members of the public's comments and messages."""
    with ctx.open() as archive:
        found = archive.requests.suggestions(request_id)
    if as_json:
        _emit(found)
        return
    if not found:
        click.echo("No personal information found in third-party records.")
    for s in found:
        click.echo(f"  {s['key']:<18} item {s['item']:<6} {s['category']:<11} "
                   f"{s['decision']:<9} {s['phrase']!r}")


def _decide(ctx: Context, request_id: int, keys: tuple[str, ...], accepted: bool,
            reason: str | None) -> None:
    with ctx.open() as archive:
        n = archive.requests.decide(request_id, list(keys), accepted, ctx.actor, reason=reason)
    click.echo(f"{'Accepted' if accepted else 'Rejected'} {n} suggestion(s)")


@requests_group.command("accept")
@click.argument("request_id", type=ID)
@click.argument("keys", nargs=-1, required=True)
@click.option("--reason", required=True, help="The exemption and citation for the redactions.")
@pass_ctx
@handles_errors
def requests_accept(ctx: Context, request_id: int, keys: tuple[str, ...], reason: str) -> None:
    """Accept suggested redactions (keys from `requests suggestions`)."""
    _decide(ctx, request_id, keys, True, reason)


@requests_group.command("reject")
@click.argument("request_id", type=ID)
@click.argument("keys", nargs=-1, required=True)
@pass_ctx
@handles_errors
def requests_reject(ctx: Context, request_id: int, keys: tuple[str, ...]) -> None:
    """Reject suggested redactions: the words stay visible."""
    _decide(ctx, request_id, keys, False, None)


@requests_group.command("status")
@click.argument("request_id", type=ID)
@click.argument("status")
@click.option("--note", default="", help="A note for the request's log.")
@pass_ctx
@handles_errors
def requests_status(ctx: Context, request_id: int, status: str, note: str) -> None:
    """Set the status: acknowledged, clarification, in-review, partially-produced,
    produced, closed or withdrawn."""
    with ctx.open() as archive:
        archive.requests.set_status(request_id, status, ctx.actor, note)
    click.echo(f"Request {request_id} is now {status}")


@requests_group.command("produce")
@click.argument("request_id", type=ID)
@click.option("--prefix", help="Production number prefix (default: from the agency name).")
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Folder to write (new or empty; default under the archive's exports/).")
@click.option("--json", "as_json", is_flag=True, help="Print the production as JSON.")
@pass_ctx
@handles_errors
def requests_produce(ctx: Context, request_id: int, prefix: str | None, output: str | None,
                     as_json: bool) -> None:
    """Produce the responsive records: PDF, CSV, JSONL, WARC and proofs in a BagIt bag."""
    if output:  # before a production number is taken
        require_parent(output)
    with ctx.open() as archive:
        result = archive.productions.produce(request_id, ctx.actor, folder=output, prefix=prefix)
    if as_json:
        _emit(result)
        return
    click.echo(f"Production {result['id']}: {result['items']} record(s) on {result['pages']} "
               f"page(s), {result['numbers'][0]} to {result['numbers'][1]}; "
               f"{result['withheld']} withheld"
               + (f"; {result['capture_gaps']} gap(s) in capture listed (see the PDF and "
                  "CERTIFICATE.md)" if result["capture_gaps"] else "")
               + f"\n  {result['folder']}\n  check it with "
               f"`civicarchive verify-package {as_argument(result['folder'])}`")
    if result["pending_suggestions"]:
        click.echo(f"Warning: {result['pending_suggestions']} suggested redaction(s) of "
                   f"personal information were neither accepted nor rejected, and went out "
                   f"unredacted: see `civicarchive requests suggestions {request_id}`",
                   err=True)


@requests_group.command("log")
@click.argument("request_id", type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print the log as JSON.")
@pass_ctx
@handles_errors
def requests_log(ctx: Context, request_id: int, as_json: bool) -> None:
    """Everything done on a request, by whom and when (the production log)."""
    with ctx.open() as archive:
        log = archive.requests.log(request_id)
    if as_json:
        _emit(log)
        return
    for entry in log:
        items = entry["details"].get("items")
        details = ", ".join(f"{k}={v}" for k, v in entry["details"].items()
                            if not isinstance(v, list) and v not in (None, ""))
        count = f" {len(items)} record(s)" if isinstance(items, list) else ""
        click.echo(f"{entry['at'][:19]}  {entry['actor']:<12} {entry['action']}{count} "
                   f"{details}")
