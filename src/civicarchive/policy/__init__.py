"""The agency policy file: one YAML file drives retention, moderation categories,
registration, training and records-request deadlines, and renders the policy document.

    load_policy(path) -> Policy          check_policy(path) -> [PolicyProblem]
    series_for(policy, ...) -> [RecordSeries]
    assignment_report(policy, platforms) -> (overlaps, gaps)
    render(policy, DocumentFormat) -> bytes     diff_policies(old, new) -> str
    policy.requests.calendar -> Calendar  (.closure(day), .holidays(year))

Examples for Washington and Texas local governments are in `EXAMPLES`.
"""

from pathlib import Path

from civicarchive.policy.calendar import Calendar, Closed, Closure, Holiday
from civicarchive.policy.document import (DocumentFormat, diff_policies, render, render_html,
                                          render_markdown, render_pdf)
from civicarchive.policy.model import (AssignmentRule, Combination, DayCount, Deadline,
                                       DispositionAction, ModerationAction,
                                       ModerationCategory, Overlap, PersonalAccounts, Policy,
                                       Provision, RecordSeries, Retention, Trigger,
                                       assignment_report, series_for)
from civicarchive.policy.schema import (PolicyInvalid, PolicyProblem, Severity, check_policy,
                                        load_policy, parse_policy)

EXAMPLES = Path(__file__).parent / "examples"

__all__ = ["EXAMPLES", "AssignmentRule", "Calendar", "Closed", "Closure", "Combination",
           "DayCount", "Deadline", "DispositionAction", "DocumentFormat", "Holiday",
           "ModerationAction", "ModerationCategory", "Overlap", "PersonalAccounts", "Policy",
           "PolicyInvalid", "PolicyProblem", "Provision", "RecordSeries", "Retention",
           "Severity", "Trigger", "assignment_report", "check_policy", "diff_policies",
           "load_policy", "parse_policy", "render", "render_html", "render_markdown",
           "render_pdf", "series_for"]
