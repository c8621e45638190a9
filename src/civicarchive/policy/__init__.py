"""The agency policy file: one YAML file drives retention, moderation categories,
registration, training and records-request deadlines, and renders the policy document.

    load_policy(path) -> Policy          check_policy(path) -> [PolicyProblem]
    series_for(policy, ...) -> [RecordSeries]
    assignment_report(policy, platforms) -> (overlaps, gaps)
    render(policy, DocumentFormat[, Audience]) -> bytes     diff_policies(old, new) -> str
    guide_sha256(policy) -> str  (the officials' guide's version)
    policy.requests.calendar -> Calendar  (.closure(day), .holidays(year))

Examples for Washington and Texas local governments are in `EXAMPLES`.
"""

from importlib import import_module
from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"

# Where each name lives. They load on first use: the schema (pydantic, YAML) and the
# document renderer cost more to import than a short command takes to run.
_HOMES = {
    "calendar": ("Calendar", "Closed", "Closure", "Holiday"),
    "document": ("Audience", "DocumentFormat", "diff_policies", "render", "render_html", "render_markdown",
                 "render_pdf"),
    "guide": ("guide_sha256", "render_guide_html", "render_guide_markdown"),
    "model": ("AssignmentRule", "Authority", "Combination", "DayCount", "Deadline", "DispositionAction",
              "ModerationAction", "ModerationCategory", "Office", "Overlap", "PersonalAccounts",
              "Policy", "Provision", "RecordSeries", "Retention", "Trigger",
              "assignment_report", "series_for"),
    "schema": ("PolicyInvalid", "PolicyProblem", "Severity", "check_policy", "load_policy",
               "parse_policy"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["EXAMPLES", *sorted(_HOME_OF)]


def __getattr__(name: str) -> object:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'civicarchive.policy' has no attribute {name!r}")
    value = getattr(import_module(f"civicarchive.policy.{module}"), name)
    globals()[name] = value
    return value
