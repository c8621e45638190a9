"""True threats, and incitement or solicitation of crime.

A true threat is a serious expression of intent to commit unlawful violence against a
particular person or group (Virginia v. Black, 2003; Counterman v. Colorado, 2023). The
detector wants three things in one sentence: a violent act, a person or group it is aimed
at, and a framing of intent ("I'll", "I'm going to", "someone should", "you'll be") or
intimidation ("I know where you live"). Heated hyperbole is not a threat: "this commute is
killing me", "I could strangle whoever timed these lights", "kill the proposal", "shoot me
an email" are recognised and left alone, and a joke marker lowers the confidence so that a
person reviews instead.

Incitement is advocacy of imminent lawless action likely to produce it (Brandenburg v.
Ohio, 1969): a collective call ("let's", "everyone") to a crime, at a time ("tonight",
"Friday at 6"). Without a time it is advocacy, which goes to review at most. Solicitation
is an offer or request to take part in a specific crime: paying someone to vandalise,
selling drugs or stolen goods.
"""

from __future__ import annotations

import re

from civicarchive.moderation.findings import Evidence, Span, span
from civicarchive.moderation.footing import Category
from civicarchive.moderation.lexicon import phrases, sentences

VIOLENCE = (r"(?:kill(?:ed|ing)?|murder(?:ed)?|shoot(?:ing)?|shot|stab(?:bed)?|strangle[ds]?|"
            r"choke[ds]?|hang(?:ed)?|lynch(?:ed)?|beat(?:en)? (?:\w+ )?(?:up|senseless|to death)|"
            r"beat (?:him|her|them|you)|punch(?:ed)?|hurt|bomb(?:ed)?|blow (?:up|away)|"
            r"torch(?:ed)?|slit|gut(?:ted)?|execute[ds]?|assassinate[ds]?|gun(?:ned)? down|"
            r"run (?:you|him|her|them) (?:over|down)|put (?:a|one) bullet|put (?:you|him|her|"
            r"them) (?:in the ground|in a body bag|six feet under)|end (?:you|him|her|them)|"
            r"smash (?:your|his|her|their) (?:face|head|skull)|break (?:your|his|her|their) "
            r"(?:legs|neck|face|jaw|arms?)|burn (?:your|his|her|their) (?:house|place|home)"
            r"(?: down)?|set (?:you|him|her|them) on fire|take (?:you|him|her|them) out|"
            r"deal with (?:you|him|her|them) (?:myself|personally)|make (?:you|him|her|them) "
            r"bleed|cut (?:you|him|her|them))")
PERSON = (r"(?:you|your (?:family|kids|wife|husband|children|house)|y'?all|him|her|them|"
          r"every (?:one|last one) of (?:you|them)|all of (?:you|them)|(?:the |that |this )?"
          r"(?:mayor|councilm[ae]n|councilwom[ae]n|councilmembers?|council members?|council|"
          r"commissioners?|chief|officers?|cops|pigs|police|deputies|inspectors?|clerk|"
          r"manager|staff|judge|director|governor|landlord|neighbou?r))")
