"""The moderation log and `civicarchive moderation review | act | log | label`: every action
recorded with who, when, the clause and the archived version; a removal of protected or
uncategorised speech needs a written reason and raises an alert; a block or a deletion
under a public-forum post carries the state-action warning; nothing leaves the archive."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from civicarchive import Kind, Observation
from civicarchive.errors import AppendOnlyViolation, InvalidInput
from civicarchive.model.moderation import ModerationKind
from civicarchive.policy import EXAMPLES
from civicarchive.store import schema as t

WASHINGTON = EXAMPLES / "washington-local.yaml"
T0 = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
POST = "Warming shelter open tonight at the Community Center on 5th Avenue from 6pm."
BIRTHDAY = "Happy 10th birthday to my amazing daughter Maya!"
COMMENTS = {
    "spam": ("BUY CHEAP WATCHES!!! Best prices at http://cheap-watches.example.com click now "
             "http://cheap-watches.example.com/deal"),
    "critic": "The mayor is a corrupt incompetent clown and this council is a disgrace. Resign!",
    "plain": "Thanks, will the shelter have cots for kids?",
    "threat": "I know where you live and I am going to kill you tonight",
}


def observation(account_id: int, native: str, text: str, kind: Kind = Kind.POST,
                parent: str | None = None, minutes: int = 0, author: str = "resident"
                ) -> Observation:
    return Observation(account_id=account_id, native_id=native, kind=kind, observed_at=T0,
                       content={"text": text}, raw=f"{native}:{text}".encode(),
                       created_at=T0.replace(minute=minutes), parent_native_id=parent,
                       author=author)


@pytest.fixture
def city(archive):
    """The agency's page with a post and four comments; an official's personal account
    with a birthday post and a comment under it."""
    archive.custody.adopt_policy(WASHINGTON, "clerk")
    agency = archive.registry.add_account("mastodon", "city@example.social", "agency")
    mayor = archive.registry.add_account("facebook", "dana.whitfield", "official_personal")
    archive.ingesting.ingest([
        observation(agency.id, "p1", POST, author="city"),
        *(observation(agency.id, key, text, Kind.COMMENT, "p1", minutes=n + 1,
                      author=f"{key}-author") for n, (key, text) in enumerate(COMMENTS.items())),
        observation(mayor.id, "m1", BIRTHDAY, author="dana.whitfield"),
        observation(mayor.id, "mc", "Happy birthday Maya!", Kind.COMMENT, "m1", 9),
    ], source="test")
    return archive


def item(archive, native: str) -> int:
    with archive.context.read() as conn:
        return conn.execute(sa.select(t.items.c.id).where(t.items.c.native_id == native)
                            ).scalar_one()


def test_review_lists_recommendations_and_protected_comments_newest_first(city):
    rows = city.moderation.review()
    assert [r["native_id"] for r in rows] == ["threat", "critic", "spam"]
    threat, critic, spam = rows
    assert threat["verdict"]["action"] == "remove" and threat["post"] == POST
    assert critic["verdict"]["protected"] and critic["verdict"]["action"] == "none"
    assert spam["verdict"]["categories"] == ["spam"]
    assert spam["verdict"]["findings"][0]["footing"]
    everything = city.moderation.review(everything=True)
    assert {r["native_id"] for r in everything} == {"threat", "critic", "spam", "plain", "mc"}
    agency_only = city.moderation.review(account_id=1, everything=True)
    assert "mc" not in {r["native_id"] for r in agency_only}


def test_act_records_who_when_clause_and_the_archived_version(city):
    spam = item(city, "spam")
    done = city.moderation.act(spam, "hide", "moderator", clause="spam")
    version = city.reading.history(spam)[-1]
    assert (done["action"], done["clause"], done["acted_by"], done["version_id"]) == \
        ("hide", "spam", "moderator", version.id)
    assert done["acted_at"] > version.recorded_at   # the clock of the write
    assert done["outcome"] == "recorded only"
    assert done["outcome_detail"] == "recorded only: the platform offers no API for this action"
    assert done["verdict"]["categories"] == ["spam"] and done["alerts"] == []
    assert city.moderation.review()[2]["last_action"]["action"] == "hide"
    assert city.reading.history(spam) == [version]   # the comment stays as archived
    with city.context.read() as conn:
        events = conn.execute(sa.select(t.audit_events.c.action, t.audit_events.c.details)
                              .where(t.audit_events.c.action == "moderation.hide")).all()
    assert len(events) == 1 and json.loads(events[0].details)["clause"] == "spam"
    assert city.evidence.verify().ok


def test_removing_protected_speech_needs_a_reason_and_raises_an_alert(city):
    critic = item(city, "critic")
    with pytest.raises(InvalidInput, match="needs a written reason.*protected speech") as err:
        city.moderation.act(critic, "hide", "moderator", clause="off_topic")
    assert err.value.parameter == "reason"
    assert city.moderation.log() == []    # refused: nothing recorded
    done = city.moderation.act(critic, "hide", "moderator", clause="off_topic",
                               reason="posted three times in a row")
    kinds = {a["kind"]: a for a in city.capturing.alerts()}
    assert set(kinds) == {"moderation.protected_removed", "moderation.uncategorised"}
    alert = kinds["moderation.protected_removed"]
    assert alert["details"]["action_id"] == done["id"] and alert["details"]["severity"] == "high"
    assert alert["details"]["reason"] == "posted three times in a row"
    assert alert["details"]["clause"] == "off_topic"
    assert sorted(done["alerts"]) == sorted(a["id"] for a in kinds.values())


@pytest.mark.parametrize("action", [k.value for k in ModerationKind if not k.restores])
def test_every_restricting_action_on_protected_speech_needs_a_reason_and_an_alert(city,
                                                                                   action):
    """Blocking the critic is at least as serious as hiding the criticism (Garnier; Knight v.
    Trump): every action that is not a restoring one follows the rule a hide does."""
    critic = item(city, "critic")
    with pytest.raises(InvalidInput, match="needs a written reason.*protected speech") as err:
        city.moderation.act(critic, action, "moderator", clause="off_topic")
    assert err.value.parameter == "reason"
    assert city.moderation.log() == []
    done = city.moderation.act(critic, action, "moderator", clause="off_topic",
                               reason="posted three times in a row")
    kinds = {a["kind"]: a for a in city.capturing.alerts()}
    assert set(kinds) == {"moderation.protected_removed", "moderation.uncategorised"}
    alert = kinds["moderation.protected_removed"]
    assert alert["details"]["action_id"] == done["id"] and alert["details"]["severity"] == "high"
    assert alert["message"].startswith(f"{action} of comment {critic}")
    assert sorted(done["alerts"]) == sorted(a["id"] for a in kinds.values())


def test_removing_an_uncategorised_comment_needs_a_reason(city):
    plain = item(city, "plain")
    with pytest.raises(InvalidInput, match="no category of the policy"):
        city.moderation.act(plain, "delete", "moderator", clause="spam")
    done = city.moderation.act(plain, "delete", "moderator", clause="spam", reason="duplicate")
    assert [city.capturing.alerts()[0]["kind"]] == ["moderation.uncategorised"]
    assert done["reason"] == "duplicate"


def test_clause_must_be_a_category_of_the_adopted_policy(city):
    spam = item(city, "spam")
    with pytest.raises(InvalidInput, match="no moderation category 'rude'"):
        city.moderation.act(spam, "hide", "moderator", clause="rude")
    with pytest.raises(InvalidInput, match="relies on a clause") as err:
        city.moderation.act(spam, "block", "moderator")
    assert err.value.parameter == "clause"
    with pytest.raises(InvalidInput, match="unknown action"):
        city.moderation.act(spam, "ban", "moderator", clause="spam")
    with pytest.raises(InvalidInput, match="not a comment or reply"):
        city.moderation.act(item(city, "p1"), "hide", "moderator", clause="spam")
    assert city.moderation.act(spam, "unhide", "moderator")["clause"] is None


def test_block_and_delete_under_a_public_forum_post_carry_the_warning(city):
    threat = item(city, "threat")
    block = city.moderation.act(threat, "block", "moderator", clause="true_threats")
    assert block["warning"]["finding"] == "likely state action"
    assert block["warning"]["suggestion"] == "hide" and block["author"] == "threat-author"
    assert city.moderation.act(threat, "hide", "moderator", clause="true_threats")["warning"] \
        is None
    personal = city.moderation.act(item(city, "mc"), "delete", "moderator", clause="spam",
                                   reason="the official's own choice")
    assert personal["warning"] is None   # a birthday post is likely personal


def test_labels_are_append_only_and_the_latest_is_in_force(city):
    critic = item(city, "critic")
    city.moderation.label(critic, "against", "reviewer")
    city.moderation.label(critic, "neutral", "second reviewer")
    assert city.moderation.labels()[critic]["stance"] == "neutral"
    with pytest.raises(InvalidInput, match="unknown stance"):
        city.moderation.label(critic, "angry", "reviewer")
    with pytest.raises(InvalidInput, match="not a comment"):
        city.moderation.label(item(city, "p1"), "for", "reviewer")
    with pytest.raises(AppendOnlyViolation):
        with city.context.write() as tx:
            tx.conn.execute(sa.delete(t.moderation_labels))
    assert city.evidence.verify().ok


def ingest_comments(cli, tmp_path) -> None:
    """An archive with the Washington policy, the agency's post, a spam comment (item 2)
    and a critic's (item 3), through the CLI."""
    cli("init", "--agency", "City of Example")
    cli("policy", "adopt", WASHINGTON)
    cli("accounts", "add", "--platform", "mastodon", "--handle", "city@example.social",
        "--classification", "agency")
    lines = tmp_path / "comments.jsonl"
    lines.write_text("\n".join(json.dumps(line) for line in [
        {"native_id": "p1", "kind": "post", "observed_at": "2025-03-01T12:00:00Z",
         "created_at": "2025-03-01T11:00:00Z", "author": "city", "text": POST},
        {"native_id": "c1", "kind": "comment", "observed_at": "2025-03-01T12:00:00Z",
         "created_at": "2025-03-01T12:01:00Z", "parent_id": "p1", "author": "bot",
         "text": COMMENTS["spam"]},
        {"native_id": "c2", "kind": "comment", "observed_at": "2025-03-01T12:00:00Z",
         "created_at": "2025-03-01T12:02:00Z", "parent_id": "p1", "author": "critic",
         "text": COMMENTS["critic"]}]) + "\n")
    cli("ingest-jsonl", lines, "--account", "1", "--quiet")


