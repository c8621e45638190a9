"""Whether an official's post is state action, post by post (Lindke v. Freed, 601 U.S.
187 (2024)): the official (1) had actual authority to speak for the State on the post's
matter and (2) purported to exercise it in that post.

A pure engine: `assess(post) -> Assessment`, each result with its reasons and their
evidence. Step 1 measures the post against the authority the policy states for the
offices its author held that day (`offices:` in the policy file). Step 2 looks for what
shows the post purports to use that authority: it announces official action, invokes the
office, uses agency staff or resources, or is the only channel for an official notice.
Disclaimers ("views are my own") and campaign content weigh toward a personal post, but
they are factors, never a safe harbour. The result, a prompt for a person's judgement and
never a legal conclusion:

- on a matter of the office's authority: `likely state action` when the post announces
  the official's own act of office (an order signed, an ordinance introduced), whatever
  it disclaims, or when what purports outweighs what disclaims by 1 or more; `unclear`
  when something purports but less, or when nothing purports and nothing disclaims;
  `likely personal` when nothing purports and something disclaims;
- on no matter of the office's stated authority: `unclear` when the post still acts in
  the office's name (purporting weighs 1 or more: actual authority can also come from
  custom or usage), `likely personal` otherwise.

`restriction_warning` is what a moderation tool calls before a block or a deletion of a
comment under a post: on a post assessed `likely state action` or `unclear` it warns, and
suggests the less restrictive action.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from civicarchive.compliance.terms import Span, find_terms, phrases, search
from civicarchive.model.account import Classification
from civicarchive.policy.model import Authority, Office

LINDKE = "Lindke v. Freed, 601 U.S. 187 (2024)"


class Finding(enum.StrEnum):
    LIKELY_STATE_ACTION = "likely state action"
    UNCLEAR = "unclear"
    LIKELY_PERSONAL = "likely personal"


class Factor(enum.StrEnum):
    AUTHORITY = "actual authority"
    OFFICIAL_ACTION = "announces official action"
    INVOKES_OFFICE = "invokes the office"
    AGENCY_RESOURCES = "uses agency resources or staff"
    ONLY_CHANNEL = "only channel for an official notice"
    DISCLAIMER = "disclaimer"
    CAMPAIGN = "campaign content"


PURPORTING = (Factor.OFFICIAL_ACTION, Factor.INVOKES_OFFICE, Factor.AGENCY_RESOURCES,
              Factor.ONLY_CHANNEL)


@dataclass(frozen=True)
class Reason:
    factor: Factor
    weight: float            # > 0 toward state action, < 0 toward a personal post
    explanation: str
    evidence: tuple[Span, ...] = ()

    def as_dict(self) -> dict:
        return {"factor": self.factor.value, "weight": self.weight,
                "explanation": self.explanation,
                "evidence": [span.as_dict() for span in self.evidence]}


@dataclass(frozen=True)
class Post:
    """What the assessment reads: the post, its account's classification and profile,
    and the offices its author held on the post's day (from the registry of people)."""

    text: str
    classification: Classification
    offices: tuple[Office, ...] = ()
    profile: str = ""                     # the account's bio or about text, if known
    author_known: bool = True             # False: the account is linked to no person
    echoed_by_agency: bool | None = None  # an agency account carried the same notice; None: unknown


@dataclass(frozen=True)
class Assessment:
    result: Finding
    reasons: tuple[Reason, ...]
    office: str | None = None     # the office key whose authority the post falls under
    matter: str | None = None
    citation: str | None = None

    @property
    def purports(self) -> tuple[Factor, ...]:
        return tuple(r.factor for r in self.reasons if r.factor in PURPORTING and r.weight > 0)

    def as_dict(self) -> dict:
        return {"result": self.result.value, "office": self.office, "matter": self.matter,
                "citation": self.citation, "purports": [f.value for f in self.purports],
                "reasons": [r.as_dict() for r in self.reasons]}


# -- what the words show -------------------------------------------------------------------

