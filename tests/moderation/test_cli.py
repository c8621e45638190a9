"""`civicarchive moderation check` and `policy check`'s protected-speech warnings."""

from __future__ import annotations

import json

from click.testing import CliRunner

from civicarchive.cli import main
from civicarchive.moderation import embeddings
from civicarchive.policy import EXAMPLES

from .conftest import POTHOLES

WASHINGTON = EXAMPLES / "washington-local.yaml"
LINES = [
    {"id": "a", "post": POTHOLES, "comment": "Great job, city. Three years for one pothole. "
                                             "Useless."},
    {"id": "b", "post": POTHOLES, "comment": "I'm going to shoot the public works director "
                                             "tonight."},
    {"id": "c", "post": POTHOLES, "comment": "Go Seahawks! Super Bowl this year!"},
    {"id": "d", "post": POTHOLES, "comment": "Cheap followers! DM me for a promo code: "
                                             "growfast.biz"},
    {"id": "e", "post": POTHOLES, "comment": "Will the bus stop at 5th and Pine move?"},
]


def run(*args, home=None):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]])


def write(tmp_path, lines, name="comments.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line)
                              for line in lines) + "\n")
    return path


def test_check_prints_one_json_result_per_line_in_input_order(tmp_path):
    result = run("moderation", "check", write(tmp_path, LINES), "--json",
                 home=tmp_path / "none")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d", "e"]
    assert [o["action"] for o in out] == ["none", "remove", "hide", "hide", "none"]
    assert [o["categories"] for o in out] == [[], ["true_threats"], ["off_topic"], ["spam"], []]
    assert [o["protected"] for o in out] == [True, False, False, False, False]
    finding = out[1]["findings"][0]
    assert {"category", "confidence", "spans", "clause", "footing", "action"} <= set(finding)
    assert not any("block" in o["action"] for o in out)


def test_bad_lines_are_named_and_the_rest_still_judged(tmp_path):
    path = write(tmp_path, [LINES[0], "not json", '["a list"]', '{"post": "x"}',
                            '{"comment": "hi", "post": 5}', '{"comment": "ok", "colour": 1}',
                            "", LINES[1]])
    result = run("moderation", "check", path, "--json", home=tmp_path / "none")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6, 8]
    assert [("error" in o) for o in out] == [False, True, True, True, True, True, False]
    assert out[-1]["categories"] == ["true_threats"]
    assert f"{path}:2: not JSON" in result.stderr
    assert "unknown field(s) colour" in result.stderr


def test_text_output_names_the_policy_it_used(tmp_path):
    path = write(tmp_path, LINES)
    packaged = run("moderation", "check", path, home=tmp_path / "none")
    assert packaged.exit_code == 0, packaged.output
    assert packaged.output.startswith("policy: the packaged example policy "
                                      "washington-local.yaml")
    assert "never recommends blocking" in packaged.output
    assert "5 comment(s): 1 remove, 2 hide, 0 review, 2 none; 1 protected" in packaged.output
    given = run("moderation", "check", path, "--policy", WASHINGTON, home=tmp_path / "none")
    assert f"policy: policy file {WASHINGTON}" in given.output
    home = tmp_path / "archive"
    assert run("init", "--agency", "City of Example", home=home).exit_code == 0
    assert run("policy", "adopt", WASHINGTON, home=home).exit_code == 0
    adopted = run("moderation", "check", path, home=home)
    assert adopted.output.startswith("policy: the archive's adopted policy 1")


def test_the_lexical_fallback_runs_when_the_extra_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "load_embedder", lambda *a, **k: None)
    path = write(tmp_path, LINES)
    text = run("moderation", "check", path, home=tmp_path / "none")
    assert "lexical off-topic check (no sentence encoder)" in text.output
    out = [json.loads(line) for line in
           run("moderation", "check", path, "--json", home=tmp_path / "none").output.splitlines()]
    assert out[2]["categories"] == ["off_topic"]
    assert "lexical check" in out[2]["findings"][0]["explanation"]


def test_the_encoder_is_used_when_installed(tmp_path):
    text = run("moderation", "check", write(tmp_path, LINES), home=tmp_path / "none")
    assert "sentence encoder all-MiniLM-L6-v2" in text.output


def test_policy_check_refuses_viewpoint_categories_and_warns_on_risky_clauses(tmp_path):
    base = WASHINGTON.read_text()
    for key in ("negative_comments", "disrespectful", "hate_speech", "inappropriate"):
        path = tmp_path / f"{key}.yaml"
        path.write_text(base.replace("  - key: spam", f"  - key: {key}", 1))
        result = run("policy", "check", path, "--json", home=tmp_path / "none")
        assert result.exit_code == 1
        (problem,) = [p for p in json.loads(result.output) if "high risk" in p["message"]]
        assert problem["severity"] == "error" and "Cohen v. California" in problem["message"]
    clause = tmp_path / "clause.yaml"
    clause.write_text(base.replace("Comments that advertise or solicit business",
                                   "Comments that are vulgar or offensive, or that advertise "
                                   "or solicit business", 1))
    result = run("policy", "check", clause, "--json", home=tmp_path / "none")
    assert result.exit_code == 0
    (warning,) = json.loads(result.output)
    assert warning["severity"] == "warning" and "vulgar or offensive" in warning["message"]
    # the examples' own clauses ("patently offensive", "swearing alone is not obscenity")
    assert run("policy", "check", WASHINGTON, home=tmp_path / "none").exit_code == 0


def test_a_line_over_the_cap_is_refused_without_being_judged_or_held(tmp_path):
    from civicarchive.app import offline
    huge = {"post": POTHOLES, "comment": "word " * (offline.MAX_CHECK_LINE // 5 + 10)}
    path = write(tmp_path, [huge, LINES[1]])
    result = run("moderation", "check", path, "--json", home=tmp_path / "none")
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["line"] == 1 and "longer than" in first["error"]
    assert second["line"] == 2 and second["categories"] == ["true_threats"]
