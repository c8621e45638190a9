"""`civicarchive compliance`: the state-action (Lindke) assessment of officials' posts,
public business on their personal accounts, people's duties, and the alerts that record
them (docs/compliance.md). Registered on the main group by importing this module
(civicarchive/cli/__init__.py does)."""

from __future__ import annotations

import click

from civicarchive.cli import Context, _emit, handles_errors, main, pass_ctx
from civicarchive.cli.inputs import ID


def _excerpt(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


@main.group("compliance")
def compliance_group() -> None:
    """Officials' accounts: state action per post, public business, duties (docs/compliance.md)."""


@compliance_group.command("assess")
@click.option("--account", "account_id", type=ID, help="Only this official's account.")
@click.option("--item", "item_id", type=ID,
              help="Only this post (or the post a comment answers).")
@click.option("--json", "as_json", is_flag=True, help="Print the assessments as JSON.")
@pass_ctx
@handles_errors
def compliance_assess(ctx: Context, account_id: int | None, item_id: int | None,
                      as_json: bool) -> None:
    """Assess each post of officials' accounts for state action (Lindke v. Freed), with
    its reasons, and say whether a personal account's post is public business."""
    with ctx.open() as archive:
        rows = ([archive.compliance.assess_item(item_id)] if item_id is not None
                else archive.compliance.assess(account_id))
    if as_json:
        _emit(rows)
        return
    if not rows:
        click.echo("No posts of officials' accounts: register them (accounts add "
                   "--classification official_personal) and import or capture their posts")
    for row in rows:
        state = row["state_action"]
        business = row["public_business"]
        click.echo(f"item {row['item_id']} on {row['handle']} ({row['person'] or 'no person'}, "
                   f"{row['created_at'] or row['first_seen_at']}): {state['result']}"
                   + (f"; public business under {', '.join(row['series']) or '?'}"
                      if business["public_business"] and
                      row["classification"] == "official_personal" else ""))
        click.echo(f"  {_excerpt(row['text'])}")
        for reason in state["reasons"]:
            click.echo(f"  - {reason['factor']} ({reason['weight']:+}): {reason['explanation']}")


@compliance_group.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
@handles_errors
def compliance_report(ctx: Context, as_json: bool) -> None:
    """Posts on officials' personal accounts flagged as public business (with reasons and
    series), officials' accounts linked to nobody, and people whose acknowledgement or
    training is missing, outdated or expired."""
    with ctx.open() as archive:
        report = archive.compliance.report()
    if as_json:
        _emit(report)
        return
    click.echo(f"Public business on officials' personal accounts: "
               f"{len(report['public_business'])} post(s)")
    for row in report["public_business"]:
        click.echo(f"  item {row['item_id']} on {row['handle']} ({row['person'] or 'no person'}"
                   f"): keep under {', '.join(row['series']) or '(no series: fix the policy)'}"
                   f"; {row['state_action']}")
        click.echo(f"    {_excerpt(row['text'])}")
        click.echo("    because: " + "; ".join(p["explanation"] for p in row["reasons"]))
    for account in report["unlinked_accounts"]:
        click.echo(f"Account {account['account']} ({account['handle']}, "
                   f"{account['classification']}) is linked to no person: its posts cannot be "
                   f"measured against an office (civicarchive people link-account)")
    click.echo(f"People with duties due: {len(report['people'])}")
    for person in report["people"]:
        click.echo(f"  {person['name']} (person {person['person']}): acknowledgement "
                   f"{person['acknowledgement']['status']}, training "
                   f"{person['training']['status']}")


@compliance_group.command("monitor")
@click.option("--json", "as_json", is_flag=True, help="Print the new alerts' ids as JSON.")
@pass_ctx
@handles_errors
def compliance_monitor(ctx: Context, as_json: bool) -> None:
    """Record an alert for what the report finds that was not alerted before."""
    with ctx.open() as archive:
        ids = archive.compliance.monitor(ctx.actor)
    if as_json:
        _emit({"alerts": ids})
        return
    click.echo(f"Recorded {len(ids)} new alert(s)" +
               ("; see civicarchive alerts list --kind compliance.public_business" if ids
                else ""))


@compliance_group.command("warn")
@click.argument("item_id", type=ID)
@click.option("--action", required=True, type=click.Choice(["block", "delete", "hide"]),
              help="What is contemplated: block the commenter, delete or hide the comment.")
@click.option("--json", "as_json", is_flag=True, help="Print the warning as JSON.")
@pass_ctx
@handles_errors
def compliance_warn(ctx: Context, item_id: int, action: str, as_json: bool) -> None:
    """Before a block or a deletion on a post (or a comment under it): the warning when
    the post is assessed likely state action or unclear, with a less restrictive action."""
    with ctx.open() as archive:
        warning = archive.compliance.restriction_warning(item_id, action)
    if as_json:
        _emit(warning.as_dict() if warning else None)
        return
    if warning is None:
        click.echo(f"No state-action warning for {action} on item {item_id}; the moderation "
                   f"policy's categories still apply")
        return
    click.echo(f"warning: {warning.message}")
    click.echo(f"suggested instead: {warning.suggestion.value}")