def test_moderation_cli(cli, tmp_path):
    ingest_comments(cli, tmp_path)
    out = cli("moderation", "review").output
    assert "item 3 on city@example.social by critic" in out and "none PROTECTED" in out
    assert "item 2 on city@example.social by bot" in out and "- spam (" in out
    assert json.loads(cli("moderation", "review", "--json").output)[0]["item_id"] == 3
    refused = cli("moderation", "act", "3", "hide", "--clause", "off_topic", ok=False)
    assert refused.exit_code != 0 and "needs a written reason" in refused.output
    out = cli("moderation", "act", "2", "hide", "--clause", "spam").output
    assert "Logged action 1: hide of item 2" in out and "recorded only" in out
    out = cli("moderation", "act", "3", "delete", "--clause", "off_topic", "--reason",
              "a test", "--record-only").output
    assert "Raised alert" in out
    assert "warning: this post is assessed likely state action" in out
    log = cli("moderation", "log").output
    assert "#1 hide    item 2" in log and "reason: a test" in log
    assert "the engine marked this comment protected" in log
    assert [row["action"] for row in json.loads(cli("moderation", "log", "--json").output)] \
        == ["hide", "delete"]
    assert "Labelled item 3 against" in cli("moderation", "label", "3", "--stance",
                                             "against").output


