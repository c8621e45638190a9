"""The rendered policy document (Markdown, HTML, PDF) and the diff of two policies."""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import io
import re
import socket

import pytest

from civicarchive.policy import (EXAMPLES, DocumentFormat, PersonalAccounts, PolicyInvalid,
                                 diff_policies, load_policy, render, render_html,
                                 render_markdown, render_pdf)
from civicarchive.policy.document import APPROACH, BLOCKING, KEPT, VIEWPOINT

EXAMPLE_NAMES = ["washington-local.yaml", "texas-local.yaml"]


def words(text: str) -> str:
    """Text with Markdown backslash escapes removed and whitespace collapsed."""
    return " ".join(re.sub(r"\\(.)", r"\1", text).split())


@pytest.fixture(scope="module", params=EXAMPLE_NAMES)
def policy(request):
    return load_policy(EXAMPLES / request.param)


def test_document_markdown_has_sections_series_rows_and_every_clause(policy):
    md = render_markdown(policy)
    titles = re.findall(r"^## \d\. (.+)$", md, flags=re.M)
    assert titles == ["Purpose", "Employee and official use", "Public records and retention",
                      "Comment moderation", "Profile registration",
                      "Training and acknowledgement", "Public records requests"]
    for series in policy.series:
        assert f"| {series.code} | {series.title} | {series.retention} |" in md
        assert series.citation in md
    text = words(md)
    for category in policy.moderation:
        assert " ".join(category.clause.split()) in text
        assert category.footing in text
    for statement in (VIEWPOINT, BLOCKING, KEPT):
        assert statement in text
    for deadline in policy.requests.deadlines:
        assert f"| {deadline.citation} |" in md and str(deadline) in md


def test_document_html_has_series_rows_and_every_clause(policy):
    page = render_html(policy)
    for series in policy.series:
        assert (f"<tr><td>{html.escape(series.code)}</td><td>{html.escape(series.title)}</td>"
                f"<td>{series.retention}</td>") in page
    for category in policy.moderation:
        assert html.escape(" ".join(category.clause.split())) in page
    assert f"<p>{html.escape(VIEWPOINT)}</p>" in page
    assert "<style>" in page and "<script" not in page


def test_document_washington_names_its_approach_and_deadline():
    md = words(render_markdown(load_policy(EXAMPLES / "washington-local.yaml")))
    assert "only after registering that account under this policy" in md
    assert "| First response" in md and "5 business days | RCW 42.56.520 |" in md
    assert "(RCW 1.12.040; RCW 1.16.050)" in md and "temporary custodian" not in md


def test_document_texas_mentions_the_temporary_custodian_duty():
    policy = load_policy(EXAMPLES / "texas-local.yaml")
    for text in (words(render_markdown(policy)), html.unescape(render_html(policy))):
        assert "is a temporary custodian of it and must forward it" in text
        assert "552.003(7)" in text and "552.233" in text
        assert "To confirm: The exact trigger of the 10-day period" in text
        assert "separate professional account" in text


@pytest.mark.parametrize("approach", list(PersonalAccounts))
def test_document_explains_each_personal_account_approach(policy, approach):
    changed = dataclasses.replace(policy, personal_accounts=dataclasses.replace(
        policy.personal_accounts, approach=approach))
    expected = APPROACH[approach].format(officer=policy.records_officer)
    assert expected in words(render_markdown(changed))


def test_document_escapes_markup_in_the_policy_file(write):
    source = (EXAMPLES / "washington-local.yaml").read_text()
    evil = '<script>alert("x")</script> & Co | *bold*'
    source = source.replace("agency: City of Example", f"agency: '{evil}'")
    policy = load_policy(write(source))
    page = render_html(policy)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&amp; Co" in page
    md = render_markdown(policy)
    assert "<script>" not in md and r"\<script\>" in md and r"\| \*bold\*" in md
    assert words(md).count(evil) >= 3


def test_document_pdf_is_a_pdf_holding_the_policy(policy, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("rendering the policy must not touch the network")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    pdf = render_pdf(policy)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    assert render(policy, DocumentFormat.PDF)[:5] == b"%PDF-"
    if importlib.util.find_spec("pypdf"):  # not a dependency: used only when present
        import pypdf
        text = words(" ".join(page.extract_text() for page in
                              pypdf.PdfReader(io.BytesIO(pdf)).pages))
        assert "Viewpoint is never a reason" in text
        assert all(series.code in text for series in policy.series)
    else:  # the PDF is WeasyPrint's rendering of this HTML: check the HTML holds the texts
        page = html.unescape(render_html(policy))
        assert VIEWPOINT in page and all(s.code in page for s in policy.series)


def test_document_render_gives_bytes_for_each_text_format(policy):
    assert render(policy, "md").decode() == render_markdown(policy)
    assert render(policy, DocumentFormat.HTML).decode() == render_html(policy)
    with pytest.raises(ValueError):
        render(policy, "docx")


def test_diff_policies_shows_a_retention_change_in_file_and_document(write):
    old_text = (EXAMPLES / "washington-local.yaml").read_text()
    new_text = old_text.replace("retention: {years: 2}\n    trigger: event\n    event: taken_down"
                                "\n    disposition: transfer",
                                "retention: {years: 3}\n    trigger: event\n    event: taken_down"
                                "\n    disposition: transfer")
    assert new_text != old_text
    old, new = write(old_text, "old.yaml"), write(new_text, "new.yaml")
    diff = diff_policies(old, new)
    file_part, document_part = diff.split(f"--- {old} (rendered policy)")
    assert f"--- {old}\n+++ {new}\n" in file_part
    assert "-    retention: {years: 2}\n" in file_part
    assert "+    retention: {years: 3}\n" in file_part
    assert re.search(r"^-\| GS50-01-12 \| .* \| 2 years \|", document_part, flags=re.M)
    assert re.search(r"^\+\| GS50-01-12 \| .* \| 3 years \|", document_part, flags=re.M)
    assert "GS2010-001" not in "".join(line for line in document_part.splitlines(True)
                                       if line.startswith(("+", "-"))
                                       and not line.startswith(("+++", "---")))
    assert diff_policies(old, write(old_text, "same.yaml")) == ""


def test_diff_policies_refuses_an_invalid_policy(write):
    old = write((EXAMPLES / "texas-local.yaml").read_text(), "old.yaml")
    new = write((EXAMPLES / "texas-local.yaml").read_text().replace("years: 4", "years: -4"),
                "new.yaml")
    with pytest.raises(PolicyInvalid, match="cannot be negative"):
        diff_policies(old, new)
