"""The guide for officials rendered from the policy file, its three formats and its hash."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import re

import pypdf
import pytest
from click.testing import CliRunner

from civicarchive.cli import main
from civicarchive.policy import (EXAMPLES, Audience, guide_sha256, load_policy, render,
                                 render_guide_html, render_guide_markdown)

from .test_document import words

WASHINGTON = EXAMPLES / "washington-local.yaml"
TEXAS = EXAMPLES / "texas-local.yaml"


@pytest.fixture(scope="module", params=[WASHINGTON, TEXAS], ids=["WA", "TX"])
def policy(request):
    return load_policy(request.param)


def test_guide_explains_lindke_blocking_deleting_and_whom_to_ask(policy):
    md = render_guide_markdown(policy)
    assert re.findall(r"^## \d\. (.+)$", md, flags=re.M) == [
        "Your accounts", "When a post is a public record",
        "When your post is the government speaking", "Comments and blocking",
        "Before you delete anything", "Whom to ask"]
    text = words(md)
    assert "Lindke v. Freed, 601 U.S. 187 (2024)" in text
    assert "actual authority" in text and "post by post" in text
    assert "O'Connor-Ratcliff v. Garnier" in text and "Davison v. Randall" in text
    assert "a factor, not a safe harbour" in text
    assert "legal hold" in text and "retention period" in text
    assert text.count(policy.records_officer) >= 4
    for office in policy.offices:
        row = next(line for line in md.splitlines() if line.startswith(f"| {office.title} |"))
        assert all(a.matter in row and a.citation in row for a in office.authority)
    for category in policy.moderation:
        assert category.name.lower() in text


def test_guide_states_each_states_law_with_its_citation():
    wa = words(render_guide_markdown(load_policy(WASHINGTON)))
    assert "in an official capacity" in wa and "(West v. City of Puyallup)" in wa
    assert "GS50-01-12" in wa and "temporary custodian" not in wa
    tx = words(render_guide_markdown(load_policy(TEXAS)))
    assert "temporary custodian" in tx and "552.003(7)" in tx and "552.233" in tx
    assert "To confirm: The exact trigger of the 10-day period" in tx
    assert "GR1000-26a" in tx and "separate professional account" in tx


def test_guide_says_when_an_office_has_no_authority(policy):
    silent = dataclasses.replace(policy, offices=(
        dataclasses.replace(policy.offices[0], authority=()),))
    md = render_guide_markdown(silent)
    assert f"| {policy.offices[0].title} | nothing on its own" in md
    assert "does not yet state" in render_guide_markdown(
        dataclasses.replace(policy, offices=()))


def test_guide_hash_is_the_markdowns_and_follows_the_policy(policy):
    md = render_guide_markdown(policy)
    assert guide_sha256(policy) == hashlib.sha256(md.encode()).hexdigest()
    assert guide_sha256(load_policy(WASHINGTON if policy.jurisdiction == "WA" else TEXAS)) \
        == guide_sha256(policy)  # the same policy, the same guide: no date in it
    renamed = dataclasses.replace(policy, records_officer="City Clerk")
    assert guide_sha256(renamed) != guide_sha256(policy)


def test_guide_renders_in_three_formats_and_fits_two_pages(policy):
    md = render(policy, "md", Audience.OFFICIALS)
    assert md.decode() == render_guide_markdown(policy)
    page = render(policy, "html", "officials").decode()
    assert page == render_guide_html(policy) and "<script" not in page
    assert f"<h1>{html.escape(policy.agency)}: Social Media Guide for Officials</h1>" in page
    assert "<th>May speak for the agency on</th>" in page
    pdf = render(policy, "pdf", "officials")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Social Media Guide for Officials" in text and "Davison v. Randall" in text
    # the policy document is still the default audience
    assert render(policy, "md").decode().startswith(f"# {policy.agency}: Social Media Policy")


def test_policy_render_officials_cli_writes_the_guide_and_prints_its_hash(tmp_path):
    out = tmp_path / "guide.md"
    result = CliRunner().invoke(main, ["policy", "render", str(TEXAS), "--audience",
                                       "officials", "-o", str(out)])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest in result.output and digest == guide_sha256(load_policy(TEXAS))
    assert out.read_text().startswith("# City of Example: Social Media Guide for Officials")