_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d"
# The official's own act of office: an order signed, an ordinance introduced.
OWN_ACTION = phrases(
    r"\b(?:i|we)(?: have| just| have just|'ve| will| am| are)? (?:signed|issued|ordered|"
    r"declared|directed|approved|vetoed|appointed|authori[sz]ed|enacted|awarded|"
    r"rescinded|suspended|lifted|extended|instructed)\b",
    r"(?:^|[.!?]\s+)(?:just|today,?|tonight,?) (?:signed|issued|declared|ordered|vetoed)\b",
    r"\bi(?:'m| am) (?:ordering|declaring|directing|issuing|closing|suspending|lifting|"
    r"extending|signing|vetoing|calling (?:a|an) (?:special|emergency))\b",
    r"\bproclaim(?:s|ed|ing)?\b", r"\bhereby\b",
    r"\b(?:executive|emergency|administrative) order\b", r"\bby my (?:order|direction)\b",
    r"\b(?:i(?:'m| am)|i will be|i'll be) (?:introducing|proposing|sponsoring|bringing)\b",
)
# An official notice, or the agency's action reported: a closure, a vote, an arrest.
NOTICE = phrases(
    rf"\b(?:effective|starting|beginning) (?:immediately|today|tonight|tomorrow|"
    rf"(?:on |at |this |next )?(?:{_DAY}|week|month)|at \d)",
    rf"\b(?:starts?|begins?|takes? effect|reopens?|closes?)(?: \w+)? (?:on |at |this |next )?"
    rf"(?:{_DAY}|{_MONTH})",
    r"\b(?:is|are|will be|remains?|has been|have been) (?:now )?(?:closed|cancell?ed|suspended|"
    r"postponed|delayed|lifted|rescinded|reopened|in effect|under an? \w+ (?:order|advisory|"
    r"notice))\b",
    r"\b(?:will|to) reopen\b",
    r"\b(?:the )?(?:city )?council (?:voted|approved|passed|adopted|denied|rejected|confirmed)\b",
    r"\b(?:approved|adopted|passed|confirmed|denied) by the (?:city )?(?:council|committee|"
    r"commission|board)\b",
    r"\bwe (?:voted|passed|adopted) (?:to|the|an?|unanimously)\b",
    r"\b(?:official|public) (?:notice|announcement)\b",
    r"\b(?:agenda|packet|notice) (?:is|was) (?:now )?(?:posted|out|published|available)\b",
    r"\b(?:scam|safety|traffic|weather|crime|missing person) (?:warning|alert|advisory)\b",
    r"\b(?:officers|deputies|crews|firefighters|detectives|we) (?:have )?(?:arrested|cited|"
    r"rescued|recovered|detained|responded to)\b",
    r"\b(?:mandatory|must evacuate|evacuation order|shelter in place)\b",
    r"\bwill (?:now )?(?:begin|start|take effect|be enforced)\b",
)
OFFICIAL_ACTION = OWN_ACTION + NOTICE
INVOKES_OFFICE = phrases(
    r"\bas (?:your |the |our )?(?:mayor|council ?member|council president|chief(?: of police)?|"
    r"police chief|city manager|commissioner)\b",
    r"\bin my (?:official )?capacity\b", r"\bmy office\b",
    r"\bon behalf of (?:the )?(?:city|council|department|residents|people of)\b",
    r"(?:^|\n|[-\u2013\u2014]\s*)(?:mayor|chief|council ?member|commissioner) [A-Z][a-z]+\s*$",
    r"\bofficial (?:statement|page|account|business)\b",
    r"\binto the (?:public |official )?record\b",
)
VOTES = phrases(
    r"\bi(?:'ll| will|'m going to)? (?:be )?vot(?:e|ed|ing) (?:yes|no|for|against)\b",
    r"\b(?:my|the only|a lone) (?:no|yes) vote\b",
)
SOLICITS_INPUT = phrases(
    r"\b(?:send|share|submit|email|dm|message|give) (?:me |us )?(?:your )?(?:comments|input|"
    r"feedback|concerns|questions|thoughts)\b",
    r"\b(?:comment|tell me|let me know) (?:below )?(?:before|ahead of) (?:the |our |tuesday|"
    r"monday|wednesday|thursday|the vote|the hearing|the meeting)",
)
AGENCY_RESOURCES = phrases(
    r"\b(?:my|our|city|department|council) staff\b",
    r"\bposted by (?:staff|my team|the (?:city|communications))\b",
    r"\b(?:i(?:'ve| have)?|we(?:'ve| have)?) (?:asked|directed|told|had) (?:our |my |the )?"
    r"(?:[\w-]+ )?(?:staff|public works|department|city manager|crews?|officers|team|chief|"
    r"engineers?|director)\b",
    r"\b(?:forwarded|passed|sent|referred)(?: [\w']+){0,5} to (?:city staff|public works|"
    r"the department|staff|the city|the police|our crews)\b",
    r"\bi'll have (?:public works|staff|crews|the city|the department|someone)\b",
    r"\b(?:city|department) (?:photo|photographer|video|crews?)\b",
    r"\b(?:contact|call|email) (?:my|the mayor's|our) office\b",
    r"\b[\w.+-]+@[\w-]+\.(?:gov|us)\b",
    r"\bstaff (?:will|are|have|has)\b",
)
ONLY_CHANNEL = phrases(
    r"\b(?:updates|information|notices?|announcements?) (?:will be )?posted (?:only )?here\b",
    r"\b(?:only|first) (?:place|channel|here) (?:to|for|where)\b",
    r"\bfollow (?:this page|me here) for (?:official )?updates\b",
    r"\bcheck (?:back )?here for (?:official )?updates\b",
)
DISCLAIMERS = phrases(
    r"\b(?:views|opinions|thoughts|posts?) (?:expressed )?(?:here )?(?:are )?(?:my own|mine|"
    r"strictly my own|solely my own)\b",
    r"\b(?:this is )?(?:my )?personal (?:page|account|capacity|opinion|view)\b",
    r"\bnot (?:speaking|posting|writing|acting) (?:for|on behalf of|as)\b",
    r"\bnot in (?:my|an) official capacity\b",
    r"\b(?:speaking|posting|writing) (?:only |just )?as (?:a |an )?(?:private citizen|resident|"
    r"neighbou?r|parent|dad|mom|citizen)\b",
    r"\bdoes not (?:speak for|represent) the (?:city|council|department)\b",
)
CAMPAIGN = phrases(
    r"\b(?:vote for me|re-?elect|my campaign|campaign (?:kickoff|event|office|trail)|"
    r"donate|fundraiser|yard signs?|canvass(?:ing)?|endorse(?:d|ment)s?)\b",
    r"\bpaid for by\b", r"\bon the ballot\b",
)


