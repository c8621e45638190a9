"""The compliance service and `civicarchive compliance ...`: officials' posts assessed for
state action with the offices their authors held that day, public business on personal
accounts flagged with a series, people's duties, and the alerts that record them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from civicarchive import Kind, Observation
from civicarchive.errors import InvalidInput, NotFound
from civicarchive.policy import EXAMPLES

WASHINGTON = EXAMPLES / "washington-local.yaml"
T0 = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)

ORDER = ("Just signed an emergency proclamation for the windstorm. The warming shelter at "
         "the Community Center opens at 6pm tonight.")
BIRTHDAY = "Happy 10th birthday to my amazing daughter Maya!"
OLD_ORDER = "I have issued an executive order: city hall is closed Monday."
HEARING = ("Public hearing on the Eastside rezone is Tuesday. Send me your comments and I'll "
           "read them into the record.")


def observation(account_id: int, native: str, text: str, kind: Kind = Kind.POST,
                parent: str | None = None, created: datetime = T0) -> Observation:
    return Observation(account_id=account_id, native_id=native, kind=kind, observed_at=T0,
                       content={"text": text}, raw=f"{native}:{text}".encode(),
                       created_at=created, parent_native_id=parent)


@pytest.fixture
def city(archive):
    """An agency account, a mayor's personal account (linked, her term from 2024), a
    councilmember's professional account and an official's account linked to nobody."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    agency = archive.registry.add_account("facebook", "cityofexample", "agency")
    mayor = archive.registry.add_account("facebook", "dana.whitfield", "official_personal",
                                         owner="Dana Whitfield")
    council = archive.registry.add_account("x", "CMOrtega", "official_professional")
    stray = archive.registry.add_account("x", "someone", "official_personal")
    archive.ingesting.ingest([
        observation(agency.id, "a1", "Warming shelter open tonight at the Community Center "
                                     "on 5th Avenue from 6pm."),
        observation(mayor.id, "m1", ORDER),
        observation(mayor.id, "m2", BIRTHDAY),
        observation(mayor.id, "m3", OLD_ORDER, created=datetime(2023, 6, 1, tzinfo=timezone.utc)),
        observation(mayor.id, "c1", "You are a clown and should resign", Kind.COMMENT, "m1"),
        observation(mayor.id, "r1", "No, you are", Kind.REPLY, "c1"),
        observation(mayor.id, "c2", "Happy birthday Maya!", Kind.COMMENT, "m2"),
        observation(council.id, "o1", HEARING),
        observation(stray.id, "s1", "Executive order: the road closure on Elm starts Monday."),
    ], source="test")
    archive.people.add("Dana Whitfield", "official", "clerk",
                       [("mayor", date(2024, 1, 1), None)], [mayor.id])
    archive.people.add("Luis Ortega", "official", "clerk",
                       [("council_member", date(2022, 1, 1), None)], [council.id])
    return archive


def item(archive, native: str) -> int:
    return next(i for i in range(1, 20) if archive.reading.item(i).native_id == native)


def by_native(rows) -> dict:
    return {row["native_id"]: row for row in rows}


def test_assess_each_post_with_the_offices_held_that_day(city):
    rows = by_native(city.compliance.assess())
    assert set(rows) == {"m1", "m2", "m3", "o1", "s1"}  # officials' posts only
    order = rows["m1"]
    assert order["state_action"]["result"] == "likely state action"
    assert order["offices"] == ["mayor"] and order["person"] == "Dana Whitfield"
    assert order["state_action"]["office"] == "mayor"
    assert "announces official action" in order["state_action"]["purports"]
    # the agency posted the same notice: not this post's only channel
    factors = [r["factor"] for r in order["state_action"]["reasons"]]
    assert "only channel for an official notice" not in factors
    assert order["public_business"]["public_business"] and order["series"] == ["GS50-01-12"]
    assert order["public_business"]["nearest_agency_post"] == 0
    assert rows["m2"]["state_action"]["result"] == "likely personal"
    assert not rows["m2"]["public_business"]["public_business"]
    # before her term she held no office: no actual authority shown
    old = rows["m3"]
    assert old["offices"] == [] and old["state_action"]["office"] is None
    assert any("held no office on record" in r["explanation"]
               for r in old["state_action"]["reasons"])
    assert rows["o1"]["state_action"]["result"] == "likely state action"
    assert rows["s1"]["person"] is None and rows["s1"]["state_action"]["result"] == "unclear"
    json.dumps(list(rows.values()))  # plain data all through


