"""Protected speech the guard recognises: profanity, insults, demeaning words about groups,
and criticism of the government, its officials and its policies.

None of these is a reason to hide or remove a comment (Cohen v. California, 1971; Matal v.
Tam, 2017; Iancu v. Brunetti, 2019; Robinson v. Hunt County, 5th Cir. 2019). They are found
so that the engine can say why a comment must stay, and so that a moderator sees the legal
risk before acting. Criticism is found by its words, not by guessing a stance: a negative
judgement ("waste", "incompetent", "resign", sarcasm such as "great job") about a target
that is the government's (the council, the mayor, the police, "you", the post's subject).
Common words of criticism and of government in Spanish, French, German, Italian and
Portuguese ("el alcalde miente", "le maire, honte à lui") count too.

The lexicon is this project's own; masked forms ("f**k", "sh!t", "a$$") count.
"""

from __future__ import annotations

import re

from civicarchive.moderation.findings import Guarded, Span, Speech, span
from civicarchive.moderation.footing import CRITICISM_FOOTING, HIGH_RISK_FOOTING
from civicarchive.moderation.lexicon import (GOVERNMENT, GOVERNMENT_ABROAD, MUNICIPAL,
                                             content_words, phrases, sentences)

PROFANITY = phrases([
    r"f+u+c+k\w*", r"f[\*\#@!]{1,3}c?k\w*", r"f[\*\#]{2,4}\w*", r"fck\w*", r"fuk\w*", r"effing",
    r"f-ing", r"wtf", r"stfu", r"gtfo", r"af", r"s+h+i+t+\w*", r"sh[\*!1]t\w*", r"s[\*]{2,3}t",
    r"bull\s?sh\w*", r"horse\s?sh\w*", r"chicken\s?sh\w*", r"b\.?s\.?(?= detector)",
    r"damn\w*", r"god\s?damn\w*", r"dammit", r"crap\w*", r"ass", r"asses", r"asshat\w*",
    r"ass\s?holes?", r"a[\*\$]{2}(?:hole)?s?", r"@\$\$", r"jackass\w*", r"dumbass\w*",
    r"bastards?", r"bitch\w*", r"b[\*]tch\w*", r"piss\w*", r"dick(?:s|head\w*)?",
    r"douche\w*", r"prick\w*", r"hell(?= no| yes| of| is| are)", r"the hell",
    r"to hell", r"freaking", r"frigging", r"screw (?:you|this|that|them|it)",
])
INSULTS = phrases([
    r"idiots?", r"idiotic", r"morons?", r"moronic", r"imbeciles?", r"clowns?", r"clown show",
    r"clown car", r"buffoons?", r"stupid", r"dumb", r"dimwits?", r"nitwits?", r"losers?",
    r"scumbags?", r"sleaze\w*", r"crooks?", r"crooked", r"liars?", r"lying", r"pigs",
    r"weasels?", r"snakes?", r"parasites", r"pathetic", r"spineless", r"gutless",
    r"brain[\s-]?dead", r"sheep(?:le)?", r"halfwits?", r"hacks?", r"grifters?", r"thieves", r"tyrants?",
    r"dictators?", r"fascists?", r"commies", r"nazis?", r"incompetents?",
])
# Demeaning words about a group: generally protected ("hate speech" is not a category the
# First Amendment knows; Matal v. Tam, 2017), unless it carries a threat.
GROUPS = (r"(?:immigrants|illegals|migrants|refugees|homeless(?: people)?|the homeless|"
          r"muslims|jews|christians|catholics|atheists|gays|lesbians|trans people|blacks|"
          r"whites|mexicans|asians|liberals|conservatives|democrats|republicans|leftists|"
          r"boomers|millennials|renters|landlords|tourists|transplants|californians|"
          r"those people|these people|that crowd|addicts|junkies|bikers|cyclists)")
DEMEANING = (r"(?:animals|vermin|trash|garbage|scum|parasites|subhuman|cockroaches|savages|"
             r"filth|a disease|a cancer|a plague|rats|leeches|degenerates|lowlifes|"
             r"ruining (?:this|our|the) (?:city|town|country|neighborhood))")
