"""`civicarchive checkpoint ...`: timestamps, checkpoint files to publish, and resetting
continuity after an investigated rollback (docs/continuity.md). Registered on the main
group by importing this module (civicarchive/cli/__init__.py does)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from civicarchive.cli import Context, _emit, handles_errors, main, pass_ctx, write_output


@main.group()
def checkpoint() -> None:
    """Signed checkpoints: timestamp, export for publication, reset after a rollback."""


@checkpoint.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the checkpoint file here instead of printing it.")
@pass_ctx
@handles_errors
def checkpoint_export(ctx: Context, output: Path | None) -> None:
    """Write the newest signed checkpoint, with its RFC 3161 timestamp token, as a
    checkpoint file to publish (docs/checkpoint-file.md)."""
    with ctx.open() as archive:
        signed = archive.witnessing.export()
    data = signed.to_json()
    if output is None:
        click.echo(data.decode(), nl=False)
        return
    write_output(output, data)
    body = signed.body
    click.echo(f"Wrote checkpoint {body.number} (ledger of {body.size:,} entries, signed "
               f"{body.time}) to {output}" + ("" if signed.timestamp else
                                              "; it has no timestamp yet: run `civicarchive "
                                              "checkpoint timestamp` first"))
    click.echo(f"Anyone can check the archive still extends it: civicarchive verify "
               f"--checkpoint {output}")


@checkpoint.command("timestamp")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_ctx
@handles_errors
def checkpoint_timestamp(ctx: Context, as_json: bool) -> None:
    """Ask the time-stamping authority (CIVICARCHIVE_TSA_URL) to timestamp the newest
    checkpoint, if it has no token yet; a miss is recorded and exits 1."""
    with ctx.open() as archive:
        outcome = archive.witnessing.timestamp()
    if as_json:
        _emit(outcome.as_dict())
    elif outcome.status == "timestamped":
        click.echo(f"Timestamped checkpoint {outcome.checkpoint}: the authority saw it at "
                   f"{outcome.detail}")
    elif outcome.status == "already":
        click.echo(f"Checkpoint {outcome.checkpoint} already has a timestamp")
    else:
        click.echo(f"error: missed: {outcome.detail}; the miss is recorded, try again later",
                   err=True)
    if outcome.status == "missed":
        sys.exit(1)


@checkpoint.command("reset")
@click.option("--reason", required=True,
              help="Why, after investigation, the database's checkpoints are to be trusted "
                   "(recorded in the audit log).")
@pass_ctx
@handles_errors
def checkpoint_reset(ctx: Context, reason: str) -> None:
    """Accept the database's newest signed checkpoint after writes were refused (a backup
    restored on purpose); the checkpoint kept until now is set aside, not deleted."""
    with ctx.open() as archive:
        result = archive.witnessing.reset(reason, actor=ctx.actor)
    if result["superseded"] is not None:
        click.echo(f"Set aside checkpoint {result['superseded']} as {result['set_aside']}")
    elif result["damaged"] is not None:
        click.echo(f"Set aside the damaged note ({result['damaged']}) as "
                   f"{result['set_aside']}")
    click.echo(f"Continuity now extends checkpoint {result['now']}; run `civicarchive "
               "verify` and publish a new checkpoint (civicarchive checkpoint export)")
