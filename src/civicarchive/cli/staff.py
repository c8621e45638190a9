"""`serve` (the staff web application), `users` (its staff users and API tokens) and
`agencies add` (several agencies in one deployment)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from datetime import datetime

import click

from civicarchive.cli import Context, _emit, handles_errors, main, pass_ctx
from civicarchive.cli.inputs import ID

ROLE_HELP = ("Roles: admin, records_officer, moderator, attorney, auditor, official "
             "(repeat the option for several).")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (put a TLS proxy in front for other machines).")
@click.option("--port", default=8000, show_default=True, type=int,
              help="The port to listen on (0: any free one, logged at start).")
@click.option("--workers", default=1, show_default=True, type=int,
              help="Worker processes (each opens the archive).")
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="Mark cookies Secure (default: when the request came over https).")
@click.option("--forwarded-allow-ips", default=None, metavar="ADDRESSES",
              help="The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, "
                   "comma-separated addresses or networks (default: 127.0.0.1, or "
                   "$FORWARDED_ALLOW_IPS). Behind a proxy on another machine, name it: "
                   "else every request seems to come from the proxy, and sign-in "
                   "throttling and the request form's limit per address apply to everyone "
                   "at once.")
@click.option("--public-url", default=None, envvar="CIVICARCHIVE_PUBLIC_URL", metavar="URL",
              help="The address readers reach this server at, e.g. "
                   "https://records.example.gov (or $CIVICARCHIVE_PUBLIC_URL). The open "
                   "archive's feed links there; without it, to whatever host a request "
                   "names, which a cache in front may keep and serve to everyone: set it "
                   "in production.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              help="How much to log (to stderr).")
@pass_ctx
@handles_errors
def serve(ctx: Context, host: str, port: int, workers: int, secure_cookies: bool | None,
          forwarded_allow_ips: str | None, public_url: str | None, log_level: str) -> None:
    """Serve the staff web application and the REST API (/api/v1) until SIGTERM or
    Ctrl-C. Sign in with a user made by `civicarchive users add`."""
    import uvicorn

    from civicarchive.web.app import checked_public_url, create_app
    if workers < 1:
        raise click.BadParameter("at least 1", param_hint="--workers")
    public_url = checked_public_url(public_url) if public_url else None
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    with ctx.open() as archive:
        if not archive.users.users():
            click.echo("No staff users yet: add one with `civicarchive users add NAME "
                       "--role admin --password-file FILE`", err=True)
        click.echo(f"Serving the staff application at http://{host}:{port}/ "
                   f"(API: http://{host}:{port}/api/v1/openapi.json; the open archive: "
                   f"http://{host}:{port}/public/)", err=True)
        options = {"host": host, "port": port, "access_log": False, "log_config": None,
                   "log_level": log_level.lower(), "server_header": False,
                   "proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}
        if workers == 1:
            uvicorn.run(create_app(archive, secure_cookies=secure_cookies,
                                   public_url=public_url), **options)
            return
    # Several processes: each worker opens the archive itself (web/app.py, from_environment).
    os.environ.update({"CIVICARCHIVE_HOME": str(archive.context.settings.home),
                       "CIVICARCHIVE_SECURE_COOKIES": {True: "1", False: "0", None: ""}[
                           secure_cookies], "CIVICARCHIVE_PUBLIC_URL": public_url or ""})
    if ctx.database_url:
        os.environ["CIVICARCHIVE_DATABASE_URL"] = ctx.database_url
    uvicorn.run("civicarchive.web.app:from_environment", factory=True, workers=workers,
                **options)


@main.group()
def agencies() -> None:
    """The agencies of this deployment: each keeps its own accounts, records and users."""


@agencies.command("add")
@click.argument("name")
@pass_ctx
@handles_errors
def agencies_add(ctx: Context, name: str) -> None:
    """Add another agency, e.g. 'County of Example'."""
    with ctx.open() as archive:
        agency = archive.registry.add_agency(name, actor=ctx.actor)
    click.echo(f"Added agency {agency.name} ({agency.slug})")


@main.group()
def users() -> None:
    """Staff users of the web application: roles, passwords, API tokens."""


def _password(password_file: str | None, prompt: bool) -> str | None:
    if password_file:
        with open(password_file, encoding="utf-8") as handle:
            return handle.read().strip("\r\n")
    if os.environ.get("CIVICARCHIVE_PASSWORD"):
        return os.environ["CIVICARCHIVE_PASSWORD"]
    if prompt and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return None


@users.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help=ROLE_HELP)
@click.option("--agency", help="The agency's slug, when the deployment has several.")
@click.option("--name", "display_name", help="The name shown in the UI and the audit log.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False),
              help="Read the password from this file (else CIVICARCHIVE_PASSWORD, else a "
                   "prompt; none: the user signs in only through SSO).")
@click.option("--person", type=ID, help="An official's id in the people registry: they "
              "see the accounts linked to them.")
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
@pass_ctx
@handles_errors
def users_add(ctx: Context, username: str, roles: tuple[str, ...], agency: str | None,
              display_name: str | None, password_file: str | None, person: int | None,
              as_json: bool) -> None:
    """Add a staff user with a local password (argon2id)."""
    password = _password(password_file, prompt=True)
    with ctx.open() as archive:
        user = archive.users.add(username, agency, roles, ctx.actor, display_name,
                                 password, person)
    if as_json:
        _emit(user.as_dict())
    else:
        click.echo(f"Added user {user.id} {user.username} ({', '.join(sorted(user.roles))})"
                   + ("" if user.has_password else "; no password: SSO only"))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the users as JSON.")
@pass_ctx
@handles_errors
def users_list(ctx: Context, as_json: bool) -> None:
    """Every staff user, with roles and whether they are disabled."""
    with ctx.open() as archive:
        found = archive.users.users()
    if as_json:
        _emit([u.as_dict() for u in found])
        return
    for u in found:
        click.echo(f"{u.id:>4}  {u.username:<24} {','.join(sorted(u.roles)):<32} "
                   f"{'disabled' if u.disabled else 'active'}")


@users.command("change")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="Replace the roles. " + ROLE_HELP)
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False),
              help="Set a new password from this file (or CIVICARCHIVE_PASSWORD).")
@click.option("--disable/--enable", "disabled", default=None,
              help="Disable the user (their sessions and tokens stop working), or enable.")
@pass_ctx
@handles_errors
def users_change(ctx: Context, username: str, roles: tuple[str, ...],
                 password_file: str | None, disabled: bool | None) -> None:
    """Change a user's roles, password or whether they may sign in."""
    password = _password(password_file, prompt=False) if password_file or \
        os.environ.get("CIVICARCHIVE_PASSWORD") else None
    with ctx.open() as archive:
        user = archive.users.by_name(username)
        user = archive.users.change(user.id, ctx.actor, roles=roles or None,
                                    password=password, disabled=disabled)
    click.echo(f"User {user.username}: {', '.join(sorted(user.roles))}, "
               f"{'disabled' if user.disabled else 'active'}")


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly export'.")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]),
              help="The last day it works (default: until revoked).")
