"""Copyright: a comment that pastes a copy of someone else's work (an article, lyrics, a
chapter) rather than linking or quoting it.

The clause removes such a comment only when the owner objects, which the engine cannot
see: a finding here is a review, never a removal. A link, a short quotation and commentary
are not findings, whatever their source.
"""

from __future__ import annotations

import re

from civicarchive.moderation.findings import Action, Evidence, span
from civicarchive.moderation.footing import Category
from civicarchive.moderation.lexicon import phrases

MARKS = phrases([
    r"©", r"\(c\) ?\d{4}", r"copyright ?\d{0,4}", r"all rights reserved",
    r"reprinted (?:from|with|without)", r"originally (?:published|appeared)",
    r"(?:full|whole|entire) (?:article|text|story|column|piece|op-ed|report|chapter|song|"
    r"lyrics)", r"pasting (?:it|the (?:whole|full|entire) \w+|the article|the text) (?:here|"
    r"below)", r"copied (?:it |the \w+ )?(?:here|below|from)", r"(?:because|since|for those)"
    r"[^.]{0,25}(?:paywall\w*|subscri\w*)", r"paywall\w*", r"behind a paywall",
    r"subscribers? only", r"(?:the )?(?:associated press|\(ap\)|reuters|staff writer|"
    r"times staff|herald staff|for the (?:times|herald|tribune|gazette))", r"lyrics",
    r"verse \d", r"chorus", r"excerpted from", r"chapter \d+", r"used without permission",
    r"do not reproduce", r"this article", r"the article in full", r"reproduced",
], boundary=False)
DATELINE = re.compile(r"(?m)^[A-Z][A-Z .]{2,25}(?:, [A-Z][a-z.]+)? ?(?:\(\w+\) )?(?:—|--|-) ")
REPORTED = re.compile(r"(?i)\b(?:said in a statement|told reporters|according to|"
                      r"spokes(?:wo)?man|spokesperson|declined to comment|did not respond to a "
                      r"request for comment|said \w+day)\b")
LONG = 600  # characters: a pasted work is long; a quotation is not


def copyright_copy(text: str) -> Evidence | None:
    if len(text) < 250:
        return None
    marks = [span(text, m.start(), m.end()) for m in MARKS.finditer(text)]
    dateline = DATELINE.search(text)
    reported = len(REPORTED.findall(text))
    score = len({m.text.lower() for m in marks}) + (1 if dateline else 0) + min(reported, 2)
    if len(text) >= LONG:
        score += 1
    if score < 3:
        return None
    confidence = 0.85 if score >= 4 else 0.6
    spans = marks + ([span(text, dateline.start(), dateline.end())] if dateline else [])
    return Evidence(Category.COPYRIGHT, confidence,
                    tuple(sorted(set(spans), key=lambda s: s.start)) or
                    (span(text, 0, len(text)),),
                    "what looks like a pasted copy of someone else's work; the clause removes "
                    "it only when the owner objects, so a person reviews it",
                    ceiling=Action.REVIEW)
