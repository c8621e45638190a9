"""Spam, commercial solicitation and repetition.

- Commercial solicitation: words that sell ("DM me", "promo code", "free estimate", "earn
  $500 a day", "crypto"), weighed together with links and contact handles. A link alone is
  not spam: residents link news stories and the agency's own pages.
- Repetition: the same text (after folding case, spacing and punctuation), or nearly the
  same words, posted again by the same author, on this post or another. The first copy is
  never a finding: the policy keeps the first instance visible.

Neither rule looks at what the comment says about anything: they are content neutral.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from civicarchive.moderation.findings import Evidence, span
from civicarchive.moderation.footing import Category
from civicarchive.moderation.lexicon import phrases, words
from civicarchive.moderation.normalisation import normalise as normalised

URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"']+|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:com|net|"
                 r"org|io|co|biz|info|xyz|ly|shop|store|online|site|app|me|us|gov|tv|gg|cc|"
                 r"link|click|top|live)(?:/[^\s<>()\"']*)?(?![\w.-]*@)", re.IGNORECASE)
SHORTENER = re.compile(r"(?i)\b(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|rb\.gy|cutt\.ly|"
                       r"shorturl\.at|is\.gd|tiny\.cc|linktr\.ee)/")
# Sites whose links are the ordinary stuff of civic comments.
CIVIC_SITE = re.compile(r"(?i)(?:\.gov|\.us|\.edu|\.k12\.|wikipedia\.org|seattletimes|"
                        r"nytimes|washingtonpost|apnews|reuters|npr\.org|kuow|king5|kiro|"
                        r"komonews|patch\.com|youtube\.com/watch)")
SELLING = phrases([
    r"dm (?:me|us)(?: for| now| today)?", r"inbox me", r"message me", r"pm me", r"text me at",
    r"whats ?app", r"telegram", r"signal me", r"promo code", r"coupon", r"discount\w*",
    r"\d+\s?% off", r"free (?:estimate|quote|consultation|trial|shipping|gift|iphone|money)",
    r"order now", r"buy now", r"shop now", r"call (?:now|today|us)", r"limited time",
    r"act now", r"best (?:price|prices|rates|deals?)", r"cheap(?:est)?", r"affordable rates",
    r"our (?:[\w-]+ ){0,2}?(?:company|team|services?|products|store|shop|firm|agency|website|"
    r"lawyers|attorneys|app|crew|experts)", r"visit", r"download (?:now|free|today|the app|"
    r"our app)", r"on sale", r"free (?:installation|delivery|cams?|videos?|pics|sex \w+)",
    r"this (?:week|month) only", r"\d(?:\.\d)?-star reviews", r"success rate",
    r"(?:i'?m|we'?re) the (?:top|best|#1|number one)", r"check out my (?:\w+ )?(?:listings|"
    r"page|channel|profile|store|shop|site|website|videos?)", r"cash only", r"hit me up",
    r"want sex", r"in your area", r"near you", r"onlyfans", r"wants? to meet you",
    r"lonely (?:singles|seniors|women|men|girls|guys)", r"watch my (?:\w+ )?videos?",
    r"we (?:offer|provide|specialize|specialise)", r"licensed (?:and|&) insured",
    r"earn \$?\d+", r"make \$\d[\d,]*", r"\$\d[\d,]* (?:a|per) (?:day|week|month|hour)",
    r"work from home", r"passive income", r"side hustle", r"financial freedom",
    r"crypto\w*", r"bitcoin", r"btc", r"forex", r"nft\w*", r"invest(?:ment)? (?:opportunity|"
    r"platform|manager|plan)", r"trading (?:platform|account|expert|signals)",
    r"account manager", r"giveaway", r"win (?:a|an|free)", r"followers", r"likes and shares",
    r"subscribe to my", r"check out my (?:page|channel|profile|store|shop|site|website|video|"
    r"music|mixtape|podcast)", r"visit (?:my|our)", r"link in (?:my )?bio",
    r"click (?:here|the link|my link|below)", r"sign up (?:now|today|here)", r"credit repair",
    r"payday loans?", r"loans? approved", r"weight loss", r"diet pills?", r"cbd", r"casino",
    r"betting", r"sportsbook", r"for sale", r"(?:now )?hiring", r"recruiting", r"book (?:now|"
    r"your|today)", r"\bdiscreet\b", r"hot singles", r"follow (?:me|us)", r"seo services",
    r"web design", r"i (?:can|will) help you (?:earn|make|recover|get)",
    r"recover (?:your|lost) (?:funds|money|crypto|account)", r"hack(?:er|ed)? (?:service|"
    r"recovery)", r"contact (?:me|us) (?:on|via|at)", r"reach (?:me|us) (?:on|via|at)",
    r"(?:great|nice|amazing|awesome|informative) (?:post|article|info|content)[!,. ]+"
    r"(?:check|visit|see|read|follow|click)",
])
HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_]{3,}(?![\w.@])")

MIN_REPEAT_WORDS = 5  # "Thank you!" twice is not spam
NEAR = 0.85  # share of words two texts have in common to count as the same text


def commercial(text: str) -> Evidence | None:
    cues = [span(text, m.start(), m.end()) for m in SELLING.finditer(text)]
    links = [span(text, m.start(), m.end()) for m in URL.finditer(text)]
    outside = [s for s in links if not CIVIC_SITE.search(s.text)]
    short = [s for s in links if SHORTENER.search(s.text + "/")]
    handles = [span(text, m.start(), m.end()) for m in HANDLE.finditer(text)]
    kinds = len({s.text.lower() for s in cues})
    score = kinds + (1 if outside else 0) + (1 if short else 0) + \
        (0.5 if handles and kinds else 0)
    if score >= 2:
        confidence = 0.9 if score >= 3 else 0.8
    elif short:
        confidence = 0.45
    elif kinds == 1:
        confidence = 0.4  # one selling word alone ("cheap", "text me at"): not reported
    else:
        return None
    spans = tuple(sorted(set(cues + outside + short + (handles if kinds else [])),
                         key=lambda s: s.start))
    return Evidence(Category.SPAM, confidence, spans,
                    "commercial solicitation: words that sell"
                    + (", with a link" if outside else "")
                    + "; judged by its form, not by what it says about the agency")


def normalise(text: str) -> str:
    """The text as repetition compares it: the words it spells (normalisation.py), in
    lower case, without punctuation."""
    return " ".join(words(normalised(text).text))


@dataclass(frozen=True)
class Earlier:
    """A comment the same author posted before: its normalised text and where."""

    text: str
    where: str | None  # an id or thread, for the explanation


class AuthorHistory:
    """Each author's earlier comments, as the engine sees a stream: the newest `per_author`
    of each of the last `authors` authors (bounded, so a long file streams)."""

    def __init__(self, per_author: int = 50, authors: int = 100_000) -> None:
        self._seen: OrderedDict[str, deque[Earlier]] = OrderedDict()
        self._per_author = per_author
        self._authors = authors

    def earlier(self, author: str | None) -> Sequence[Earlier]:
        return tuple(self._seen.get(author, ())) if author else ()

    def add(self, author: str | None, text: str, where: str | None) -> None:
        if not author:
            return
        if author not in self._seen:
            self._seen[author] = deque(maxlen=self._per_author)
            if len(self._seen) > self._authors:
                self._seen.popitem(last=False)
        self._seen.move_to_end(author)
        self._seen[author].append(Earlier(normalise(text), where))


def repetition(text: str, earlier: Sequence[Earlier]) -> Evidence | None:
    folded = normalise(text)
    mine = folded.split()
    if len(mine) < MIN_REPEAT_WORDS:
        return None
    for before in earlier:
        same = before.text == folded
        if not same:
            theirs = set(before.text.split())
            shared = len(theirs & set(mine)) / max(len(theirs | set(mine)), 1)
            same = len(mine) >= 8 and shared >= NEAR
        if same:
            where = f" ({before.where})" if before.where else ""
            return Evidence(Category.SPAM, 0.85, (span(text, 0, len(text)),),
                            f"the same author posted the same text before{where}; the first "
                            f"instance stays visible, and repetition never justifies "
                            f"blocking the person")
    return None