# -- the assessment ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Matter:
    office: Office
    authority: Authority
    terms: dict[str, Span]


def assess(post: Post) -> Assessment:
    """The state-action assessment of one post, with its reasons."""
    text = post.text
    if post.classification is Classification.AGENCY:
        return Assessment(Finding.LIKELY_STATE_ACTION, (Reason(
            Factor.AUTHORITY, 3.0, "an agency account speaks for the agency in every post"),))
    matter = _matter(text, post.offices)
    reasons: list[Reason] = [_authority_reason(post, matter)]
    reasons += _purporting(post, matter)
    reasons += _weighing_against(post)
    result = _decide(matter is not None, reasons, post)
    if matter is None:
        return Assessment(result, tuple(reasons))
    return Assessment(result, tuple(reasons), matter.office.key, matter.authority.matter,
                      matter.authority.citation)


def _matter(text: str, offices: tuple[Office, ...]) -> _Matter | None:
    """The matter of the authority the post touches most (most distinct terms)."""
    best = None
    for office in offices:
        for authority in office.authority:
            found = find_terms(text, authority.terms)
            if found and (best is None or len(found) > len(best.terms)):
                best = _Matter(office, authority, found)
    return best


def _authority_reason(post: Post, matter: _Matter | None) -> Reason:
    if matter is not None:
        words = ", ".join(f'"{s.text}"' for s in matter.terms.values())
        return Reason(Factor.AUTHORITY, 1.0,
                      f"the post is about {matter.authority.matter.lower()} ({words}), on "
                      f"which the {matter.office.title} may speak for the agency "
                      f"({matter.authority.citation})", tuple(matter.terms.values()))
    if not post.author_known:
        return Reason(Factor.AUTHORITY, 0.0, "the account is linked to no person in the "
                                             "registry, so the author's actual authority "
                                             "cannot be measured: link it to its owner")
    if not post.offices:
        return Reason(Factor.AUTHORITY, 0.0, "its author held no office on record on the "
                                             "post's day, so no actual authority to speak "
                                             "for the agency is shown")
    titles = " or ".join(o.title for o in post.offices)
    return Reason(Factor.AUTHORITY, 0.0, f"the post touches no matter on which the policy "
                                         f"lets the {titles} speak for the agency")


