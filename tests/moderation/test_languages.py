"""Criticism of officials is protected in any language, and the off-topic check, built for
English (its word lists and all-MiniLM-L6-v2), never hides a comment in another language:
at most a person reviews it, told why."""

from __future__ import annotations

import pytest

from civicarchive.moderation import Action, Comment, Moderator, Speech
from tests.moderation.conftest import POTHOLES

POSTS = [POTHOLES, "The library's summer reading program starts June 1.",
         "Join us for the Fourth of July parade downtown."]
CRITICISM = {
    "Spanish": "El alcalde es un incompetente y su plan de zonificación es un desastre",
    "Spanish, short": "La alcaldesa miente y nos roba. ¡Que renuncie!",
    "French": "Le maire ment sur le budget, honte à lui",
    "French, short": "Le maire ment, honte à lui",
    "German": "Der Bürgermeister ist ein Lügner und sollte zurücktreten.",
    "Italian": "Il sindaco è un incompetente, vergogna!",
    "Portuguese": "O prefeito é um incompetente e mentiroso.",
}
# Languages the guard has no words for: the language gate alone keeps them up.
OTHER = {
    "Dutch": "De burgemeester liegt over de begroting, schande!",
    "Polish": "Burmistrz kłamie o budżecie, wstyd!",
    "Spanish, unrelated": "Mi receta favorita de lasaña lleva tres quesos.",
    "French, unrelated": "Ma recette préférée de lasagnes a trois fromages.",
}


@pytest.fixture(scope="module", params=["encoder", "lexical"])
def engine(request, washington):
    embedder = request.getfixturevalue("embedder") if request.param == "encoder" else None
    return Moderator(washington.moderation, embedder=embedder)


@pytest.mark.parametrize("text", CRITICISM.values(), ids=CRITICISM.keys())
def test_criticism_of_officials_in_another_language_is_protected(engine, text):
    for post in POSTS:
        verdict = engine.evaluate(Comment(text, post))
        assert verdict.protected, (post, verdict)
        assert Speech.CRITICISM in {g.speech for g in verdict.guarded}
        assert verdict.action is Action.NONE, (post, verdict)


@pytest.mark.parametrize("text", OTHER.values(), ids=OTHER.keys())
def test_off_topic_is_never_decided_in_a_language_it_was_not_built_for(engine, text):
    for post in POSTS:
        verdict = engine.evaluate(Comment(text, post))
        assert verdict.action in (Action.NONE, Action.REVIEW), (post, verdict)
        (finding,) = verdict.findings
        assert finding.category == "off_topic" and finding.action is Action.REVIEW
        assert "built for English" in finding.explanation


def test_english_off_topic_is_still_judged(engine):
    verdict = engine.evaluate(Comment("Go Seahawks! The playoffs start Sunday and we're "
                                      "winning it all.", POSTS[0]))
    assert verdict.categories == ["off_topic"] and verdict.action is Action.HIDE


def test_moderation_check_shows_why_another_language_goes_to_review(tmp_path):
    from tests.moderation.test_cli import run, write
    path = write(tmp_path, [{"post": POSTS[0], "comment": OTHER["Dutch"]},
                            {"post": POSTS[0], "comment": CRITICISM["Spanish"]}])
    out = run("moderation", "check", path, "--no-embeddings", home=tmp_path / "none").output
    assert "line 1: review: possible off-topic" in out
    assert "why: written in Dutch, and the off-topic check" in out
    assert "line 2: none, protected: protected speech (criticism)" in out
