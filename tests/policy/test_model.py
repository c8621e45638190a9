"""Which series a record falls in, and the gaps and overlaps of a policy's assignment."""

from __future__ import annotations

import dataclasses

import pytest

from civicarchive.errors import InvalidInput
from civicarchive.model.account import Classification
from civicarchive.model.record import Kind
from civicarchive.policy import (EXAMPLES, AssignmentRule, Combination, Retention,
                                 assignment_report, check_policy, load_policy, series_for)

from .conftest import BASE, edited


@pytest.fixture(scope="module")
def washington():
    return load_policy(EXAMPLES / "washington-local.yaml")


@pytest.fixture(scope="module")
def texas():
    return load_policy(EXAMPLES / "texas-local.yaml")


@pytest.mark.parametrize(("classification", "platform", "kind", "code"), [
    ("agency", "facebook", "comment", "GS50-01-12"),
    ("official_personal", "x", "post", "GS50-01-12"),
    (Classification.OFFICIAL_PROFESSIONAL, "bluesky", Kind.MESSAGE, "GS50-01-12"),
    ("employee", "instagram", "media", "GS2010-001"),
    ("employee", "tiktok", "profile", "GS2010-001"),
])
def test_series_for_washington_picks_one_series(washington, classification, platform, kind,
                                                code):
    assert [s.code for s in series_for(washington, classification, platform, kind)] == [code]


@pytest.mark.parametrize(("classification", "code"), [
    ("agency", "GR1000-26a"), ("official_professional", "GR1000-26a"),
    ("official_personal", "GR1000-26a"), ("employee", "GR1000-26b")])
def test_series_for_texas_picks_by_classification(texas, classification, code):
    assert [s.code for s in series_for(texas, classification, "mastodon", "reply")] == [code]


def ruled(policy, *rules):
    return dataclasses.replace(policy, assignment=tuple(rules))


def test_series_for_matches_every_given_set(washington):
    policy = ruled(washington,
                   AssignmentRule("GS50-01-12", frozenset({Classification.AGENCY}),
                                  kinds=frozenset({Kind.POST})),
                   AssignmentRule("GS2010-001", frozenset({Classification.AGENCY}),
                                  frozenset({"facebook"}), frozenset({Kind.COMMENT, Kind.REPLY})),
                   AssignmentRule("GS2010-001", tags=frozenset({"routine"})))
    codes = lambda *args, **kw: [s.code for s in series_for(policy, *args, **kw)]  # noqa: E731
    assert codes("agency", "facebook", "comment") == ["GS2010-001"]
    assert codes("agency", "Facebook", "reply") == ["GS2010-001"]  # platform case ignored
    assert codes("agency", "x", "comment") == []  # platform not in the rule's set
    assert codes("employee", "facebook", "comment") == []  # classification not in the set
    assert codes("agency", "x", "post") == ["GS50-01-12"]
    # a matching rule that names a tag is more specific: the general rules step aside
    assert codes("agency", "x", "post", tags={"routine", "other"}) == ["GS2010-001"]
    assert codes("agency", "facebook", "reply", tags={"routine"}) == ["GS2010-001"]


def test_series_for_unknown_values_are_invalid_input(washington):
    with pytest.raises(InvalidInput, match="mayor"):
        series_for(washington, "mayor", "x", "post")
    broken = ruled(washington, AssignmentRule("NOPE"))
    with pytest.raises(InvalidInput, match="NOPE"):
        series_for(broken, "agency", "x", "post")


@pytest.mark.parametrize("name", ["washington-local.yaml", "texas-local.yaml"])
def test_assignment_report_examples_have_no_gap_or_overlap(name):
    policy = load_policy(EXAMPLES / name)
    assert assignment_report(policy, ["facebook", "x", "youtube"]) == ((), ())


