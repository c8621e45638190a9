"""A small valid policy file the policy tests edit, and helpers to find lines in it."""

from __future__ import annotations

from pathlib import Path

import pytest

BASE = """\
agency: City of Test
jurisdiction: WA
records_officer: Clerk
series:
  - code: S1
    title: Series one
    citation: Schedule 1
    retention: {years: 2}
    trigger: created
    disposition: destroy
  - code: S2
    title: Series two
    citation: Schedule 2
    retention: {years: 4, months: 6}
    trigger: account_closed
    disposition: transfer_to_state_archives
assignment:
  - series: S1
    classifications: [agency, official_professional, official_personal]
  - series: S2
    classifications: [employee]
moderation:
  - key: spam
    name: Spam
    clause: Commercial advertising may be hidden.
    action: hide
    footing: A neutral rule.
registration:
  required_for: [agency]
  acknowledgement_required: false
training:
  required: false
requests:
  deadlines:
    - name: First response
      business_days: 5
      citation: Statute 1
  after_hours_next_business_day: true
personal_accounts:
  approach: never_for_business
disposition:
  two_person_approval: false
"""


def line_of(text: str, fragment: str) -> int:
    """1-based number of the first line of `text` that contains `fragment`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} is not in the text")


def edited(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the base policy"
    return text.replace(old, new)


@pytest.fixture
def write(tmp_path: Path):
    """write(text, name="policy.yaml") -> the path of a file holding `text`."""
    def writer(text: str, name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return writer
