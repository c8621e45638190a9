"""Loading and checking policy files: every problem is reported, at its line and column."""

from __future__ import annotations

import pytest

from civicarchive.errors import InvalidInput
from civicarchive.model.account import Classification
from civicarchive.policy import (EXAMPLES, DispositionAction, PersonalAccounts, PolicyInvalid,
                                 Severity, Trigger, check_policy, load_policy)

from .conftest import BASE, edited, line_of


@pytest.mark.parametrize("name", ["washington-local.yaml", "texas-local.yaml"])
def test_policy_examples_load_and_check_clean(name):
    path = EXAMPLES / name
    assert check_policy(path) == []
    policy = load_policy(path)
    assert policy.series and policy.assignment and len(policy.moderation) == 7
    assert {c.key for c in policy.moderation} >= {"obscenity", "true_threats", "incitement",
                                                  "off_topic", "spam", "copyright",
                                                  "personal_information"}


def test_policy_washington_example_carries_the_law_facts():
    policy = load_policy(EXAMPLES / "washington-local.yaml")
    by_code = {s.code: s for s in policy.series}
    assert by_code["GS50-01-12"].disposition is DispositionAction.TRANSFER_TO_STATE_ARCHIVES
    assert by_code["GS2010-001"].disposition is DispositionAction.DESTROY
    assert by_code["GS50-01-12"].retention.years == 2
    assert by_code["GS50-01-12"].trigger is Trigger.EVENT
    assert policy.personal_accounts.approach is PersonalAccounts.REGISTERED_AND_ARCHIVED
    first = policy.requests.deadlines[0]
    assert (first.days, first.count.value, first.citation) == (5, "business", "RCW 42.56.520")
    assert {e.citation for e in policy.requests.exemptions} == {
        "RCW 42.56.230", "RCW 42.56.050", "RCW 42.56.070(1)"}
    assert policy.requests.redaction.citation == "RCW 42.56.210"


def test_policy_texas_example_keeps_the_uncertain_custodian_rule_uncertain():
    policy = load_policy(EXAMPLES / "texas-local.yaml")
    assert {s.code: s.retention.years for s in policy.series} == {"GR1000-26a": 4,
                                                                  "GR1000-26b": 2}
    surrender = [d for d in policy.personal_accounts.duties if "552.233" in d.citation]
    assert surrender and all(d.uncertain for d in surrender)
    deadlines = {d.citation: d for d in policy.requests.deadlines}
    assert deadlines["Gov't Code 552.301(b)"].days == 10
    assert deadlines["Gov't Code 552.233"].uncertain
    assert any(d.days == 15 for d in policy.requests.deadlines)
    assert {e.citation for e in policy.requests.exemptions} == {
        "Gov't Code 552.101", "Gov't Code 552.117", "Gov't Code 552.137"}


@pytest.mark.parametrize("name", ["washington-local.yaml", "texas-local.yaml"])
def test_policy_examples_say_they_are_not_legal_advice(name):
    header = (EXAMPLES / name).read_text().split("\nagency:")[0]
    assert "NOT legal advice" in header and "Uncertain" in header
    # The calendar comes from the holidays package, for the example's own state.
    policy = load_policy(EXAMPLES / name)
    calendar = policy.requests.calendar
    assert (calendar.country, calendar.subdivision) == ("US", policy.jurisdiction)
    assert calendar.additions == () and "calendar" in header


def test_policy_base_fixture_is_clean(write):
    assert check_policy(write(BASE)) == []
    policy = load_policy(write(BASE))
    assert policy.registration.required_for == frozenset({Classification.AGENCY})