def test_assignment_report_finds_gap_and_overlap_in_a_written_policy(write):
    # the file is written as a records officer would, then checked and examined
    text = edited("    classifications: [employee]\n",
                  "    classifications: [employee]\n    platforms: [facebook]\n"
                  "  - series: S1\n    classifications: [employee, agency]\n"
                  "    kinds: [message]\n")
    path = write(text)
    messages = " ".join(problem.message for problem in check_policy(path))
    assert "records of employee accounts match no series" in messages
    assert "more than one series (S2 and S1)" in messages
    base = load_policy(write(BASE, "base.yaml"))
    policy = ruled(base, AssignmentRule("S1", frozenset({Classification.AGENCY,
                                                         Classification.OFFICIAL_PROFESSIONAL,
                                                         Classification.OFFICIAL_PERSONAL})),
                   AssignmentRule("S2", frozenset({Classification.EMPLOYEE}),
                                  frozenset({"facebook"})),
                   AssignmentRule("S1", frozenset({Classification.EMPLOYEE,
                                                   Classification.AGENCY}),
                                  kinds=frozenset({Kind.MESSAGE})))
    overlaps, gaps = assignment_report(policy)
    assert [(str(o.combination), o.series, o.rules) for o in overlaps] == [
        ("employee/facebook/message", ("S2", "S1"), (1, 2))]
    employee = Classification.EMPLOYEE
    assert set(gaps) == {Combination(employee, "other", kind) for kind in Kind
                         if kind is not Kind.MESSAGE}


def test_assignment_report_enumerates_given_platforms_and_other(texas):
    policy = ruled(texas, AssignmentRule("GR1000-26a", platforms=frozenset({"facebook"})))
    overlaps, gaps = assignment_report(policy, ["youtube"])
    assert overlaps == ()
    assert {g.platform for g in gaps} == {"youtube", "other"}
    assert len(gaps) == 2 * len(Classification) * len(Kind)


def test_assignment_report_same_series_twice_is_no_overlap_but_tag_rules_can_overlap(texas):
    policy = ruled(texas, AssignmentRule("GR1000-26a"),
                   AssignmentRule("GR1000-26a", platforms=frozenset({"x"})),
                   AssignmentRule("GR1000-26b", tags=frozenset({"routine"})))
    assert assignment_report(policy) == ((), ())  # the tag rule wins over the general ones
    policy = ruled(texas, AssignmentRule("GR1000-26a"),
                   AssignmentRule("GR1000-26b", tags=frozenset({"routine"})),
                   AssignmentRule("GR1000-26a", platforms=frozenset({"x"}),
                                  tags=frozenset({"routine"})))
    overlaps, gaps = assignment_report(policy)
    assert gaps == ()
    assert overlaps and all(o.combination.tags == {"routine"} for o in overlaps)
    assert {o.combination.platform for o in overlaps} == {"x"}
    assert {o.series for o in overlaps} == {("GR1000-26b", "GR1000-26a")}


def test_policy_values_are_frozen(washington):
    with pytest.raises(dataclasses.FrozenInstanceError):
        washington.agency = "Somewhere else"
    assert str(Retention(1, 6)) == "1 year 6 months"
    assert str(Retention(days=30)) == "30 days"


def test_a_tag_rule_takes_precedence_over_the_general_rule():
    from civicarchive.model.account import Classification
    from civicarchive.model.record import Kind
    from civicarchive.policy.model import AssignmentRule, rules_report
    rules = (AssignmentRule("GENERAL", classifications=frozenset(Classification)),
             AssignmentRule("COUNCIL", classifications=frozenset(
                 {Classification.OFFICIAL_PERSONAL}), tags=frozenset({"council"})))
    from civicarchive.policy.model import matching_rules
    assert matching_rules(rules, "official_personal", "x", "post", ["council"]) == (1,)
    assert matching_rules(rules, "official_personal", "x", "post", []) == (0,)
    assert matching_rules(rules, "agency", "x", Kind.POST, ["council"]) == (0,)
    overlaps, gaps = rules_report(rules)
    assert overlaps == () and gaps == ()
