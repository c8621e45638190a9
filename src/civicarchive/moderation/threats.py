"""True threats, and incitement or solicitation of crime.

A true threat is a serious expression of intent to commit unlawful violence against a
particular person or group (Virginia v. Black, 2003; Counterman v. Colorado, 2023). The
detector wants three things in one sentence: a violent act, a person or group it is aimed
at, and a framing of intent ("I'll", "I'm going to", "someone should", "you'll be") or
intimidation ("I know where you live"). Menace that names no harm ("we know where you
live", "watch your back", "you'll pay for this") beside a lawful consequence ("we will vote
you out", "at the ballot box", "recall", "see you in court", "we'll be at the next
meeting") is a voter's promise, not a threat, and the guard protects it; violence or death
beside one is still a threat. Heated hyperbole is not a threat: "this commute is
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
            r"choke[ds]?|hang(?:ed)?|lynch(?:ed)?|beat(?:en)? (?:\w+ )?(?:up|senseless|to death|"
            r"to a pulp)|beat (?:him|her|them|you)|punch(?:ed)?|hurt (?:you|him|her|them)|"
            r"bomb(?:ed)?|blow (?:up|away)|torch(?:ed)?|slit|gut(?:ted)?|execute[ds]?|"
            r"assassinate[ds]?|gun(?:ned)? down|run (?:\w+ ){0,2}?(?:over|down)|run over|"
            r"put (?:a|one) bullet|put (?:you|him|her|them) (?:in the ground|in a body bag|six "
            r"feet under)|end (?:you|him|her|them)|smash (?:your|his|her|their) (?:face|head|"
            r"skull)|break (?:your|his|her|their) (?:legs|neck|face|jaw|arms?)|burn (?:[\w']+ "
            r"){0,3}?(?:houses?|places?|homes?|it|them)(?: down)?|set (?:you|him|her|them) on fire|"
            r"take (?:you|him|her|them) out|deal with (?:you|him|her|them) (?:myself|personally)|"
            r"make (?:you|him|her|them) bleed|cut (?:you|him|her|them)|string (?:\w+ )?up)")
# Done to someone, in the future: "is getting shot", "will get hurt".
PASSIVE = (r"(?:is|are|'s|gets?|getting|will get|gonna get|going to get|will be|be) "
           r"(?:shot|killed|stabbed|hurt|beaten(?: up)?|murdered|hanged|hung|lynched|strung up)")
PERSON = re.compile(
    r"(?i:\b(?:you|your|y'?all|him|his|her|them|their|everyone|everybody|every (?:one|last "
    r"one) of|all of (?:you|them)|(?:\w+ )?(?:mayor|councilm[ae]n|councilwom[ae]n|"
    r"councilmembers?|council members?|council|commissioners?|chief|officers?|cops?|pigs|"
    r"police|deputies|inspectors?|clerk|manager|staff|judge|director|governor|landlord|"
    r"neighbou?rs?|owners?|drivers?|guy|guys|man|men|woman|women|lady|dude|kids?|teens?|"
    r"teenagers|cyclists?|bikers?|workers?|crews?|members|contractors?|vendors?|family|"
    r"wife|husband|people|reader|attendant|officials?)|anyone|anybody|whoever|(?:every|each|"
    r"any) (?!(?:time|day|week|year|one of (?:these|those) (?:days|things))\b)\w+)\b)"
    r"|(?<=[a-z,] )(?:[A-Z][a-z]+)\b")  # a name: capitalised, not starting the sentence
INTENT = phrases([
    r"i(?:'ll| will| shall| am going to|'m going to|'m gonna| am gonna| gonna)",
    r"we(?:'ll| will| are going to|'re going to|'re gonna| gonna)",
    r"i(?:'m| am) (?:coming|going to come) (?:for|after|to get)",
    r"(?:someone|somebody|people|one of us) (?:should|needs? to|ought to|oughta|has to|is "
    r"going to|will|gonna)", r"we (?:should|need to|ought to|must)", r"i swear i'?ll",
    r"next time i see", r"if (?:you|he|she|they) .{1,40}?,? i(?:'ll| will)",
    r"(?:should|deserves? to|needs? to) (?:be|get)", r"i want to",
])
WISH = phrases([r"i'?d love to", r"i wish i could", r"i'?d like to"])
# Intimidation that speaks of death, weapons or a place to meet: a threat whatever follows.
INTIMIDATION = phrases([
    r"sleep with one eye open",
    r"(?:you|he|she|they)(?:'re| are|'s| is) (?:a )?dead (?:man|woman|men|meat)",
    r"(?:you|he|she|they)(?:'ll| will) (?:die|be dead)",
    r"(?:you|he|she|they) (?:won'?t|will not) (?:live|make it (?:home|to|through)|"
    r"see christmas)", r"i'?ll be waiting (?:for (?:you|him|her|them) )?(?:outside|at|in|after"
    r"|with)", r"(?:bring|bringing|got|have|with) (?:my|a|our|some|loaded) (?:guns?|rifles?|"
    r"ar-?15s?|piece|shotguns?|pistols?|glocks?|knife|machete)", r"(?:have|got) (?:guns|rifles)",
    r"locked and loaded", r"there will be (?:blood|bloodshed)",
    r"bullet with (?:your|his|her) name",
    r"see (?:you|him|her) (?:at|in|outside) (?:your|his|her) (?:house|home|driveway|car)",
    r"end up in a (?:ditch|body bag|hospital)",
])
# Menace that names no harm: read by the consequence the comment names. Alone, or with
# violence, it is a threat; beside a lawful consequence ("we know where you live and we
# will vote you out") it is a voter's promise, which the guard protects.
MENACE = phrases([
    r"i know where (?:you|he|she|they) (?:live|lives|sleep|sleeps|park|parks|work|works)",
    r"(?:we|i) know where (?:you|he|she|they|the \w+(?: \w+)?) (?:live|lives|sleep|sleeps|"
    r"work|works)", r"(?:watch|better watch) (?:your|his|her|their) backs?",
    r"(?:your|his|her|their) days are numbered",
    r"(?:you|he|she|they)(?:'ll| will) (?:pay for this|regret this|get what'?s coming)",
    r"(?:you|he|she|they)(?:'ve| have| has) been warned",
    r"(?:final|last) warning", r"count your days",
    r"(?:it'?ll|this will|that will) be (?:your|his|her|their) last",
])
# Consequences a citizen may lawfully bring on an official: elections, recalls, courts,
# complaints, showing up at meetings.
LAWFUL = phrases([
    r"vote (?:you|him|her|them|y'?all|every one of (?:you|them)|the bums|\w+) out",
    r"vot(?:e|ed|ing) (?:you|him|her|them) (?:out|down)", r"voted? out",
    r"vote against (?:you|him|her|them)", r"(?:at|to) the (?:ballot box|polls)",
    r"ballot box", r"next election", r"(?:in|at|by|until|come) (?:the |this )?(?:next )?"
    r"election", r"election day", r"(?:lose|losing) (?:the |your |his |her |their )?"
    r"(?:re-?)?election", r"your re-?election", r"in (?:the )?primary",
    r"primary (?:you|him|her|them)", r"in november", r"come november",
    r"recall (?:you|him|her|them|the \w+|petitions?|election|vote|campaign)",
    r"(?:a|the|this) recall", r"recalled", r"impeach\w*", r"(?:see|meet) (?:you|him|her|them) in court",
    r"in court", r"sue (?:you|him|her|them|the city|the county)", r"lawsuits?",
    r"(?:file|filing|filed) (?:an? )?(?:ethics )?(?:complaint|grievance|suit|claim)",
    r"ethics (?:complaint|board|commission)", r"report (?:you|him|her|them) to",
    r"records requests?",
    r"(?:we|i)(?:'ll| will|'re| are) (?:all )?(?:be )?(?:at|going to|coming to) (?:the |every )"
    r"(?:next )?(?:council |city council |board |town hall |public )?(?:meeting|hearing)s?",
    r"see (?:you|him|her|them) at the (?:next )?(?:council |board )?(?:meeting|hearing)",
    r"run(?:ning)? against (?:you|him|her|them)", r"campaign(?:ing)? against",
    r"lose (?:your|his|her|their) (?:seat|job|office)",
])
# Hyperbole and idiom: violent words with no violence meant.
HYPERBOLE = phrases([
    r"kill(?:s|ing)? me", r"murder(?:s|ing)? me", r"killing (?:it|us|our|my|the)", r"kill for",
    r"to die for", r"dying (?:to|for|of)", r"murder on", r"killer",
    r"i (?:could|would) (?:just )?(?:kill|strangle|murder)", r"could (?:kill|strangle|murder)",
    r"shoot (?:me|us|them) (?:an?|the)", r"shoot for", r"shot down", r"shoot down",
    r"long shot", r"bomb(?:ed)? (?:the|that) (?:test|vote|interview)", r"da bomb",
    r"blow(?:s|n)? up (?:my|our|the) (?:phone|inbox|budget|thread|comments)", r"blew up",
    r"beat (?:the|this) (?:traffic|rush|deadline|heat|odds)", r"hang (?:out|up|in|on|tight)",
    r"hung up", r"burn(?:ed|ing)? (?:through|calories|money|cash)",
    r"take out (?:the|a|your) (?:trash|loan|garbage)", r"deadline",
    r"kill (?:the|this|that) (?:bill|proposal|project|plan|ordinance|idea|program|levy|"
    r"measure|deal|tax|fee|rule|vote|meter \w+)", r"kill it", r"stab at",
    r"shot at (?:the|a) (?:title|job|win)", r"in the crosshairs",
    r"(?:is|are|was) going to (?:get )?(?:kill|hurt) (?:someone|somebody|a kid|a child|a "
    r"pedestrian|people)", r"(?:someone|somebody|a kid|a child|people) (?:will|is going to|is "
    r"gonna) (?:get )?(?:killed|hurt)", r"before someone gets (?:killed|hurt)",
    r"get (?:someone|somebody|people|a kid|kids) (?:killed|hurt)",
    r"(?:people|someone|somebody|kids|children|folks|pedestrians|cyclists|drivers) (?:are|is) "
    r"(?:getting|gonna get|going to get) (?:hurt|killed)",
    r"kill devil hills", r"kill van kull",  # places
    # a defeat at the polls or in court: "we'll beat you at the polls"
    r"(?:beat|take|vote|kick|throw|knock|crush|destroy|bury|defeat|run|end) (?:you|him|her|"
    r"them|y'?all)(?: out| down| over)? (?:at the (?:ballot box|polls)|in (?:the )?(?:next )?"
    r"(?:election|primary|november|court)|on election day|come (?:november|election day))",
])
JOKING = phrases([r"lol", r"lmao", r"haha\w*", r"jaja\w*", r"jeje\w*", r"mdr", r"ptdr",
                  r"jk", r"just kidding", r"😂", r"🤣", r"/s"], boundary=False)
# Threats in Spanish and French, met on US agencies' pages after English: an intent and a
# violent act aimed at "you" or a person in one phrase ("te voy a matar", "je vais te
# tuer"), or a call for one ("hay que matarlo", "il faut le tuer").
_ES_ACT = (r"(?:matar|disparar|apu[ñn]alar|acuchillar|quemar|golpear|ahorcar|colgar|linchar|"
           r"reventar|partir la cara|romper la cara|pegar (?:un tiro|unos tiros|una paliza)|"
           r"dar (?:un tiro|una paliza|de balazos)|volar la cabeza|degollar|fusilar)")
_ES_ACT_ON = (r"(?:matar|disparar|apu[ñn]alar|acuchillar|quemar|golpear|ahorcar|colgar|"
              r"linchar|reventar|degollar|fusilar)(?:te|lo|la|los|las|le|les|os)")
_FR_ACT = (r"(?:tuer|buter|crever|descendre|flinguer|[ée]gorger|poignarder|br[ûu]ler|frapper|"
           r"d[ée]foncer|massacrer|abattre|pendre|[ée]trangler)")
ABROAD = phrases([
    rf"(?:te|lo|la|los|las|le|les|os) (?:voy|vamos|van|va) a {_ES_ACT}",
    rf"(?:voy|vamos|van|va) a {_ES_ACT_ON}",
    r"te (?:matar[ée]|mataremos|matamos)", r"(?:vas|van) a morir",
    r"(?:est[áa]s|est[áa]n) muert[oa]s?",
    rf"(?:je|on|nous) (?:vais|va|allons) (?:te|le|la|les|vous|t') ?{_FR_ACT}",
    r"(?:je|on) (?:te|vous|le|la|les) (?:tuerai|tuera|buterai|butera|crèverai|crèvera)",
    r"(?:tu vas|vous allez) (?:mourir|crever)", r"(?:t'es|tu es|vous [êe]tes) mort",
])
CALL_ABROAD = phrases([
    rf"(?:hay|habr[íi]a) que {_ES_ACT_ON}", rf"(?:hay|habr[íi]a) que {_ES_ACT} (?:al|a la|a los|a)",
    rf"il (?:faut|faudrait) (?:le|la|les) {_FR_ACT}",
])
# "te voy a matar de risa" (you'll die laughing), "mourir de rire"
HYPERBOLE_ABROAD = phrases([
    r"(?:matar|matarte|matarme|morir|morirme|morirte)(?: \w+)? de (?:risa|la risa|hambre|sed|"
    r"aburrimiento|calor|fr[íi]o|un susto|pena|ganas|amor)",
    r"(?:mourir|crever|tuer)(?: \w+)? de (?:rire|faim|soif|chaud|froid|ennui)",
])
VIOLENT = re.compile(rf"\b{VIOLENCE}\b|\b{PASSIVE}\b", re.IGNORECASE)
IMPERATIVE = re.compile(rf"\s*(?:{VIOLENCE})\b", re.IGNORECASE)

CRIME = (r"(?:burn(?:ing)? (?:it|the \w+|this \w+|city hall|the place|everything|the whole "
         r"\w+) down|burn (?:it|them|city hall|the station|the building)|torch (?:it|the \w+)|"
         r"smash(?:es|ing)? (?:out )?(?:the |every |their |his |her |some |all the )?(?:\w+ )?"
         r"(?:windows?|cars?|cameras?|doors?|signs?|meters?|everything)|loot(?:ing)?|"
         r"vandali[sz]e\w*|trash (?:the|their) (?:place|office|cars?)|break(?:ing)? (?:into|in|"
         r"down the doors?|the windows)|riot(?:ing)?|storm (?:the|city hall|the building|the "
         r"chambers)|slash(?:es|ing)? (?:the |their |all the )?tires|key(?:s|ing)? (?:the|their|his|"
         r"her|every) (?:[\w']+ )?cars?|spray[- ]?paint (?:the|their|his|her|over)|tag (?:over )?"
         r"(?:the|it|every|all)|(?:bring|grab) (?:spray ?paint|bats|crowbars|bricks|rocks|"
         r"gasoline|molotovs?|black spray paint)|tear (?:it|them|the \w+) down|destroy (?:the|"
         r"their|every) \w+|set fire to|firebomb|pull (?:up|out) (?:the|all the|every) (?:survey )?"
         r"(?:stakes|signs|cameras)|cut (?:the )?(?:brake lines|power|fence|locks?)|poison (?:the|"
         r"his|her) \w+|steal(?:s|ing)? (?:the|their|his|her|all the|some|copper|it|them)|"
         r"block (?:the )?(?:highway|freeway|interstate|bridge|ambulances?|entrance)|block (?:it|"
         r"them) (?:completely|off|entirely)|park (?:your|our|their) cars? (?:across|on) (?:the )?"
         r"[\w ]{0,20}?(?:bridge|road|street|highway|freeway)|drag (?:him|her|them) out|(?:take|"
         r"seize) (?:the building|city hall) by force)")
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
    r"(?:\b(?:i(?:'ll| will|'d| would)? pay|paying|i(?:'ll| will) give)|\$\d[\d,]*\s(?:to|for))"
    rf"[^.!?\n]{{0,40}}?\b(?:to|who|if|for)\b[^.!?\n]{{0,60}}?{CRIME}"
    rf"|\b(?:who wants to|anyone (?:want|wanna) to|anybody (?:want|wanna) to|help me|who'?ll "
    rf"help)\b[^.!?\n]{{0,20}}?{CRIME}"
    r"|\b(?:selling|sell you|got|have|buying|need|looking for|hit me up for|dm (?:me )?for|"
    r"plug for)\b[^.!?\n]{0,25}?\b(?:weed|pills?|oxys?|oxycontin|percs?|xanax|adderall|meth|"
    r"coke|cocaine|fentanyl|fent|molly|heroin|shrooms|fake ids?|stolen \w+|unregistered "
    r"guns?|ghost guns?|counterfeit \w+)\b",
    re.IGNORECASE)


def true_threats(text: str) -> Evidence | None:
    best: tuple[float, list[Span], str] | None = None
    lawful = bool(LAWFUL.search(text))
    for start, end in sentences(text):
        sentence = text[start:end]
        found = _threat_in(sentence, lawful)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], [span(text, start + a, start + b) for a, b in found[1]],
                    found[2])
    if best is None or best[0] < 0.45:
        return None
    confidence, spans, why = best
    if JOKING.search(text):
        # A stated intent still goes to a person; a mere wish with "lol" is hyperbole.
        confidence = min(confidence, 0.5) if confidence >= 0.8 else confidence - 0.2
        why += ", with a joke marker (a person decides)"
    return Evidence(Category.TRUE_THREATS, confidence, tuple(_merge(spans)),
                    f"{why}: a true threat is a serious expression of intent to commit "
                    f"unlawful violence against a particular person or group")


def _threat_in(sentence: str, lawful: bool = False
               ) -> tuple[float, list[tuple[int, int]], str] | None:
    """(confidence, spans, why) for one sentence, or None; `lawful`: the comment names a
    lawful consequence (an election, a recall, a court), which menace is then read as."""
    intimidation = INTIMIDATION.search(sentence) or (None if lawful else
                                                     MENACE.search(sentence))
    if intimidation:
        return 0.9, [intimidation.span()], "intimidation aimed at a person"
    abroad = [m for m in (ABROAD.search(sentence), CALL_ABROAD.search(sentence)) if m and not
              any(h.start() < m.end() and m.start() < h.end()
                  for h in HYPERBOLE_ABROAD.finditer(sentence))]
    if abroad:
        called = abroad[0].re is CALL_ABROAD
        return (0.8 if called else 0.9), [abroad[0].span()], \
            ("a call for violence against a person" if called
             else "an intent to commit violence against a person")
    aimed = [m for m in VIOLENT.finditer(sentence) if not _hyperbole(sentence, m)]
    aimed = [m for m in aimed if PERSON.search(sentence)]
    if not aimed:
        return None
    spans = [m.span() for m in aimed]
    intent = INTENT.search(sentence)
    if intent:
        spans.append(intent.span())
        calling = re.search(r"(?i)should|deserves?|needs? to|ought|must", intent.group())
        return (0.8 if calling else 0.9), spans, \
            ("a call for violence against a person" if calling
             else "an intent to commit violence against a person")
    if any(re.fullmatch(PASSIVE, m.group(), re.IGNORECASE) for m in aimed):
        return 0.85, spans, "violence to be done to a person"
    if IMPERATIVE.match(sentence):
        return 0.8, spans, "a call for violence against a person"
    wish = WISH.search(sentence)
    if wish:
        return 0.6, spans + [wish.span()], "a wish to do violence to a person"
    return 0.4, spans, "violent words near a person, without an intent"


def _hyperbole(sentence: str, aimed: re.Match[str]) -> bool:
    for idiom in HYPERBOLE.finditer(sentence):
        if idiom.start() < aimed.end() and aimed.start() < idiom.end():
            return True
    return False


def incitement(text: str) -> Evidence | None:
    best: tuple[float, list[Span], str] | None = None
    parts = sentences(text)
    # A short comment is one call: "Tonight at 9, everyone to the precinct. Burn it down."
    if 1 < len(parts) <= 3:
        parts = parts + [(parts[0][0], parts[-1][1])]
    for start, end in parts:
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
        called = COLLECTIVE.search(sentence) or re.match(rf"\s*{CRIME}", sentence, re.IGNORECASE)
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
