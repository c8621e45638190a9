"""The `civicarchive` command: thin commands over the archive's services.

Errors are mapped here, once: an ArchiveError prints `error: <message>` and exits 1,
with the flag that sets the input at fault when the error names one; usage mistakes exit
2 (click). Everything a script would parse has `--json`. The services and their heavy
dependencies load only when a command runs, so that short commands start quickly.
"""

from __future__ import annotations

import functools
import getpass
import os
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from civicarchive.cli import terminal
from civicarchive.cli.inputs import ID, published_key, require_parent
from civicarchive.errors import ArchiveError, NotInitialised
from civicarchive.model.account import Classification

if TYPE_CHECKING:
    from civicarchive.archive import Archive

DEFAULT_BATCH = 8000  # the same as app/ingesting.py (a test holds them equal)
FORMATS = ["bluesky", "facebook", "feed", "instagram", "mastodon", "x", "youtube"]


def _emit(data: object) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def as_argument(path: Path | str) -> str:
    """A path as it can be pasted into a command: quoted for the shell, and never read
    as an option (a folder named -dash becomes ./-dash)."""
    text = str(path)
    return shlex.quote(f"./{text}" if text.startswith("-") else text)


def write_output(path: Path, data: bytes) -> None:
    """Write an -o file in a folder that exists; why not, in a sentence, when it cannot
    be (a missing folder, a full disk, no permission), never a traceback."""
    from civicarchive.app.evidence import require_folder, unwritable
    require_folder(path.parent)
    try:
        path.write_bytes(data)
    except OSError as error:
        raise unwritable(path, error) from None


def _default_actor() -> str:
    try:
        return os.environ.get("CIVICARCHIVE_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def handles_errors(command):  # noqa: ANN001, ANN201
    @functools.wraps(command)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return command(*args, **kwargs)
        except ArchiveError as error:
            flag = flag_for(error.parameter)
            hint = CLI_HINTS.get(type(error))
            click.echo(f"error: {error}" + (f" ({flag})" if flag else "") +
                       (f"; {hint}" if hint else ""), err=True)
            sys.exit(1)
    return wrapper


# What to type next, for errors whose fix is a command.
CLI_HINTS = {NotInitialised: "`civicarchive init --agency NAME` makes one; CIVICARCHIVE_HOME names it"}


def flag_for(parameter: str | None) -> str | None:
    """The option or argument of the running command (or its groups) that sets
    `parameter`, as the user types it: `--agency`, `FILE`."""
    context = click.get_current_context(silent=True)
    while parameter and context is not None:
        for param in context.command.params:
            if param.name == parameter:
                if isinstance(param, click.Option):
                    return max(param.opts, key=len)
                return param.human_readable_name
        context = context.parent
    return None


class Context:
    def __init__(self, home: str | None, database_url: str | None, actor: str) -> None:
        self.home = home
        self.database_url = database_url
        self.actor = actor

    def open(self, upgrade: bool = True) -> Archive:
        from civicarchive.archive import Archive
        return Archive.open(self.home, self.database_url, upgrade=upgrade)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="CIVICARCHIVE_HOME", type=click.Path(file_okay=False),
              help="Archive folder (default ./civicarchive-data; env CIVICARCHIVE_HOME).")
@click.option("--database-url", envvar="CIVICARCHIVE_DATABASE_URL",
              help="postgresql://... to keep records in PostgreSQL (env "
                   "CIVICARCHIVE_DATABASE_URL); SQLite in the home folder otherwise.")
@click.option("--actor", default=_default_actor,
              help="Who is acting, for the audit log (env CIVICARCHIVE_ACTOR; default: "
                   "your login name).")
@click.version_option(package_name="civicarchive")
@click.pass_context
def main(ctx: click.Context, home: str | None, database_url: str | None, actor: str) -> None:
    """Keep an agency's social media as provable public records."""
    terminal.guard()  # archived text is printed: it must not drive the terminal
    ctx.obj = Context(home, database_url, actor)


