"""Each category on a clear case and on the hard cases beside it."""

from __future__ import annotations

import pytest

from civicarchive.moderation import Action

THREATS = [
    "I'm going to shoot the public works director when he leaves City Hall tonight.",
    "Mayor, I know where you live. Watch your back.",
    "If the council raises my taxes again I'll burn their houses down with them inside.",
    "Someone should put a bullet in that inspector's head.",
]
HYPERBOLE = [
    "This commute is killing me.",
    "I could strangle whoever timed these lights lol",
    "Kill the proposal before it kills downtown.",
    "These potholes are going to get someone killed. Please fix them.",
    "Shoot me an email when the crews are done?",
    "The fireworks were da bomb last year.",
]


@pytest.mark.parametrize("text", THREATS)
def test_a_true_threat_is_removed_with_its_footing(judge, text):
    verdict = judge(text)
    assert verdict.categories == ["true_threats"]
    assert verdict.action is Action.REMOVE and not verdict.protected
    finding = verdict.findings[0]
    assert "Counterman v. Colorado" in finding.footing and finding.clause
    assert all(text[s.start:s.end] == s.text for s in finding.spans)


@pytest.mark.parametrize("text", HYPERBOLE)
def test_heated_hyperbole_is_not_a_threat(judge, text):
    assert "true_threats" not in judge(text).categories


# Electoral, legal and civic consequences: what a voter may promise an official.
POLITICAL = [
    "we know where you live and we will vote you out",
    "Watch your back at the ballot box",
    "Mayor, your days are numbered: recall petitions start Monday.",
    "You'll pay for this at the ballot box.",
    "I know where you live. See you in court.",
    "We'll be at the next meeting, and you'll regret this.",
    "We'll beat you at the polls in November.",
    "We will take you out at the ballot box.",
]
# Beside a lawful consequence, violence or death is still a threat.
STILL_THREATS = [
    "I know where you live and I will hurt you",
    "We know where you live. We'll vote you out, then burn your house down.",
    "I know where you live. You won't make it to the next election.",
    "Watch your back, mayor. I'm bringing my rifle to the next meeting.",
    "I know where the election clerk lives. Watch your back.",  # no consequence named
]


@pytest.mark.parametrize("text", POLITICAL)
def test_electoral_and_legal_consequences_are_not_threats(judge, text):
    verdict = judge(text)
    assert "true_threats" not in verdict.categories
    assert verdict.action not in (Action.HIDE, Action.REMOVE)


@pytest.mark.parametrize("text", POLITICAL[:2])
def test_the_guard_wins_over_a_promise_to_vote_an_official_out(judge, text):
    verdict = judge(text)
    assert verdict.protected and verdict.action is Action.NONE


@pytest.mark.parametrize("text", STILL_THREATS)
def test_violence_beside_a_lawful_consequence_is_still_a_threat(judge, text):
    verdict = judge(text)
    assert verdict.categories == ["true_threats"] and verdict.action is Action.REMOVE


def test_a_joke_marker_sends_a_threat_to_review_not_removal(judge):
    verdict = judge("lol I'm going to strangle the mayor")
    assert verdict.action is Action.REVIEW


def test_swearing_is_not_obscenity_but_explicit_sexual_solicitation_is(judge):
    sweary = judge("Fuck this shit, the potholes on 5th are a goddamn disgrace.")
    assert "obscenity" not in sweary.categories and sweary.protected
    crude = judge("The mayor can kiss my ass and so can the council.")
    assert "obscenity" not in crude.categories and crude.protected
    obscene = judge("Send me nudes baby, I'm horny and want to suck your cock tonight.")
    assert obscene.categories == ["obscenity"] and obscene.action is Action.REMOVE
    assert "Miller v. California" in obscene.findings[0].footing


def test_incitement_needs_a_call_to_imminent_lawless_action(judge):
    now = judge("Everyone meet at City Hall tonight at 8 and smash every window.")
    assert now.categories == ["incitement"] and now.action is Action.REMOVE
    someday = judge("We should all smash the windows at City Hall some day.")
    assert someday.action is Action.REVIEW  # advocacy with no time: a person decides
    lawful = judge("Let's all go to the council meeting tonight and demand answers!")
    assert "incitement" not in lawful.categories