HATEFUL = re.compile(rf"\b{GROUPS}\b[^.!?\n]{{0,30}}?\b(?:are|is|=)\b[^.!?\n]{{0,20}}?"
                     rf"\b{DEMEANING}\b|\b{DEMEANING[3:-1]}\b[^.!?\n]{{0,12}}\blike\s+"
                     rf"{GROUPS}\b", re.IGNORECASE)

# A negative judgement, a demand for accountability, or sarcasm.
JUDGEMENT = phrases([
    r"incompeten\w*", r"corrupt\w*", r"waste\w*", r"wasting", r"disgrace\w*", r"disgust\w*",
    r"shame\w*", r"shameful", r"embarrass\w*", r"ridiculous", r"absurd", r"outrage\w*",
    r"unacceptable", r"inexcusable", r"terrible", r"horrible", r"awful", r"worst",
    r"pathetic", r"useless", r"failed", r"failing", r"failure\w*", r"fail", r"joke",
    r"a mess", r"lies", r"lied", r"lying", r"dishonest", r"tone[ -]deaf", r"out of touch",
    r"don'?t care", r"doesn'?t care", r"never listen\w*", r"ignor(?:e|es|ed|ing) us",
    r"ignor(?:e|es|ed|ing) (?:the )?(?:residents|taxpayers|voters|neighborhood)",
    r"sucks", r"(?:it|this|that|they|you|which) suck", r"rip[- ]?off", r"highway robbery", r"scam", r"nonsense", r"garbage",
    r"trash", r"clueless", r"negligen\w*", r"reckless", r"irresponsible", r"unfair",
    r"greedy", r"greed", r"arrogan\w*", r"lazy", r"bloated", r"overpaid", r"insult\w*",
    r"fiasco", r"boondoggle", r"debacle", r"disaster", r"dumpster fire", r"travesty",
    r"pandering", r"cronyism", r"kickbacks?", r"cover[- ]?up", r"hypocri\w*", r"puppets?",
    r"broken promises?", r"what a mess", r"so much for", r"nobody asked for", r"no one asked for",
    r"who approved", r"who signed off", r"how about you", r"how is this", r"why (?:is|are|do|does|did|can'?t|won'?t|don'?t|doesn'?t) (?:it|the city|the council|you|they|we|this)",
    r"resign\w*", r"step down", r"recall", r"vote (?:them|him|her|you|every one of them|"
    r"the bums) out", r"voted out", r"at the (?:ballot box|polls)", r"see you in court", r"impeach\w*", r"fire (?:him|her|them|the chief|"
    r"whoever|everyone|the lot)", r"should be fired", r"get fired", r"lawsuit", r"sue the city",
    r"do your job\w*", r"do better", r"step up", r"wake up", r"get it together",
    r"(?:can'?t|cannot) even", r"still (?:waiting|hasn'?t|haven'?t|not|no)", r"years? later",
    r"months? later", r"again\?+", r"seriously\?+", r"priorities", r"screwed", r"gouging",
    r"tyrann\w*", r"authoritarian", r"police state", r"unconstitutional", r"illegal",
    r"not fixed", r"never fixed", r"broken", r"neglect\w*", r"an insult",
    # the everyday vocabulary of civic complaint
    r"cash grab", r"money grab", r"nickel[- ]and[- ]dim\w*", r"priced out", r"cutting "
    r"(?:services|hours|programs|funding)", r"cut (?:the|our|services|funding|hours)",
    r"as usual", r"as always", r"same old", r"for once", r"doesn'?t live here",
    r"don'?t (?:promise|forget|pretend|tell us)", r"(?:deserve|have a right) to know",
    r"answer for", r"held accountable", r"accountab\w*", r"preventable", r"theater",
    r"nobody (?:\w+ )?listens", r"no one (?:\w+ )?listens", r"cares? more about",
    r"in the pocket of", r"destroy\w*", r"vote no", r"voting no", r"no new (?:levy|taxes|"
    r"fees)", r"show us", r"where did (?:the|that|our|all the) money go", r"audit",
    r"paid vacation", r"blood on (?:its|their|your|his|her) hands", r"doubled", r"tripled",
    r"think about (?:the|us|residents)", r"whoever (?:scheduled|designed|decided|picked|"
    r"approved|planned|thought|chose|timed)", r"(?:good|great|brilliant|excellent) planning",
    r"perfect timing", r"real(?:ly)? inclusive", r"screw(?:ing|ed)? (?:us|taxpayers|residents|"
    r"the taxpayers|over)", r"suck it", r"go screw", r"kiss my", r"refuse to pay",
    r"stop paying", r"overlooked", r"left behind", r"forgotten", r"excuses?", r"too little,? too late",
    r"about time", r"finally", r"took (?:them |you )?(?:\w+ )?(?:years|months|long enough)",
    r"no (?:national search|input|outreach|plan|transparency|accountability)", r"rubber[- ]stamp",
    r"behind closed doors", r"backroom", r"handouts?", r"developers", r"special interests",
    r"raising (?:the|our|my) (?:\w+ )?(?:bill|rates?|taxes|fees)", r"increase\?+",
    r"another (?:increase|tax|fee|levy|hike|outage)", r"hike", r"can'?t afford",
    r"can'?t keep", r"why only", r"couldn'?t you", r"shouldn'?t have", r"should have",
    r"what'?s (?:his|her|their) salary", r"too (?:early|late|short|expensive|much|little)",
    r"inaccessible", r"unsafe", r"dangerous", r"poisoned", r"contaminated", r"skipped",
])
# The same in Spanish, French, German, Italian and Portuguese: common words only, so that
# criticism of officials there is guarded too (a comment in any other language is never
# hidden as off topic: relevance.py).
JUDGEMENT_ABROAD = phrases([
    # Spanish
    r"incompetentes?", r"corrupt[oa]s?", r"corrupci[óo]n", r"desastre", r"verg[üu]enza",
    r"sinverg[üu]enzas?", r"mienten?", r"mentiros[oa]s?", r"mentiras?", r"renuncien?",
    r"renuncia", r"dimisi[óo]n", r"dimitan?", r"in[úu]til(?:es)?", r"ladr[óo]n(?:es)?",
    r"ladronas?", r"nos roban?", r"roban", r"fraude", r"basura", r"p[ée]sim[oa]s?",
    r"fracaso", r"una burla", r"abusos?", r"despilfarro", r"derroche", r"no sirven?",
    r"no hacen? nada", r"vergonzos[oa]", r"indignante", r"ineptos?", r"payas[oa]s?",
    r"incapaz", r"incapaces",
    # French
    r"incomp[ée]tente?s?", r"corrompue?s?", r"corruption", r"ment", r"mentent",
    r"menteu(?:r|rs|se|ses)", r"mensonges?", r"honte", r"honteu(?:x|se|ses)",
    r"scandale", r"scandaleu(?:x|se)", r"d[ée]mission\w*", r"nulle?s?", r"d[ée]sastre",
    r"catastrophe", r"inutiles?", r"voleurs?", r"gaspillage", r"escrocs?", r"incapables?",
    r"lamentable", r"n'importe quoi",
    # German
    r"inkompetent\w*", r"korrupt\w*", r"l[üu]gt", r"l[üu]gen", r"l[üu]gner(?:in)?",
    r"schande", r"skandal\w*", r"r[üu]cktritt", r"zur[üu]cktreten", r"katastrophe",
    r"unf[äa]hig\w*", r"versager", r"verschwendung", r"peinlich",
    # Italian
    r"incompetent[ei]", r"corrott[oiae]", r"vergogn\w*", r"bugiard[oiae]", r"mente",
    r"mentono", r"dimettiti", r"dimissioni", r"disastro", r"ladri", r"inutili",
    r"schifo",
    # Portuguese
    r"corrup[çc][ãa]o", r"vergonha", r"mentem", r"ren[úu]ncia", r"ladr(?:[ãa]o|[õo]es)",
    r"in[úu]te(?:l|is)", r"fracasso",
])
SARCASM = phrases([
    r"great job", r"good job", r"nice job", r"nice work", r"great work", r"well done",
    r"way to go", r"bravo", r"thanks for nothing", r"thanks a lot", r"slow clap",
    r"good luck with that", r"yeah right", r"sure,? (?:because|that'?ll|that will)",
    r"oh (?:great|good|wonderful|joy|look)", r"what a (?:surprise|shock|concept)",
    r"shocking", r"who could have (?:guessed|predicted|known)", r"another brilliant",
    r"brilliant (?:idea|plan|move)", r"genius", r"/s", r"love how", r"love that", r"can'?t wait",
    r"totally worth", r"money well spent", r"real(?:ly)? (?:smart|helpful)",
    r"truly (?:inspiring|visionary)", r"world[- ]class", r"said (?:no ?one|nobody)(?: ever)?",
    r"really appreciate it", r"thanks for the (?:heads[- ]up|notice|warning)(?= \w+ (?:late|"
    r"after))", r"cool cool", r"riveting", r"so generous", r"how generous", r"what could "
    r"possibly go wrong",
])
# Whom a judgement is about: the agency and its people, or whoever the comment addresses.
TARGET = phrases([
    *(re.escape(w) for w in GOVERNMENT | MUNICIPAL), r"you", r"your", r"y'?all", r"they",
    r"them",
    r"he", r"she", r"him", r"her", r"his",
    r"this", r"these", r"that decision", r"that plan", r"the plan", r"the project",
    r"the proposal", r"the policy", r"the rule", r"the rules", r"the law", r"the fees?",
    r"the rates?", r"the increase", r"leadership", r"leaders", r"politicians", r"bureaucrats",
    r"whoever", r"the state", r"the governor", r"city hall", *GOVERNMENT_ABROAD,
])


