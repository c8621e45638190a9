"""The state-action assessment (Lindke v. Freed), post by post, and the warning before a
block or a deletion."""

from __future__ import annotations

import pytest

from civicarchive.compliance.state_action import (Factor, Finding, Post, Restriction, assess,
                                                  restriction_warning)
from civicarchive.model.account import Classification
from civicarchive.policy import EXAMPLES, load_policy

POLICY = load_policy(EXAMPLES / "washington-local.yaml")
MAYOR = (POLICY.office("mayor"),)
COUNCIL = (POLICY.office("council_member"),)
PERSONAL = Classification.OFFICIAL_PERSONAL


def reasons(assessment) -> dict:
    return {r.factor: r for r in assessment.reasons}


def test_an_order_on_a_matter_of_the_offices_authority_is_likely_state_action():
    text = ("Just signed an emergency proclamation for the windstorm. The warming shelter "
            "opens at 6pm tonight.")
    found = assess(Post(text, PERSONAL, MAYOR))
    assert found.result is Finding.LIKELY_STATE_ACTION
    assert (found.office, found.matter) == (
        "mayor", "Emergencies in the city and the orders that carry them out")
    assert "mayor's emergency powers" in found.citation
    why = reasons(found)
    authority = why[Factor.AUTHORITY]
    assert authority.weight > 0 and "the Mayor may speak for the agency" in authority.explanation
    assert {s.text for s in authority.evidence} >= {"emergency", "proclamation", "shelter"}
    action = why[Factor.OFFICIAL_ACTION]
    assert [s.text for s in action.evidence] == ["Just signed"]
    assert text[action.evidence[0].start:action.evidence[0].end] == "Just signed"
    assert found.purports == (Factor.OFFICIAL_ACTION,)


def test_a_personal_post_is_likely_personal_and_says_why():
    found = assess(Post("Happy 10th birthday to my amazing daughter! Cake for breakfast.",
                        PERSONAL, MAYOR))
    assert found.result is Finding.LIKELY_PERSONAL
    assert found.office is None and found.purports == ()
    assert "touches no matter on which the policy lets the Mayor speak" in \
        reasons(found)[Factor.AUTHORITY].explanation


def test_a_disclaimer_is_a_factor_not_a_safe_harbour():
    ordered = assess(Post("Views are my own, but I have issued an executive order: all city "
                          "departments freeze hiring through June.", PERSONAL, MAYOR))
    assert ordered.result is Finding.LIKELY_STATE_ACTION
    disclaimer = reasons(ordered)[Factor.DISCLAIMER]
    assert disclaimer.weight < 0 and "not a safe harbour" in disclaimer.explanation
    assert disclaimer.evidence[0].text == "Views are my own"
    # a notice of the council's action under a disclaiming profile: left to a person
    reported = assess(Post("The council passed the tree canopy ordinance 6-1 tonight.",
                           PERSONAL, COUNCIL, profile="Personal page. Views are my own."))
    assert reported.result is Finding.UNCLEAR
    assert reasons(reported)[Factor.DISCLAIMER].weight == -1.0
    # the same without the profile's disclaimer
    assert assess(Post("The council passed the tree canopy ordinance 6-1 tonight.",
                       PERSONAL, COUNCIL)).result is Finding.LIKELY_STATE_ACTION


def test_commentary_within_the_authority_is_unclear_and_disclaimed_commentary_personal():
    comment = assess(Post("Our city council is rushing the budget. I'll keep saying it.",
                          PERSONAL, COUNCIL))
    assert comment.result is Finding.UNCLEAR and comment.purports == ()
    disclaimed = assess(Post("Speaking as a private citizen: the budget should cut "
                             "consultants.", PERSONAL, COUNCIL))
    assert disclaimed.result is Finding.LIKELY_PERSONAL


def test_acting_in_the_offices_name_outside_its_stated_authority_is_unclear():
    # a councilmember directing public works: the policy gives councilmembers no such
    # authority, but it may come from custom or usage
    found = assess(Post("If your storm drain is clogged again, DM me the address. I'll have "
                        "public works out there this week.", PERSONAL, COUNCIL))
    assert found.result is Finding.UNCLEAR
    assert reasons(found)[Factor.AGENCY_RESOURCES].evidence[0].text == \
        "I'll have public works"
    assert found.office is None


def test_no_person_or_no_office_on_record():
    text = "Executive order: city hall is closed Monday."
    unlinked = assess(Post(text, PERSONAL, (), author_known=False))
    assert "linked to no person" in reasons(unlinked)[Factor.AUTHORITY].explanation
    assert unlinked.result is Finding.UNCLEAR  # it acts officially: a person must look
    out_of_office = assess(Post("Tacos after the game!", PERSONAL, ()))
    assert "held no office on record" in reasons(out_of_office)[Factor.AUTHORITY].explanation
    assert out_of_office.result is Finding.LIKELY_PERSONAL


def test_campaign_content_weighs_toward_personal():
    found = assess(Post("Re-elect me! My campaign will keep fixing every pothole. Donate "
                        "today.", PERSONAL, MAYOR))
    assert reasons(found)[Factor.CAMPAIGN].weight < 0
    assert found.result is Finding.LIKELY_PERSONAL


def test_a_professional_account_invokes_the_office():
    text = "Office hours Saturday at the library: come talk about anything on the agenda."
    personal = assess(Post(text, PERSONAL, COUNCIL))
    professional = assess(Post(text, Classification.OFFICIAL_PROFESSIONAL, COUNCIL))
    assert personal.result is Finding.UNCLEAR
    assert professional.result is Finding.LIKELY_STATE_ACTION
    assert "professional account" in reasons(professional)[Factor.INVOKES_OFFICE].explanation
    agency = assess(Post("Happy Thanksgiving!", Classification.AGENCY))
    assert agency.result is Finding.LIKELY_STATE_ACTION


def test_an_official_notice_no_agency_post_carries_is_its_only_channel():
    text = "The Main Street detour starts Monday while we replace the sewer line."
    alone = assess(Post(text, PERSONAL, MAYOR, echoed_by_agency=False))
    assert "may be its only channel" in reasons(alone)[Factor.ONLY_CHANNEL].explanation
    echoed = assess(Post(text, PERSONAL, MAYOR, echoed_by_agency=True))
    assert Factor.ONLY_CHANNEL not in reasons(echoed)
    stated = assess(Post("Traffic alert: the bridge is closed. Updates posted here.",
                         PERSONAL, MAYOR))
    assert reasons(stated)[Factor.ONLY_CHANNEL].evidence[0].text == "Updates posted here"


def test_restriction_warning_suggests_hiding_instead():
    state = assess(Post("Just signed an emergency proclamation.", PERSONAL, MAYOR))
    block = restriction_warning(state, "block")
    assert block.suggestion is Restriction.HIDE and block.finding is Finding.LIKELY_STATE_ACTION
    assert "O'Connor-Ratcliff v. Garnier" in block.message
    assert "Davison v. Randall" in block.message and "Lindke v. Freed" in block.message
    unclear = assess(Post("Our city council is rushing the budget.", PERSONAL, COUNCIL))
    delete = restriction_warning(unclear, Restriction.DELETE)
    assert delete.finding is Finding.UNCLEAR and "instead of deleting" in delete.message
    assert delete.as_dict()["suggestion"] == "hide"
    assert restriction_warning(state, "hide") is None
    personal = assess(Post("Grandma's 90th!", PERSONAL, MAYOR))
    assert restriction_warning(personal, "block") is None
    with pytest.raises(ValueError):
        restriction_warning(state, "ban")
