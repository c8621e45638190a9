"""The moderation engine: comments in, a Verdict for each, against the policy's categories.

    moderator = Moderator(policy.moderation, embedder=load_embedder())
    verdict = moderator.evaluate(Comment("...", post="..."))
    for verdict in moderator.evaluate_many(comments):   # a stream, in order
        ...

How a verdict is reached:

0. The detectors read the comment as the words it spells (normalisation.py: zero-width
   characters, look-alike letters, leetspeak, spaced letters undone); every span is
   mapped back to the comment as written.
1. Each detector (threats, obscenity, spam, personal, copyright, relevance) gives evidence
   with a confidence. Evidence below REPORT is dropped; from REPORT to STRONG it is a
   review; at STRONG or above it takes the action the policy's category gives (hide or
   remove), or review where the policy has no such category or the detector has a
   ceiling (copyright).
2. The guard (speech.py) finds protected speech. The comment is **protected** when it
   criticises the government, or when it holds only profanity, insults or demeaning words
   and no strong finding, unless a strong finding of unprotected speech (obscenity, a true
   threat, incitement) overrides it. A protected comment is never recommended for hiding
   or removal: the most it gets is a review, with the reason.
3. The action is the strongest finding's. There is no "block": the engine never
   recommends blocking a person (footing.BLOCKING_NOTE).

Off-topic is assessed only for comments without a strong finding of another kind, never
decided for a comment in another language than English (a review, with the reason), and the
sentence encoder runs only on the comments the cheap checks leave uncertain; posts are
encoded once each (the embedder caches).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from civicarchive.moderation import copyright, obscenity, personal, spam, speech, threats
from civicarchive.moderation.findings import (Action, Comment, Evidence, Finding, Guarded,
                                              Speech, Verdict)
from civicarchive.moderation.footing import (FOOTING, HIGH_RISK_FOOTING, UNPROTECTED, Category,
                                             high_risk_word)
from civicarchive.moderation.normalisation import Normalised, normalise
from civicarchive.moderation.relevance import Relevance, Stage, similarities
from civicarchive.moderation.spam import AuthorHistory, Earlier
from civicarchive.policy.model import ModerationAction, ModerationCategory

REPORT = 0.45
STRONG = 0.75

# The keys (and words in names) by which a policy's category is recognised.
ALIASES = {
    Category.OBSCENITY: ("obscenity", "obscene"),
    Category.TRUE_THREATS: ("true_threats", "true_threat", "threats", "threat", "violence"),
    Category.INCITEMENT: ("incitement", "solicitation", "illegal_activity", "crime",
                          "criminal_activity", "illegal"),
    Category.SPAM: ("spam", "commercial", "advertising", "solicitation_commercial",
                    "repetition", "repetitive"),
    Category.OFF_TOPIC: ("off_topic", "offtopic", "irrelevant", "unrelated"),
    Category.PERSONAL_INFORMATION: ("personal_information", "personal_info", "pii",
                                    "privacy", "doxxing", "private_information"),
    Category.COPYRIGHT: ("copyright", "infringement", "intellectual_property"),
}
NAMES = {Category.OBSCENITY: "Obscenity", Category.TRUE_THREATS: "True threats",
         Category.INCITEMENT: "Incitement or solicitation of crime",
         Category.SPAM: "Spam, commercial solicitation and repetition",
         Category.OFF_TOPIC: "Off-topic", Category.PERSONAL_INFORMATION:
         "Personal information of others", Category.COPYRIGHT: "Copyright infringement"}


@dataclass
class _Pending:
    comment: Comment
    evidence: list[Evidence]
    guarded: list[Guarded]
    uncertain: bool  # off-topic left to the encoder
    read: Normalised  # the comment as the detectors read it
    post: str  # the post, likewise


class Moderator:
    """Evaluates comments against a policy's moderation categories."""

    def __init__(self, categories: Sequence[ModerationCategory], embedder: object = None,
                 relevance: Relevance = Relevance(), region: str = "US") -> None:
        self.embedder = embedder
        self.relevance = relevance
        self.region = region
        self.adopted: dict[Category, ModerationCategory] = {}
        self.refused: list[tuple[ModerationCategory, str]] = []  # high risk: never applied
        self.unevaluated: list[ModerationCategory] = []  # no detector for it
        for category in categories:
            risky = high_risk_word(category.key, category.name)
            if risky:
                self.refused.append((category, f"a category for {risky!r} speech is high "
                                               f"risk ({HIGH_RISK_FOOTING}): not applied"))
                continue
            detector = _detector_for(category)
            if detector is None or detector in self.adopted:
                self.unevaluated.append(category)
            else:
                self.adopted[detector] = category
        self.encoded = 0  # comments sent to the encoder, for the benchmark

    @property
    def uses_embeddings(self) -> bool:
        return self.embedder is not None

    def evaluate(self, comment: Comment | str, post: str = "",
                 earlier: Iterable[str] = ()) -> Verdict:
        """One comment; `earlier` holds the same author's earlier comments (repetition)."""
        if isinstance(comment, str):
            comment = Comment(comment, post)
        pending = self._cheap(comment, [Earlier(spam.normalise(t), None) for t in earlier])
        return next(self._finish([pending]))

    def evaluate_many(self, comments: Iterable[Comment], history: AuthorHistory | None = None,
                      chunk: int = 256) -> Iterator[Verdict]:
        """Verdicts in input order. Repetition is seen across the whole stream (each
        author's earlier comments, on any post); the encoder runs once per chunk."""
        history = AuthorHistory() if history is None else history
        batch: list[_Pending] = []
        for comment in comments:
            batch.append(self._cheap(comment, history.earlier(comment.author)))
            history.add(comment.author, comment.text, comment.id or comment.thread)
            if len(batch) >= chunk:
                yield from self._finish(batch)
                batch = []
        yield from self._finish(batch)

    def evaluate_each(self, judged: Iterable[tuple[Comment, Sequence[Earlier]]],
                      chunk: int = 256) -> Iterator[Verdict]:
        """Verdicts in input order, each comment with its author's earlier comments given
        (oldest first, as AuthorHistory.earlier holds them): what evaluate_many gives
        each in its stream, for comments judged out of the stream's order."""
        batch: list[_Pending] = []
        for comment, earlier in judged:
            batch.append(self._cheap(comment, earlier))
            if len(batch) >= chunk:
                yield from self._finish(batch)
                batch = []
        yield from self._finish(batch)

    def _cheap(self, comment: Comment, earlier: Sequence[Earlier]) -> _Pending:
        # The detectors read the words the comment spells (zero-width characters,
        # look-alike letters, leetspeak and spaced letters undone); spans are mapped back.
        read = normalise(comment.text)
        text, post = read.text, normalise(comment.post).text
        guarded = speech.guarded(text, post)
        criticism = any(g.speech is Speech.CRITICISM for g in guarded)
        found = [threats.true_threats(text), threats.incitement(text),
                 obscenity.obscenity(text, political=bool(
                     criticism and speech.criticism_spans(text, post, swearing=False))),
                 spam.commercial(text),
                 spam.repetition(text, earlier),
                 personal.personal_information(text),
                 copyright.copyright_copy(text)]
        evidence = [e for e in found if e is not None and e.confidence >= REPORT]
        evidence = _one_per_category(evidence)
        uncertain = False
        # Off-topic only where nothing else applies (spam or a threat is that first), and only
        # against a post: without one there is nothing to be off.
        if not evidence and post.strip() and Category.OFF_TOPIC in self.adopted:
            stage = self.relevance.cheap(text, post, criticism)
            uncertain = stage is Stage.UNCERTAIN
            if stage is Stage.UNJUDGED:  # another language: a person decides
                evidence.append(self.relevance.unjudged(text))
        return _Pending(comment, evidence, guarded, uncertain, read, post)

    def _finish(self, batch: list[_Pending]) -> Iterator[Verdict]:
        unsure = [p for p in batch if p.uncertain]
        if unsure and self.embedder is not None:
            to_post, to_agency = similarities(self.embedder, [p.read.text for p in unsure],
                                              [p.post or p.read.text for p in unsure])
            self.encoded += len(unsure)
            for pending, near_post, near_agency in zip(unsure, to_post, to_agency):
                found = self.relevance.semantic(pending.read.text, near_post, near_agency)
                if found is not None:
                    pending.evidence.append(found)
        else:
            for pending in unsure:
                pending.evidence.append(self.relevance.lexical(pending.read.text))
        for pending in batch:
            yield self._verdict(pending)

    def _verdict(self, pending: _Pending) -> Verdict:
        read = pending.read
        evidence = [replace(e, spans=tuple(read.span(s) for s in e.spans)) if read.changed
                    else e for e in pending.evidence]
        guarded = [replace(g, spans=tuple(read.span(s) for s in g.spans)) if read.changed
                   else g for g in pending.guarded]
        strong = [e for e in evidence if e.confidence >= STRONG]
        criticism = any(g.speech is Speech.CRITICISM for g in guarded)
        overriding = [e for e in strong if e.category in UNPROTECTED]
        protected = not overriding and (criticism or (bool(guarded) and not strong))
        findings = [self._finding(e, protected) for e in evidence]
        findings.sort(key=lambda f: (-f.action.rank, -f.confidence))
        action = max((f.action for f in findings), key=lambda a: a.rank, default=Action.NONE)
        return Verdict(tuple(findings), tuple(guarded), protected, action,
                       _reason(findings, guarded, protected, overriding, action))

    def _finding(self, evidence: Evidence, protected: bool) -> Finding:
        adopted = self.adopted.get(evidence.category)
        if evidence.confidence < STRONG or adopted is None:
            action = Action.REVIEW
        else:
            action = Action.REMOVE if adopted.action is ModerationAction.REMOVE else Action.HIDE
            if action.rank > evidence.ceiling.rank:
                action = evidence.ceiling
        explanation = evidence.explanation
        if protected and action.rank > Action.REVIEW.rank:
            action = Action.REVIEW
            explanation += ("; the comment is protected speech, so a person reviews it "
                            "instead of hiding or removing it")
        if adopted is None:
            explanation += "; the policy adopts no such category, so a person reviews it"
        return Finding(adopted.key if adopted else evidence.category.value,
                       adopted.name if adopted else NAMES[evidence.category],
                       evidence.confidence, evidence.spans,
                       adopted.clause if adopted else None,
                       adopted.footing if adopted else FOOTING[evidence.category],
                       action, explanation)


