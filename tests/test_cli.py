"""The `civicarchive` command: every subcommand, its JSON output, exit codes and errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicarchive.cli import main


@pytest.fixture
def jsonl(tmp_path):
    def write(name, records):
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        return path
    return write


def record(native_id, text, observed="2025-03-01T12:00:00Z", **extra):
    return {"native_id": native_id, "kind": "post", "created_at": "2025-02-28T09:00:00Z",
            "observed_at": observed, "author": "cityofexample", "text": text, **extra}


@pytest.fixture
def account_id(cli):
    cli("init", "--agency", "City of Example")
    out = cli("accounts", "add", "--platform", "x", "--handle", "cityofexample",
              "--classification", "agency", "--owner", "Comms", "--json")
    return json.loads(out.output)["id"]


def stats(cli):
    return json.loads(cli("stats", "--json").output)


def test_cli_full_round_trip(cli, jsonl, account_id, tmp_path):
    first = jsonl("a.jsonl", [record("1", "Road closed"), record("2", "Library open",
                                                                 likes=4, lang="en")])
    second = jsonl("b.jsonl", [record("1", "Road closed until Friday", "2025-03-02T12:00:00Z"),
                               {"native_id": "2", "kind": "post", "event": "deleted",
                                "created_at": "2025-02-28T09:00:00Z",
                                "observed_at": "2025-03-02T12:00:00Z"}])
    out = json.loads(cli("ingest-jsonl", first, "--account", account_id, "--json").output)
    assert (out["created"], out["versions"]) == (2, 2)
    out = json.loads(cli("ingest-jsonl", second, "--account", account_id, "--json").output)
    assert (out["edited"], out["deleted"], out["unchanged"]) == (1, 1, 0)
    counts = stats(cli)
    assert {k: counts[k] for k in ("accounts", "items", "versions")} == \
        {"accounts": 1, "items": 2, "versions": 4}
    assert counts["ledger_entries"] == 4 + 4  # versions + init, account, two ingests
    history = json.loads(cli("history", "1", "--json").output)
    assert [v["event"] for v in history] == ["created", "edited"]
    shown = json.loads(cli("show", "2", "--json").output)
    assert shown["latest"]["event"] == "deleted"
    assert shown["latest"]["content"]["likes"] == 4  # the deleted version keeps its content
    assert "Road closed until Friday" in cli("show", "1").output
    report = json.loads(cli("verify", "--json").output)
    assert report["ok"] and report["versions"] == 4
    proof = tmp_path / "proof.json"
    cli("proof", history[1]["id"], "-o", proof)
    key = tmp_path / "key.pem"
    cli("public-key", "-o", key)
    out = json.loads(cli("verify-proof", proof, "--public-key", key, "--json").output)
    assert out["ok"] and out["version_id"] == history[1]["id"]
    listed = json.loads(cli("accounts", "list", "--json").output)
    assert listed[0]["owner"] == "Comms" and listed[0]["registered_by"] == "clerk"


def test_cli_malformed_line_names_file_and_line_and_writes_nothing(cli, jsonl, account_id,
                                                                   tmp_path):
    path = jsonl("bad.jsonl", [record("1", "fine"), record("2", "fine")])
    with open(path, "a") as out:
        out.write('{"native_id": "3", "kind": "post"\n')  # truncated JSON on line 3
        out.write(json.dumps(record("4", "bad kind", kind="tweet")) + "\n")
    before = stats(cli)
    result = cli("ingest-jsonl", path, "--account", account_id, ok=False)
    assert result.exit_code == 1
    assert f"{path}:3: not valid JSON" in result.output
    assert f"{path}:4: kind 'tweet'" in result.output
    assert "nothing was ingested" in result.output
    assert stats(cli) == before


@pytest.mark.parametrize("line,message", [
    ({"native_id": "1"}, "missing kind, created_at, observed_at, author, text"),
    (record("1", "x", observed="2025-03-01T12:00:00"), "has no timezone"),
    (record("1", "x", event="liked"), "event 'liked'"),
    ([1, 2], "must be a JSON object"),
])
def test_cli_explains_each_kind_of_bad_line(cli, jsonl, account_id, line, message):
    result = cli("ingest-jsonl", jsonl("bad.jsonl", [line]), "--account", account_id, ok=False)
    assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize("database_url", [None])  # tampering edits the SQLite file directly
def test_cli_verify_fails_and_names_the_bad_entry(cli, jsonl, account_id, tmp_path,
                                                  database_url):
    cli("ingest-jsonl", jsonl("a.jsonl", [record(str(n), f"p{n}") for n in range(5)]),
        "--account", account_id)
    db = sqlite3.connect(tmp_path / "home" / "archive.db")
    db.execute("DROP TRIGGER versions_no_update")
    with db:
        db.execute("UPDATE versions SET observed_at = '2020-01-01T00:00:00.000000Z' WHERE id = 2")
    db.close()
    result = cli("verify", ok=False)
    assert result.exit_code == 1
    assert "FAILED" in result.output and "ledger entry" in result.output
    assert "version 2 no longer matches" in result.output


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("damage", ["truncated", "text"])
def test_cli_names_a_database_file_that_is_not_one(cli, account_id, tmp_path, database_url,
                                                   damage):
    db = tmp_path / "home" / "archive.db"
    db.write_bytes(db.read_bytes()[:1000] if damage == "truncated" else b"not a database\n")
    kept = db.read_bytes()
    for command in ("verify", "stats"):
        result = cli(command, ok=False)
        assert type(result.exception) is SystemExit and result.exit_code == 1, \
            result.output[-500:]
        assert result.output.startswith(f"error: the database at {db} cannot be read")
    assert db.read_bytes() == kept


@pytest.mark.parametrize("database_url", [None])  # about files, not the store
@pytest.mark.parametrize("output, said", [
    ("/nonexistent/x.json", "the folder /nonexistent does not exist"),
    ("/dev/full", "cannot write /dev/full: No space left on device"),
])
def test_cli_proof_says_why_it_cannot_write_there(cli, jsonl, account_id, database_url,
                                                  output, said):
    cli("ingest-jsonl", jsonl("a.jsonl", [record("1", "Road closed")]), "--account", account_id)
    policy = "src/civicarchive/policy/examples/washington-local.yaml"
    for command in (["proof", "1"], ["public-key"], ["checkpoint", "export"],
                    ["policy", "render", policy]):
        result = cli(*command, "-o", output, ok=False)
        assert type(result.exception) is SystemExit, (command, result.output[-500:])
        assert result.exit_code == 1 and result.output.startswith("error: ") and \
            said in result.output, (command, result.output)


@pytest.mark.parametrize("database_url", [None])
@pytest.mark.parametrize("text", ["notakey", "-----BEGIN PUBLIC KEY-----\nAAAA\n"])
def test_cli_verify_against_a_public_key_file_that_is_no_key(cli, account_id, tmp_path,
                                                             database_url, text):
    key = tmp_path / "notakey"
    key.write_text(text)
    result = cli("verify", "--public-key", key, ok=False)
    assert type(result.exception) is SystemExit, result.output[-500:]
    assert result.exit_code == 1 and result.output.startswith(
        "error: the trusted public key is not an Ed25519 key") and \
        "(--public-key)" in result.output, result.output


def test_cli_errors_are_one_line_with_a_next_step(cli, tmp_path, account_id):
    result = cli("show", "999", ok=False)
    assert result.exit_code == 1 and result.output.startswith("error: no item with id 999")
    result = cli("ingest-jsonl", __file__, "--account", "42", ok=False)
    assert "no account with id 42" in result.output and "accounts list" in result.output
    result = cli("init", "--agency", "Again", ok=False)
    assert "already exists" in result.output


def test_cli_on_a_missing_archive_says_to_init(tmp_path):
    result = CliRunner().invoke(main, ["--home", str(tmp_path / "none"), "stats"])
    assert result.exit_code == 1 and "civicarchive init" in result.output
    assert not (tmp_path / "none").exists()


def test_cli_verify_proof_rejects_a_damaged_file(tmp_path):
    bad = tmp_path / "proof.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(main, ["verify-proof", str(bad)])
    assert result.exit_code == 1 and "not JSON" in result.output


def test_cli_verify_proof_refuses_a_file_larger_than_any_proof_unread(tmp_path, monkeypatch):
    from civicarchive.app import offline
    huge = tmp_path / "proof.json"
    with open(huge, "wb") as out:   # sparse: 40 MiB that take no disk
        out.truncate(40 * 2**20)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    result = CliRunner().invoke(main, ["verify-proof", str(huge)])
    assert result.exit_code == 1 and "is 41,943,040 bytes" in result.output
    assert f"at most {offline.MAX_PROOF_BYTES:,}" in result.output


COMMANDS = [["init"], ["accounts"], ["accounts", "add"], ["accounts", "list"], ["ingest-jsonl"],
            ["show"], ["history"], ["verify"], ["proof"], ["verify-proof"], ["stats"],
            ["public-key"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_cli_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_cli_console_script_runs_as_a_program(tmp_path):
    home = tmp_path / "home"
    run = [sys.executable, "-m", "civicarchive.cli", "--home", str(home)]
    done = subprocess.run([*run, "init", "--agency", "Town", "--json"], capture_output=True,
                          text=True, check=True)
    assert json.loads(done.stdout)["home"] == str(home)
    failed = subprocess.run([*run, "history", "1"], capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stderr.startswith("error:")


def test_cli_archived_text_cannot_drive_the_terminal(cli, jsonl, account_id):
    # A post can hold escape sequences: printed raw, they would retitle the window or
    # fake output ("verify OK") on a terminal, or through `cat` later.
    hostile = "Budget \x1b]0;pwned\x07 \x1b[2J\rFAKE: verify OK\r\nnext line"
    cli("ingest-jsonl", jsonl("h.jsonl", [record("1", hostile)]), "--account", account_id)
    for args in (("show", "1"), ("search", "budget")):
        shown = cli(*args).output
        assert "\x1b" not in shown and "\x07" not in shown and "\rFAKE" not in shown, args
        assert "␛]0;pwned" in shown and "␍FAKE: verify OK" in shown, args
    exact = json.loads(cli("show", "1", "--json").output)  # JSON keeps the text exact
    assert exact["latest"]["content"]["text"] == hostile


def test_cli_guard_keeps_line_breaks_tabs_and_bytes():
    from civicarchive.cli.terminal import inert
    assert inert("a\tb\r\nc\n") == "a\tb\r\nc\n"
    assert inert("\x00\x1b\x7f\x9b") == "\ufffd\u241b\x7f\x9b"  # C1 as UTF-8 is inert
