"""`civicarchive people`: officials and staff, their terms in the policy's offices, their
accounts, acknowledgements of the officials' guide and training (docs/people.md).
Registered on the main group by importing this module (civicarchive/cli/__init__.py)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import click

from civicarchive.cli import Context, _emit, handles_errors, main, pass_ctx
from civicarchive.cli.inputs import ID, parse_time_option


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date written like 2026-01-31 ({what})"
                                 ) from None


def _term(text: str) -> tuple[str, date, date | None]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise click.BadParameter(f"{text!r}: write a term as OFFICE:FIRST_DAY[:LAST_DAY], "
                                 f"e.g. mayor:2024-01-01:2027-12-31")
    return (parts[0], _day(parts[1], "first day"),
            _day(parts[2], "last day") if len(parts) == 3 and parts[2] else None)


@main.group("people")
def people_group() -> None:
    """Officials and staff: offices, accounts, acknowledgements, training (docs/people.md)."""


@people_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["official", "staff"]))
@click.option("--term", "terms", multiple=True, metavar="OFFICE:FROM[:TO]",
              help="A term in one of the policy's offices, e.g. mayor:2024-01-01:2027-12-31 "
                   "(repeat for several).")
@click.option("--account", "accounts", type=ID, multiple=True,
              help="A registered account of the person's, of any classification (repeat).")
@click.option("--agency", help="Agency slug, when the archive holds several.")
@click.option("--json", "as_json", is_flag=True, help="Print the person as JSON.")
@pass_ctx
@handles_errors
def people_add(ctx: Context, name: str, role: str, terms: tuple[str, ...],
               accounts: tuple[int, ...], agency: str | None, as_json: bool) -> None:
    """Add a person to the registry, with their terms in office and accounts."""
    with ctx.open() as archive:
        person = archive.people.add(name, role, ctx.actor, [_term(t) for t in terms],
                                    accounts, agency=agency)
    if as_json:
        _emit(person.as_dict())
        return
    click.echo(f"Added person {person.id}: {person.name} ({person.role.value}), "
               f"{len(person.terms)} term(s), {len(person.accounts)} account(s)")


@people_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the people as JSON.")
@pass_ctx
@handles_errors
def people_list(ctx: Context, as_json: bool) -> None:
    """Every person, with the offices held today and whether their acknowledgement and
    training are current."""
    with ctx.open() as archive:
        today = archive.context.clock.now()
        rows = []
        for person in archive.people.people():
            standing = archive.people.standing(person, today)
            rows.append({**person.as_dict(), "offices_today": list(person.offices_on(
                today.date())), "standing": standing.as_dict() if standing else None})
    if as_json:
        _emit(rows)
        return
    if not rows:
        click.echo("No people registered yet: civicarchive people add --help")
    for row in rows:
        standing = row["standing"]
        duties = (f"acknowledgement {standing['acknowledgement']['status']}, training "
                  f"{standing['training']['status']}" if standing else "no policy adopted")
        click.echo(f"{row['id']:>5}  {row['name']:<28} {row['role']:<9} "
                   f"{', '.join(row['offices_today']) or '-':<22} "
                   f"{len(row['accounts'])} account(s); {duties}")


@people_group.command("show")
@click.argument("person")
@click.option("--json", "as_json", is_flag=True, help="Print the person as JSON.")
@pass_ctx
@handles_errors
def people_show(ctx: Context, person: str, as_json: bool) -> None:
    """A person (id or name): terms, accounts, acknowledgements, training, and whether
    the acknowledgement is of the current guide and within the policy's period."""
    with ctx.open() as archive:
        found = archive.people.person(person)
        now = archive.context.clock.now()
        standing = archive.people.standing(found, now)
        guide = archive.people.guide()[1] if standing else None
        accounts = [archive.registry.account(a).as_dict() for a in found.accounts]
        unlinked = archive.people.owned_unlinked(found)
        data = {**found.as_dict(), "accounts": accounts,
                "offices_today": list(found.offices_on(now.date())),
                "current_guide_sha256": guide,
                "standing": standing.as_dict() if standing else None,
                "owner_of_unlinked_accounts": unlinked}
    if as_json:
        _emit(data)
        return
    click.echo(f"person {found.id}: {found.name} ({found.role.value}), added {found.added_at} "
               f"by {found.added_by}")
    for term in found.terms:
        click.echo(f"  term {term.id}: {term.office} from {term.starts_on} to "
                   f"{term.ends_on or '(no end set)'}")
    for account in accounts:
        click.echo(f"  account {account['id']}: {account['platform']} {account['handle']} "
                   f"({account['classification']})")
    for account_id in unlinked:
        click.echo(f"  account {account_id} names {found.name} as owner but is not linked: "
                   f"civicarchive people link-account {found.id} {account_id}")
    if standing is None:
        click.echo("  no policy adopted yet: acknowledgement and training cannot be judged")
        return
    for name, duty in (("acknowledgement", standing.acknowledgement),
                       ("training", standing.training)):
        click.echo(f"  {name}: {duty.status.value}: {duty.detail}")
    click.echo(f"  current guide SHA-256: {guide}")