def test_moderation_review_cli_states_the_guard_in_a_sentence(cli, tmp_path):
    ingest_comments(cli, tmp_path)
    out = cli("moderation", "review").output
    guard = [line for line in out.splitlines() if line.lstrip().startswith("! protected")]
    assert guard and all("risk to remove" not in line for line in guard)
    assert ("! protected criticism, high legal risk: removing a comment for this is "
            "generally unlawful. criticism of the government") in out


def test_alerts_are_acknowledged_once_with_an_audit_event(city, cli):
    city.moderation.act(item(city, "critic"), "hide", "moderator", clause="off_topic",
                        reason="posted three times in a row")
    first, second = city.alerts.list()
    done = city.alerts.ack(first["id"], "records officer", note="spoke with the moderator")
    assert done["acknowledged"] == {"at": done["acknowledged"]["at"], "by": "records officer",
                                    "note": "spoke with the moderator"}
    assert [a["id"] for a in city.alerts.list(open_only=True)] == [second["id"]]
    assert city.alerts.list()[0]["message"] == first["message"]  # the alert is unchanged
    with pytest.raises(InvalidInput, match="was acknowledged by records officer"):
        city.alerts.ack(first["id"], "someone else")
    with city.context.read() as conn:
        events = conn.execute(sa.select(t.audit_events.c.subject).where(
            t.audit_events.c.action == "alert.ack")).scalars().all()
    assert events == [f"alert {first['id']}"]
    assert city.evidence.verify().ok