INTENT = phrases([
    r"i(?:'ll| will| shall| am going to|'m going to|'m gonna| am gonna| gonna)",
    r"we(?:'ll| will| are going to|'re going to|'re gonna| gonna)",
    r"i(?:'m| am) (?:coming|going to come) (?:for|after|to get)",
    r"(?:someone|somebody|someone needs to|people|one of us) (?:should|needs? to|ought to|"
    r"oughta|has to|is going to|will|gonna)", r"i swear i'?ll", r"i want to", r"i'?d love to",
    r"next time i see", r"if (?:you|he|she|they) .{1,40}?,? i(?:'ll| will)",
    r"(?:you|he|she|they)(?:'re| are|'s| is) (?:going to|gonna) (?:get|be)",
    r"(?:you|he|she|they)(?:'ll| will) (?:get|be)",
    r"(?:should|deserves? to|needs? to) (?:be|get)",
])
INTIMIDATION = phrases([
    r"i know where (?:you|he|she|they) (?:live|lives|sleep|sleeps|park|parks|work|works)",
    r"we know where (?:you|he|she|they) (?:live|lives|sleep|sleeps|work|works)",
    r"watch your back", r"sleep with one eye open", r"your days are numbered",
    r"(?:you|he|she|they)(?:'re| are|'s| is) (?:a )?dead (?:man|woman|men|meat)?",
    r"(?:you|he|she|they)(?:'ll| will) (?:die|be dead|pay for this|regret this|get what'?s "
    r"coming)", r"(?:you|he|she|they) (?:won'?t|will not) (?:live|make it home|see christmas)",
    r"i'?ll be waiting (?:for (?:you|him|her|them) )?(?:outside|at|in|after)",
    r"(?:bring|bringing|got) my (?:gun|rifle|ar|ar-?15|piece|shotgun|pistol|glock|bat)",
    r"locked and loaded", r"there will be (?:blood|bloodshed)", r"bullet with (?:your|his|her) name",
    r"(?:you|he|she|they)(?:'ve| have| has) been warned", r"(?:final|last) warning",
    r"count your days", r"see (?:you|him|her) (?:at|in|outside) (?:your|his|her) (?:house|home|"
    r"driveway|car)", r"end up in a (?:ditch|body bag|hospital)",
])
# Hyperbole and idiom: violent words with no violence meant.
HYPERBOLE = phrases([
    r"kill(?:s|ing)? me", r"killing (?:it|us|our|my|the)", r"kill for", r"to die for",
    r"dying (?:to|for|of)", r"murder on", r"killer", r"could (?:kill|strangle|murder|scream)",
    r"i (?:could|would) (?:just )?(?:kill|strangle|murder)", r"shoot (?:me|us|them) (?:an?|the) ",
    r"shoot for", r"shot down", r"shoot down", r"long shot", r"bomb(?:ed)? (?:the|that) (?:test|"
    r"vote|interview)", r"da bomb", r"blow(?:s|n)? up (?:my|our|the) (?:phone|inbox|budget|"
    r"thread|comments)", r"blew up", r"beat (?:the|this) (?:traffic|rush|deadline|heat|odds)",
    r"hang (?:out|up|in|on|tight)", r"hung up", r"burn(?:ed|ing)? (?:through|calories|money|"
    r"cash)", r"take out (?:the|a|your) (?:trash|loan|garbage)", r"dead (?:end|line|of winter|"
    r"serious|tired|last)", r"deadline", r"kill (?:the|this|that) (?:bill|proposal|project|"
    r"plan|ordinance|idea|program|levy|measure|deal|tax|fee|rule|vote)", r"kill it",
    r"fire (?:him|her|them)", r"punch(?:ed)? (?:a |the )?(?:clock|ticket|card|hole)", r"pothole",
    r"stab at", r"shot at (?:the|a) (?:title|job|win)", r"in the crosshairs",
    r"(?:is|are|was) going to (?:get )?(?:kill|hurt) (?:someone|somebody|a kid|a child|a "
    r"pedestrian|people)", r"(?:someone|somebody|a kid|a child|people) (?:will|is going to|is "
    r"gonna) (?:get )?(?:killed|hurt)", r"before someone gets (?:killed|hurt)",
])
JOKING = phrases([r"lol", r"lmao", r"haha\w*", r"jk", r"just kidding", r"😂", r"🤣", r"/s"],
                 boundary=False)
VIOLENT = re.compile(rf"\b{VIOLENCE}\b", re.IGNORECASE)
AIMED = re.compile(rf"\b{VIOLENCE}\b(?:\s+\w+){{0,3}}?\s+\b{PERSON}\b|\b{VIOLENCE}\b\s+"
                   rf"(?-i:[A-Z][a-z]+\b)|\b{PERSON}\b[^.!?]{{0,25}}"
                   rf"\b(?:should|deserves? to|needs? to|ought to|will|gonna)\b\s+(?:be|get)\s+"
                   rf"(?:\w+\s+)?(?:shot|killed|hanged|hung|lynched|stabbed|beaten|murdered|"
                   rf"executed|strung up)", re.IGNORECASE)
