"""The legal footing of each moderation category and of the protected-speech guard.

Every citation here comes from shared/LAW.md ("Comment moderation"); nothing is added. The
policy file's own `footing` wins where the agency adopted the category: these are what the
engine says when it finds something the policy has no category for, and what it says about
speech that must not be removed.
"""

from __future__ import annotations

import enum
import re


class Category(enum.StrEnum):
    """What the engine can find. There is no category for viewpoint, for sentiment toward
    the agency, for profanity or for "offensive" speech, and none ever will be."""

    OBSCENITY = "obscenity"
    TRUE_THREATS = "true_threats"
    INCITEMENT = "incitement"
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    PERSONAL_INFORMATION = "personal_information"
    COPYRIGHT = "copyright"


# Speech outside the First Amendment's protection: when found with confidence, it overrides
# the guard (a threat wrapped in criticism is still a threat).
UNPROTECTED = frozenset({Category.OBSCENITY, Category.TRUE_THREATS, Category.INCITEMENT})

FOOTING = {
    Category.OBSCENITY: "Unprotected speech; the legal test, not mere swearing "
                        "(Miller v. California, 1973).",
    Category.TRUE_THREATS: "Unprotected speech (Virginia v. Black, 2003; Counterman v. "
                           "Colorado, 2023).",
    Category.INCITEMENT: "Unprotected speech (Brandenburg v. Ohio, 1969).",
    Category.OFF_TOPIC: "Reasonable and viewpoint-neutral in a limited forum (Krasno v. "
                        "Mnookin, W.D. Wis. 2022, preliminary; Cornelius, 1985; "
                        "Rosenberger, 1995).",
    Category.SPAM: "Reasonable, viewpoint-neutral rule; blocking for repetition must be "
                   "narrowly tailored (O'Connor-Ratcliff v. Garnier, remanded 2024).",
    Category.PERSONAL_INFORMATION: "No controlling case; apply neutrally and narrowly.",
    Category.COPYRIGHT: "No controlling case; apply neutrally and narrowly.",
}

# Removal reasons LAW.md rates "high risk: generally protected".
HIGH_RISK_FOOTING = ("Cohen v. California (1971); Matal v. Tam (2017); Iancu v. Brunetti "
                     "(2019); Robinson v. Hunt County (5th Cir. 2019)")

# Criticism of the government on its own page: a forum whose rules must be viewpoint
# neutral; removing critics' comments is viewpoint discrimination.
CRITICISM_FOOTING = ("Comment threads on government pages are forums whose rules must be "
                     "reasonable and viewpoint neutral (Cornelius, 1985; Rosenberger, 1995); "
                     "removing comments an official finds \"inappropriate\" is viewpoint "
                     "discrimination (Robinson v. Hunt County, 5th Cir. 2019), and so is "
                     "blocking critics (Davison v. Randall, 4th Cir. 2019)")

BLOCKING_NOTE = ("The engine never recommends blocking a person: blocking affects the whole "
                 "page and is judged more strictly than hiding one comment (O'Connor-Ratcliff "
                 "v. Garnier, remanded 2024; Davison v. Randall, 4th Cir. 2019).")

# Words that name a removal reason LAW.md rates high risk, or a viewpoint: a policy
# category keyed or named with one of them is refused (policy/checks.py), and the engine
# never applies one.
HIGH_RISK_WORDS = ("offensive", "inappropriate", "profanity", "profane", "hate speech",
                   "disrespectful", "disrespect", "negative", "vulgar", "swearing", "cursing",
                   "rude", "uncivil", "incivility", "insult", "derogatory", "criticism",
                   "critical", "complaint", "against brand", "objectionable", "distasteful")


def high_risk_word(key: str, name: str = "") -> str | None:
    """The high-risk word a moderation category's key or name uses, if any."""
    words = f"{key} {name}".lower().replace("_", " ").replace("-", " ")
    return next((w for w in HIGH_RISK_WORDS if re.search(rf"\b{re.escape(w)}", words)), None)


# Words of the Miller test itself, which name no high-risk reason.
_MILLER = re.compile(r"(?i)patently offensive")
_NEGATED = re.compile(r"(?i)\b(?:not|never|no|nor|alone|without|n't)\b|n't\b")


def high_risk_clause(clause: str) -> str | None:
    """A sentence of a category's clause that gives a high-risk reason for removal without
    denying it ("comments that are vulgar or offensive are removed"), if one does."""
    for sentence in re.split(r"(?<=[.;!?])\s+", _MILLER.sub("", clause)):
        word = high_risk_word(sentence)
        if word and not _NEGATED.search(sentence):
            return sentence.strip()
    return None