def guarded(text: str, post: str = "") -> list[Guarded]:
    """The protected speech in `text` (a comment on `post`), one entry per kind."""
    found = []
    swearing = _spans(PROFANITY, text)
    if swearing:
        quoted = all(_quoted(text, s) for s in swearing)
        found.append(Guarded(
            Speech.PROFANITY, tuple(swearing),
            ("profanity inside a quotation, " if quoted else "profanity, ") +
            "which alone is not obscenity and is generally protected",
            HIGH_RISK_FOOTING))
    insults = _spans(INSULTS, text)
    if insults:
        found.append(Guarded(Speech.INSULT, tuple(insults),
                             "rude or insulting words (\"offensive\", \"disrespectful\"), "
                             "generally protected", HIGH_RISK_FOOTING))
    hateful = [span(text, m.start(), m.end()) for m in HATEFUL.finditer(text)]
    if hateful:
        found.append(Guarded(Speech.HATEFUL, tuple(hateful),
                             "demeaning words about a group (\"hate speech\"): generally "
                             "protected when they carry no threat", HIGH_RISK_FOOTING))
    criticism = criticism_spans(text, post)
    if criticism:
        found.append(Guarded(Speech.CRITICISM, tuple(criticism),
                             "criticism of the government, its officials or its policies: "
                             "protected, however harsh, while it carries no threat and no "
                             "obscenity", CRITICISM_FOOTING))
    return found