# A name is a capitalised word right after the violent verb ("shoot Dave"): (?-i:) keeps
# that part case-sensitive.

CRIME = (r"(?:burn(?:ing)? (?:it|the \w+|this \w+|city hall|the place|everything) down|"
         r"burn (?:it|them|city hall|the station|the building)|torch (?:it|the \w+)|"
         r"smash(?:ing)? (?:the |every |their |some )?(?:windows?|cars?|cameras?|doors?|"
         r"signs?|everything)|loot(?:ing)?|vandali[sz]e\w*|trash (?:the|their) (?:place|office|"
         r"cars?)|break (?:into|in|down the doors?|the windows)|riot(?:ing)?|storm (?:the|city "
         r"hall|the building|the chambers)|slash (?:the |their |all the )?tires|key (?:the|"
         r"their|his|her|every) cars?|spray[- ]?paint (?:the|their|his|her|over)|tear (?:it|"
         r"them|the \w+) down|destroy (?:the|their|every) \w+|set fire to|firebomb|"
         r"pull (?:up|out) (?:the|all the|every) (?:survey )?(?:stakes|signs|cameras)|"
         r"cut (?:the )?(?:brake lines|power|fence|locks?)|poison (?:the|his|her) \w+|"
         r"steal(?:ing)? (?:the|their|his|her|all the|some|copper|it|them)|"
         r"block (?:the )?(?:highway|freeway|interstate|bridge|ambulances?|entrance)|"
         r"drag (?:him|her|them) out|(?:take|seize) (?:the building|city hall) by force)")
COLLECTIVE = phrases([
    r"let'?s(?: all| go)?", r"let us", r"everyone", r"everybody", r"every one of you", r"y'?all",
    r"we (?:should|need to|must|have to|gotta|are going to|'re going to|will)",
    r"(?:come|go|bring|grab|meet|show up|join us)", r"who'?s (?:in|with me|coming)",
    r"time to", r"it'?s time", r"we ride", r"rise up",
])
SOON = phrases([
    r"tonight", r"tomorrow(?: night| morning)?", r"right now", r"now", r"this (?:weekend|"
    r"evening|afternoon|morning|friday|saturday|sunday|monday|tuesday|wednesday|thursday)",
    r"(?:on |this |next )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"at (?:\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)?|noon|midnight|dawn|dusk)",
    r"after the (?:meeting|vote|hearing|game)", r"before the (?:meeting|vote|hearing)",
    r"when (?:they|he|she) (?:leave|leaves|gets? out|come out)", r"in an hour",
])
SOLICIT = re.compile(
    r"\b(?:i(?:'ll| will|'d| would)? pay|paying|i(?:'ll| will) give|\$\d[\d,]*\s(?:to|for))\b"
    rf"[^.!?\n]{{0,40}}?\b(?:to|who|if|for)\b[^.!?\n]{{0,20}}?{CRIME}"
    rf"|\b(?:who wants to|anyone (?:want|wanna) to|anybody (?:want|wanna) to|help me|who'?ll "
    rf"help)\b[^.!?\n]{{0,20}}?{CRIME}"
    r"|\b(?:selling|sell you|got|have|buying|need|looking for|hit me up for|dm (?:me )?for|"
    r"plug for)\b[^.!?\n]{0,25}?\b(?:weed|pills?|oxys?|oxycontin|percs?|xanax|adderall|meth|"
    r"coke|cocaine|fentanyl|fent|molly|heroin|shrooms|fake ids?|stolen \w+|unregistered "
    r"guns?|ghost guns?|counterfeit \w+)\b",
    re.IGNORECASE)