def test_alerts_cli_ack_and_open(cli):
    cli("init", "--agency", "City of Example")
    cli("policy", "adopt", WASHINGTON)
    cli("people", "add", "Dana Whitfield", "--role", "official", "--term", "mayor:2024-01-01")
    cli("compliance", "monitor")
    listed = json.loads(cli("alerts", "list", "--json").output)
    assert listed and all(a["acknowledged"] is None for a in listed)
    assert "Acknowledged alert 1" in cli("alerts", "ack", "1", "--note", "sent a reminder").output
    out = cli("alerts", "list").output
    assert "acknowledged by clerk" in out and "(open)" in out
    assert "#1 " not in cli("alerts", "list", "--open").output
    again = cli("alerts", "ack", "1", ok=False)
    assert again.exit_code != 0 and "an acknowledgement stands" in again.output


def test_neutrality_report_per_account_moderator_and_stance(city):
    critic, spam, plain, threat = (item(city, n) for n in ("critic", "spam", "plain", "threat"))
    city.moderation.act(critic, "hide", "ann", clause="off_topic", reason="repeated")
    city.moderation.act(critic, "unhide", "ann")
    city.moderation.act(spam, "hide", "bob", clause="spam")
    city.moderation.act(threat, "block", "bob", clause="true_threats")
    for comment, stance in ((critic, "against"), (plain, "for"), (spam, "neutral")):
        city.moderation.label(comment, stance, "reviewer")
    report = city.moderation.report()
    agency = report["accounts"][0]
    assert agency["handle"] == "city@example.social"
    assert agency["protected"] == {"comments": 1, "removed": 1, "rate": 1.0, "items": [critic]}
    assert agency["others"] == {"comments": 3, "removed": 1, "rate": round(1 / 3, 4),
                                "items": [spam]}
    assert agency["actions_by_category"]["off_topic"] == {"hide": 1, "items": [critic]}
    assert agency["actions_by_category"]["no clause"] == {"unhide": 1, "items": [critic]}
    assert [a["item_id"] for a in agency["uncategorised"]] == [critic]
    assert agency["uncategorised"][0]["reason"] == "repeated"
    assert [(b["author"], b["by"]) for b in agency["blocks"]] == [("threat-author", "bob")]
    assert report["accounts"][1]["protected"]["removed"] == 0  # the mayor's: nothing done
    ann, bob = report["moderators"]
    assert (ann["moderator"], ann["protected"]["removed"], ann["others"]["removed"]) == \
        ("ann", 1, 0)
    assert (bob["others"]["items"], len(bob["blocks"])) == ([spam], 1)
    stance = {row["category"]: row for row in report["stance"]}
    none = stance["no category"]["stances"]
    assert none["against"]["removed"] == 1 and none["for"]["removed"] == 0
    assert stance["no category"]["gap"] == 1.0
    assert stance["spam"]["stances"]["neutral"]["items"] == [spam]


def test_neutrality_report_cli_says_what_each_figure_means(cli, tmp_path):
    test_moderation_cli(cli, tmp_path)
    out = cli("moderation", "report").output
    assert "Viewpoint-neutrality report: 2 comment(s)" in out
    assert "Protected comments: 1 of 1 removed (100.0%); items removed: 3" in out
    assert "a protected rate near or above this one is a sign of viewpoint discrimination" in out
    assert "Moderator clerk" in out and "against: 1 of 1 removed" in out
    assert json.loads(cli("moderation", "report", "--json").output)["labelled"] == 1
