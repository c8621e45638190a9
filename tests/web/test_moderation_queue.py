"""The moderation queue, log, labels and report through the API and the UI: the engine's
findings with clause and footing, the protected-speech guard, the state-action warning;
acting logs the clause and verdict; only moderators act; another agency's comments and
direct messages never appear and answer the same 404 as a missing id."""

from __future__ import annotations

import dataclasses
import re

import pytest

from civicarchive.model.record import Kind
from civicarchive.policy import EXAMPLES
from tests.conftest import observe
from tests.web.conftest import csrf_of
from tests.web.test_sessions import audit_actions

SPAM = ("BUY CHEAP WATCHES!!! Best prices at http://cheap-watches.example.com click now "
        "http://cheap-watches.example.com/deal")
CRITIC = "The mayor is a corrupt incompetent clown and this council is a disgrace. Resign!"
THREAT = "I know where you live and I am going to kill you tonight"
# Item ids after the deployment's five.
SPAM_ID, CRITIC_ID, THREAT_ID, COUNTY_ID = 6, 7, 8, 9


@pytest.fixture(autouse=True)
def lexical(monkeypatch):
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")  # the engine's fallback: fast


@pytest.fixture
def moderated(deployment):
    """The Washington policy adopted; three comments under the city's post, one under the
    county's."""
    archive = deployment.archive
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    city, county = deployment.accounts["city"], deployment.accounts["county"]
    archive.ingesting.ingest([
        comment(city, "103", SPAM, "100", 1),
        comment(city, "104", CRITIC, "100", 2),
        comment(city, "105", THREAT, "100", 3),
        comment(county, "301", SPAM, "300", 4),
    ], source="test", actor="clerk")
    assert archive.reading.item(COUNTY_ID).account_id == county
    return deployment


def comment(account_id: int, native_id: str, text: str, parent: str, minutes: int):
    """A comment under `parent` (tests.conftest.observe puts extra fields in the content)."""
    return dataclasses.replace(observe(account_id, native_id, text, minutes=minutes,
                                       kind=Kind.COMMENT), parent_native_id=parent)


def bearer(deployment, username: str) -> dict:
    return {"Authorization": f"Bearer {deployment.token(username)}"}


def test_queue_shows_findings_footing_guard_and_warnings(moderated):
    client = moderated.client()
    found = client.get("/api/v1/moderation/queue", headers=bearer(moderated, "moderator"))
    assert found.status_code == 200, found.text
    rows = {r["item_id"]: r for r in found.json()["items"]}
    assert COUNTY_ID not in rows and 3 not in rows  # another agency's; the direct message
    assert set(rows) == {SPAM_ID, CRITIC_ID, THREAT_ID}
    spam = rows[SPAM_ID]
    assert spam["post"] == "Zoning hearing on Tuesday"
    finding = spam["verdict"]["findings"][0]
    assert finding["category"] == "spam" and finding["clause"] and finding["footing"]
    critic = rows[CRITIC_ID]["verdict"]
    assert critic["protected"] and critic["action"] == "none" and critic["guarded"]
    # The city's page is an agency account: a block or a deletion is risky there.
    warnings = rows[THREAT_ID]["warnings"]
    assert warnings["block"]["suggestion"] == "hide" and warnings["delete"]["message"]


def test_queue_page_renders_the_comment_in_context_as_text(moderated):
    page = moderated.client("moderator").get("/moderation")
    assert page.status_code == 200
    html = page.text
    assert "Protected speech: do not hide or delete it, or block its author." in html
    assert "Zoning hearing on Tuesday" in html and "Legal footing" in html
    assert "Before a block:" in html
    assert html.count('<h2 id="comment-') == 3 and "countyofother" not in html
    # every form control has its label
    for control in re.findall(r'<(?:select|textarea|input) id="([^"]+)"', html):
        assert f'for="{control}"' in html, control


def test_act_through_the_api_is_logged_with_clause_and_verdict(moderated):
    client = moderated.client()
    headers = bearer(moderated, "moderator")
    done = client.post("/api/v1/moderation/actions", headers=headers,
                       json={"item_id": SPAM_ID, "action": "hide", "clause": "spam"})
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["clause"] == "spam" and body["acted_by"] == "user:moderator"
    assert body["verdict"]["categories"] == ["spam"]
    assert body["outcome"] == "recorded only"  # X offers no API for it
    log = client.get("/api/v1/moderation/actions", headers=headers).json()
    assert [a["id"] for a in log["items"]] == [body["id"]] and log["total"] == 1
    one = client.get(f"/api/v1/moderation/actions/{body['id']}", headers=headers).json()
    assert one["verdict"]["clauses"][0].startswith("Comments that advertise")


