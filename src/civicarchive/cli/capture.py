"""`civicarchive capture`, `alerts`, `keys` and `accounts credentials`: live capture
(docs/coverage.md, docs/cli.md). Registered on the main group by importing this module
(civicarchive/cli/__init__.py does). Tokens are read from files only, never from the
command line, and never printed."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

import click

from civicarchive.cli import Context, _emit, accounts, handles_errors, main, pass_ctx
from civicarchive.cli.inputs import ID


def _when(text: str | None) -> datetime | None:
    from civicarchive.clock import parse_time
    from civicarchive.errors import InvalidInput
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError as error:
        raise InvalidInput(f"{text!r} is not a time with its offset ({error})",
                           parameter="expires_at") from None


@main.group()
def capture() -> None:
    """Live capture from the platforms' APIs and feeds (docs/coverage.md)."""


@capture.command("configure")
@click.argument("account_id", type=ID)
@click.option("--url", help="The account's server (Mastodon, a Bluesky PDS) or the feed's "
              "address.")
@click.option("--stream-url", help="Bluesky: the event stream replies are read from (a "
              "relay's subscribeRepos; default: the PDS's own).")
@click.option("--plc-url", help="Bluesky: the PLC directory that resolves did:plc "
              "(default https://plc.directory).")
@click.option("--interval", type=int, help="Seconds between passes (default 900).")
@click.option("--jitter", type=float, help="Spread passes by +- this share of the interval "
              "(default 0.1).")
@click.option("--full-every", type=int, help="Every Nth pass lists everything, to find "
              "deletions (default 12).")
@click.option("--media-max-bytes", type=int, help="Largest media file downloaded "
              "(default 50 MiB).")
@click.option("--enable/--disable", "enabled", default=None, help="Capture this account, or "
              "stop (its records stay).")
@click.option("--page", "pages", multiple=True, help="A web page a web account captures in "
              "the browser; repeat for several (replaces the list).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@pass_ctx
@handles_errors
def configure(ctx: Context, account_id: int, url: str | None, stream_url: str | None,
              plc_url: str | None, interval: int | None,
              jitter: float | None, full_every: int | None, media_max_bytes: int | None,
              enabled: bool | None, pages: tuple[str, ...], as_json: bool) -> None:
    """Set how an account is captured; unnamed settings keep their value."""
    with ctx.open() as archive:
        settings = archive.capturing.configure(
            account_id, ctx.actor, url=url, stream_url=stream_url, plc_url=plc_url,
            interval=interval, jitter=jitter, full_every=full_every,
            media_max_bytes=media_max_bytes, enabled=enabled, pages=pages or None)
    if as_json:
        _emit(settings.as_dict())
        return
    for name, value in settings.as_dict().items():
        click.echo(f"{name:<16} {value}")


@capture.command("run")
@click.option("--account", "account_id", type=ID, help="Capture this account only (default: "
              "every configured account).")
@click.option("--json", "as_json", is_flag=True, help="Print each run as JSON.")
@pass_ctx
@handles_errors
def run(ctx: Context, account_id: int | None, as_json: bool) -> None:
    """Run one capture pass; exits 1 when an account could not be captured."""
    with ctx.open() as archive:
        reports = archive.capturing.run(account_id, ctx.actor)
    if as_json:
        _emit([r.as_dict() for r in reports])
    else:
        if not reports:
            click.echo("No account is configured for capture: see `capture configure`.")
        for report in reports:
            if report.ok:
                counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
                click.echo(f"account {report.account_id}: run {report.run_id}: {counts}"
                           f"{' (full pass)' if report.full else ''}")
                for problem in report.problems:
                    click.echo(f"  problem: {problem['where']}: {problem['what']}")
            else:
                click.echo(f"account {report.account_id}: run {report.run_id} failed: "
                           f"{report.failure['message']}" +
                           (f" (gap {report.gap_opened} opened)" if report.gap_opened else ""))
    if any(not r.ok for r in reports):
        sys.exit(1)


@capture.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_ctx
@handles_errors
def status(ctx: Context, as_json: bool) -> None:
    """Per account: last success, lag, failures in a row, open gap, credentials expiry,
    completeness."""
    with ctx.open() as archive:
        found = archive.capturing.status()
    if as_json:
        _emit([s.as_dict() for s in found])
        return
    if not found:
        click.echo("No account is configured for capture.")
    for s in found:
        lag = f"{s.lag_seconds / 60:.0f} min ago" if s.lag_seconds is not None else "never"
        quality = f"{s.completeness:.0%}" if s.completeness is not None else "n/a"
        click.echo(f"account {s.account_id} {s.platform} {s.handle}: last success {lag}; "
                   f"{s.consecutive_failures} failure(s) in a row; completeness {quality}"
                   f"{'' if s.enabled else ' (disabled)'}")
        if s.open_gap:
            click.echo(f"  GAP {s.open_gap['id']} open since {s.open_gap['gap_from']}: "
                       f"{s.open_gap['cause']}")
        if s.credentials_expire:
            warn = " -- WARNING: renew them" if s.credentials_warning else ""
            click.echo(f"  credentials expire {s.credentials_expire}{warn}")


@capture.command("daemon")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              help="How much to log (to stderr).")
@pass_ctx
@handles_errors
def daemon(ctx: Context, log_level: str) -> None:
    """Capture every configured account on its own interval until SIGTERM or Ctrl-C;
    the pass in progress finishes first."""
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with ctx.open() as archive:
        passes = archive.capturing.serve(stop.wait, ctx.actor)
    click.echo(f"capture daemon stopped after {passes} pass(es)", err=True)


