"""Obscenity under the legal test, not mere swearing (Miller v. California, 1973).

Miller asks whether the work, taken as a whole, appeals to a prurient interest in sex,
depicts sexual conduct in a patently offensive way, and lacks serious literary, artistic,
political or scientific value. A comment meets it when it describes or solicits sexual
conduct explicitly: several explicit sexual terms, or one joined to a sexual proposition
("send me", "I want to"), or a pornography advertisement. Swearing ("f*** this council"),
a crude insult ("the mayor can kiss my ass") and sexual words in political criticism do
not: those are protected (Cohen v. California, 1971) and the guard shows them instead.
"""

from __future__ import annotations

from civicarchive.moderation.findings import Evidence, span
from civicarchive.moderation.footing import Category
from civicarchive.moderation.lexicon import phrases

EXPLICIT = phrases([
    r"cocks?", r"cum(?:ming|shot)?", r"jizz", r"blow ?jobs?", r"hand ?jobs?", r"pussy",
    r"pussies", r"tits", r"titties", r"boobs", r"nipples?", r"clit\w*", r"dildos?",
    r"vibrators?", r"orgasm\w*", r"anal", r"porn\w*", r"xxx", r"nudes", r"naked (?:pics|"
    r"photos|videos?|pictures)", r"nude (?:pics|photos|videos?|pictures)", r"sex (?:tape|"
    r"video|videos|cam|chat)", r"horny", r"masturbat\w*", r"jerk(?:ing|ed)? off",
    r"get(?:ting)? off", r"hard for you", r"wet for you", r"onlyfans", r"camgirls?",
    r"escorts?", r"hookers?", r"sexting", r"69", r"doggy ?style", r"threesome",
    r"suck (?:my|your|his|her|their)(?= \w)", r"sit on (?:my|your) face",
    r"ride (?:my|your)(?= \w)", r"(?:my|your|his) dick",
    r"f\w*ck (?:me|you) (?:hard|senseless|raw|good)", r"bend (?:you|her|him) over",
    r"(?:his|her|your|my|their) (?:naked )?(?:body|ass|breasts|crotch|genitals|penis|vagina)",
    r"penis(?:es)?", r"vaginas?", r"genitals?", r"erect\w*", r"fondl\w*", r"grop(?:e|ing)",
    r"sexual(?:ly)?", r"bedroom", r"lingerie", r"panties", r"strip(?:per|tease)",
    r"naked", r"nude", r"(?:have|having|want|wants|for) sex", r"sex with", r"lick\w*",
    r"moan\w*", r"strip(?:ping)?(?= naked| for| off)", r"f\w*ck (?:her|him|me|you|them)(?= "
    r"\w)", r"orgy", r"orgies", r"thongs?", r"sexy", r"hot (?:girls?|women|milfs?|babes?|"
    r"guys?)", r"milfs?", r"balls", r"booty", r"spread (?:her|your|my) legs", r"on my knees",
    r"in my bed",
])
PROPOSITION = phrases([
    r"send (?:me|us) (?:your |some )?(?:pics|photos|nudes|pictures)", r"i want to",
    r"i wanna", r"i'?d love to", r"let me", r"come (?:over|sit|to my)", r"dm me",
    r"hot singles", r"meet (?:local )?(?:girls|women|singles|men)", r"watch (?:me|my)",
    r"click (?:here|my|the link)", r"free (?:videos?|cams?|pics)", r"on my (?:page|profile)",
    r"(?:she|he)(?:'s| is) so hot", r"imagine (?:her|him|me)", r"(?:her|his) (?:naked )?body",
    r"in bed", r"all night", r"i'?ll (?:give|show) (?:you|her|him)", r"meet me",
    r"come (?:over|to my|here)", r"you can", r"i'?d (?:like|want) to",
])
# Rude, not sexual description: "suck it", "kiss my ass", "screw you" are swearing.
INSULT_IDIOMS = phrases([r"kiss my ass", r"suck it", r"blow me", r"bite me",
                         r"up (?:your|yours|his|her) ass", r"pain in the ass"])


def obscenity(text: str, political: bool = False) -> Evidence | None:
    """`political`: the comment criticises the government (Miller's third prong: political
    value), which takes one or two crude terms out of obscenity."""
    spans = [span(text, m.start(), m.end()) for m in EXPLICIT.finditer(text)
             if not _inside_idiom(text, m.start(), m.end())]
    if not spans:
        return None
    terms = {s.text.lower() for s in spans}
    proposition = PROPOSITION.search(text)
    if len(terms) >= 3 or (len(terms) >= 2 and proposition):
        confidence = 0.9
    elif len(terms) >= 2 or proposition:
        confidence = 0.75
    else:
        confidence = 0.4  # one word, no proposition: never a description of sexual conduct
    if political and len(terms) < 3:
        confidence = min(confidence, 0.4)  # crude words in criticism: protected
    if confidence < 0.45:
        return None
    if proposition:
        spans.append(span(text, proposition.start(), proposition.end()))
    return Evidence(Category.OBSCENITY, confidence, tuple(sorted(set(spans),
                                                                 key=lambda s: s.start)),
                    "explicit sexual description or solicitation, which taken as a whole "
                    "appeals to a prurient interest and has no serious value; swearing alone "
                    "is never obscenity")


def _inside_idiom(text: str, start: int, end: int) -> bool:
    return any(m.start() <= start and end <= m.end() for m in INSULT_IDIOMS.finditer(text))