def _purporting(post: Post, matter: _Matter | None) -> list[Reason]:
    text = post.text
    reasons = []
    if spans := search(OWN_ACTION, text):
        reasons.append(Reason(Factor.OFFICIAL_ACTION, 2.0, "it announces the official's own "
                                                           "act of office", tuple(spans)))
    elif spans := search(NOTICE, text):
        reasons.append(Reason(Factor.OFFICIAL_ACTION, 1.5, "it gives an official notice or "
                                                           "reports the agency's action",
                              tuple(spans)))
    if post.classification is Classification.OFFICIAL_PROFESSIONAL:
        reasons.append(Reason(Factor.INVOKES_OFFICE, 1.0, "it is posted on the official's "
                                                          "professional account, registered "
                                                          "as a channel of the office"))
    if invoked := search(INVOKES_OFFICE, text):
        reasons.append(Reason(Factor.INVOKES_OFFICE, 1.0, "it invokes the office",
                              tuple(invoked)))
    if asked := search(SOLICITS_INPUT + VOTES, text):
        reasons.append(Reason(Factor.INVOKES_OFFICE, 0.5, "it asks residents for input, or "
                                                          "states the official's vote, as the "
                                                          "office-holder", tuple(asked)))
    if spans := search(AGENCY_RESOURCES, text):
        reasons.append(Reason(Factor.AGENCY_RESOURCES, 1.0, "it uses agency staff or "
                                                            "resources", tuple(spans)))
    if spans := search(ONLY_CHANNEL, text):
        reasons.append(Reason(Factor.ONLY_CHANNEL, 1.5, "it presents itself as the channel "
                                                        "for official notices", tuple(spans)))
    elif post.echoed_by_agency is False and matter is not None and \
            any(r.factor is Factor.OFFICIAL_ACTION for r in reasons):
        reasons.append(Reason(Factor.ONLY_CHANNEL, 1.0, "no post of the agency's own in "
                                                        "the archive carries this notice: "
                                                        "this post may be its only channel"))
    return reasons


def _weighing_against(post: Post) -> list[Reason]:
    reasons = []
    if spans := search(DISCLAIMERS, post.text):
        reasons.append(Reason(Factor.DISCLAIMER, -1.5,
                              "the post disclaims speaking for the agency: it weighs toward a "
                              "personal post, but it is a factor, not a safe harbour",
                              tuple(spans)))
    elif search(DISCLAIMERS, post.profile):
        reasons.append(Reason(Factor.DISCLAIMER, -1.0,
                              "the account's profile disclaims speaking for the agency: a "
                              "factor toward a personal post, which a post's own words can "
                              "outweigh"))
    if spans := search(CAMPAIGN, post.text):
        reasons.append(Reason(Factor.CAMPAIGN, -1.0, "campaign content: campaigning is not "
                                                     "the exercise of an office's authority",
                              tuple(spans)))
    return reasons


def _decide(authority: bool, reasons: list[Reason], post: Post) -> Finding:
    purport = sum(r.weight for r in reasons if r.factor in PURPORTING)
    against = sum(r.weight for r in reasons if r.weight < 0)
    if not authority:
        # Lindke's first step fails on the policy's words; actual authority can also come
        # from custom or usage, so a post that acts in the office's name is left to a
        # person to judge.
        return Finding.UNCLEAR if purport >= 1 else Finding.LIKELY_PERSONAL
    own_act = any(r.factor is Factor.OFFICIAL_ACTION and r.weight >= 2 for r in reasons)
    if own_act or purport + against >= 1:
        return Finding.LIKELY_STATE_ACTION
    if purport > 0 or against == 0:
        return Finding.UNCLEAR
    return Finding.LIKELY_PERSONAL


# -- before a restriction ------------------------------------------------------------------

class Restriction(enum.StrEnum):
    BLOCK = "block"             # a person, from the whole account
    DELETE = "delete"           # a comment under the post
    HIDE = "hide"               # a comment under the post


@dataclass(frozen=True)
class RestrictionWarning:
    action: Restriction
    finding: Finding
    message: str
    suggestion: Restriction | None
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict:
        return {"action": self.action.value, "finding": self.finding.value,
                "message": self.message,
                "suggestion": self.suggestion.value if self.suggestion else None,
                "reasons": [r.as_dict() for r in self.reasons]}


def restriction_warning(assessment: Assessment, action: Restriction | str
                        ) -> RestrictionWarning | None:
    """The warning before a block, or a deletion of a comment, on a post assessed
    `likely state action` or `unclear` (None otherwise, and for hiding one comment)."""
    action = Restriction(action)
    if action is Restriction.HIDE or assessment.result is Finding.LIKELY_PERSONAL:
        return None
    where = (f"this post is assessed {assessment.result.value} ({LINDKE}), so its comment "
             f"thread may be a public forum where only viewpoint-neutral rules apply")
    if action is Restriction.BLOCK:
        message = (f"{where}. A block shuts the person out of the whole account and is judged "
                   f"more strictly than hiding one comment (O'Connor-Ratcliff v. Garnier, "
                   f"remanded 2024); blocking for a viewpoint is viewpoint discrimination "
                   f"(Davison v. Randall, 4th Cir. 2019). Hide the one comment under a policy "
                   f"category instead.")
    else:
        message = (f"{where}. Hide the comment under a policy category instead of deleting "
                   f"it: hiding is less restrictive and can be undone, and the archive keeps "
                   f"the comment either way.")
    return RestrictionWarning(action, assessment.result, message, Restriction.HIDE,
                              assessment.reasons)
