"""The `civicarchive` command given what a person types by mistake: ids no store holds,
impossible times, an empty key file, a page past the results, a mistyped folder. Each is
a usage error or a one-line `error:` that names the input, never a traceback, and never
a success that is not one."""

from __future__ import annotations

import json

import pytest

WASHINGTON = "src/civicarchive/policy/examples/washington-local.yaml"
TOO_LARGE = "99999999999999999999"  # beyond a 64-bit integer


@pytest.fixture
def desk(cli, tmp_path):
    """An archive with a policy, one account, two posts and a request (SQLite only: these
    are the command line's own checks)."""
    cli("init", "--agency", "City of Example")
    cli("policy", "adopt", WASHINGTON)
    cli("accounts", "add", "--platform", "x", "--handle", "cityofexample",
        "--classification", "agency")
    lines = tmp_path / "posts.jsonl"
    lines.write_text("".join(json.dumps(
        {"native_id": str(n), "kind": "post", "created_at": "2025-02-28T09:00:00Z",
         "observed_at": "2025-03-01T12:00:00Z", "author": "cityofexample",
         "text": f"Road closed, notice {n}"}) + "\n" for n in (1, 2)))
    cli("ingest-jsonl", lines, "--account", "1")
    cli("requests", "new", "--requester", "A. Reporter", "--received",
        "2026-03-02T10:00-08:00", "--description", "road closures")
    return cli


def usage_error(result, words: str) -> str:
    assert result.exit_code == 2 and words in result.output, result.output
    return result.output


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("command", [
    ["show", TOO_LARGE], ["history", TOO_LARGE], ["proof", TOO_LARGE, "-o", "p.json"],
    ["export", "--version", TOO_LARGE, "--format", "warc", "-o", "x.warc"],
    ["ingest-jsonl", "posts.jsonl", "--account", TOO_LARGE],
    ["accounts", "tag", TOO_LARGE, "council"],
    ["requests", "show", TOO_LARGE], ["requests", "add", "1", "--item", TOO_LARGE],
    ["holds", "add", "--name", "n", "--matter", "m", "--reason", "r", "--item", TOO_LARGE],
    ["holds", "release", TOO_LARGE, "--reason", "r"], ["retention", "approve", TOO_LARGE],
    ["alerts", "ack", TOO_LARGE], ["moderation", "label", TOO_LARGE, "--stance", "for"],
    ["people", "end-term", TOO_LARGE, "--on", "2026-01-01"],
    ["users", "add", "ann", "--role", "admin", "--person", TOO_LARGE],
    ["show", "0"], ["show", "1.5"], ["show", "abc"], ["show", "²"]])
def test_cli_an_id_no_store_holds_is_a_usage_error(desk, database_url, tmp_path, monkeypatch,
                                                  command):
    monkeypatch.chdir(tmp_path)
    result = desk(*command, ok=False)
    output = usage_error(result, "is not an id")
    assert "Traceback" not in output and "ids are whole numbers from 1 to" in output


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize(("command", "flag"), [
    (["holds", "add", "--name", "n", "--matter", "m", "--reason", "r", "--from", "2026-02-30"],
     "--from"),
    (["holds", "add", "--name", "n", "--matter", "m", "--reason", "r", "--to", "tomorrow"],
     "--to"),
    (["accounts", "close", "1", "--at", "2026-13-01T00:00Z"], "--at"),
    (["accounts", "acknowledge", "--owner", "Comms", "--at", "2026-02-30T10:00Z"], "--at"),
    (["people", "acknowledge", "1", "--at", "2026-02-30"], "--at"),
    (["people", "train", "1", "--course", "c", "--at", "2026-01-01T10:00"], "--at")])
def test_cli_a_time_it_cannot_read_names_its_flag_and_the_form(desk, database_url, command,
                                                                flag):
    output = usage_error(desk(*command, ok=False), f"Invalid value for {flag}:")
    assert "out of range" not in output and "Invalid isoformat" not in output, output
    assert "2026-11-04T10:30-08:00" in output or "has no timezone" in output, output


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("command", [["verify"], ["verify-proof", "proof.json"],
                                     ["verify-package", "package"]])
def test_cli_an_empty_public_key_file_is_refused_not_read_as_no_key(desk, database_url,
                                                                     tmp_path, command):
    desk("proof", "1", "-o", tmp_path / "proof.json")
    desk("export", "--item", "1", "--format", "bagit", "-o", tmp_path / "package")
    empty = tmp_path / "published.pem"
    empty.write_bytes(b"")
    command = [str(tmp_path / c) if c in ("proof.json", "package") else c for c in command]
    result = desk(*command, "--public-key", empty, ok=False)
    assert result.exit_code == 1, result.output
    assert f"error: {empty} is empty" in result.output and "(--public-key)" in result.output
    assert "OK" not in result.output


@pytest.mark.parametrize("database_url", [None])
def test_cli_search_pages_past_the_results_say_so(desk, database_url):
    past = desk("search", "road", "--page", "5")
    assert past.output.startswith("No records on page 5: 2 record(s) match, on 1 page(s)"), \
        past.output
    assert "showing" not in past.output
    assert json.loads(desk("search", "road", "--page", "5", "--json").output)["hits"] == []
    usage_error(desk("search", "road", "--page", "0", ok=False), "--page")
    for page in ("10000002", "9223372036854775807", TOO_LARGE):
        output = usage_error(desk("search", "road", "--page", page, ok=False), "--page")
        assert "Traceback" not in output


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("command", [
    ["requests", "produce", "1", "-o"], ["backup"]])
def test_cli_never_makes_the_folders_of_a_mistyped_path(desk, database_url, tmp_path,
                                                         command):
    desk("requests", "add", "1", "--item", "1")
    desk("requests", "mark", "1", "--item", "1", "--as", "responsive")
    mistyped = tmp_path / "productons" / "R-1"
    result = desk(*command, mistyped, ok=False)
    assert result.exit_code == 1 and f"the folder {mistyped.parent} does not exist" in \
        result.output, result.output
    assert not mistyped.parent.exists()
    assert json.loads(desk("requests", "show", "1", "--json").output)["productions"] == []


@pytest.mark.parametrize("database_url", [None])
def test_cli_hints_do_not_repeat_the_message(cli, database_url, tmp_path):
    missing = cli("--home", tmp_path / "none", "stats", ok=False).output
    assert missing.count("--home") == 1 and "civicarchive init --agency" in missing, missing
    cli("init", "--agency", "City of Example")
    again = cli("init", "--agency", "Again", ok=False).output
    assert again.count("choose another") == 1, again