def criticism_spans(text: str, post: str = "", swearing: bool = True) -> list[Span]:
    """Sentences of `text` that pass a negative judgement (or sarcasm) on a target of the
    government's, or on the subject of `post`; with `swearing`, a curse at such a target
    ("f*** this city") counts as a judgement."""
    subject = content_words(post)
    found = []
    sentence_list = sentences(text)
    targets_anywhere = _has_target(text, subject)
    for start, end in sentence_list:
        sentence = text[start:end]
        judged = JUDGEMENT.search(sentence) or SARCASM.search(sentence) or \
            INSULTS.search(sentence) or JUDGEMENT_ABROAD.search(sentence) or \
            (swearing and PROFANITY.search(sentence))
        if not judged:
            continue
        # A short comment's target may sit in the sentence before ("The council. Useless.").
        if _has_target(sentence, subject) or (targets_anywhere and len(sentence_list) <= 3):
            found.append(span(text, start + len(sentence) - len(sentence.lstrip()),
                              end - (len(sentence) - len(sentence.rstrip()))))
    return found


def _has_target(text: str, subject: set[str]) -> bool:
    return bool(TARGET.search(text)) or bool(content_words(text) & subject)


def _spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    return [span(text, m.start(), m.end()) for m in pattern.finditer(text)]


def _quoted(text: str, found: Span) -> bool:
    """Whether the span sits inside quotation marks on its line."""
    line_start = text.rfind("\n", 0, found.start) + 1
    before = text[line_start:found.start]
    return any(before.count(mark) % 2 == 1 for mark in ('"', "“")) or \
        before.count("“") > before.count("”") or \
        bool(re.search(r"(?:^|\s)'[^']*$", before))