@people_group.command("term")
@click.argument("person")
@click.option("--office", required=True, help="The key of one of the policy's offices.")
@click.option("--from", "starts_on", required=True, help="First day of the term (2024-01-01).")
@click.option("--to", "ends_on", help="Last day of the term, if it is set.")
@pass_ctx
@handles_errors
def people_term(ctx: Context, person: str, office: str, starts_on: str,
                ends_on: str | None) -> None:
    """Record a term of a person in an office."""
    with ctx.open() as archive:
        term = archive.people.add_term(person, office, _day(starts_on, "--from"),
                                       _day(ends_on, "--to") if ends_on else None, ctx.actor)
    click.echo(f"Recorded term {term.id}: {term.office} from {term.starts_on} to "
               f"{term.ends_on or '(no end set)'}")


@people_group.command("end-term")
@click.argument("term_id", type=ID)
@click.option("--on", "ends_on", required=True, help="The term's last day (2026-06-30).")
@pass_ctx
@handles_errors
def people_end_term(ctx: Context, term_id: int, ends_on: str) -> None:
    """Record that a term ended early (a resignation), or that one with no end ended."""
    with ctx.open() as archive:
        term = archive.people.end_term(term_id, _day(ends_on, "--on"), ctx.actor)
    click.echo(f"Term {term.id} ({term.office}) ends on {term.ends_on}")


@people_group.command("link-account")
@click.argument("person")
@click.argument("account_id", type=ID)
@pass_ctx
@handles_errors
def people_link_account(ctx: Context, person: str, account_id: int) -> None:
    """Link a registered account (any classification) to a person."""
    with ctx.open() as archive:
        found = archive.people.link_account(person, account_id, ctx.actor)
    click.echo(f"Linked account {account_id} to {found.name} (person {found.id})")


@people_group.command("acknowledge")
@click.argument("person")
@click.option("--at", "at", help="When (ISO 8601 with offset); now when left out.")
@click.option("--guide", "guide_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
              help="The guide's Markdown the person acknowledged (policy render --audience "
                   "officials); the current guide when left out.")
@pass_ctx
@handles_errors
def people_acknowledge(ctx: Context, person: str, at: str | None,
                       guide_file: Path | None) -> None:
    """Record a person's acknowledgement of the officials' guide, by its SHA-256."""
    digest = hashlib.sha256(guide_file.read_bytes()).hexdigest() if guide_file else None
    with ctx.open() as archive:
        ack = archive.people.acknowledge(person, ctx.actor,
                                         parse_time_option(at, "--at") if at else None,
                                         guide=digest)
        current = archive.people.guide()[1]
    click.echo(f"Recorded the acknowledgement of the guide {ack.guide_sha256} on "
               f"{ack.acknowledged_at}" + ("" if ack.guide_sha256 == current else
                                           f"; it is not the current guide ({current}), so "
                                           f"it does not count as current"))


@people_group.command("train")
@click.argument("person")
@click.option("--course", required=True, help="The course completed.")
@click.option("--at", "at", help="When (ISO 8601 with offset); now when left out.")
@pass_ctx
@handles_errors
def people_train(ctx: Context, person: str, course: str, at: str | None) -> None:
    """Record that a person completed a training course."""
    with ctx.open() as archive:
        archive.people.train(person, course, ctx.actor, parse_time_option(at, "--at") if at else None)
    click.echo(f"Recorded the training {course!r}")