@main.command()
@click.option("--agency", required=True, help="The agency's name, e.g. 'City of Example'.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
@handles_errors
def init(ctx: Context, agency: str, as_json: bool) -> None:
    """Create an archive: database, blob folder and Ed25519 signing key."""
    from civicarchive.archive import Archive
    with Archive.init(agency, ctx.home, ctx.database_url, actor=ctx.actor) as archive:
        context = archive.context
        result = {"archive_id": context.archive_id, "home": str(context.settings.home),
                  "database": context.store.where,
                  "public_key_sha256": context.public_key_fingerprint}
    if as_json:
        _emit(result)
        return
    click.echo(f"Created archive {result['archive_id']} for {agency}")
    click.echo(f"  database:   {result['database']}")
    click.echo(f"  signing key: {context.settings.keys_dir} (keep a backup; mode 0600)")
    click.echo(f"  public key sha256: {result['public_key_sha256']}")
    click.echo("Next: civicarchive accounts add --platform P --handle H --classification agency")


@main.group()
def accounts() -> None:
    """The registry of accounts that do agency business."""


@accounts.command("add")
@click.option("--platform", required=True, help="e.g. x, facebook, instagram, mastodon, bluesky.")
@click.option("--handle", required=True, help="The account's handle or name on the platform.")
@click.option("--classification", required=True,
              type=click.Choice([c.value for c in Classification]))
@click.option("--owner", help="The person or office responsible for the account.")
@click.option("--platform-id", help="The platform's own id for the account, if known.")
@click.option("--agency", help="Agency slug, when the archive holds several.")
@click.option("--json", "as_json", is_flag=True, help="Print the new account as JSON.")
@pass_ctx
@handles_errors
def accounts_add(ctx: Context, platform: str, handle: str, classification: str,
                 owner: str | None, platform_id: str | None, agency: str | None,
                 as_json: bool) -> None:
    """Register an account."""
    with ctx.open() as archive:
        account = archive.registry.add_account(platform, handle, classification, owner=owner,
                                               platform_id=platform_id, agency=agency,
                                               actor=ctx.actor)
    if as_json:
        _emit(account.as_dict())
    else:
        click.echo(f"Registered account {account.id}: {account.platform} {account.handle} "
                   f"({account.classification.value})")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@pass_ctx
@handles_errors
def accounts_list(ctx: Context, as_json: bool) -> None:
    """List registered accounts."""
    with ctx.open() as archive:
        rows = archive.registry.accounts()
    if as_json:
        _emit([a.as_dict() for a in rows])
        return
    if not rows:
        click.echo("No accounts registered yet: civicarchive accounts add --help")
    for a in rows:
        click.echo(f"{a.id:>5}  {a.platform:<10} {a.handle:<30} {a.classification.value:<22} "
                   f"{a.owner or '-'}")


@main.command("ingest-jsonl")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--account", "account_id", required=True, type=ID, help="Account id.")
@click.option("--batch-size", default=DEFAULT_BATCH, show_default=True,
              type=click.IntRange(1, 100000),
              help="Observations per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@pass_ctx
@handles_errors
def ingest_jsonl(ctx: Context, file: Path, account_id: int, batch_size: int, as_json: bool,
                 quiet: bool) -> None:
    """Ingest observations from a JSONL file (format: docs/jsonl-format.md).

    The whole file is checked first: if any line is malformed, nothing is written.
    Re-running the same file adds nothing, so an interrupted ingest is finished by
    running it again.
    """
    with ctx.open() as archive:
        report = archive.ingesting.ingest_jsonl(file, account_id, actor=ctx.actor,
                                                batch_size=batch_size,
                                                progress=_progress_printer(quiet or as_json))
    if as_json:
        _emit(report.as_dict())
        return
    d = report.as_dict()
    click.echo(f"Ingested {d['observations']:,} observations from {file}: "
               f"{d['versions']:,} new versions ({d['created']:,} created, {d['edited']:,} "
               f"edited, {d['deleted']:,} deleted, {d['hidden']:,} hidden, {d['unhidden']:,} "
               f"unhidden, {d['restored']:,} restored), {d['unchanged']:,} unchanged")


@main.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--account", "account_id", required=True, type=ID, help="Account id.")
@click.option("--format", "format", type=click.Choice(FORMATS),
              help="The export's format; detected when left out.")
@click.option("--public-key", help="The account's public key, where the format carries "
                                   "signatures (Bluesky: did:key:z..., or the DID "
                                   "document's publicKeyMultibase z...).")
@click.option("--partial", is_flag=True,
              help="The export covers a date range or a selection: record nothing as "
                   "deleted because it is absent.")
@click.option("--batch-size", default=DEFAULT_BATCH, show_default=True,
              type=click.IntRange(1, 100000), help="Entries per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@pass_ctx
@handles_errors
def import_command(ctx: Context, path: Path, account_id: int, format: str | None,
                   public_key: str | None, partial: bool, batch_size: int, as_json: bool,
                   quiet: bool) -> None:
    """Import a platform's own export of one account (zip, tar.gz, folder or file).

    Formats: X archive, Facebook and Instagram "Download your information" (JSON),
    Mastodon archive, Bluesky repository (CAR), YouTube Takeout, RSS/Atom feed. A Takeout
    split into numbered parts is imported whole from any part, with the others beside it.
    Re-running an import adds nothing; a later export adds edits, and records items it no
    longer holds as deleted.
    """
    with ctx.open() as archive:
        report = archive.ingesting.import_export(path, account_id, format=format,
                                                 actor=ctx.actor,
                                                 batch_size=batch_size,
                                                 progress=_progress_printer(quiet or as_json),
                                                 public_key=public_key, partial=partial)
    result = report.as_dict()
    if as_json:
        _emit(result)
        return
    click.echo(f"Imported {result['entries']:,} entries from {path} ({result['format']} "
               f"export): {result['created']:,} created, {result['edited']:,} edited, "
               f"{result['deleted']:,} deleted, {result['unchanged']:,} unchanged, "
               f"{len(result['problems'])} problem(s)")
    for kind, counts in result["by_kind"].items():
        click.echo(f"  {kind:<8} " + ", ".join(f"{counts[k]:,} {k}" for k in
                                               ("created", "edited", "deleted", "unchanged")))
    if result["absent_marked_deleted"]:
        click.echo(f"  {result['absent_marked_deleted']:,} item(s) absent from this full "
                   "export were recorded as deleted")
    for name, value in result["evidence"].items():
        click.echo(f"  evidence: {name}: {value}")
    for problem in result["problems"][:20]:
        click.echo(f"  problem: {problem['where']}: {problem['what']}")
    if len(result["problems"]) > 20:
        click.echo(f"  ... and {len(result['problems']) - 20} more (see --json)")


def _progress_printer(quiet: bool):  # noqa: ANN202
    started = last = time.monotonic()

    def progress(report) -> None:  # noqa: ANN001
        nonlocal last
        now = time.monotonic()
        if not quiet and now - last >= 2:
            last = now
            rate = report.observations / (now - started)
            click.echo(f"  {report.observations:,} entries, {report.versions:,} new versions "
                       f"({rate:,.0f}/s)", err=True)
    return progress


def _version_dict(version, purged: set[int]) -> dict:  # noqa: ANN001
    return {"id": version.id, "event": version.event.value, "observed_at": version.observed_at,
            "recorded_at": version.recorded_at, "content_sha256": version.content_sha256,
            "raw_sha256": version.raw_sha256, "source": version.source,
            "ledger_index": version.ledger_index, "purged": version.id in purged}


@main.command()
@click.argument("item_id", type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@pass_ctx
@handles_errors
def show(ctx: Context, item_id: int, as_json: bool) -> None:
    """Show an item and the content of its latest version."""
    with ctx.open() as archive:
        item = archive.reading.item(item_id)
        history = archive.reading.history(item_id)
        latest = history[-1]
        content = archive.reading.content(latest)
        account = archive.registry.account(item.account_id)
        held = [{"id": h.id, "name": h.name, "matter": h.matter}
                for h in archive.custody.holds_on(item_id)]
        data = {"id": item.id, "account": account.as_dict(), "native_id": item.native_id,
                "kind": item.kind.value, "parent_native_id": item.parent_native_id,
                "author": item.author, "url": item.url, "created_at": item.created_at,
                "first_seen_at": item.first_seen_at, "versions": len(history),
                "latest": {**_version_dict(latest, archive.reading.purged([latest.id])),
                           "content": content},
                "holds": held}
    if as_json:
        _emit(data)
        return
    click.echo(f"item {item.id}: {item.kind.value} {item.native_id} on {account.platform} "
               f"{account.handle}")
    click.echo(f"  author {item.author or '-'}, created {item.created_at or '-'}, "
               f"first seen {item.first_seen_at}")
    if item.url:
        click.echo(f"  {item.url}")
    click.echo(f"  latest: version {latest.id}, {latest.event.value} at {latest.observed_at} "
               f"({len(history)} version(s); see `civicarchive history {item.id}`)")
    for hold in held:
        click.echo(f"  under legal hold {hold['id']} ({hold['name']}, {hold['matter']})")
    if content is None:
        click.echo("  [content purged by an approved disposition; hashes remain in the ledger]")
    else:
        text = content.get("text")
        click.echo(f"  text: {text}" if isinstance(text, str) else
                   f"  content: {orjson.dumps(content).decode()}")


@main.command()
@click.argument("item_id", type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@pass_ctx
@handles_errors
def history(ctx: Context, item_id: int, as_json: bool) -> None:
    """List every version of an item, in observed order."""
    with ctx.open() as archive:
        found = archive.reading.history(item_id)
        purged = archive.reading.purged([v.id for v in found])
        versions = [_version_dict(v, purged) for v in found]
    if as_json:
        _emit(versions)
        return
    click.echo(f"{'version':>8}  {'event':<9} {'observed at':<28} {'ledger':>7}  content sha256")
    for v in versions:
        purged = "  (purged)" if v["purged"] else ""
        click.echo(f"{v['id']:>8}  {v['event']:<9} {v['observed_at']:<28} "
                   f"{v['ledger_index']:>7}  {v['content_sha256'][:16]}{purged}")


@main.command()
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False),
              help="Check signatures against this published key instead of the archive's own.")
@click.option("--checkpoint", "checkpoint", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint file obtained earlier (checkpoint export): the ledger must "
                   "extend it (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
@handles_errors
def verify(ctx: Context, public_key: str | None, checkpoint: tuple[Path, ...],
           as_json: bool) -> None:
    """Re-derive every hash, ledger entry, root and signature, and check the checkpoints
    form one unbroken chain the ledger extends; exit 1 on any mismatch."""
    def progress(stage: str, count: int) -> None:
        if not as_json:
            click.echo(f"  {stage}: {count:,} checked", err=True)

    with ctx.open(upgrade=False) as archive:  # verifying never writes
        trusted = published_key(public_key)
        report = archive.evidence.verify(progress=progress, trusted_key_pem=trusted,
                                         checkpoints=checkpoint)
    if as_json:
        _emit(report.as_dict())
    else:
        if report.complete:
            click.echo(f"ledger entries {report.entries:,} (versions {report.versions:,}, "
                       f"audit events {report.audit_events:,}, tombstones "
                       f"{report.tombstones:,}); blobs {report.blobs:,} "
                       f"({report.blob_bytes:,} bytes); checkpoints {report.checkpoints:,}; "
                       f"purged versions {report.purged_versions:,}")
            click.echo(f"root {report.root}")
        for checked in report.checkpoint_files:
            stamped = checked["timestamped_at"]
            click.echo(f"checkpoint file {checked['file']}: checkpoint "
                       f"{checked['checkpoint'] or '(v1)'} of {checked['size']:,} entries, " +
                       ("not timestamped" if not stamped else f"timestamped {stamped}" + (
                           "" if checked["timestamp_signature_checked"] else
                           " (the authority's signature unchecked: no CA file is set)")))
        if report.unsealed_entries:
            click.echo(f"warning: {report.unsealed_entries} entries after the last checkpoint")
        if report.ok:
            click.echo("OK: every hash, entry, root and signature verifies")
        else:
            click.echo(f"FAILED: {len(report.problems)} problem(s)"
                       f"{'' if report.complete else ' (the checks stopped there)'}; first: "
                       f"{report.problems[0]}", err=True)
            for problem in report.problems[1:50]:
                click.echo(f"  {problem}", err=True)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Verify the copy once it is made.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
@handles_errors
def backup(ctx: Context, folder: Path, verify: bool, as_json: bool) -> None:
    """Copy the archive (SQLite) into a new FOLDER while it is in use: the keys, one
    snapshot of the database, the blob files it names; then verify the copy. The
    credentials key and the search index are left out."""
    from civicarchive.app.backup import back_up
    from civicarchive.archive import Archive
    require_parent(folder)

    def progress(what: str, done: int, of: int) -> None:
        if not as_json:
            click.echo(f"  {what}: {done:,} of {of:,} copied", err=True)

    with ctx.open(upgrade=False) as archive:
        report = back_up(archive.context, folder, progress)
    result = report.as_dict()
    if verify:
        with Archive.open(folder, upgrade=False) as copy:
            checked = copy.evidence.verify()
        result["verified"] = checked.ok
        result["problems"] = [str(p) for p in checked.problems[:50]]
    if as_json:
        _emit(result)
    else:
        click.echo(f"Backed up to {report.folder}: database {report.database_bytes:,} bytes, "
                   f"{report.blob_files:,} blob files ({report.blob_bytes:,} bytes)")
        for what in report.left_out:
            click.echo(f"  left out: {what}")
        if report.missing_blob_files:
            click.echo(f"warning: {report.missing_blob_files} blob file(s) the database names "
                       "are missing from the archive itself: run `civicarchive verify`",
                       err=True)
        if verify:
            click.echo("The copy verifies." if result["verified"] else
                       f"FAILED: the copy does not verify; first: {result['problems'][0]}",
                       err=not result["verified"])
    if verify and not result["verified"]:
        sys.exit(1)


@main.command()
@click.argument("version_id", type=ID)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the proof (JSON).")
@pass_ctx
@handles_errors
def proof(ctx: Context, version_id: int, output: Path) -> None:
    """Write a self-contained inclusion proof for one version."""
    from civicarchive.app.evidence import require_folder
    require_folder(output.parent)  # before the proof is built
    with ctx.open() as archive:
        doc = archive.evidence.proof(version_id)
    write_output(output, orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    click.echo(f"Wrote proof of version {version_id} (ledger entry {doc['leaf_index']} of "
               f"{doc['tree_size']}) to {output}; check it with `civicarchive verify-proof "
               f"{as_argument(output)}`")


@main.command("verify-proof")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False),
              help="The agency's published public key (PEM or base64); recommended.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handles_errors
def verify_proof_command(file: Path, public_key: str | None, as_json: bool) -> None:
    """Check an inclusion proof offline, without the archive."""
    from civicarchive.app.offline import check_proof, read_proof_file
    doc = read_proof_file(file)
    result = check_proof(doc, published_key(public_key))
    if as_json:
        _emit({"ok": True, "version_id": result.version_id, "leaf_index": result.leaf_index,
               "tree_size": result.tree_size, "root": result.root,
               "checkpoint_time": result.checkpoint_time,
               "public_key_sha256": result.key_fingerprint,
               "content_included": result.content_included, "entry": result.entry})
        return
    click.echo(f"OK: version {result.version_id} is entry {result.leaf_index} of the ledger "
               f"of {result.tree_size} entries signed at {result.checkpoint_time}")
    click.echo(f"  root {result.root}")
    click.echo(f"  signed by key sha256 {result.key_fingerprint}"
               + ("" if public_key else " (compare it with the agency's published key, or "
                  "pass --public-key)"))
    if result.content_included:
        click.echo("  content matches the hash the entry commits to")


@main.command("export")
@click.option("--version", "versions", type=ID, multiple=True, help="A version (repeat).")
@click.option("--item", "items", type=ID, multiple=True,
              help="Every version of an item (repeat).")
@click.option("--format", "fmt", type=click.Choice(["warc", "bagit"]), required=True)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The WARC file, or the (new, empty) folder of the evidence package.")
@pass_ctx
@handles_errors
def export_command(ctx: Context, versions: tuple[int, ...], items: tuple[int, ...], fmt: str,
                   output: Path) -> None:
    """Export records as a WARC file or a BagIt evidence package with proofs."""
    with ctx.open() as archive:
        ids = list(versions) + [v.id for item in items for v in archive.reading.history(item)]
        archive.evidence.export(sorted(set(ids)), fmt, output)
    click.echo(f"Exported {len(set(ids))} version(s) as {fmt} to {output}" +
               (f"; check it with `civicarchive verify-package {as_argument(output)}`"
                if fmt == "bagit" else ""))


@main.command("verify-package")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False),
              help="The agency's published public key; recommended.")
@handles_errors
def verify_package_command(folder: Path, public_key: str | None) -> None:
    """Check an evidence package offline: bag hashes, content hashes, proofs, signature."""
    from civicarchive.app.offline import verify_package
    problems = verify_package(folder, published_key(public_key))
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        click.echo(f"FAILED: {len(problems)} problem(s) in {folder}", err=True)
        sys.exit(1)
    click.echo(f"OK: every hash, proof and signature in {folder} verifies" +
               ("" if public_key else " (against the package's own key: pass --public-key "
                                      "with the agency's published key)"))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_ctx
@handles_errors
def stats(ctx: Context, as_json: bool) -> None:
    """Counts of accounts, items, versions, blobs and ledger entries."""
    with ctx.open() as archive:
        counts = archive.reading.stats()
    if as_json:
        _emit(counts)
        return
    for name, value in counts.items():
        click.echo(f"{name:<16} {value:>12,}")


@main.command("public-key")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the PEM here instead of printing it.")
@pass_ctx
@handles_errors
def public_key_command(ctx: Context, output: Path | None) -> None:
    """Export the archive's public key, to publish for third-party verification."""
    with ctx.open() as archive:
        pem = archive.evidence.public_key_pem()
    if output:
        write_output(output, pem)
        click.echo(f"Wrote the public key to {output}")
    else:
        click.echo(pem.decode(), nl=False)


# The records-management and search commands register themselves on `main`.
from civicarchive.cli import capture as _capture  # noqa: E402, F401
from civicarchive.cli import casework as _casework  # noqa: E402, F401
from civicarchive.cli import checkpoints as _checkpoints  # noqa: E402, F401
from civicarchive.cli import compliance as _compliance  # noqa: E402, F401
from civicarchive.cli import finding as _finding  # noqa: E402, F401
from civicarchive.cli import moderation as _moderation  # noqa: E402, F401
from civicarchive.cli import moderation_log as _moderation_log  # noqa: E402, F401
from civicarchive.cli import people as _people  # noqa: E402, F401
from civicarchive.cli import records as _records  # noqa: E402, F401
from civicarchive.cli import staff as _staff  # noqa: E402, F401

if __name__ == "__main__":
    main()