def test_solicitation_of_a_crime_is_incitement(judge):
    paid = judge("I'll pay $100 to anyone who slashes the tires of the parking patrol cars.")
    assert "incitement" in paid.categories
    drugs = judge("Selling pills and weed behind the library, hit me up, cash only.")
    assert "incitement" in drugs.categories


def test_commercial_spam_is_hidden_but_a_link_alone_is_not_spam(judge):
    ad = judge("Potholes wrecked your rims? RimFix Pro, free estimate, 20% off, visit "
               "rimfixpro.biz or DM us today!")
    assert ad.categories == ["spam"] and ad.action is Action.HIDE
    news = judge("The Herald covered this last year: https://www.apnews.com/article/potholes")
    assert "spam" not in news.categories


def test_repetition_by_the_same_author_leaves_the_first_copy(judge):
    text = "Please add a crosswalk at 8th and Elm, kids cross there every morning."
    assert judge(text).categories == []
    again = judge(text, earlier=[text])
    assert again.categories == ["spam"] and again.action is Action.HIDE
    assert "first instance stays visible" in again.findings[0].explanation
    short = judge("Thank you!", earlier=["Thank you!"])
    assert short.categories == []  # a few words repeated is not spam


def test_off_topic_is_hidden_but_criticism_of_the_agency_never_is(judge):
    sports = judge("Go Seahawks! The playoffs start Sunday and we're winning it all.")
    assert sports.categories == ["off_topic"] and sports.action is Action.HIDE
    elsewhere = judge("Meanwhile the city still hasn't fixed the streetlights on my block. "
                      "Useless.")
    assert elsewhere.categories == [] and elsewhere.protected
    reaction = judge("Finally!")
    assert reaction.categories == []


def test_personal_information_of_others_but_not_the_commenters_own(judge):
    others = judge("The inspector who denied my permit is Karen Walsh, she lives at 1432 Pine "
                   "St NE and her cell is 206-555-0174.")
    assert others.categories == ["personal_information"] and others.action is Action.HIDE
    spans = [s.text for s in others.findings[0].spans]
    assert "1432 Pine St NE" in spans
    own = judge("There's a crater in front of my house at 1418 Birch St, call me at "
                "206-555-0143 if the crew needs access.")
    assert own.categories == []
    place = judge("The worst one is in front of 1200 Oak St near the hydrant.")
    assert place.categories == []
    public = judge("Call the Public Works non-emergency line at 425-555-0100.")
    assert public.categories == []
    ssn = judge("Her SSN is 078-05-1120, I saw it on the form.")
    assert ssn.categories == ["personal_information"]


def test_a_pasted_article_goes_to_review_a_short_quote_is_fine(judge):
    article = ("Full article since the Herald is paywalled:\n\nPOTHOLE CREWS FALL BEHIND\nBy "
               "Karen Doyle, Herald staff writer\n\nMILLBROOK — Crews have filled fewer than "
               "half of the potholes reported this year, according to city records. The "
               "public works director said in a statement that staffing shortages were to "
               "blame. Residents told reporters they had waited months. A spokesperson for "
               "the city declined to comment on when the backlog would be cleared.\n\n"
               "Copyright 2025 Millbrook Herald. All rights reserved.")
    pasted = judge(article)
    assert pasted.categories == ["copyright"]
    # the clause removes only when the owner objects, which the engine cannot see
    assert pasted.action is Action.REVIEW
    quote = judge("The Herald said crews filled 'fewer than half' of the potholes. Shameful.")
    assert "copyright" not in quote.categories


def test_an_ordinary_comment_has_no_finding(judge):
    verdict = judge("Will the closures affect the bus stop at 5th and Pine?")
    assert verdict.categories == [] and verdict.action is Action.NONE
    assert not verdict.protected
