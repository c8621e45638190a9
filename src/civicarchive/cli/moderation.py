"""`civicarchive moderation check`: the moderation engine on a file of comments, outside the
archive. Registered on the main group by importing this module (cli/__init__.py does)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from civicarchive.cli import Context, handles_errors, main, pass_ctx
from civicarchive.errors import InvalidInput, NotInitialised


@main.group("moderation")
def moderation_group() -> None:
    """Comment moderation under the agency's policy (docs/moderation.md)."""


@moderation_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy", "policy_file", type=click.Path(exists=True, dir_okay=False),
              help="The policy file whose moderation categories apply (default: the "
                   "archive's adopted policy, else the packaged Washington example).")
@click.option("--no-embeddings", is_flag=True,
              help="Judge off-topic with the lexical fallback even when the embeddings "
                   "extra is installed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per input line, in input order.")
@pass_ctx
@handles_errors
def moderation_check(ctx: Context, file: Path, policy_file: str | None, no_embeddings: bool,
                     as_json: bool) -> None:
    """Judge each comment of a JSON-lines FILE of {"post": "...", "comment": "..."} (and
    optional "id", "author", "thread") against the policy's moderation categories.

    Each result gives the categories found, the action recommended (none, review, hide or
    remove: never blocking a person), whether the comment is protected speech, and each
    finding with its evidence, clause and legal footing. Exit 1 if a line could not be
    read (its error takes its place in the output)."""
    from civicarchive.app.offline import check_comments, moderation_policy, moderator
    chosen, source = _policy(ctx, policy_file, moderation_policy)
    engine = moderator(chosen, embeddings=False if no_embeddings else None)
    if not as_json:
        _header(source, engine)
    counts: dict[str, int] = {}
    bad = 0
    for checked in check_comments(file, engine):
        if checked.error:
            bad += 1
            click.echo(f"error: {file}:{checked.line}: {checked.error}", err=True)
        else:
            key = checked.verdict.action.value
            counts[key] = counts.get(key, 0) + 1
            counts["protected"] = counts.get("protected", 0) + checked.verdict.protected
        if as_json:
            click.echo(orjson.dumps(checked.as_dict()).decode())
        elif checked.verdict:
            _show(checked)
    if not as_json:
        total = sum(counts.get(a, 0) for a in ("none", "review", "hide", "remove"))
        click.echo(f"{total} comment(s): " + ", ".join(
            f"{counts.get(a, 0)} {a}" for a in ("remove", "hide", "review", "none")) +
            f"; {counts.get('protected', 0)} protected" +
            (f"; {bad} line(s) could not be read" if bad else ""))
    if bad:
        sys.exit(1)


def _policy(ctx: Context, policy_file: str | None, moderation_policy):  # noqa: ANN001, ANN202
    if policy_file is not None:
        return moderation_policy(policy_file)
    try:
        with ctx.open() as archive:
            policy_id, adopted = archive.custody.policy()
        return adopted, f"the archive's adopted policy {policy_id}"
    except NotInitialised:
        return moderation_policy(None)
    except InvalidInput:  # an archive with no policy adopted yet
        return moderation_policy(None)


def _header(source: str, engine) -> None:  # noqa: ANN001
    encoder = (f"sentence encoder {engine.embedder.name}" if engine.uses_embeddings
               else "lexical off-topic check (no sentence encoder)")
    click.echo(f"policy: {source}; {encoder}")
    for category, why in engine.refused:
        click.echo(f"warning: policy category {category.key!r} ({category.name}): {why}")
    for category in engine.unevaluated:
        click.echo(f"note: policy category {category.key!r} ({category.name}) has no "
                   f"detector: not evaluated")
    click.echo("the engine never recommends blocking a person")


def _show(checked) -> None:  # noqa: ANN001
    verdict = checked.verdict
    name = f"line {checked.line}" + (f" ({checked.id})" if checked.id else "")
    protected = ", protected" if verdict.protected else ""
    click.echo(f"{name}: {verdict.action.value}{protected}: {verdict.reason}")
    for finding in verdict.findings:
        evidence = "; ".join(f"\"{s.text[:60]}\"" for s in finding.spans[:3])
        click.echo(f"  {finding.category} ({finding.confidence:.2f}, {finding.action.value}): "
                   f"{evidence}")
        click.echo(f"    why: {finding.explanation}")
    for guarded in verdict.guarded:
        evidence = "; ".join(f"\"{s.text[:60]}\"" for s in guarded.spans[:3])
        click.echo(f"  protected {guarded.speech.value} (high legal risk to remove): "
                   f"{evidence}")