def true_threats(text: str) -> Evidence | None:
    best: tuple[float, list[Span], str] | None = None
    joking = bool(JOKING.search(text))
    for start, end in sentences(text):
        sentence = text[start:end]
        spans, confidence, why = [], 0.0, ""
        intimidation = INTIMIDATION.search(sentence)
        if intimidation:
            spans.append(span(text, start + intimidation.start(), start + intimidation.end()))
            confidence, why = 0.9, "intimidation aimed at a person"
        for aimed in AIMED.finditer(sentence):
            if _hyperbole(sentence, aimed):
                continue
            intent = INTENT.search(sentence[:aimed.start() + 1]) or \
                INTENT.search(sentence)
            hit = span(text, start + aimed.start(), start + aimed.end())
            if intent:
                spans.append(span(text, start + intent.start(), start + intent.end()))
                level = 0.9 if re.match(r"(?i)i|we|someone|somebody|if|next", intent.group())\
                    else 0.8
                if re.search(r"(?i)should|deserves?|needs? to|ought", intent.group()):
                    level = 0.8  # wishing or calling for violence: serious, but not "I will"
                if level > confidence:
                    confidence, why = level, "an intent to commit violence against a person"
            elif re.match(rf"\s*(?:{VIOLENCE})\b", sentence, re.IGNORECASE):
                if confidence < 0.8:  # an order: "Shoot the mayor."
                    confidence, why = 0.8, "a call for violence against a person"
            elif confidence < 0.4:
                # Violent words aimed at a person, no intent: too weak to report alone.
                confidence, why = 0.4, "violent words aimed at a person, without an intent"
            spans.append(hit)
        if spans and (best is None or confidence > best[0]):
            best = (confidence, spans, why)
    if best is None:
        return None
    confidence, spans, why = best
    if joking:
        confidence, why = min(confidence, 0.6), why + ", with a joke marker (a person decides)"
    return Evidence(Category.TRUE_THREATS, confidence, tuple(_merge(spans)),
                    f"{why}: a true threat is a serious expression of intent to commit "
                    f"unlawful violence against a particular person or group")


def _hyperbole(sentence: str, aimed: re.Match[str]) -> bool:
    for idiom in HYPERBOLE.finditer(sentence):
        if idiom.start() < aimed.end() and aimed.start() < idiom.end():
            return True
    return False


def incitement(text: str) -> Evidence | None:
    best: tuple[float, list[Span], str] | None = None
    for start, end in sentences(text):
        sentence = text[start:end]
        solicit = SOLICIT.search(sentence)
        if solicit:
            found = (0.85, [span(text, start + solicit.start(), start + solicit.end())],
                     "an offer or request to take part in a specific crime (solicitation)")
            best = max(best or found, found, key=lambda b: b[0])
            continue
        crime = re.search(CRIME, sentence, re.IGNORECASE)
        if not crime:
            continue
        called = COLLECTIVE.search(sentence)
        if not called:
            continue
        spans = [span(text, start + called.start(), start + called.end()),
                 span(text, start + crime.start(), start + crime.end())]
        soon = SOON.search(sentence)
        if soon:
            spans.append(span(text, start + soon.start(), start + soon.end()))
            found = (0.85, spans, "a call to imminent lawless action, with a time")
        else:
            found = (0.55, spans, "a call to lawless action with no time: advocacy, which "
                                  "is protected unless imminent and likely; a person decides")
        best = max(best or found, found, key=lambda b: b[0])
    if best is None:
        return None
    confidence, spans, why = best
    if JOKING.search(text):
        confidence = min(confidence, 0.6)
    return Evidence(Category.INCITEMENT, confidence, tuple(_merge(spans)), why)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for s in sorted(set(spans), key=lambda s: (s.start, -s.end)):
        if merged and s.start < merged[-1].end:
            if s.end > merged[-1].end:
                last = merged.pop()
                merged.append(Span(last.start, s.end, last.text + s.text[last.end - s.start:]))
            continue
        merged.append(s)
    return merged
