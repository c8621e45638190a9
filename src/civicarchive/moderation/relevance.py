"""Off-topic: a comment unrelated both to the post it answers and to the agency's business.

The policy's clause forbids treating a comment as off-topic for the opinion it expresses
about the subject, the agency or its officials, so anything about local government is on
topic on the agency's page, whatever it says. The check runs in two stages, so that the
sentence encoder sees few comments:

1. Cheap, certain answers: a short reaction ("Thanks!", "When?") is on topic; so is a
   comment sharing a content word or a municipal topic with the post (lexicon.TOPICS),
   naming the government (lexicon.GOVERNMENT), or criticising it.
2. A comment in another language than English (language.py) is not judged: the word
   lists and the encoder were built for English and would call a resident's complaint in
   Spanish unrelated, so a person reviews it, told why; it is never hidden as off topic.
   (Naming the government in Spanish, French, German, Italian or Portuguese, or
   criticising it, puts it on topic at stage 1.)
3. The rest are uncertain. With the sentence encoder (embeddings.py), the comment is
   compared with the post and with short descriptions of local government business: low
   similarity to both is off topic. Without it, the lexical fallback calls the comment off
   topic, at a confidence that sends it to review unless it also names a subject that
   plainly is not the agency's (national politics, sports, celebrities...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import re

from civicarchive.moderation import language
from civicarchive.moderation.embeddings import MODEL_NAME as MODEL
from civicarchive.moderation.findings import Action, Evidence, span
from civicarchive.moderation.footing import Category
from civicarchive.moderation.lexicon import (GOVERNMENT, GOVERNMENT_ABROAD, MUNICIPAL,
                                             content_words, phrases, related, topics, words)

if TYPE_CHECKING:
    from civicarchive.moderation.embeddings import Embedder

# Local government business, for the encoder: a comment close to any of these is about
# the agency even when it is not about the post.
AGENCY_BUSINESS = (
    "The city council, the mayor and city officials make decisions for residents.",
    "Property taxes, fees, the city budget and public spending.",
    "Potholes, street repairs, sidewalks, traffic and parking in town.",
    "Police, firefighters, public safety and crime in the neighborhood.",
    "City parks, playgrounds, the public library and community events.",
    "Water and sewer service, utility bills and rates.",
    "Zoning, housing, building permits and development in the city.",
    "Snow plowing, storms, flooding and emergency services.",
    "Garbage collection, recycling and city services for residents.",
    "Public schools, buses and transit in our community.",
)
# Subjects that are plainly not a city's business: they make the lexical fallback sure.
ELSEWHERE = phrases([
    r"president", r"white house", r"congress\w*", r"senate", r"senators?", r"supreme court",
    r"democrats?", r"republicans?", r"gop", r"maga", r"libs", r"liberals", r"leftists",
    r"biden", r"trump", r"obama", r"kamala", r"putin", r"ukraine", r"russia", r"china",
    r"israel", r"gaza", r"impeach\w*", r"electoral", r"national debt", r"federal reserve",
    r"inflation", r"stock market", r"nfl", r"nba", r"mlb", r"super bowl", r"playoffs?",
    r"touchdown", r"quarterback", r"seahawks", r"mariners", r"sounders", r"kraken",
    r"yankees", r"cowboys", r"world series", r"fantasy football", r"celebrity",
    r"kardashians?", r"taylor swift", r"netflix", r"movie", r"tv show", r"episode",
    r"recipe", r"casserole", r"cookies", r"horoscope", r"zodiac", r"jesus", r"lord and "
    r"savior", r"bible", r"scripture", r"repent", r"aliens", r"ufo", r"flat earth",
    r"chemtrails", r"lottery", r"my (?:cat|dog|kitty|puppy|parrot) (?:is|went|got) "
    r"(?:missing|lost)", r"lost (?:my|a) (?:cat|dog|wallet|phone|keys|ring)",
    r"happy birthday", r"anniversary", r"wedding", r"prom", r"garage sale", r"yard sale",
    r"for sale", r"babysitter", r"recommend a (?:good )?(?:dentist|plumber|mechanic|vet|"
    r"barber|restaurant)", r"restaurant", r"pizza", r"tacos", r"concert tickets",
    r"video games?", r"playstation", r"xbox", r"crossword", r"wordle", r"vacation",
    r"cruise", r"my ex", r"dating", r"girlfriend", r"boyfriend", r"gas prices",
])
NAMES_GOVERNMENT_ABROAD = phrases(GOVERNMENT_ABROAD)
REACTION_WORDS = 3  # fewer content words than this: a reaction, never off topic
# A question or request put to the agency ("Will there be...?", "Please release...") is
# about its business; one put to "anyone" ("Does anyone know a good vet?") need not be.
ASKS_THE_AGENCY = re.compile(
    r"(?im)(?:^|[.!?]\s+)(?:can|could|will|would|is|are|does|do|when|where|how|what|which|"
    r"why|should)\b[^.!?\n]*\?|\bplease (?:release|fix|add|consider|post|share|clean|send|"
    r"let us know|keep|explain|tell us|publish|update)\b")
ASKS_ANYONE = re.compile(r"(?i)\b(?:anyone|anybody|someone|somebody|any of you|who else)\b")


class Stage(enum.Enum):
    ON_TOPIC = "on topic"
    UNCERTAIN = "uncertain"
    UNJUDGED = "in a language the check was not built for"


@dataclass(frozen=True)
class Relevance:
    """Thresholds on cosine similarity (all-MiniLM-L6-v2, L2-normalised vectors), chosen on
    the training part of bench/data/comments.jsonl (docs/moderation.md). The encoder's
    similarities between a short comment and a post are low even when they are related
    (0.2 to 0.4), so a comment below the thresholds is only *possibly* off topic and goes
    to review; it is hidden only when it names a subject plainly not the agency's, or when
    it is far below both (`hide_*`)."""

    post_threshold: float = 0.35  # below it, possibly unrelated to the post
    agency_threshold: float = 0.4  # and below this, possibly unrelated to local government
    hide_post: float = 0.1  # below both of these: plainly unrelated
    hide_agency: float = 0.2

    @staticmethod
    def cheap(comment: str, post: str, criticism: bool) -> Stage:
        """On topic for certain, or uncertain (the encoder or the fallback decides)."""
        mine = content_words(comment)
        if len(mine) < REACTION_WORDS:
            return Stage.ON_TOPIC
        if related(mine, content_words(post)):
            return Stage.ON_TOPIC
        if ELSEWHERE.search(comment):
            return Stage.UNCERTAIN  # national politics names "taxes" and "votes" too
        if topics(comment) & topics(post):
            return Stage.ON_TOPIC
        if criticism or set(words(comment)) & (GOVERNMENT | MUNICIPAL):
            return Stage.ON_TOPIC
        if ASKS_THE_AGENCY.search(comment) and not ASKS_ANYONE.search(comment):
            return Stage.ON_TOPIC
        if NAMES_GOVERNMENT_ABROAD.search(comment):
            return Stage.ON_TOPIC
        if language.other_language(comment):
            return Stage.UNJUDGED
        return Stage.UNCERTAIN

    @staticmethod
    def unjudged(comment: str) -> Evidence:
        """The answer for a comment in another language: a person decides, told why."""
        code = language.other_language(comment) or "?"
        return Evidence(Category.OFF_TOPIC, 0.5, (span(comment, 0, len(comment)),),
                        f"written in {language.name(code)}, and the off-topic check (its "
                        f"word lists and the {MODEL} sentence encoder) was built for "
                        f"English: it cannot tell whether this is off topic or about the "
                        f"agency, so a person decides; never hidden for it",
                        ceiling=Action.REVIEW)

    @staticmethod
    def lexical(comment: str) -> Evidence:
        """The fallback's answer for an uncertain comment."""
        elsewhere = [span(comment, m.start(), m.end()) for m in ELSEWHERE.finditer(comment)]
        if elsewhere:
            return Evidence(Category.OFF_TOPIC, 0.8, tuple(elsewhere),
                            "shares no subject with the post or the agency's business, and "
                            "names a subject that is not the agency's (lexical check)")
        return Evidence(Category.OFF_TOPIC, 0.55, (span(comment, 0, len(comment)),),
                        "shares no word or subject with the post or the agency's business "
                        "(lexical check, without the sentence encoder: a person decides)")

    def semantic(self, comment: str, to_post: float, to_agency: float) -> Evidence | None:
        """The encoder's answer for an uncertain comment, from its cosine similarities."""
        if to_post >= self.post_threshold or to_agency >= self.agency_threshold:
            return None
        elsewhere = [span(comment, m.start(), m.end()) for m in ELSEWHERE.finditer(comment)]
        plain = bool(elsewhere) or (to_post < self.hide_post and to_agency < self.hide_agency)
        return Evidence(Category.OFF_TOPIC, 0.85 if plain else 0.55,
                        tuple(elsewhere) or (span(comment, 0, len(comment)),),
                        f"unrelated to the post (similarity {to_post:.2f}) and to the "
                        f"agency's business ({to_agency:.2f})"
                        + ("" if plain else ": possibly, so a person decides")
                        + "; never judged by the opinion it expresses")


def similarities(embedder: Embedder, comments: list[str], posts: list[str]
                 ) -> tuple[list[float], list[float]]:
    """Each comment's cosine similarity to its post, and its best to AGENCY_BUSINESS."""
    if not comments:
        return [], []
    # One call, so the encoder batches (and sorts by length) everything it has not seen.
    vectors = embedder.encode([*AGENCY_BUSINESS, *posts, *comments])
    business = vectors[:len(AGENCY_BUSINESS)]
    post_vectors = vectors[len(AGENCY_BUSINESS):len(AGENCY_BUSINESS) + len(posts)]
    comment_vectors = vectors[len(AGENCY_BUSINESS) + len(posts):]
    to_post = (comment_vectors * post_vectors).sum(axis=1)
    to_agency = (comment_vectors @ business.T).max(axis=1)
    return [float(x) for x in to_post], [float(x) for x in to_agency]
