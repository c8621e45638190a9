"""What the engine says about one comment: findings, the speech it guards, the action.

    Verdict
    ├── findings     [Finding]     a policy category the comment may fall in, with evidence
    ├── guarded      [Guarded]     speech that is protected: never a reason to hide or remove
    ├── protected    bool          the guard holds: no hide or remove is recommended
    ├── action       Action        none | review | hide | remove (never "block")
    └── reason       str           why that action, in plain words

Spans are indexes into the comment as given (Python string offsets).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from civicarchive.model.span import Span
from civicarchive.moderation.footing import Category


class Action(enum.StrEnum):
    """A recommendation about one comment. Blocking a person is not among them, by design."""

    NONE = "none"
    REVIEW = "review"
    HIDE = "hide"
    REMOVE = "remove"

    @property
    def rank(self) -> int:
        return list(Action).index(self)


class Speech(enum.StrEnum):
    """Kinds of protected speech the guard recognises."""

    CRITICISM = "criticism"  # of the government, its officials or its policies
    PROFANITY = "profanity"
    INSULT = "insult"  # "offensive", "disrespectful": rude words about a person
    HATEFUL = "hateful"  # "hate speech": demeaning words about a group, without a threat


@dataclass(frozen=True)
class Evidence:
    """What one detector saw: a confidence in [0, 1], the spans and why."""

    category: Category
    confidence: float
    spans: tuple[Span, ...]
    explanation: str
    # The most the finding may lead to whatever the policy says (copyright needs the
    # owner's objection first, which the engine cannot see).
    ceiling: Action = Action.REMOVE


@dataclass(frozen=True)
class Finding:
    """A policy category the comment may fall in, with the clause and footing relied on."""

    category: str  # the policy's key for it (or the engine's, when the policy has none)
    name: str
    confidence: float
    spans: tuple[Span, ...]
    clause: str | None  # None: the policy adopts no such category
    footing: str
    action: Action
    explanation: str

    def as_dict(self) -> dict:
        return {"category": self.category, "name": self.name,
                "confidence": round(self.confidence, 2),
                "spans": [s.as_dict() for s in self.spans], "clause": self.clause,
                "footing": self.footing, "action": self.action.value,
                "explanation": self.explanation}


@dataclass(frozen=True)
class Guarded:
    """Speech in the comment that the First Amendment generally protects."""

    speech: Speech
    spans: tuple[Span, ...]
    explanation: str
    footing: str
    risk: str = "high"  # the legal risk of removing the comment for this

    def as_dict(self) -> dict:
        return {"speech": self.speech.value, "spans": [s.as_dict() for s in self.spans],
                "risk": f"{self.risk}: removing a comment for this is generally unlawful",
                "explanation": self.explanation, "footing": self.footing}


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...]
    guarded: tuple[Guarded, ...]
    protected: bool
    action: Action
    reason: str

    @property
    def categories(self) -> list[str]:
        return [f.category for f in self.findings]

    def as_dict(self) -> dict:
        return {"categories": self.categories, "action": self.action.value,
                "protected": self.protected, "findings": [f.as_dict() for f in self.findings],
                "guarded": [g.as_dict() for g in self.guarded], "reason": self.reason}


@dataclass(frozen=True)
class Comment:
    """A comment and the post it answers; `author` and `thread` let repetition be seen."""

    text: str
    post: str = ""
    author: str | None = None
    thread: str | None = None  # the post's id, when known
    id: str | None = None


def span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])
