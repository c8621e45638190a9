"""`civicarchive moderation review | act | log | label | report`: the review queue, the
moderation log, reviewers' stance labels and the viewpoint-neutrality report
(docs/moderation.md). Registered on the `moderation` group by importing this module
(civicarchive/cli/__init__.py does)."""

from __future__ import annotations

import sys

import click

from civicarchive.cli import Context, _emit, handles_errors, pass_ctx
from civicarchive.cli.moderation import moderation_group
from civicarchive.model.moderation import ModerationKind, Stance


def _excerpt(text: str, width: int = 70) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 3] + "..."


@moderation_group.command("review")
@click.option("--account", "account_id", type=int, help="Only this account's comments.")
@click.option("--all", "everything", is_flag=True,
              help="Every comment, not only those with a recommendation or protected mark.")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@pass_ctx
@handles_errors
def moderation_review(ctx: Context, account_id: int | None, everything: bool,
                      as_json: bool) -> None:
    """The review queue, newest first: comments on registered accounts that the engine
    recommends reviewing, hiding or removing, or marks protected, each with its findings
    (clause and legal footing) and the protected-speech guard. Nothing here acts: use
    `moderation act`."""
    with ctx.open() as archive:
        rows = archive.moderation.review(account_id, everything)
    if as_json:
        _emit(rows)
        return
    if not rows:
        click.echo("No comments need review.")
    for row in rows:
        verdict = row["verdict"]
        mark = " PROTECTED" if verdict["protected"] else ""
        done = row["last_action"]
        click.echo(f"item {row['item_id']} on {row['handle']} by {row['author'] or '?'} "
                   f"({row['created_at'] or row['first_seen_at']}): {verdict['action']}{mark}"
                   + (f"; last action {done['action']} by {done['acted_by']}" if done else ""))
        click.echo(f"  {_excerpt(row['text'])}")
        for finding in verdict["findings"]:
            click.echo(f"  - {finding['category']} ({finding['confidence']:.2f}, "
                       f"{finding['action']}): {finding['explanation']}")
        for guarded in verdict["guarded"]:
            click.echo(f"  ! protected ({guarded['speech']}, {guarded['risk']} risk to remove): "
                       f"{guarded['explanation']} [{guarded['footing']}]")


@moderation_group.command("act")
@click.argument("item_id", type=int)
@click.argument("action", type=click.Choice([k.value for k in ModerationKind]))
@click.option("--clause", help="The policy's moderation category relied on, e.g. spam "
                               "(needed for hide, delete and block).")
@click.option("--reason", help="A written reason: needed to hide or delete a comment that is "
                               "protected or has no policy category.")
@click.option("--on-platform/--record-only", default=True, show_default=True,
              help="Carry the action out through the platform's API where it has one, or "
                   "only record an action taken elsewhere.")
@click.option("--json", "as_json", is_flag=True, help="Print the logged action as JSON.")
@pass_ctx
@handles_errors
def moderation_act(ctx: Context, item_id: int, action: str, clause: str | None,
                   reason: str | None, on_platform: bool, as_json: bool) -> None:
    """Record ACTION (hide, unhide, delete, block, unblock) on the comment ITEM_ID (a
    block: on its author), with the clause relied on; the comment stays in the archive.
    Exit 1 when the platform refused it (the attempt is logged)."""
    with ctx.open() as archive:
        done = archive.moderation.act(item_id, action, ctx.actor, clause=clause,
                                      reason=reason, on_platform=on_platform)
    if as_json:
        _emit(done)
    else:
        if done["warning"]:
            click.echo(f"warning: {done['warning']['message']}", err=True)
        click.echo(f"Logged action {done['id']}: {done['action']} of item {done['item_id']} "
                   f"(version {done['version_id']}) under {done['clause'] or 'no clause'}: "
                   f"{done['outcome_detail']}")
        for alert in done["alerts"]:
            click.echo(f"Raised alert {alert} (see civicarchive alerts list)")
    if done["outcome"] == "failed":
        sys.exit(1)


@moderation_group.command("log")
@click.option("--account", "account_id", type=int, help="Only this account's actions.")
@click.option("--json", "as_json", is_flag=True, help="Print the log as JSON.")
@pass_ctx
@handles_errors
def moderation_log(ctx: Context, account_id: int | None, as_json: bool) -> None:
    """Every moderation action, oldest first: who, when, the clause, the archived version
    acted on, and whether the platform carried it out or it was recorded only."""
    with ctx.open() as archive:
        rows = archive.moderation.log(account_id)
    if as_json:
        _emit(rows)
        return
    if not rows:
        click.echo("No moderation actions logged.")
    for row in rows:
        click.echo(f"{row['acted_at']}  #{row['id']} {row['action']:<7} item {row['item_id']} "
                   f"v{row['version_id']} by {row['acted_by']} under "
                   f"{row['clause'] or 'no clause'}: {row['outcome_detail']}")
        if row["reason"]:
            click.echo(f"  reason: {row['reason']}")
        if row["verdict"]["protected"]:
            click.echo("  the engine marked this comment protected")
        if row["warning"]:
            click.echo(f"  warning shown: {row['warning']['message']}")


@moderation_group.command("label")
@click.argument("item_id", type=int)
@click.option("--stance", required=True, type=click.Choice([s.value for s in Stance]),
              help="The commenter's stance toward the post's subject, as you read it.")
@pass_ctx
@handles_errors
def moderation_label(ctx: Context, item_id: int, stance: str) -> None:
    """Label the stance of the commenter of ITEM_ID (for, against, neutral), for the
    viewpoint-neutrality report. A person gives it; no model guesses viewpoint."""
    with ctx.open() as archive:
        label_id = archive.moderation.label(item_id, stance, ctx.actor)
    click.echo(f"Labelled item {item_id} {stance} (label {label_id})")