# (edit to BASE, text on the line the problem must point at, part of the message);
# a fragment starting with "^" means the line above it (the start of that list item).
PROBLEMS = {
    "unknown top-level key": (("disposition:\n", "colour: blue\ndisposition:\n"),
                              "colour: blue", "unknown key 'colour'"),
    "unknown nested key": (("    trigger: account_closed\n",
                            "    trigger: account_closed\n    keep: forever\n"),
                           "keep: forever", "unknown key 'keep'"),
    "wrong type": (("{years: 2}", "{years: two}"), "{years: two}", "whole number"),
    "negative retention": (("{years: 2}", "{years: -1}"), "{years: -1}", "cannot be negative"),
    # A period past any date the archive can reach would pass here and crash later.
    "retention beyond the calendar": (("{years: 2}", "{years: 100000}"), "{years: 100000}",
                                      "years must be 1000 or less, not 100000"),
    "deadline beyond the calendar": (("business_days: 5", "business_days: 5000000"),
                                     "business_days: 5000000",
                                     "business_days must be 3660 or less, not 5000000"),
    "unknown enum value": (("disposition: destroy", "disposition: shred"), "shred",
                           "use one of 'destroy' or 'transfer_to_state_archives'"),
    "unknown series referenced": (("  - series: S2", "  - series: S3"), "series: S3",
                                  "series 'S3' is not defined"),
    "duplicate series code": (("  - code: S2", "  - code: S1"), "^title: Series two",
                              "series code 'S1' is already used on line 5"),
    "wrong type of boolean": (("acknowledgement_required: false",
                               "acknowledgement_required: maybe"), "maybe", "true or false"),
    "duplicate key": (("  two_person_approval: false\n",
                       "  two_person_approval: false\n  two_person_approval: true\n"),
                      "two_person_approval: true", "already given on line"),
    "deadline without days": (("      business_days: 5\n", ""), "- name: First response",
                              "no time limit"),
    "event trigger without event": (("trigger: created", "trigger: event"), "trigger: event",
                                    "needs the event's name"),
    "high-risk category": (("  - key: spam", "  - key: offensive"), "key: offensive",
                           "high risk"),
    "assignment gap": (("  - series: S2\n    classifications: [employee]\n", ""),
                       "assignment:", "records of employee accounts match no series"),
    "assignment overlap": (("    classifications: [employee]\n",
                            "    classifications: [employee]\n  - series: S2\n"
                            "    platforms: [facebook]\n"),
                           "^platforms: [facebook]", "more than one series (S1 and S2)"),
}


@pytest.mark.parametrize("case", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_policy_problem_is_reported_at_its_line(write, case):
    (old, new), fragment, message = case
    text = edited(old, new)
    path = write(text)
    problems = check_policy(path)
    matching = [p for p in problems if message in p.message]
    assert matching, [str(p) for p in problems]
    expected = (line_of(text, fragment[1:]) - 1 if fragment.startswith("^")
                else line_of(text, fragment))
    assert matching[0].line == expected, str(matching[0])
    assert str(matching[0]).startswith(f"{path}:{expected}:{matching[0].column}: ")
    assert matching[0].severity is Severity.ERROR
    with pytest.raises(InvalidInput, match="problem"):
        load_policy(path)


def test_policy_unknown_key_names_the_allowed_keys_and_column(write):
    text = edited("    trigger: account_closed\n", "    trigger: account_closed\n    kep: 1\n")
    [problem] = check_policy(write(text))
    assert (problem.line, problem.column) == (line_of(text, "kep: 1"), 5)
    assert "allowed here: code, title, citation, retention" in problem.message


def test_policy_every_problem_is_reported_at_once(write):
    text = edited("{years: 2}", "{years: -2}",
                  edited("disposition: destroy", "disposition: shred",
                         edited("disposition:\n", "colour: blue\ndisposition:\n")))
    path = write(text)
    problems = check_policy(path)
    assert len(problems) == 3
    with pytest.raises(PolicyInvalid) as raised:
        load_policy(path)
    assert raised.value.problems == problems
    for problem in problems:
        assert str(problem) in str(raised.value)
    assert "civicarchive policy check" in str(raised.value)


def test_policy_missing_key_points_at_the_mapping(write):
    text = edited("records_officer: Clerk\n", "")
    [problem] = check_policy(write(text))
    assert problem.line == 1 and "missing key 'records_officer'" in problem.message


def test_policy_yaml_syntax_error_is_a_located_problem(write):
    text = edited("  - key: spam\n", "  - key: [spam\n")
    problems = check_policy(write(text))
    assert len(problems) == 1 and "not valid YAML" in problems[0].message
    assert problems[0].line >= line_of(text, "key: [spam")


def test_policy_empty_file_and_missing_file(write, tmp_path):
    [problem] = check_policy(write(""))
    assert "empty" in problem.message
    with pytest.raises(InvalidInput, match="no policy file"):
        load_policy(tmp_path / "absent.yaml")


def test_policy_unassigned_series_is_a_warning_that_does_not_stop_loading(write):
    text = edited("  - series: S2\n    classifications: [employee]\n",
                  "  - series: S1\n    classifications: [employee]\n")
    [problem] = check_policy(write(text))
    assert problem.severity is Severity.WARNING and "series 'S2'" in problem.message
    assert problem.line == line_of(text, "code: S2")
    assert "warning:" in str(problem)
    assert load_policy(write(text)).series[1].code == "S2"


def test_policy_rule_naming_other_or_an_empty_list_is_an_error(write):
    text = edited("    classifications: [employee]\n",
                  "    classifications: [employee]\n    platforms: [x, other]\n    kinds: []\n")
    messages = {p.line: p.message for p in check_policy(write(text))}
    assert "stands for every platform" in messages[line_of(text, "platforms: [x, other]")]
    assert "empty kinds list" in messages[line_of(text, "kinds: []")]


@pytest.mark.parametrize("text", ["&a [*a]\n", "agency: \x07bell\n",
                                  "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
                                      f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
                                      for p, n in zip("abcde", "bcdef"))])