def _detector_for(category: ModerationCategory) -> Category | None:
    key = category.key.lower().replace("-", "_")
    for detector, aliases in ALIASES.items():
        if key in aliases:
            return detector
    name = category.name.lower()
    for detector, aliases in ALIASES.items():
        if any(re.search(rf"\b{a.replace('_', '[ -]')}", name) for a in aliases):
            return detector
    return None


def _one_per_category(evidence: list[Evidence]) -> list[Evidence]:
    best: dict[Category, Evidence] = {}
    for e in evidence:
        if e.category not in best or e.confidence > best[e.category].confidence:
            best[e.category] = e
    return list(best.values())


def _reason(findings: list[Finding], guarded: list[Guarded], protected: bool,
            overriding: list[Evidence], action: Action) -> str:
    kinds = ", ".join(dict.fromkeys(g.speech.value for g in guarded))
    if overriding and guarded:
        return (f"{overriding[0].category.value.replace('_', ' ')} is unprotected speech and "
                f"overrides the guard ({kinds} alone would be protected)")
    if protected and findings:
        return (f"protected speech ({kinds}): never hidden or removed for it; "
                f"{findings[0].category} goes to a person for review")
    if protected:
        return f"protected speech ({kinds}): leave it up; removing it is high legal risk"
    if not findings:
        return "no policy category applies"
    top = findings[0]
    if action is Action.REVIEW:
        return f"possible {top.name.lower()}: a person reviews it"
    return f"{top.name.lower()} under the policy's clause ({top.action.value})"
