"""`civicarchive policy check | render | diff`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from civicarchive.cli import main
from civicarchive.policy import EXAMPLES

WASHINGTON = EXAMPLES / "washington-local.yaml"
TEXAS = EXAMPLES / "texas-local.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_policy_check_passes_the_examples_and_reports_problems_with_lines(tmp_path):
    for example in (WASHINGTON, TEXAS):
        result = run("policy", "check", example, "--platform", "x", "--platform", "facebook")
        assert result.exit_code == 0 and "OK, no problems" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(WASHINGTON.read_text().replace("agency:", "agncy:", 1))
    result = run("policy", "check", broken, "--json")
    assert result.exit_code == 1
    problems = json.loads(result.output)
    assert any("agncy" in p["message"] and p["line"] >= 1 for p in problems)


def test_policy_render_writes_each_format(tmp_path):
    for fmt, start in (("md", b"# "), ("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF")):
        out = tmp_path / f"policy.{fmt}"
        result = run("policy", "render", TEXAS, "--format", fmt, "-o", out)
        assert result.exit_code == 0, result.output
        assert out.read_bytes().lstrip().upper().startswith(start.upper())
    assert "552.233" in (tmp_path / "policy.md").read_text()


def test_policy_diff_shows_a_changed_retention_in_file_and_document(tmp_path):
    changed = tmp_path / "new.yaml"
    text = WASHINGTON.read_text()
    changed.write_text(text.replace("years: 2", "years: 3", 1))
    result = run("policy", "diff", WASHINGTON, changed)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "-    retention: {years: 2}" in lines and "+    retention: {years: 3}" in lines
    assert any(line.startswith("+| GS50-01-12 |") and "| 3 years |" in line for line in lines)
    assert run("policy", "diff", WASHINGTON, WASHINGTON).output == "no differences"