def test_policy_hostile_yaml_is_a_problem_not_a_crash(write, text):
    problems = check_policy(write(text))
    assert problems and all(p.line >= 1 for p in problems)
    with pytest.raises(PolicyInvalid):
        load_policy(write(text))


OFFICES = """\
offices:
  - key: mayor
    title: Mayor
    authority:
      - matter: Emergencies
        terms: [emergency, curfew]
        citation: City Charter (example)
  - key: council_member
    title: Councilmember
    authority: []
"""


def test_policy_offices_load_with_their_authority(write):
    policy = load_policy(write(BASE + OFFICES))
    mayor = policy.office("mayor")
    assert mayor.title == "Mayor"
    [authority] = mayor.authority
    assert (authority.matter, authority.terms, authority.citation) == (
        "Emergencies", ("emergency", "curfew"), "City Charter (example)")
    assert policy.office("council_member").authority == ()
    with pytest.raises(InvalidInput, match="no office 'clerk' \\(offices: mayor, "
                                           "council_member\\)"):
        policy.office("clerk")
    assert load_policy(write(BASE)).offices == ()


@pytest.mark.parametrize("old, new, fragment, message", [
    ("  - key: council_member", "  - key: mayor", "^title: Councilmember",
     "office 'mayor' is already defined on line 44"),
    ("        terms: [emergency, curfew]\n", "", "- matter: Emergencies",
     "missing key 'terms'"),
    ("        terms: [emergency, curfew]", "        terms: []", "terms: []",
     "at least one"),
    ("        citation: City Charter (example)\n", "", "- matter: Emergencies",
     "missing key 'citation'"),
])
def test_policy_office_problems_are_located(write, old, new, fragment, message):
    text = BASE + edited(old, new, OFFICES)
    problems = check_policy(write(text))
    matching = [p for p in problems if message in p.message]
    assert matching, [str(p) for p in problems]
    expected = (line_of(text, fragment[1:]) - 1 if fragment.startswith("^")
                else line_of(text, fragment))
    assert matching[0].line == expected and matching[0].severity is Severity.ERROR


def test_policy_a_term_listed_twice_is_a_warning(write):
    text = edited("  approach: never_for_business\n",
                  "  approach: never_for_business\n  agency_terms: [Budget, zoning, budget]\n")
    text += edited("[emergency, curfew]", "[emergency, curfew, Emergency]", OFFICES)
    problems = check_policy(write(text))
    assert [p.message for p in problems] == [
        "'budget' is listed twice (first on line "
        f"{line_of(text, 'agency_terms')}): remove one",
        f"'Emergency' is listed twice (first on line {line_of(text, 'terms: [emergency')}): "
        "remove one"]
    assert all(p.severity is Severity.WARNING for p in problems)
    assert load_policy(write(text)).personal_accounts.agency_terms == ("Budget", "zoning",
                                                                       "budget")


def test_policy_examples_state_offices_with_example_citations():
    for name in ("washington-local.yaml", "texas-local.yaml"):
        policy = load_policy(EXAMPLES / name)
        assert {o.key for o in policy.offices} == {"mayor", "council_member", "police_chief"}
        citations = [a.citation for o in policy.offices for a in o.authority]
        assert citations and all("(example: replace" in c for c in citations)
        assert "budget" in policy.personal_accounts.agency_terms
