"""Whether a post on an official's personal account is the agency's business, and so a
public record to keep under the policy's series.

A pure engine over what it is handed: the policy's agency terms, the terms of the
authority of the offices the author held, the agency's own posts, and optionally an
embedder (`Embedder.encode(texts) -> rows of unit vectors`, moderation/embeddings.py).
A post's score adds up:

- each distinct agency term it uses (a phrase of several words counts more than a word);
- terms of its author's offices' authority the agency terms do not already cover;
- signs that the author posts in the office's name (official action, the office invoked,
  agency staff at work: the state-action engine's wording, since a post made in an
  official capacity is a record (West v. City of Puyallup, in Washington));
- its similarity to the agency's own posts: cosine of sentence embeddings when the
  embedder is available, else of TF-IDF word vectors;

less what marks it as campaign material. At or above `THRESHOLD` it is public business.
Every part that counted is a reason with its evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from civicarchive.compliance import state_action as sa
from civicarchive.compliance.terms import Span, find_terms, search
from civicarchive.policy.model import Office

THRESHOLD = 1.5
# Similarity to the nearest agency post -> points, highest first.
EMBEDDING_STEPS = ((0.60, 1.5), (0.45, 0.75))
LEXICAL_STEPS = ((0.40, 1.0),)


class Embedder(Protocol):
    def encode(self, texts: list[str]):  # noqa: ANN201 - numpy rows, L2-normalised
        ...


@dataclass(frozen=True)
class Part:
    """One thing that counted toward (or against) public business."""

    kind: str           # "agency term", "office authority", "official capacity", "similar
                        # to agency post", "campaign"
    points: float
    explanation: str
    evidence: tuple[Span, ...] = ()

    def as_dict(self) -> dict:
        return {"kind": self.kind, "points": self.points, "explanation": self.explanation,
                "evidence": [span.as_dict() for span in self.evidence]}


@dataclass(frozen=True)
class BusinessFinding:
    public_business: bool
    score: float
    parts: tuple[Part, ...]
    nearest_agency_post: int | None = None  # index into the agency posts given
    similarity: float | None = None

    def as_dict(self) -> dict:
        return {"public_business": self.public_business, "score": round(self.score, 3),
                "parts": [p.as_dict() for p in self.parts],
                "nearest_agency_post": self.nearest_agency_post,
                "similarity": None if self.similarity is None else round(self.similarity, 3)}


class PublicBusiness:
    """The classifier for one agency: its terms and its own posts, read once."""

    def __init__(self, agency_terms: Sequence[str], agency_posts: Sequence[str] = (),
                 embedder: Embedder | None = None, agency: str | None = None) -> None:
        self.agency_terms = tuple(dict.fromkeys(agency_terms))
        self._names = _agency_names(agency) if agency else ()
        self.agency_posts = tuple(agency_posts)
        self.embedder = embedder if self.agency_posts else None
        self._agency_vectors = (self.embedder.encode(list(self.agency_posts))
                                if self.embedder is not None else None)
        self._tfidf = _Tfidf(self.agency_posts) if self.agency_posts else None

    @property
    def by_embeddings(self) -> bool:
        return self.embedder is not None

    def classify(self, text: str, offices: Sequence[Office] = ()) -> BusinessFinding:
        """One post."""
        return self.classify_many([text], [offices])[0]

    def classify_many(self, texts: Sequence[str], offices: Sequence[Sequence[Office]] = ()
                      ) -> list[BusinessFinding]:
        """Several posts, `offices[i]` those the author of `texts[i]` held that day; the
        posts are embedded in one batch."""
        offices = list(offices) or [()] * len(texts)
        nearest = self._nearest(list(texts))
        return [self._classify(text, tuple(held), near)
                for text, held, near in zip(texts, offices, nearest)]

    def _nearest(self, texts: list[str]) -> list[tuple[int, float] | None]:
        if not texts or not self.agency_posts:
            return [None] * len(texts)
        if self._agency_vectors is not None:
            scores = self.embedder.encode(texts) @ self._agency_vectors.T
            return [(int(row.argmax()), float(row.max())) for row in scores]
        return [self._tfidf.nearest(text) for text in texts]

    def _classify(self, text: str, offices: tuple[Office, ...],
                  near: tuple[int, float] | None) -> BusinessFinding:
        parts: list[Part] = []
        found = find_terms(text, self.agency_terms)
        for term, span in found.items():
            points = 1.5 if len(term.split()) > 1 else 1.0
            parts.append(Part("agency term", points, f"uses the agency term {term!r}",
                              (span,)))
        covered = [s for s in found.values()]
        for office in offices:
            for authority in office.authority:
                for term, span in find_terms(text, authority.terms).items():
                    if any(c.start <= span.start < c.end for c in covered):
                        continue
                    covered.append(span)
                    parts.append(Part("office authority", 0.75,
                                      f"touches {authority.matter.lower()}, on which the "
                                      f"{office.title} speaks for the agency", (span,)))
        if named := search(self._names, text):
            parts.append(Part("agency named", 0.5, "names the agency", tuple(named[:1])))
        capacity = search(sa.OFFICIAL_ACTION + sa.INVOKES_OFFICE + sa.AGENCY_RESOURCES +
                          sa.VOTES, text)
        if capacity:
            parts.append(Part("official capacity", 1.0, "written in the office's name: it "
                                                        "announces official action, invokes "
                                                        "the office, casts its vote or uses "
                                                        "agency staff",
                              tuple(capacity)))
        if near is not None:
            index, similarity = near
            steps = EMBEDDING_STEPS if self.by_embeddings else LEXICAL_STEPS
            points = next((p for floor, p in steps if similarity >= floor), 0.0)
            if points:
                how = "meaning" if self.by_embeddings else "wording"
                parts.append(Part("similar to agency post", points,
                                  f"close in {how} to the agency's own post {index + 1} "
                                  f"(similarity {similarity:.2f})"))
        if spans := search(sa.CAMPAIGN, text):
            parts.append(Part("campaign", -1.5, "campaign material: a campaign is not the "
                                                "agency's business", tuple(spans)))
        score = sum(p.points for p in parts)
        return BusinessFinding(score >= THRESHOLD, score, tuple(parts),
                               near[0] if near else None, near[1] if near else None)


_KINDS = ("city", "town", "village", "county", "district", "port", "borough", "township")


def _agency_names(agency: str) -> tuple[re.Pattern[str], ...]:
    """The agency's name, and "the city" (or town, county...) when its name says which
    kind of government it is."""
    patterns = [re.compile(rf"\b{re.escape(agency)}\b", re.IGNORECASE)]
    kinds = [kind for kind in _KINDS if re.search(rf"\b{kind}\b", agency, re.IGNORECASE)]
    patterns += [re.compile(rf"\b(?:the|our|this) {kind}(?:'s)?\b", re.IGNORECASE)
                 for kind in kinds]
    return tuple(patterns)


# -- TF-IDF similarity, when no embedder is installed ---------------------------------------

_WORD = re.compile(r"[a-z][a-z0-9']+")
_STOP = frozenset("""a about after all also am an and any are as at be been but by can could
did do does for from had has have he her here him his how i if in into is it its just me
more my no not of on or our out so some than that the their them then there these they this
to today too up us was we were what when where which who will with you your""".split())


def _words(text: str) -> list[str]:
    """Content words, a possessive or plural ending taken off ("parks" and "park's" are
    "park")."""
    found = []
    for word in _WORD.findall(text.lower()):
        word = word.removesuffix("'s").strip("'")
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word and word not in _STOP:
            found.append(word)
    return found


class _Tfidf:
    """Cosine similarity of TF-IDF word vectors against the agency's posts."""

    def __init__(self, documents: Sequence[str]) -> None:
        bags = [Counter(_words(d)) for d in documents]
        seen = Counter(word for bag in bags for word in bag)
        n = len(bags)
        self.idf = {word: math.log((1 + n) / (1 + df)) + 1 for word, df in seen.items()}
        self.vectors = [self._vector(bag) for bag in bags]

    def _vector(self, bag: Counter) -> dict[str, float]:
        vector = {w: c * self.idf.get(w, 0.0) for w, c in bag.items() if w in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {w: v / norm for w, v in vector.items()}

    def nearest(self, text: str) -> tuple[int, float]:
        """(index, cosine) of the closest agency post; a post sharing fewer than two
        words with it is not close to it at all (one word in a short post is chance)."""
        query = self._vector(Counter(_words(text)))
        scores = [sum(weight * doc.get(word, 0.0) for word, weight in query.items())
                  if len(query.keys() & doc.keys()) >= 2 else 0.0 for doc in self.vectors]
        best = max(range(len(scores)), key=scores.__getitem__)
        return best, scores[best]