def test_hiding_protected_speech_needs_a_reason_and_raises_an_alert(moderated):
    client = moderated.client()
    headers = bearer(moderated, "moderator")
    refused = client.post("/api/v1/moderation/actions", headers=headers,
                          json={"item_id": CRITIC_ID, "action": "hide", "clause": "off_topic"})
    assert refused.status_code == 400 and refused.json()["parameter"] == "reason"
    done = client.post("/api/v1/moderation/actions", headers=headers,
                       json={"item_id": CRITIC_ID, "action": "hide", "clause": "off_topic",
                             "reason": "posted three times"}).json()
    assert done["verdict"]["protected"] and done["alerts"]
    alerts = client.get("/api/v1/alerts", headers=bearer(moderated, "admin")).json()
    kinds = {a["kind"] for a in alerts["items"]}
    assert {"moderation.protected_removed", "moderation.uncategorised"} <= kinds


def test_ui_action_redirects_to_the_next_comment_focused(moderated):
    client = moderated.client("moderator")
    page = client.get("/moderation")
    order = [int(i) for i in re.findall(r'<h2 id="comment-(\d+)"', page.text)]
    first, second = order[0], order[1]
    nxt = re.search(rf'action="/moderation/{first}/act".*?name="next_item" value="(\d*)"',
                    page.text, re.S).group(1)
    assert int(nxt) == second
    done = client.post(f"/moderation/{first}/act", data={
        "csrf_token": csrf_of(page.text), "action": "hide", "clause": "true_threats",
        "reason": "a threat", "next_item": nxt, "offset": "0"}, follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert f'<h2 id="comment-{second}" tabindex="-1" autofocus' in after.text
    assert "Logged action 1: hide of comment" in after.text
    log = client.get("/moderation/log")
    assert "true_threats" in log.text and "user:moderator" in log.text


def test_ui_refusal_is_shown_at_the_comment_with_the_field_marked(moderated):
    client = moderated.client("moderator")
    page = client.get("/moderation")
    refused = client.post(f"/moderation/{CRITIC_ID}/act", data={
        "csrf_token": csrf_of(page.text), "action": "hide", "clause": "off_topic"})
    assert refused.status_code == 400
    assert f'id="error-{CRITIC_ID}"' in refused.text and "needs a written reason" in refused.text
    assert f'aria-describedby="reason-help-{CRITIC_ID} error-{CRITIC_ID}"' in refused.text
    assert moderated.archive.moderation.log() == []


def test_ui_action_without_csrf_token_is_refused(moderated):
    client = moderated.client("moderator")
    refused = client.post(f"/moderation/{SPAM_ID}/act", data={"action": "hide",
                                                               "clause": "spam"})
    assert refused.status_code == 403
    assert moderated.archive.moderation.log() == []


@pytest.mark.parametrize("username", ["auditor", "records_officer", "official"])
def test_roles_without_moderate_are_denied_and_audited(moderated, username):
    client = moderated.client()
    headers = bearer(moderated, username)
    for answer in (client.get("/api/v1/moderation/queue", headers=headers),
                   client.post("/api/v1/moderation/actions", headers=headers,
                               json={"item_id": SPAM_ID, "action": "hide", "clause": "spam"})):
        assert answer.status_code == 403
    assert moderated.archive.moderation.log() == []
    denied = [a for a in audit_actions(moderated.archive) if a[0] == "auth.denied"]
    assert denied == [("auth.denied", f"user:{username}")] * 2


def test_another_agencys_comment_is_the_same_404_as_a_missing_one(moderated):
    client = moderated.client()
    headers = bearer(moderated, "moderator")
    answers = [client.post("/api/v1/moderation/actions", headers=headers,
                           json={"item_id": item, "action": "hide", "clause": "spam"})
               for item in (COUNTY_ID, 99999)]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == answers[1].json()
    label = client.post("/api/v1/moderation/labels", headers=headers,
                        json={"item_id": COUNTY_ID, "stance": "for"})
    assert label.status_code == 404
    # the direct message: not a comment, and not the moderator's to see
    assert client.post("/api/v1/moderation/labels", headers=headers,
                       json={"item_id": 3, "stance": "for"}).status_code == 404
    county = client.get("/api/v1/moderation/queue", headers=bearer(moderated, "admin"))
    assert COUNTY_ID not in {r["item_id"] for r in county.json()["items"]}


def test_labels_feed_the_neutrality_report(moderated):
    client = moderated.client()
    headers = bearer(moderated, "moderator")
    made = client.post("/api/v1/moderation/labels", headers=headers,
                       json={"item_id": CRITIC_ID, "stance": "against"})
    assert made.status_code == 201 and made.json()["stance"] == "against"
    client.post("/api/v1/moderation/actions", headers=headers,
                json={"item_id": SPAM_ID, "action": "hide", "clause": "spam"})
    report = client.get("/api/v1/moderation/report", headers=headers).json()
    assert report["labelled"] == 1 and report["actions"] == 1
    assert [a["handle"] for a in report["accounts"]] == ["cityofexample"]
    city = report["accounts"][0]
    assert city["others"]["removed"] == 1 and city["protected"]["removed"] == 0
    assert [s["category"] for s in report["stance"]] == ["no category"]
    page = moderated.client("moderator").get("/moderation/report")
    assert page.status_code == 200 and "Removal rates" in page.text
    assert "countyofother" not in page.text


def test_log_filters_by_account_and_action(moderated):
    archive = moderated.archive
    archive.moderation.act(SPAM_ID, "hide", "user:moderator", clause="spam")
    archive.moderation.act(SPAM_ID, "unhide", "user:moderator")
    client = moderated.client()
    headers = bearer(moderated, "moderator")
    hides = client.get("/api/v1/moderation/actions?action=hide", headers=headers).json()
    assert [a["action"] for a in hides["items"]] == ["hide"]
    both = client.get("/api/v1/moderation/actions?account_id=1&limit=1",
                      headers=headers).json()
    assert both["total"] == 2 and both["items"][0]["action"] == "unhide" and both["next"]
    assert client.get("/api/v1/moderation/actions?account_id=3",
                      headers=headers).status_code == 404
    page = moderated.client("moderator").get("/moderation/log?action=unhide")
    assert page.status_code == 200 and ">2: unhide<" in page.text and "1: hide" not in page.text


@pytest.mark.parametrize("account_id", ["\u00b2", "99999999999999999999999"])
def test_log_takes_an_account_that_is_no_id_as_none(moderated, account_id):
    # "²" is a digit to str.isdigit() but not to int(); the other is past any id.
    page = moderated.client("moderator").get("/moderation/log",
                                             params={"account_id": account_id})
    assert page.status_code == 200


def test_ui_action_with_a_next_comment_that_is_no_id_returns_to_the_queue(moderated):
    client = moderated.client("moderator")
    page = client.get("/moderation")
    done = client.post(f"/moderation/{SPAM_ID}/act", data={
        "csrf_token": csrf_of(page.text), "action": "hide", "clause": "spam",
        "reason": "spam", "next_item": "\u00b2", "offset": "0"}, follow_redirects=False)
    assert done.status_code == 303 and "focus" not in done.headers["location"]


def test_queue_pages_across_more_comments_than_a_page(moderated):
    archive = moderated.archive
    city = moderated.accounts["city"]
    archive.ingesting.ingest([comment(city, f"5{n:02d}", SPAM.replace("WATCHES", f"WATCHES {n}"),
                                      "100", 10 + n) for n in range(45)],
                             source="test", actor="clerk")
    expected = [r["item_id"] for r in archive.moderation.review(
        within=[city, moderated.accounts["mayor"]]) if r["last_action"] is None]
    assert len(expected) == 48
    client = moderated.client("moderator")
    shown, offset = [], 0
    while True:
        page = client.get(f"/moderation?offset={offset}").text
        ids = [int(i) for i in re.findall(r'<h2 id="comment-(\d+)"', page)]
        assert len(ids) == (20 if offset < 40 else 8)
        shown += ids
        if "Next page" not in page:
            break
        assert f'href="/moderation?offset={offset + 20}"' in page
        offset += 20
    assert shown == expected  # newest first, each once
    assert "48 comments the engine flags" in page and "Previous page" in page
    assert "Showing 41 to 48 of 48." in page
    first = client.get("/moderation").text
    assert "Comments the engine flags" in first and "Showing 1 to 20." in first
    api, headers, url = [], bearer(moderated, "moderator"), "/api/v1/moderation/queue?limit=20"
    api_client = moderated.client()
    while url:
        found = api_client.get(url, headers=headers).json()
        api += [r["item_id"] for r in found["items"]]
        url, total = found["next"], found["total"]
    assert api == expected and total == 48


def test_an_acted_on_comment_leaves_the_queue(moderated):
    client = moderated.client()
    headers = bearer(moderated, "moderator")
    queue = "/api/v1/moderation/queue"
    assert SPAM_ID in {r["item_id"] for r in client.get(queue, headers=headers).json()["items"]}
    moderated.archive.dashboard.count_queue_now()
    city = frozenset([moderated.accounts["city"]])
    assert moderated.archive.dashboard.queue_size(city) == 3
    assert client.post("/api/v1/moderation/actions", headers=headers, json={
        "item_id": SPAM_ID, "action": "hide", "clause": "spam"}).status_code == 201
    after = client.get(queue, headers=headers).json()
    assert SPAM_ID not in {r["item_id"] for r in after["items"]} and after["total"] == 2
    acted = client.get(f"{queue}?acted=true", headers=headers).json()
    spam = next(r for r in acted["items"] if r["item_id"] == SPAM_ID)
    assert spam["last_action"]["action"] == "hide" and acted["total"] == 3
    moderator = moderated.client("moderator")
    page = moderator.get("/moderation").text
    assert f'id="comment-{SPAM_ID}"' not in page and "2 comments the engine flags" in page
    shown = moderator.get("/moderation?include=acted").text
    assert f'id="comment-{SPAM_ID}"' in shown and "Last action: hide under spam" in shown
    assert 'name="include" value="acted"' in shown
    done = moderator.post(f"/moderation/{SPAM_ID}/act", data={
        "csrf_token": csrf_of(shown), "action": "unhide", "include": "acted"},
        follow_redirects=False)
    assert done.status_code == 303 and "&include=acted" in done.headers["location"]
    moderated.archive.dashboard.count_queue_now()
    assert moderated.archive.dashboard.queue_size(city) == 2
