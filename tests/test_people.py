"""The registry of people: officials and staff, their terms, accounts, acknowledgements
of the officials' guide and training; `civicarchive people ...`."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from civicarchive.compliance.duties import DutyStatus
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.policy import EXAMPLES, guide_sha256, load_policy

WASHINGTON = EXAMPLES / "washington-local.yaml"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the archive fixture's clock


@pytest.fixture
def adopted(archive):
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    return archive


def test_people_add_with_terms_and_accounts_in_one_write(adopted, account):
    personal = adopted.registry.add_account("facebook", "jane.doe.personal",
                                            "official_personal", owner="Jane Doe")
    person = adopted.people.add("  Jane   Doe ", "official", "clerk",
                                [("mayor", date(2024, 1, 1), date(2027, 12, 31)),
                                 ("council_member", date(2020, 1, 1), date(2023, 12, 31))],
                                accounts=[account.id, personal.id])
    assert person.name == "Jane Doe" and person.role.value == "official"
    assert [(t.office, t.starts_on, t.ends_on) for t in person.terms] == [
        ("mayor", "2024-01-01", "2027-12-31"), ("council_member", "2020-01-01", "2023-12-31")]
    assert person.accounts == (account.id, personal.id)
    assert person.offices_on(date(2025, 6, 1)) == ("mayor",)
    assert person.offices_on(date(2023, 12, 31)) == ("council_member",)
    assert person.offices_on(date(2028, 1, 1)) == ()
    # the account's owner text is untouched
    assert adopted.registry.account(personal.id).owner == "Jane Doe"
    assert adopted.people.person("jane doe") == adopted.people.person(person.id)
    assert adopted.people.account_people() == {account.id: person.id, personal.id: person.id}
    assert adopted.evidence.verify().ok


@pytest.mark.parametrize("terms, accounts, message", [
    ([("treasurer", date(2024, 1, 1), None)], [], "no office 'treasurer'"),
    ([("mayor", date(2024, 1, 1), date(2023, 1, 1))], [], "cannot end"),
    ([], [99], "no account with id 99"),
])
def test_people_add_refuses_bad_terms_and_writes_nothing(adopted, terms, accounts, message):
    with pytest.raises((InvalidInput, NotFound), match=message):
        adopted.people.add("Jane Doe", "official", "clerk", terms, accounts)
    assert adopted.people.people() == []


def test_people_terms_need_an_adopted_policy(archive):
    with pytest.raises(InvalidInput, match="no policy adopted"):
        archive.people.add("Jane Doe", "official", "clerk", [("mayor", date(2024, 1, 1), None)])
    person = archive.people.add("Jane Doe", "staff", "clerk")
    assert archive.people.standing(person) is None


def test_people_a_term_ended_early_is_a_new_row(adopted):
    person = adopted.people.add("Sam Chief", "staff", "clerk",
                                [("police_chief", date(2023, 5, 1), None)])
    [term] = person.terms
    ended = adopted.people.end_term(term.id, date(2026, 3, 31), "clerk")
    assert ended.ends_on == "2026-03-31"
    assert adopted.people.person(person.id).offices_on(date(2026, 4, 1)) == ()
    with pytest.raises(InvalidInput, match="already recorded as ended on 2026-03-31"):
        adopted.people.end_term(term.id, date(2026, 2, 1), "clerk")
    fixed = adopted.people.add_term(person.id, "mayor", date(2024, 1, 1), date(2027, 12, 31),
                                    "clerk")
    with pytest.raises(InvalidInput, match="already ends on 2027-12-31"):
        adopted.people.end_term(fixed.id, date(2028, 1, 1), "clerk")
    with pytest.raises(InvalidInput, match="cannot end before"):
        adopted.people.end_term(fixed.id, date(2023, 1, 1), "clerk")
    with pytest.raises(NotFound, match="no term with id 99"):
        adopted.people.end_term(99, date(2026, 1, 1), "clerk")
    assert adopted.evidence.verify().ok


def test_people_linking_an_account_again_moves_it(adopted, account):
    first = adopted.people.add("Jane Doe", "official", "clerk", accounts=[account.id])
    second = adopted.people.add("Ann Other", "staff", "clerk")
    with pytest.raises(InvalidInput, match="already linked to Jane Doe"):
        adopted.people.link_account(first.id, account.id, "clerk")
    moved = adopted.people.link_account("Ann Other", account.id, "clerk")
    assert moved.accounts == (account.id,) and adopted.people.person(first.id).accounts == ()
    assert adopted.people.account_people() == {account.id: second.id}


def test_people_accounts_naming_the_person_as_owner_are_offered_for_linking(adopted):
    person = adopted.people.add("Jane Doe", "official", "clerk")
    owned = adopted.registry.add_account("x", "janedoe", "official_personal", owner="jane doe")
    adopted.registry.add_account("x", "other", "official_personal", owner="Someone Else")
    assert adopted.people.owned_unlinked(person) == [owned.id]
    adopted.people.link_account(person.id, owned.id, "clerk")
    assert adopted.people.owned_unlinked(person) == []


def test_people_names_must_be_unambiguous(adopted):
    adopted.people.add("Jane Doe", "official", "clerk")
    adopted.people.add("Jane Doe", "staff", "clerk")
    with pytest.raises(InvalidInput, match="2 people are named 'Jane Doe' \\(ids 1, 2\\)"):
        adopted.people.person("Jane Doe")
    with pytest.raises(NotFound, match="no person named 'Nobody': see people list"):
        adopted.people.person("Nobody")


def test_people_acknowledgement_is_current_only_for_the_current_guide_and_period(adopted):
    person = adopted.people.add("Jane Doe", "official", "clerk")
    standing = adopted.people.standing(person.id, NOW)
    assert standing.acknowledgement.status is DutyStatus.MISSING
    assert standing.training.status is DutyStatus.MISSING

    ack = adopted.people.acknowledge(person.id, "clerk", at=NOW - timedelta(days=10))
    assert ack.guide_sha256 == guide_sha256(load_policy(WASHINGTON))
    assert adopted.people.guide() == (1, ack.guide_sha256)
    now = adopted.people.standing(person.id, NOW)
    assert now.acknowledgement.status is DutyStatus.CURRENT
    assert now.acknowledgement.last == ack.acknowledged_at
    later = adopted.people.standing(person.id, NOW + timedelta(days=356))  # 366 days on
    assert later.acknowledgement.status is DutyStatus.EXPIRED
    assert "more than the policy's 365 days" in later.acknowledgement.detail
    assert adopted.people.standing(person.id, NOW + timedelta(days=355)
                                   ).acknowledgement.status is DutyStatus.CURRENT


def test_people_a_changed_policy_makes_the_acknowledgement_outdated(adopted, tmp_path):
    person = adopted.people.add("Jane Doe", "official", "clerk")
    adopted.people.acknowledge(person.id, "clerk", at=NOW)
    changed = tmp_path / "policy.yaml"
    changed.write_text(WASHINGTON.read_text().replace(
        "records_officer: Public Records Officer", "records_officer: City Clerk"))
    adopted.custody.adopt_policy(changed, "clerk")
    duty = adopted.people.standing(person.id, NOW).acknowledgement
    assert duty.status is DutyStatus.OUTDATED and "acknowledge it again" in duty.detail
    again = adopted.people.acknowledge(person.id, "clerk", at=NOW + timedelta(hours=1))
    assert again.policy_id == 2
    assert adopted.people.standing(person.id, NOW + timedelta(hours=2)
                                   ).acknowledgement.status is DutyStatus.CURRENT


def test_people_an_older_guide_or_a_bad_hash(adopted):
    person = adopted.people.add("Jane Doe", "official", "clerk")
    adopted.people.acknowledge(person.id, "clerk", at=NOW, guide="A" * 64)
    assert adopted.people.standing(person.id, NOW).acknowledgement.status is \
        DutyStatus.OUTDATED
    with pytest.raises(InvalidInput, match="is not a SHA-256"):
        adopted.people.acknowledge(person.id, "clerk", guide="not-a-hash")


def test_people_training_is_current_within_the_renewal_period(adopted):
    person = adopted.people.add("Jane Doe", "official", "clerk")
    adopted.people.train(person.id, "Social media and public records", "clerk",
                         at=NOW - timedelta(days=400))
    assert adopted.people.standing(person.id, NOW).training.status is DutyStatus.EXPIRED
    adopted.people.train(person.id, "Refresher", "clerk", at=NOW - timedelta(days=1))
    duty = adopted.people.standing(person.id, NOW).training
    assert duty.status is DutyStatus.CURRENT and "Refresher" in duty.detail
    with pytest.raises(InvalidInput, match="name the course"):
        adopted.people.train(person.id, "  ", "clerk")


def test_people_policy_without_requirements_says_not_required(archive, tmp_path):
    relaxed = tmp_path / "policy.yaml"
    relaxed.write_text(WASHINGTON.read_text()
                       .replace("acknowledgement_required: true",
                                "acknowledgement_required: false")
                       .replace("training:\n  required: true", "training:\n  required: false"))
    archive.custody.adopt_policy(relaxed, "clerk")
    person = archive.people.add("Jane Doe", "official", "clerk")
    standing = archive.people.standing(person.id, NOW)
    assert standing.acknowledgement.status is DutyStatus.NOT_REQUIRED
    assert standing.training.status is DutyStatus.NOT_REQUIRED
    assert not standing.training.status.due


def test_people_every_write_is_an_audit_event_verify_rederives(adopted, account):
    person = adopted.people.add("Jane Doe", "official", "clerk",
                                [("mayor", date(2024, 1, 1), None)], [account.id])
    adopted.people.end_term(person.terms[0].id, date(2025, 1, 1), "clerk")
    adopted.people.acknowledge(person.id, "clerk")
    adopted.people.train(person.id, "Records", "clerk")
    with adopted.context.read() as conn:
        import sqlalchemy as sa
        from civicarchive.store import schema as t
        actions = [row.action for row in conn.execute(
            sa.select(t.audit_events.c.action).order_by(t.audit_events.c.id))]
    assert actions[-6:] == ["person.add", "person.term", "person.link", "person.term.end",
                            "person.acknowledge", "person.train"]
    assert adopted.evidence.verify().ok


# -- the CLI ------------------------------------------------------------------------------

def test_people_cli_add_list_show_and_duties(cli, tmp_path):
    cli("init", "--agency", "City of Example")
    cli("policy", "adopt", WASHINGTON)
    cli("accounts", "add", "--platform", "facebook", "--handle", "jane.doe",
        "--classification", "official_personal", "--owner", "Jane Doe")
    cli("accounts", "add", "--platform", "x", "--handle", "mayordoe",
        "--classification", "official_professional", "--owner", "Mayor's Office")
    added = json.loads(cli("people", "add", "Jane Doe", "--role", "official", "--term",
                           "mayor:2024-01-01:2099-12-31", "--account", "2", "--json").output)
    assert added["terms"][0]["office"] == "mayor" and added["accounts"] == [2]
    shown = cli("people", "show", "Jane Doe").output
    assert "term 1: mayor from 2024-01-01 to 2099-12-31" in shown
    assert "account 2: x mayordoe (official_professional)" in shown
    assert "account 1 names Jane Doe as owner but is not linked: civicarchive people " \
           "link-account 1 1" in shown
    assert "acknowledgement: missing" in shown and "training: missing" in shown
    cli("people", "link-account", "1", "1")

    guide = tmp_path / "guide.md"
    cli("policy", "render", WASHINGTON, "--audience", "officials", "-o", guide)
    result = cli("people", "acknowledge", "1", "--guide", guide)
    assert hashlib.sha256(guide.read_bytes()).hexdigest() in result.output
    assert "not the current guide" not in result.output
    cli("people", "train", "1", "--course", "Social media 101")
    data = json.loads(cli("people", "show", "1", "--json").output)
    assert data["standing"]["acknowledgement"]["status"] == "current"
    assert data["standing"]["training"]["status"] == "current"
    assert data["current_guide_sha256"] == hashlib.sha256(guide.read_bytes()).hexdigest()
    assert [a["handle"] for a in data["accounts"]] == ["jane.doe", "mayordoe"]  # by id
    assert data["owner_of_unlinked_accounts"] == []

    old = tmp_path / "old-guide.md"
    old.write_text(guide.read_text() + "\nAn older wording.\n")
    assert "not the current guide" in cli("people", "acknowledge", "1", "--guide", old).output
    listed = cli("people", "list").output
    assert "Jane Doe" in listed and "acknowledgement outdated, training current" in listed


def test_people_cli_terms_and_errors(cli):
    cli("init", "--agency", "City of Example")
    cli("policy", "adopt", WASHINGTON)
    cli("people", "add", "Sam Chief", "--role", "staff")
    out = cli("people", "term", "Sam Chief", "--office", "police_chief", "--from",
              "2023-05-01").output
    assert "Recorded term 1: police_chief from 2023-05-01 to (no end set)" in out
    assert "ends on 2026-03-31" in cli("people", "end-term", "1", "--on", "2026-03-31").output
    failed = cli("people", "term", "Sam Chief", "--office", "treasurer", "--from",
                 "2023-05-01", ok=False)
    assert failed.exit_code == 1 and "no office 'treasurer'" in failed.output
    assert "(--office)" in failed.output
    bad = cli("people", "add", "X", "--role", "official", "--term", "mayor", ok=False)
    assert bad.exit_code == 2 and "OFFICE:FIRST_DAY[:LAST_DAY]" in bad.output
    assert cli("people", "show", "Nobody", ok=False).exit_code == 1
    rows = json.loads(cli("people", "list", "--json").output)
    assert rows[0]["offices_today"] == [] and rows[0]["terms"][0]["ends_on"] == "2026-03-31"
