"""The sentence encoder (the real one: `make test` installs the extra) and the lexical
fallback the engine uses without it."""

from __future__ import annotations

import os

import numpy

from civicarchive.moderation import Comment, Moderator, embeddings

DOG_PARK = "The new off-leash dog park at Cedar Hill opens Saturday."
RELATED = "Our golden retriever will love running around with other pups there."
UNRELATED = "My favorite lasagna recipe uses three kinds of cheese."


def test_the_encoder_gives_l2_normalised_rows_offline_and_caches(embedder):
    assert embedder.name == "all-MiniLM-L6-v2"
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    before = embedder.encoded
    vectors = embedder.encode([DOG_PARK, RELATED, DOG_PARK, "a third, new text, 42"])
    assert vectors.shape == (4, 384)
    assert numpy.allclose(numpy.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert numpy.allclose(vectors[0], vectors[2])
    assert vectors[0] @ vectors[1] > vectors[0] @ embedder.encode([UNRELATED])[0]
    embedder.encode([DOG_PARK, RELATED])
    assert embedder.encoded <= before + 4  # cached texts are not encoded again
    assert embedder.encode([]).shape == (0, 384)


def test_the_embeddings_path_decides_what_the_words_cannot(washington, embedder):
    with_encoder = Moderator(washington.moderation, embedder=embedder)
    without = Moderator(washington.moderation)
    related = Comment(RELATED, DOG_PARK)
    # No shared word or topic: the fallback can only send it to review as off-topic...
    assert without.evaluate(related).categories == ["off_topic"]
    # ...while the encoder sees it is about the dog park.
    assert with_encoder.evaluate(related).categories == []
    off = with_encoder.evaluate(Comment(UNRELATED, DOG_PARK))
    assert off.categories == ["off_topic"] and "similarity" in off.findings[0].explanation
    assert with_encoder.encoded == 2  # only the uncertain comments reached the encoder


def test_a_comment_the_cheap_checks_settle_is_never_encoded(washington, embedder):
    engine = Moderator(washington.moderation, embedder=embedder)
    verdicts = list(engine.evaluate_many([
        Comment("When does the dog park open on Saturday?", DOG_PARK),
        Comment("Thanks!", DOG_PARK),
        Comment("Buy cheap followers now, DM me for a promo code: growfast.biz", DOG_PARK),
    ]))
    assert [v.categories for v in verdicts] == [[], [], ["spam"]]
    assert engine.encoded == 0


def test_disabling_the_extra_gives_no_embedder(monkeypatch):
    monkeypatch.setenv(embeddings.DISABLE_VARIABLE, "off")
    assert embeddings.load_embedder() is None