@capture.command("webhook")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (put a TLS proxy in front for Meta).")
@click.option("--port", default=8001, show_default=True, type=int,
              help="The port to listen on (0: any free one, logged at start).")
@click.option("--capture-due/--no-capture-due", default=True, show_default=True,
              help="Run a capture pass for an account a notification makes due.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              help="How much to log (to stderr).")
@pass_ctx
@handles_errors
def webhook(ctx: Context, host: str, port: int, capture_due: bool, log_level: str) -> None:
    """Receive Meta's webhooks for Page feed changes at /webhooks/meta until SIGTERM or
    Ctrl-C. The app secret and verify token come from CIVICARCHIVE_META_APP_SECRET and
    CIVICARCHIVE_META_VERIFY_TOKEN (or their _FILE variants)."""
    import uvicorn

    from civicarchive.capture.webhook import WebhookSecrets
    from civicarchive.web.webhooks import create_app
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    secrets = WebhookSecrets.from_env()
    # uvicorn stops on SIGTERM/SIGINT, then raises the signal again for the handler it
    # found: this one lets the archive close and the command exit 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    with ctx.open() as archive:
        uvicorn.run(create_app(archive, secrets, capture_due), host=host, port=port,
                    access_log=False, log_level=log_level.lower(), log_config=None)


@main.group()
def alerts() -> None:
    """Alerts: capture gaps, expiring credentials, compliance and moderation alerts."""


@alerts.command("list")
@click.option("--account", "account_id", type=ID, help="Only this account's alerts.")
@click.option("--kind", help="Only alerts of this kind, e.g. capture.gap.")
@click.option("--open", "open_only", is_flag=True, help="Only alerts not acknowledged yet.")
@click.option("--limit", default=100, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the alerts as JSON.")
@pass_ctx
@handles_errors
def alerts_list(ctx: Context, account_id: int | None, kind: str | None, open_only: bool,
                limit: int, as_json: bool) -> None:
    """Stored alerts, newest first, each open or acknowledged (by whom, when)."""
    with ctx.open() as archive:
        found = archive.alerts.list(account_id, kind, limit, open_only)
    if as_json:
        _emit(found)
        return
    if not found:
        click.echo("No open alerts." if open_only else "No alerts.")
    for alert in found:
        ack = alert["acknowledged"]
        state = "open" if ack is None else f"acknowledged by {ack['by']} {ack['at']}"
        severity = alert["details"].get("severity")
        click.echo(f"#{alert['id']} {alert['at']}  {alert['kind']:<24} "
                   f"{f'[{severity}] ' if severity else ''}{alert['message']} ({state})")


@alerts.command("ack")
@click.argument("alert_id", type=ID)
@click.option("--note", help="What was done about it, kept with the acknowledgement.")
@pass_ctx
@handles_errors
def alerts_ack(ctx: Context, alert_id: int, note: str | None) -> None:
    """Acknowledge ALERT_ID: an audit event in the ledger; the alert itself stays as it
    was raised."""
    with ctx.open() as archive:
        archive.alerts.ack(alert_id, ctx.actor, note)
    click.echo(f"Acknowledged alert {alert_id}")


@main.group()
def keys() -> None:
    """The key that encrypts platform credentials."""


@keys.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
@handles_errors
def rotate(ctx: Context, as_json: bool) -> None:
    """Re-encrypt every stored credential under a new key and drop the old key."""
    with ctx.open() as archive:
        result = archive.credentials.rotate(ctx.actor)
    if as_json:
        _emit(result)
        return
    click.echo(f"Re-encrypted {result['reencrypted']} credential(s) under key "
               f"{result['key_fingerprint']} (was {result['previous_fingerprint']}). "
               "Back up the keys folder.")


@accounts.command("credentials")
@click.argument("account_id", type=ID)
@click.option("--token-file", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A file holding the token alone (never pass a token on the command line).")
@click.option("--expires-at", help="When the token expires (ISO time with offset); Meta "
              "tokens default to 60 days.")
@click.option("--json", "as_json", is_flag=True, help="Print what was stored (never the "
              "token) as JSON.")
@pass_ctx
@handles_errors
def credentials(ctx: Context, account_id: int, token_file: Path, expires_at: str | None,
                as_json: bool) -> None:
    """Store an account's platform token, encrypted; the token is never shown again."""
    with ctx.open() as archive:
        info = archive.credentials.store(account_id, token_file, _when(expires_at), ctx.actor)
    if as_json:
        _emit(info.as_dict())
        return
    click.echo(f"Stored credentials for account {account_id} (encrypted under key "
               f"{info.key_fingerprint})" +
               (f"; they expire {info.expires_at}" if info.expires_at else "") +
               ". You may delete the token file now.")
