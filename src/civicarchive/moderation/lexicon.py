"""Words and phrases the detectors share: tokens, content words, the vocabulary of local
government, and a helper that compiles phrase lists into one case-insensitive pattern.

Masked swearing ("f**k", "sh!t") is normalised only for matching: every span the engine
reports is an index into the comment as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|\d+")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each few for from further get gets got had hadn't has hasn't
have haven't having he he'd he'll he's her here here's hers herself him himself his how how's
i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most
mustn't my myself no nor not now of off on once only or other ought our ours ourselves out
over own really same she she'd she'll she's should shouldn't so some still such than that
that's the their theirs them themselves then there there's these they they'd they'll they're
they've this those through to too under until up us very was wasn't we we'd we'll we're we've
were weren't what what's when when's where where's which while who who's whom why why's will
with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
yes yeah ok okay oh lol please thanks thank thx pls one two three many much even ever every
know think thing things going gonna want wanna make made way well back see say said says
people guys folks time day days year years today tonight tomorrow week new good great
anyone someone everyone anybody somebody everybody something anything nothing everything
last next monday tuesday wednesday thursday friday saturday sunday morning mornings evening
evenings night nights weekend weekends month months hour hours minute minutes ago soon later
early late welcome love
""".split())

# The agency and its business: a comment about the city, its officials or its services is
# never off-topic on the city's page, whatever it says about them.
GOVERNMENT = frozenset("""
city council councilmember councilmembers councilman councilwoman councilor councillor
council's mayor mayor's county commissioner commissioners commission municipality municipal
department dept staff official officials administration
manager clerk government govt agency agencies taxpayer taxpayers tax taxes levy budget
ordinance ordinances resolution vote voted voting ballot election elected residents resident
citizens public works utilities utility police sheriff cops officer officers chief fire
firefighters library parks services service meeting meetings hearing hearings permit permits
zoning planning code enforcement inspector inspectors hall district school board crew crews
workers employees
""".split())

# The government and its people in the languages most met on US agencies' pages after
# English (Spanish, French, German, Italian, Portuguese): the guard's targets, and enough
# to put a comment naming them on topic.
GOVERNMENT_ABROAD = (
    # Spanish
    r"alcaldes?", r"alcaldesas?", r"alcald[íi]a", r"ayuntamiento", r"concejos?",
    r"concejal(?:es|as?)?", r"cabildo", r"municipio", r"municipalidad", r"gobiernos?",
    r"gobernador(?:a|es)?", r"polic[íi]as?", r"comisionad[oa]s?", r"funcionari[oa]s?",
    r"autoridades", r"presupuesto", r"impuestos", r"regidor(?:es|as?)?", r"la ciudad",
    r"el condado", r"el consejo", r"los pol[íi]ticos",
    # French
    r"maires?", r"mairie", r"conseil municipal", r"conseillers?(?: municipaux)?",
    r"[ée]lus?", r"gouvernement", r"pr[ée]fet", r"pr[ée]fecture", r"policiers?",
    r"la ville", r"la municipalit[ée]", r"la commune", r"imp[ôo]ts", r"fonctionnaires",
    r"les politiciens",
    # German
    r"b[üu]rgermeister(?:in)?", r"stadtrat", r"gemeinderat", r"stadtverwaltung",
    r"regierung", r"polizei", r"die stadt", r"steuern", r"beamten?", r"politiker",
    # Italian
    r"sindac[oa]", r"comune", r"consiglio comunale", r"giunta", r"governo", r"polizia",
    r"assessor[ei]", r"politici",
    # Portuguese
    r"prefeit[oa]s?", r"prefeitura", r"c[âa]mara municipal", r"vereador(?:es|as?)?",
    r"governador(?:a|es)?", r"pol[íi]cia", r"pol[íi]ticos",
)

