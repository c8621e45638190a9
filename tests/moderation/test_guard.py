"""Protected speech is found, shown as high legal risk, and never hidden or removed; no
verdict ever recommends blocking a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicarchive.moderation import Action, Comment, Moderator, Speech
from civicarchive.policy.model import ModerationAction, ModerationCategory

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "comments.jsonl"

PROTECTED = {
    "harsh criticism": "This council is incompetent and corrupt. Every one of them should "
                       "resign.",
    "criticism full of swearing": "Fix the fucking potholes, you useless bastards. What the "
                                  "hell do we pay taxes for?",
    "sarcasm": "Wow, only three years to fill one pothole. Great job, Public Works. Truly "
               "world-class.",
    "profanity in quotes": "Someone spray-painted 'f*** the police' on the underpass. Can "
                           "a crew clean it?",
    "insult": "The mayor is a clown and a liar.",
    "demeaning words about a group": "Cyclists are parasites who pay nothing for these roads.",
    "hyperbole against a policy": "Kill the meter proposal before it kills downtown. Terrible "
                                  "idea.",
}


@pytest.mark.parametrize("text", PROTECTED.values(), ids=PROTECTED.keys())
def test_protected_speech_is_guarded_with_high_risk_and_citations(judge, text):
    verdict = judge(text)
    assert verdict.protected
    assert verdict.action in (Action.NONE, Action.REVIEW)
    assert verdict.guarded
    for guarded in verdict.guarded:
        assert guarded.risk == "high"
        assert ("Robinson v. Hunt County" in guarded.footing)
    shown = verdict.as_dict()["guarded"][0]
    assert shown["risk"].startswith("high") and shown["footing"]


def test_profanity_alone_cites_cohen_and_brunetti(judge):
    verdict = judge("Holy shit, that's a lot of potholes.")
    (profanity,) = [g for g in verdict.guarded if g.speech is Speech.PROFANITY]
    assert "Cohen v. California" in profanity.footing and "Iancu v. Brunetti" in \
        profanity.footing
    assert verdict.protected and verdict.action is Action.NONE
    quoted = judge('The sign said "f*** the police", please remove it.')
    assert "quotation" in [g for g in quoted.guarded
                           if g.speech is Speech.PROFANITY][0].explanation


def test_criticism_caps_a_neutral_category_at_review(judge):
    text = ("The council needs to fix the drainage on Birch Street before spending a dime on "
            "anything else. Shameful.")
    again = judge(text, earlier=[text])
    assert again.categories == ["spam"] and again.protected
    assert again.action is Action.REVIEW
    assert "protected speech" in again.findings[0].explanation


def test_a_threat_wrapped_in_criticism_is_not_protected(judge):
    verdict = judge("The council is corrupt and useless, and I'm going to shoot the mayor.")
    assert not verdict.protected and verdict.action is Action.REMOVE
    assert "overrides the guard" in verdict.reason


def test_no_action_is_blocking():
    assert [a.value for a in Action] == ["none", "review", "hide", "remove"]


def test_the_engine_has_no_viewpoint_category(lexical):
    """A policy category for "negative" or "offensive" comments is never applied."""
    risky = ModerationCategory("negative_comments", "Negative comments about the city",
                               "Negative comments are removed.", ModerationAction.REMOVE,
                               "none")
    engine = Moderator([risky, *lexical.adopted.values()])
    assert [c.key for c, _ in engine.refused] == ["negative_comments"]
    verdict = engine.evaluate(Comment("The city is terrible at everything.", "Potholes."))
    assert verdict.categories == [] and verdict.protected


def test_no_comment_labelled_protected_in_the_evaluation_set_is_hidden_or_removed(lexical):
    rows = [json.loads(line) for line in BENCH.read_text().splitlines()]
    assert len(rows) >= 400
    verdicts = list(lexical.evaluate_many(
        Comment(r["comment"], r["post"], r["author"], r["thread"], r["id"]) for r in rows))
    for row, verdict in zip(rows, verdicts):
        assert verdict.action in set(Action)
        if verdict.protected or row["protected"]:
            assert verdict.action not in (Action.HIDE, Action.REMOVE), row["id"]


WORDS = st.sampled_from(["council", "mayor", "useless", "fuck", "shit", "corrupt", "potholes",
                         "great job", "resign", "idiots", "the city", "waste", "lol", "damn",
                         "taxes", "again", "clowns", "!", "?", "."])


@given(st.lists(WORDS, min_size=1, max_size=25))
def test_a_protected_verdict_never_hides_or_removes(lexical, words):
    verdict = lexical.evaluate(Comment(" ".join(words), "Potholes on 5th Avenue."))
    if verdict.protected:
        assert verdict.action in (Action.NONE, Action.REVIEW)
    assert all(f.action is not Action.REMOVE or f.category in
               ("obscenity", "true_threats", "incitement", "copyright")
               for f in verdict.findings)