@pass_ctx
@handles_errors
def users_token(ctx: Context, username: str, name: str, expires: datetime | None) -> None:
    """Make an API token for a user: printed once, never stored (send it as
    `Authorization: Bearer <token>`)."""
    from datetime import timedelta, timezone
    with ctx.open() as archive:
        user = archive.users.by_name(username)
        secret, token = archive.users.create_token(  # it works through that day (UTC)
            user.id, name, ctx.actor,
            expires.replace(tzinfo=timezone.utc) + timedelta(days=1) if expires else None)
    click.echo(f"Token {token.id} for {user.username} ({token.name}); keep it secret, it "
               "is not shown again:", err=True)
    click.echo(secret)


@users.command("tokens")
@click.argument("username")
@click.option("--revoke", "revoke_id", type=ID, help="Revoke the token with this id.")
@pass_ctx
@handles_errors
def users_tokens(ctx: Context, username: str, revoke_id: int | None) -> None:
    """A user's API tokens (never their secrets), or revoke one."""
    with ctx.open() as archive:
        user = archive.users.by_name(username)
        if revoke_id is not None:
            archive.users.revoke_token(user.id, revoke_id, ctx.actor)
            click.echo(f"Revoked token {revoke_id}")
            return
        for token in archive.users.tokens(user.id):
            state = "revoked" if token.revoked_at else (
                f"expires {token.expires_at}" if token.expires_at else "active")
            click.echo(f"{token.id:>4}  {token.name:<32} created {token.created_at}  {state}")