# Topics of local government: two words of the same topic relate a comment to a post that
# shares no word with it ("plow" answers "snow").
TOPICS = {
    "roads": "pothole potholes road roads street streets pavement paving asphalt repave "
             "repaving lane lanes traffic intersection crosswalk sidewalk sidewalks curb car "
             "cars tire tires alignment driving drive drivers commute bike bikes bicycle "
             "speed signal light lights stop sign signs detour construction closure bridge "
             "cyclist cyclists biker bikers pedestrian pedestrians arrow turn",
    "snow": "snow snowstorm storm plow plows plowed plowing ice icy salt sanded sand winter "
            "blizzard freezing slush shovel shoveling sleet cold",
    "water": "water sewer sewage pipe pipes main mains meter meters bill bills billing rate "
             "rates utility leak leaks boil drinking tap pressure stormwater drainage drain "
             "flooding flood",
    "parks": "park parks playground trail trails tree trees pool pools field fields dog "
             "picnic garden gardens recreation rec splash grass bench benches "
             "branch branches",
    "police": "police cop cops officer officers patrol arrest arrests crime crimes safety "
              "precinct "
              "sheriff deputy deputies 911 emergency dispatch speeding camera cameras",
    "budget": "budget budgets tax taxes levy spending dollars fund funds funding money "
              "million billion deficit bond bonds cost costs fee fees revenue salaries",
    "housing": "zoning rezone rezoning housing apartment apartments density development "
               "developer developers permit permits building buildings units duplex "
               "affordable rent rents homeless shelter",
    "transit": "bus buses transit train rail parking station route routes fare fares",
    "waste": "trash garbage recycling recycle compost pickup collection dump landfill bins "
             "sanitation rake raking leaves leaf yard",
    "library": "library libraries books book librarian reading",
    "events": "festival parade concert fireworks market event events celebration",
    "fire": "fire fires firefighters burn ban smoke wildfire hydrant",
}
TOPIC_OF = {word: topic for topic, words in TOPICS.items() for word in words.split()}

# Words of the agency's business strong enough alone to put a comment on topic on the
# agency's page, whatever the post ("my street floods every spring" under a mayor's speech).
MUNICIPAL = frozenset("""
pothole potholes street streets road roads sidewalk sidewalks traffic intersection crosswalk
streetlight streetlights plow plows plowed plowing snowplow sewer sewers stormwater drain
drains drainage hydrant water utility utilities park parks playground playgrounds trail
trails pool police precinct patrol officers sheriff firefighters budget taxes tax levy
zoning rezone housing permit permits bus buses transit parking meter meters trash garbage
recycling compost sanitation library libraries flooding levee bridge neighborhood
neighborhoods crews crew shelter detour
""".split())


def words(text: str) -> list[str]:
    """Lower-case word tokens, apostrophes unified, possessives cut ("mayor's": "mayor")."""
    found = [w.lower().replace("’", "'") for w in WORD.findall(text)]
    return [w[:-2] if w.endswith("'s") and w[:-2] not in _CONTRACTED else w for w in found]


_CONTRACTED = frozenset({"it", "that", "there", "what", "who", "he", "she", "here", "where",
                         "let"})


def stem(word: str) -> str:
    """A crude suffix strip, enough to relate "plowing" to "plows" and "repaved" to "repave"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no one-letter words)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 2}


def related(mine: set[str], theirs: set[str]) -> bool:
    """Whether two sets of content words share a word, or the first five letters of a long
    word ("applied" and "applications")."""
    if mine & theirs:
        return True
    prefixes = {w[:5] for w in theirs if len(w) >= 5}
    return any(len(w) >= 5 and w[:5] in prefixes for w in mine)


def topics(text: str) -> set[str]:
    return {TOPIC_OF[w] for w in words(text) if w in TOPIC_OF}


def phrases(items: Iterable[str], boundary: bool = True) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of `items` (regular expressions), longest
    first, each bounded by non-word characters when `boundary`."""
    body = "|".join(sorted(items, key=len, reverse=True))
    if boundary:
        body = rf"(?<![\w-])(?:{body})(?![\w])"
    return re.compile(body, re.IGNORECASE)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split after . ! ? and at line breaks."""
    found, start = [], 0
    for match in re.finditer(r"[.!?]+(?=\s)|\n+", text):
        end = match.end()
        if text[start:end].strip():
            found.append((start, end))
        start = end
    if text[start:].strip():
        found.append((start, len(text)))
    return found
