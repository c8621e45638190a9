"""The engine under the packaged Washington policy, with and without the sentence encoder.

The encoder is the real one (the `embeddings` extra, which `make test` installs): it is
loaded once per test process.
"""

from __future__ import annotations

import pytest

from civicarchive import policy
from civicarchive.moderation import Comment, Moderator, load_embedder

WASHINGTON = policy.EXAMPLES / "washington-local.yaml"
POTHOLES = ("Street crews will be filling potholes on 5th Avenue between Main Street and Pine "
            "Street this week. Expect single-lane closures from 9 a.m. to 3 p.m.")


@pytest.fixture(scope="session")
def washington():
    return policy.load_policy(WASHINGTON)


@pytest.fixture(scope="session")
def lexical(washington):
    """The engine as it runs without the embeddings extra."""
    return Moderator(washington.moderation)


@pytest.fixture(scope="session")
def embedder():
    found = load_embedder()
    assert found is not None, "the embeddings extra is not installed: run make test"
    return found


@pytest.fixture
def judge(lexical):
    def judge(text: str, post: str = POTHOLES, earlier=()):
        return lexical.evaluate(Comment(text, post), earlier=earlier)
    return judge
