"""Personal information of others: the detectors of `civicarchive.records.pii` (email,
phone, SSN, street address, birth date), then who the information belongs to.

The commenter's own number or address ("call me at", "I live at", "my cell") is not "of
others" and is not a finding; nor is public contact information (the city's line, a .gov
address) or a street address that locates a problem ("the pothole at 1200 Oak St"). A
home address, a number or a birth date tied to someone else ("he lives at", "her cell
is", "the inspector's number") is. An SSN is personal wherever it appears. Medical facts
about a named or pointed-at person go to review.
"""

from __future__ import annotations

import re

from civicarchive.moderation.findings import Evidence, Span, span
from civicarchive.moderation.footing import Category
from civicarchive.records.pii import PiiCategory, suggest

REACH = 60  # characters before a span read for whose it is

OWN = re.compile(r"(?i)\b(?:my|mine|me|i|i'm|i am|we|we're|our|ours|us)\b[^.!?\n]{0,40}$")
OWN_PHRASE = re.compile(r"(?i)\b(?:my (?:cell|phone|number|email|e-mail|address|home|house|"
                        r"place|mobile|landline|ssn|social|birthday|dob)|call me|text me|"
                        r"email me|e-mail me|reach me|contact me|i live|we live|i'm at|"
                        r"i am at|i was born|born on|our (?:house|home|address|place|number)|"
                        r"i'm on|i can be reached|you can reach me|find me at)\b[^.!?\n]{0,40}$")
OTHERS = re.compile(r"(?i)(?:\b(?:his|her|their|hers)\b|\b(?:he|she|they)(?:'s| is| are|"
                    r" lives?| resides?| stays?)\b|\b(?!(?:there|it|that|what|who|here|"
                    r"where|let|he|she|one|everyone|nobody|today|city)'s)[A-Za-z]+'s\b|\blives at\b|\bresides at\b|"
                    r"\bhome address\b|\bcall (?:him|her|them)\b|\btext (?:him|her|them)\b|"
                    r"\bemail (?:him|her|them)\b|\bpersonal (?:cell|number|phone|email)\b|"
                    r"\bhome (?:phone|number)\b|\b(?:dox\w*|exposed?)\b)[^.!?\n]{0,50}$")
PUBLIC = re.compile(r"(?i)\b(?:311|911|non-?emergency|hotline|city hall|the city|city's|"
                    r"county's|department|dept|office|front desk|customer service|"
                    r"utility|utilities|public works|permit counter|the number (?:for|to) "
                    r"report|report (?:it|potholes|outages)|(?:main|business) line)\b"
                    r"[^.!?\n]{0,50}$")
LOCATION = re.compile(r"(?i)\b(?:pothole|hole|crack|crosswalk|light|lights|sign|hydrant|drain|"
                      r"intersection|corner|block|outside|near|across from|in front of|by|"
                      r"at the|on|past|between|flooding|leak|sinkhole|tree|branch|trash|"
                      r"construction|accident|crash|speeding|park|parked|event|meeting|"
                      r"library|school|church|store|station|office)\b[^.!?\n]{0,40}$")
PUBLIC_EMAIL = re.compile(r"(?i)@[\w.-]*\.(?:gov|us|edu)\b|^(?:info|council|clerk|permits|"
                          r"help|support|contact|office|records|press|media|mayor|parks|"
                          r"utilities|publicworks|admin|service)@")
MEDICAL = re.compile(r"(?i)\b(?:he|she|they|his|her|[A-Z][a-z]+)\b[^.!?\n]{0,30}\b(?:has|had|"
                     r"is|was|got|diagnosed with|treated for|in treatment for|being treated "
                     r"for|on meds for|taking)\b[^.!?\n]{0,20}\b(?:cancer|hiv|aids|diabetes|"
                     r"depression|schizophreni\w*|bipolar|dementia|alzheimer'?s|std|herpes|"
                     r"rehab|an abortion|a miscarriage|a mental breakdown|psychiatric \w+|"
                     r"chemo\w*|dialysis|opioid addiction)\b")


def personal_information(text: str) -> Evidence | None:
    spans: list[Span] = []
    best, why = 0.0, ""
    own: list[str] = []
    suggested = suggest(text)
    # A number written as a phone number that is no valid one in the region ("012-555-
    # 0174") may still be someone's, altered or mistyped: a person decides (PHONE_CAP).
    shaped = [(m.start(), m.end(), PiiCategory.PHONE, m.group())
              for m in PHONE_SHAPED.finditer(text)
              if not any(f.start < m.end() and m.start() < f.end for f in suggested)]
    for start, end, category, found_text, cap in [
            *((f.start, f.end, f.category, f.text, 1.0) for f in suggested),
            *((*found, PHONE_CAP) for found in shaped)]:
        before = text[max(0, start - REACH):start]
        before = before[before.rfind("\n") + 1:]
        confidence, reason = _whose(category, found_text, before)
        if reason == "own":
            own.append(category.value)
            continue
        if cap < confidence:
            confidence, reason = cap, (f"{reason} (written as a phone number, though no "
                                       f"valid one: a person decides)")
        if confidence >= 0.45:
            spans.append(span(text, start, end))
            if confidence > best:
                best, why = confidence, reason
    medical = MEDICAL.search(text)
    if medical:
        spans.append(span(text, medical.start(), medical.end()))
        if best < 0.6:
            best, why = 0.6, "medical information about another person"
    if not spans:
        return None
    return Evidence(Category.PERSONAL_INFORMATION, best, tuple(sorted(spans,
                                                                     key=lambda s: s.start)),
                    f"{why}; the commenter's own information is not a reason to hide"
                    + (f" (own {', '.join(sorted(set(own)))} left alone)" if own else ""))


PHONE_SHAPED = re.compile(r"(?<![\d-])(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\d-])")
PHONE_CAP = 0.6
PRIVATE = re.compile(r"(?i)\b(?:home|personal|private|cell|mobile|lives?|house)\b")


def _whose(category: PiiCategory, text: str, before: str) -> tuple[float, str]:
    own_cue, others_cue = OWN_PHRASE.search(before), OTHERS.search(before)
    # Both named: the nearer one owns it ("my daughter's email is on file, or call me at").
    own = bool(own_cue) and (not others_cue or own_cue.start() > others_cue.start())
    others = bool(others_cue) and not own
    if own:
        return 0.0, "own"
    if PUBLIC.search(before) and not PRIVATE.search(before):
        return 0.0, "public"
    if category is PiiCategory.SSN:
        return 0.9, "a Social Security number"
    if category is PiiCategory.EMAIL and PUBLIC_EMAIL.search(text):
        return 0.0, "public"
    if category is PiiCategory.ADDRESS:
        if others and re.search(r"(?i)\b(?:lives?|resides?|home|house|address|stays?|"
                                r"apartment|apt)\b", before):
            return 0.85, "another person's home address"
        if LOCATION.search(before) or not others:
            return 0.0, "a place"
        return 0.5, "a street address tied to a person"
    if others:
        return 0.85, f"another person's {category.value.replace('_', ' ')}"
    if category is PiiCategory.BIRTH_DATE:
        return 0.5, "a birth date, not the commenter's own"
    if OWN.search(before):
        return 0.0, "own"
    return 0.3, "contact details of unknown owner"