def test_assess_one_account_or_item(city):
    assert [r["native_id"] for r in city.compliance.assess(3)] == ["o1"]
    with pytest.raises(InvalidInput, match="is an agency account"):
        city.compliance.assess(1)
    reply = item(city, "r1")
    assert city.compliance.assess_item(reply)["native_id"] == "m1"  # the post it answers
    with pytest.raises(InvalidInput, match="is not a post of an official's account"):
        city.compliance.assess_item(item(city, "a1"))
    with pytest.raises(NotFound):
        city.compliance.assess_item(999)


def test_restriction_warning_before_a_block_or_a_deletion(city):
    under_order = item(city, "c1")
    block = city.compliance.restriction_warning(under_order, "block")
    assert block.finding.value == "likely state action" and block.suggestion.value == "hide"
    assert "O'Connor-Ratcliff" in block.message
    assert city.compliance.restriction_warning(item(city, "r1"), "delete") is not None
    assert city.compliance.restriction_warning(under_order, "hide") is None
    assert city.compliance.restriction_warning(item(city, "c2"), "block") is None  # personal
    agency = city.compliance.restriction_warning(item(city, "a1"), "delete")  # always a forum
    assert agency.finding.value == "likely state action"
    assert "an agency account speaks for the agency" in agency.reasons[0].explanation
    with pytest.raises(NotFound):
        city.compliance.restriction_warning(999, "block")


def test_restriction_warning_follows_a_new_version_of_the_post(city):
    # The assessment is kept between calls (the moderation queue asks on every page)...
    birthday = item(city, "c2")
    assert city.compliance.restriction_warning(birthday, "block") is None
    assert city.compliance.restriction_warning(birthday, "delete") is None
    # ...until what it read changes: the birthday post edited into an order.
    mayor = city.reading.item(birthday).account_id
    city.ingesting.ingest([Observation(
        account_id=mayor, native_id="m2", kind=Kind.POST, observed_at=T0 + timedelta(days=1),
        content={"text": ORDER}, raw=b"m2:edited", created_at=T0)], source="test")
    block = city.compliance.restriction_warning(birthday, "block")
    assert block is not None and block.finding.value == "likely state action"


def test_restriction_warning_needs_the_adopted_policy(archive):
    mayor = archive.registry.add_account("facebook", "dana", "official_personal")
    archive.ingesting.ingest([observation(mayor.id, "m1", ORDER)], source="test")
    with pytest.raises(InvalidInput, match="no policy adopted"):
        archive.compliance.restriction_warning(1, "block")


def test_report_lists_public_business_unlinked_accounts_and_duties(city):
    report = city.compliance.report(now=T0)
    flagged = {row["item_id"]: row for row in report["public_business"]}
    order = flagged[item(city, "m1")]
    assert order["series"] == ["GS50-01-12"] and order["state_action"] == "likely state action"
    assert any(p["explanation"] == "uses the agency term 'emergency'" for p in order["reasons"])
    assert item(city, "m2") not in flagged
    assert item(city, "o1") not in flagged  # a professional account's posts are records anyway
    assert [a["handle"] for a in report["unlinked_accounts"]] == ["someone"]
    assert {p["name"]: (p["acknowledgement"]["status"], p["training"]["status"])
            for p in report["people"]} == {"Dana Whitfield": ("missing", "missing"),
                                          "Luis Ortega": ("missing", "missing")}
    assert report["similarity"] == "embeddings"  # make test installs the embeddings extra
    city.people.acknowledge("Luis Ortega", "clerk", at=T0)
    city.people.train("Luis Ortega", "Records 101", "clerk", at=T0)
    assert [p["name"] for p in city.compliance.report(now=T0)["people"]] == ["Dana Whitfield"]


def test_the_lexical_fallback_is_chosen_when_the_archive_is_opened(city, monkeypatch):
    """CIVICARCHIVE_EMBEDDINGS is read once, at open: a variable set for one archive (a
    test deployment's fast fallback) does not change what another archive uses."""
    from civicarchive.archive import Archive
    settings = city.context.settings
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")
    with Archive.open(settings.home, settings.database_url, clock=city.context.clock) as other:
        monkeypatch.delenv("CIVICARCHIVE_EMBEDDINGS")
        assert other.compliance.report(now=T0)["similarity"] == "tf-idf"
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")
    assert city.compliance.report(now=T0)["similarity"] == "embeddings"


