"""Public business on officials' personal accounts: terms, office authority, official
capacity and similarity to the agency's own posts (TF-IDF here; embeddings when the
extra is installed)."""

from __future__ import annotations

from civicarchive.compliance.public_business import THRESHOLD, PublicBusiness
from civicarchive.compliance.terms import find_terms
from civicarchive.policy import EXAMPLES, load_policy

POLICY = load_policy(EXAMPLES / "washington-local.yaml")
TERMS = ("city council", "budget", "utility rates", "permit", "water main", "levy")


def kinds(finding) -> dict:
    return {p.kind: p for p in finding.parts}


def test_terms_match_whole_words_either_number_and_the_longest_phrase():
    text = "The City-Council budgets; a utility rate study; permitted uses; the Levy."
    found = find_terms(text, ("city council", "council", "budget", "utility rates", "permit",
                              "levy"))
    assert {term: span.text for term, span in found.items()} == {
        "city council": "City-Council", "budget": "budgets", "utility rates": "utility rate",
        "levy": "Levy"}  # "council" only inside "city council"; "permitted" is another word
    assert text[found["levy"].start:found["levy"].end] == "Levy"


def test_one_word_is_not_enough_two_terms_or_a_phrase_are():
    classify = PublicBusiness(TERMS).classify
    assert not classify("The budget for my daughter's wedding is out of control.").public_business
    two = classify("The city council meets on the budget tonight.")
    assert two.public_business and two.score >= THRESHOLD
    assert [p.explanation for p in two.parts] == ["uses the agency term 'city council'",
                                                  "uses the agency term 'budget'"]
    assert classify("Water main break on Cedar St, crews on site.").public_business


def test_official_capacity_and_office_authority_count():
    classify = PublicBusiness(TERMS).classify
    text = "As your mayor, I have directed public works to fix it."
    plain = classify(text)
    assert kinds(plain)["official capacity"].evidence[0].text in ("As your mayor",
                                                                 "I have directed")
    with_office = classify("I've asked our crews to clear the detour by Friday.",
                           [POLICY.office("mayor")])
    parts = kinds(with_office)
    assert "on which the Mayor speaks for the agency" in parts["office authority"].explanation
    assert parts["office authority"].evidence[0].text == "detour"
    assert with_office.public_business


def test_campaign_material_is_not_the_agencys_business():
    found = PublicBusiness(TERMS).classify(
        "Re-elect me to the city council! Donate today. Paid for by Friends of Jane.")
    assert kinds(found)["campaign"].points < 0 and not found.public_business


def test_the_agency_named():
    found = PublicBusiness((), agency="City of Example").classify(
        "The city's arts commission did an amazing job.")
    assert kinds(found)["agency named"].evidence[0].text == "The city's"
    assert PublicBusiness((), agency="Example Port District").classify(
        "Our district is growing").parts[0].kind == "agency named"


def test_similar_wording_to_an_agency_post_counts_lexically():
    agency = ["Road closure: Pine Street is closed through Friday for paving; follow the "
              "detour signs.", "Library hours change this month."]
    classifier = PublicBusiness((), agency)
    assert not classifier.by_embeddings
    near = classifier.classify("Heads up: Pine Street closed for paving, use the detour.")
    part = kinds(near)["similar to agency post"]
    assert near.nearest_agency_post == 0 and near.similarity >= 0.4
    assert "close in wording to the agency's own post 1" in part.explanation
    # one shared word is chance, not similarity
    far = classifier.classify("Paving my driveway this weekend.")
    assert far.similarity == 0.0 and "similar to agency post" not in kinds(far)


def test_classify_many_keeps_the_order_and_each_posts_offices():
    classifier = PublicBusiness(TERMS)
    found = classifier.classify_many(
        ["Birthday cake!", "The officers arrested a suspect after the crash on 5th."],
        [(), (POLICY.office("police_chief"),)])
    assert [f.public_business for f in found] == [False, True]
    assert found[1].as_dict()["parts"][0]["kind"] == "office authority"
