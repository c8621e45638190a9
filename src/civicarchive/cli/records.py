"""`civicarchive` commands for records management: the policy file, account duties,
legal holds, retention and disposition. Registered on the main group by importing this
module (civicarchive/cli/__init__.py does)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from civicarchive.cli import (Context, _emit, accounts, handles_errors, main, pass_ctx,
                              write_output)
from civicarchive.cli.inputs import ID, parse_time_option
from civicarchive.clock import format_time


@main.group("policy")
def policy_group() -> None:
    """Check, render and compare the agency policy file (docs/policy.md)."""


@policy_group.command("adopt")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
@handles_errors
def policy_adopt(ctx: Context, file: str) -> None:
    """Adopt a policy file: retention, holds and disposition follow it from now on."""
    with ctx.open() as archive:
        policy_id = archive.custody.adopt_policy(file, ctx.actor)
    click.echo(f"Adopted {file} as policy {policy_id}")


@policy_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--platform", "platforms", multiple=True,
              help="Also check that every record on this platform falls into exactly one "
                   "series (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@handles_errors
def policy_check(file: str, platforms: tuple[str, ...], as_json: bool) -> None:
    """Report every problem in a policy file with its line and column; exit 1 on errors."""
    from civicarchive.app.offline import policy_problems
    problems = policy_problems(file, platforms)
    errors = [p for p in problems if p.severity.value == "error"]
    if as_json:
        _emit([{"line": p.line, "column": p.column, "severity": p.severity.value,
                "message": p.message} for p in problems])
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{file}: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)"
                   if problems else f"{file}: OK, no problems")
    if errors:
        sys.exit(1)


@policy_group.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf"]), default="md",
              show_default=True)
@click.option("--audience", type=click.Choice(["everyone", "officials"]), default="everyone",
              show_default=True,
              help="everyone: the policy itself; officials: the guide for officials.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the document.")
@handles_errors
def policy_render(file: str, fmt: str, audience: str, output: Path) -> None:
    """Write the agency's social media policy document, or the guide for officials, from
    its policy file."""
    from civicarchive.app.offline import guide_sha256, render_policy
    write_output(output, render_policy(file, fmt, audience))
    if audience == "officials":
        click.echo(f"Wrote the guide for officials ({fmt}) to {output}; its version is "
                   f"SHA-256 {guide_sha256(file)} (of its Markdown), which an "
                   f"acknowledgement records")
    else:
        click.echo(f"Wrote the policy document ({fmt}) to {output}")


@policy_group.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@handles_errors
def policy_diff(old: str, new: str) -> None:
    """Show a policy change as a diff of the file and of the rendered document."""
    from civicarchive.app.offline import diff_policy_files
    click.echo(diff_policy_files(old, new) or "no differences", nl=False)


@accounts.command("close")
@click.argument("account_id", type=ID)
@click.option("--at", "closed_at", required=True, help="When it closed (ISO 8601 with offset).")
@pass_ctx
@handles_errors
def accounts_close(ctx: Context, account_id: int, closed_at: str) -> None:
    """Record that an account was closed (series counted from closure start then)."""
    with ctx.open() as archive:
        archive.registry.close_account(account_id, parse_time_option(closed_at, "--at"), ctx.actor)
    click.echo(f"Recorded account {account_id} as closed at {closed_at}")


@accounts.command("tag")
@click.argument("account_id", type=ID)
@click.argument("tag")
@pass_ctx
@handles_errors
def accounts_tag(ctx: Context, account_id: int, tag: str) -> None:
    """Tag an account (the policy's assignment rules may select series by tag)."""
    with ctx.open() as archive:
        archive.registry.tag_account(account_id, tag, ctx.actor)
    click.echo(f"Tagged account {account_id} {tag!r}")


@accounts.command("acknowledge")
@click.option("--owner", required=True, help="The account owner who acknowledged the policy.")
@click.option("--at", "at", help="When (ISO 8601 with offset); now when left out.")
@pass_ctx
@handles_errors
def accounts_acknowledge(ctx: Context, owner: str, at: str | None) -> None:
    """Record an owner's acknowledgement of the adopted policy."""
    with ctx.open() as archive:
        archive.custody.acknowledge(owner, ctx.actor,
                                    parse_time_option(at, "--at") if at else None)
    click.echo(f"Recorded {owner}'s acknowledgement of the adopted policy")


@accounts.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
@handles_errors
def accounts_report(ctx: Context, as_json: bool) -> None:
    """Accounts missing an owner, a current acknowledgement, or any captured record."""
    with ctx.open() as archive:
        report = archive.custody.accounts_report()
    if as_json:
        _emit(report)
        return
    for row in report:
        state = "; ".join(row["issues"]) or "OK"
        click.echo(f"{row['account']:>5}  {row['platform']:<10} {row['handle']:<30} "
                   f"{','.join(row['series']) or '-':<12} {state}")


@main.group("holds")
def holds_group() -> None:
    """Legal holds: they stop disposition of every record they cover."""


@holds_group.command("add")
@click.option("--name", required=True, help="A short name, e.g. 'Smith v. City'.")
@click.option("--matter", required=True, help="The matter: case number, claim, request.")
@click.option("--reason", required=True, help="Why the records must be preserved.")
@click.option("--account", "accounts", type=ID, multiple=True,
              help="Only records of this account (repeat for several).")
@click.option("--from", "start", help="Only records created at or after (ISO 8601).")
@click.option("--to", "end", help="Only records created before (ISO 8601).")
@click.option("--query", help='Only records whose text has these words, "phrases", -not.')
@click.option("--item", "items", type=ID, multiple=True, help="Exactly these items.")
@pass_ctx
@handles_errors
def holds_add(ctx: Context, name: str, matter: str, reason: str, accounts: tuple[int, ...],
              start: str | None, end: str | None, query: str | None,
              items: tuple[int, ...]) -> None:
    """Place a legal hold; it also covers matching records captured later."""
    from civicarchive.model.custody import HoldScope
    scope = HoldScope(accounts=frozenset(accounts) or None,
                      start=parse_time_option(start, "--from") if start else None,
                      end=parse_time_option(end, "--to") if end else None, query=query,
                      items=frozenset(items) or None)
    with ctx.open() as archive:
        hold_id = archive.custody.add_hold(name, matter, reason, scope, ctx.actor)
    click.echo(f"Placed hold {hold_id} ({name})")


@holds_group.command("release")
@click.argument("hold_id", type=ID)
@click.option("--reason", required=True, help="Why the hold ends (e.g. the case closed).")
@pass_ctx
@handles_errors
def holds_release(ctx: Context, hold_id: int, reason: str) -> None:
    """Release a legal hold."""
    with ctx.open() as archive:
        archive.custody.release_hold(hold_id, reason, ctx.actor)
    click.echo(f"Released hold {hold_id}")


@holds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the holds as JSON.")
@pass_ctx
@handles_errors
def holds_list(ctx: Context, as_json: bool) -> None:
    """Every hold, active or released."""
    with ctx.open() as archive:
        rows = archive.custody.holds()
    data = [{"id": h.id, "name": h.name, "matter": h.matter, "reason": h.reason,
             "created_at": format_time(h.created_at), "created_by": h.created_by,
             "released_at": format_time(h.released_at) if h.released_at else None,
             "release_reason": h.release_reason} for h in rows]
    if as_json:
        _emit(data)
        return
    for h in data:
        state = f"released {h['released_at'][:10]}" if h["released_at"] else "active"
        click.echo(f"{h['id']:>4}  {h['name']:<30} {h['matter']:<20} {state}")


@main.group("retention")
def retention_group() -> None:
    """Retention status and certified disposition under the adopted policy."""


@retention_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_ctx
@handles_errors
def retention_status(ctx: Context, as_json: bool) -> None:
    """Per series: records, eligible now, held, waiting, and the next eligible date."""
    with ctx.open() as archive:
        rows = archive.disposition.retention_status()
    if as_json:
        _emit(rows)
        return
    click.echo(f"{'series':<14} {'records':>8} {'eligible':>8} {'held':>6} {'waiting':>8} "
               f"{'pending':>8} {'disposed':>8}  next eligible")
    for r in rows:
        click.echo(f"{r['series']:<14} {r['records']:>8} {r['eligible_now']:>8} {r['held']:>6} "
                   f"{r['waiting']:>8} {r['trigger_pending']:>8} {r['disposed']:>8}  "
                   f"{(r['next_eligible'] or '-')[:10]}")


@retention_group.command("review")
@click.option("--series", required=True, help="The record series code.")
@pass_ctx
@handles_errors
def retention_review(ctx: Context, series: str) -> None:
    """Build a disposition batch of the series' eligible records not under hold."""
    with ctx.open() as archive:
        batch_id = archive.disposition.review(series, ctx.actor)
        batch = archive.disposition.batch(batch_id) if batch_id else None
    if batch is None:
        click.echo(f"No record of {series} is eligible for disposition now")
    else:
        click.echo(f"Disposition batch {batch_id}: {len(batch['items'])} record(s) of {series}; "
                   f"next: civicarchive retention approve {batch_id}")


@retention_group.command("approve")
@click.argument("batch_id", type=ID)
@pass_ctx
@handles_errors
def retention_approve(ctx: Context, batch_id: int) -> None:
    """Approve a disposition batch (by someone other than its creator, when required)."""
    with ctx.open() as archive:
        archive.disposition.approve(batch_id, ctx.actor)
    click.echo(f"{ctx.actor} approved disposition batch {batch_id}")


@retention_group.command("transfer")
@click.argument("batch_id", type=ID)
@pass_ctx
@handles_errors
def retention_transfer(ctx: Context, batch_id: int) -> None:
    """Write an approved batch of a series kept by the State Archives as a signed evidence
    package to deliver to them; nothing is purged until `execute --receipt`."""
    with ctx.open() as archive:
        done = archive.disposition.transfer(batch_id, ctx.actor)
    click.echo(f"Transfer package of batch {batch_id} ({len(done['items'])} record(s)): "
               f"{done['path']}\n  tag manifest sha256 {done['tagmanifest_sha256']}\n"
               f"Deliver it to the State Archives; once they acknowledge it: civicarchive "
               f"retention execute {batch_id} --receipt 'THEIR ACCESSION NUMBER'")


@retention_group.command("execute")
@click.argument("batch_id", type=ID)
@click.option("--receipt", help="For a transfer to the State Archives: their receipt for the "
              "transfer package (an accession or transmittal number).")
@click.option("--json", "as_json", is_flag=True, help="Print the certificate as JSON.")
@pass_ctx
@handles_errors
def retention_execute(ctx: Context, batch_id: int, receipt: str | None, as_json: bool) -> None:
    """Dispose of an approved batch and write its certificate (JSON and PDF)."""
    with ctx.open() as archive:
        cert = archive.disposition.execute(batch_id, ctx.actor, receipt=receipt)
        where = archive.context.settings.exports_dir / f"certificate-batch-{batch_id}"
    if as_json:
        _emit(cert)
        return
    click.echo(f"Disposed of {cert['record_count']} record(s) ({cert['version_count']} "
               f"versions) in batch {batch_id}; certificate: {where}.json and {where}.pdf")