def test_monitor_alerts_once_and_again_when_a_duty_changes(city, tmp_path):
    first = city.compliance.monitor("clerk", now=T0)
    every = [a["kind"] for a in city.capturing.alerts()]
    # The policy's keyword "emergency" is in the mayor's order (tests/test_monitors.py).
    assert [a["details"]["evidence"]["item_id"] for a in city.capturing.alerts(
        kind="compliance.keyword")] == [item(city, "m1")]
    kinds = [kind for kind in every if kind != "compliance.keyword"]
    assert sorted(kinds) == sorted(
        ["compliance.public_business"] * len(city.compliance.report(now=T0)["public_business"])
        + ["compliance.acknowledgement", "compliance.training"] * 2)
    assert len(first) == len(every)
    [alert] = [a for a in city.capturing.alerts(kind="compliance.public_business")
               if a["details"]["item_id"] == item(city, "m1")]
    assert alert["account_id"] == 2 and "keep it as a record under GS50-01-12" in alert["message"]
    assert city.compliance.monitor("clerk", now=T0) == []  # nothing new
    city.people.acknowledge("Dana Whitfield", "clerk", at=T0)
    assert city.compliance.monitor("clerk", now=T0) == []  # current: nothing to say
    changed = tmp_path / "policy.yaml"
    changed.write_text(WASHINGTON.read_text().replace("Public Records Officer", "City Clerk"))
    city.custody.adopt_policy(changed, "clerk")
    [outdated] = city.compliance.monitor("clerk", now=T0 + timedelta(hours=1))
    [latest] = city.capturing.alerts(kind="compliance.acknowledgement", limit=1)
    assert latest["id"] == outdated and latest["details"]["status"] == "outdated"
    assert "Dana Whitfield" in latest["message"]
    assert city.evidence.verify().ok


def test_compliance_cli(cli, tmp_path):
    cli("init", "--agency", "City of Example")
    cli("policy", "adopt", WASHINGTON)
    cli("accounts", "add", "--platform", "facebook", "--handle", "dana.whitfield",
        "--classification", "official_personal")
    lines = tmp_path / "posts.jsonl"
    lines.write_text("\n".join(json.dumps(line) for line in [
        {"native_id": "m1", "kind": "post", "observed_at": "2025-03-01T12:00:00Z",
         "created_at": "2025-03-01T11:00:00Z", "author": "dana.whitfield", "text": ORDER},
        {"native_id": "c1", "kind": "comment", "observed_at": "2025-03-01T12:00:00Z",
         "created_at": "2025-03-01T11:30:00Z", "parent_id": "m1", "author": "resident",
         "text": "Resign!"},
        {"native_id": "m2", "kind": "post", "observed_at": "2025-03-01T12:00:00Z",
         "created_at": "2025-03-01T11:00:00Z", "author": "dana.whitfield",
         "text": BIRTHDAY}]) + "\n")
    cli("ingest-jsonl", lines, "--account", "1", "--quiet")
    cli("people", "add", "Dana Whitfield", "--role", "official", "--term", "mayor:2024-01-01",
        "--account", "1")
    out = cli("compliance", "assess").output
    assert "item 1 on dana.whitfield (Dana Whitfield, 2025-03-01T11:00:00.000000Z): likely " \
           "state action; public business under GS50-01-12" in out
    assert "- announces official action (+2.0): it announces the official's own act of " \
           "office" in out
    rows = json.loads(cli("compliance", "assess", "--item", "2", "--json").output)
    assert rows[0]["native_id"] == "m1"
    report = cli("compliance", "report").output
    assert "Public business on officials' personal accounts: 1 post(s)" in report
    assert "keep under GS50-01-12" in report and "People with duties due: 1" in report
    assert json.loads(cli("compliance", "report", "--json").output)["people"][0]["name"] == \
        "Dana Whitfield"
    # public business, acknowledgement, training, and the keyword "emergency" in ORDER
    assert "Recorded 4 new alert(s)" in cli("compliance", "monitor").output
    assert json.loads(cli("compliance", "monitor", "--json").output) == {"alerts": []}
    warned = cli("compliance", "warn", "2", "--action", "block").output
    assert warned.startswith("warning: this post is assessed likely state action")
    assert "suggested instead: hide" in warned
    assert json.loads(cli("compliance", "warn", "2", "--action", "hide", "--json").output) \
        is None
    assert "No state-action warning" in cli("compliance", "warn", "3", "--action",
                                            "delete").output
    assert "compliance.public_business" in cli("alerts", "list").output
