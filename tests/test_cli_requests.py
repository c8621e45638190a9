"""`civicarchive search`, `search-index` and `requests`: a request from intake to a
verified production through the commands a records officer types, and their errors."""

from __future__ import annotations

import json

import pytest

WASHINGTON = "src/civicarchive/policy/examples/washington-local.yaml"
LINES = [
    {"native_id": "p1", "kind": "post", "created_at": "2026-03-01T09:00:00Z",
     "observed_at": "2026-03-01T10:00:00Z", "author": "cityofexample",
     "text": "Zoning hearing on Elm Street moved to Thursday"},
    {"native_id": "c1", "kind": "comment", "parent_id": "p1",
     "created_at": "2026-03-01T11:00:00Z", "observed_at": "2026-03-01T12:00:00Z",
     "author": "neighbour1", "text": "Zoning again? Call me at (206) 555-0143"},
    {"native_id": "c2", "kind": "comment", "parent_id": "p1",
     "created_at": "2026-03-01T11:30:00Z", "observed_at": "2026-03-01T12:00:00Z",
     "author": "neighbour2", "text": "=1+1 zoning is fine"},
]


@pytest.fixture
def desk(cli, tmp_path):
    """An archive with the Washington policy and a post with two public comments."""
    cli("init", "--agency", "City of Example")
    cli("accounts", "add", "--platform", "x", "--handle", "cityofexample",
        "--classification", "agency")
    capture = tmp_path / "capture.jsonl"
    capture.write_text("".join(json.dumps(line) + "\n" for line in LINES))
    cli("ingest-jsonl", capture, "--account", "1")
    cli("policy", "adopt", WASHINGTON)
    return cli


def test_cli_search_prints_hits_facets_and_json(desk):
    cli = desk
    shown = cli("search", "zoning -kind:post").output
    assert "2 record(s) match" in shown and "[Zoning]" in shown and "by kind: comment 2" in shown
    found = json.loads(cli("search", '"elm street"', "--json", "--no-facets").output)
    assert found["total"] == 1 and found["hits"][0]["kind"] == "post"
    assert found["facets"] == {}
    assert "No records match." in cli("search", "budget").output
    bad = cli("search", "plaform:x", ok=False)
    assert bad.exit_code == 1 and "unknown filter plaform:" in bad.output
    assert "Indexed 3 records" in cli("search-index", "rebuild").output


def test_cli_request_from_intake_to_a_verified_production(desk, tmp_path):
    cli = desk
    created = json.loads(cli("requests", "new", "--requester", "A. Reporter", "--received",
                             "2026-11-04T10:30-08:00", "--description", "zoning",
                             "--json").output)
    assert created["number"] == "R-2026-0001"
    assert [d["due"] for d in created["deadlines"]] == ["2026-11-12"]
    assert "Added 3 record(s)" in cli("requests", "add", "1", "--search", "zoning").output
    cli("requests", "mark", "1", "--item", "1", "--item", "2", "--as", "responsive")
    unreviewed = cli("requests", "produce", "1", ok=False)
    assert unreviewed.exit_code == 1 and "not reviewed yet" in unreviewed.output
    cli("requests", "mark", "1", "--item", "3", "--as", "withheld", "--exemption", "privacy",
        "--citation", "RCW 42.56.050")
    (suggestion,) = json.loads(cli("requests", "suggestions", "1", "--json").output)
    assert suggestion["phrase"] == "(206) 555-0143"
    cli("requests", "accept", "1", suggestion["key"], "--reason", "RCW 42.56.230")
    added = cli("requests", "redact", "1", "--item", "1", "--phrase", "Thursday", "--reason",
                "test").output
    redaction = added.split()[1]  # "Redaction N added to item 1"
    cli("requests", "unredact", "1", redaction, "--why", "not exempt")
    missing = cli("requests", "unredact", "1", "999", "--why", "x", ok=False)
    assert "no redaction with id 999" in missing.output
    cli("requests", "reject", "1", suggestion["key"], ok=False)  # already decided
    out = tmp_path / "production"
    produced = json.loads(cli("requests", "produce", "1", "--prefix", "CITY-", "-o", out,
                              "--json").output)
    assert produced["numbers"][0] == "CITY-000001" and produced["withheld"] == 1
    assert "OK" in cli("verify-package", out).output
    cli("requests", "status", "1", "produced", "--note", "emailed")
    shown = cli("requests", "show", "1").output
    assert "R-2026-0001 (produced)" in shown and "production 1: CITY-000001" in shown
    listing = cli("requests", "list").output
    assert "R-2026-0001" in listing and "produced" in listing
    log = json.loads(cli("requests", "log", "1", "--json").output)
    assert [e["action"] for e in log][-2:] == ["produced", "status"]
    assert "555-0143" not in json.dumps(log)
    assert "(206)" not in cli("requests", "log", "1").output


def test_cli_requests_explain_lists_the_days_counted_and_skipped(desk):
    cli = desk
    cli("requests", "new", "--requester", "A. Reporter", "--received", "2026-11-04T10:30-08:00",
        "--description", "zoning")
    shown = cli("requests", "explain", "1").output
    assert "2026-11-12" in shown and "Veterans Day" in shown
    data = json.loads(cli("requests", "explain", "1", "--json").output)
    (deadline,) = data["deadlines"]
    assert deadline["due"]["due"] == "2026-11-12"
    skipped = [step for step in deadline["steps"] if "reason" in step]
    assert [s["day"] for s in skipped] == ["2026-11-07", "2026-11-08", "2026-11-11"]
    missing = cli("requests", "explain", "7", ok=False)
    assert missing.exit_code == 1 and "no request with id 7" in missing.output


def test_cli_names_the_flag_of_the_input_at_fault(desk):
    cli = desk
    cli("requests", "new", "--requester", "A. Reporter", "--received", "2026-11-04T10:30-08:00",
        "--description", "zoning")
    cli("requests", "add", "1", "--item", "2")
    no_reason = cli("requests", "redact", "1", "--item", "2", "--phrase", "Call", "--reason",
                    " ", ok=False)
    assert no_reason.exit_code == 1
    assert "needs a reason: the exemption and its citation (--reason)" in no_reason.output
    no_version = cli("requests", "redact", "1", "--item", "2", "--span", "0:4", "--reason",
                     "RCW 42.56.230", ok=False)
    assert "name the version (--version)" in no_version.output


def test_cli_redacts_the_author_handle_and_urls_and_lists_them(desk, tmp_path):
    cli = desk
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps({
        "native_id": "c3", "kind": "comment", "parent_id": "p1",
        "created_at": "2026-03-01T13:00:00Z", "observed_at": "2026-03-01T14:00:00Z",
        "author": "qxneighbour", "url": "https://x.com/qxneighbour/status/c3",
        "text": "Zoning: @neighbour1 see https://qxlink.example/a"}) + "\n")
    cli("ingest-jsonl", extra, "--account", "1")
    cli("requests", "new", "--requester", "A. Reporter", "--received", "2026-11-04T10:30-08:00",
        "--description", "zoning")
    cli("requests", "add", "1", "--search", "zoning")
    for flags in (["--author"], ["--url"], ["--url", "https://qxlink.example/a"]):
        assert "added to item 4" in cli("requests", "redact", "1", "--item", "4", *flags,
                                        "--reason", "RCW 42.56.230").output
    cli("requests", "redact", "1", "--item", "2", "--handle", "--reason", "RCW 42.56.230")
    no_url = cli("requests", "redact", "1", "--item", "2", "--url", "--reason", "x", ok=False)
    assert no_url.exit_code == 1 and "no permalink" in no_url.output
    both = cli("requests", "redact", "1", "--item", "4", "--author", "--all-urls",
               "--reason", "x", ok=False)
    assert both.exit_code != 0 and "one thing at a time" in both.output
    listed = json.loads(cli("requests", "redactions", "1", "--json").output)
    assert [(r["item"], r["field"], r["url"]) for r in listed] == [
        (4, "author", None), (4, "permalink", None), (4, "url", "https://qxlink.example/a"),
        (2, "handle", None)]
    assert "author: RCW 42.56.230" in cli("requests", "redactions", "1", "--item", "4").output
    cli("requests", "unredact", "1", str(listed[-1]["id"]), "--why", "agency account")
    cli("requests", "mark", "1", "--item", "1", "--item", "2", "--item", "3", "--item", "4",
        "--as", "responsive")
    out = tmp_path / "production"
    cli("requests", "produce", "1", "-o", out)
    assert "OK" in cli("verify-package", out).output
    for path in (p for p in out.rglob("*") if p.is_file() and p.suffix not in (".gz", ".pdf")):
        data = path.read_bytes()
        assert b"qxneighbour" not in data and b"qxlink" not in data, path
    assert "qxlink" not in cli("requests", "log", "1").output


@pytest.mark.parametrize("received", ["2026-11-05T00:30Z", "2026-11-04T19:30-05:00",
                                      "2026-11-04T16:30-08:00"])
def test_cli_request_received_in_any_offset_counts_from_the_agency_s_local_day(desk, received):
    """16:30 in Seattle on Wednesday 4 November, however written: the day of receipt is the
    4th (before the 17:00 close), so the first response is due five business days later."""
    cli = desk
    created = json.loads(cli("requests", "new", "--requester", "A. Reporter", "--received",
                             received, "--description", "zoning", "--json").output)
    assert [d["due"] for d in created["deadlines"]] == ["2026-11-12"]
    assert json.loads(cli("requests", "show", "1", "--json").output)["received_at"] == \
        "2026-11-04T16:30:00-08:00"


@pytest.mark.parametrize("received", ["9999-11-04T10:30-08:00", "2062-11-04T10:30-08:00",
                                      "0206-11-04T10:30-08:00"])
def test_cli_request_received_in_an_impossible_year_is_refused(desk, received):
    refused = desk("requests", "new", "--requester", "A. Reporter", "--received", received,
                   "--description", "zoning", ok=False)
    assert refused.exit_code == 1 and "check the date" in refused.output
    assert "Traceback" not in refused.output


def test_cli_an_acknowledgement_answers_the_first_response_deadline(desk):
    """RCW 42.56.520: acknowledging with an estimate is a first response; the deadline stops
    counting and shows when it was met, late when after the due date."""
    cli = desk
    from datetime import datetime, timedelta
    now = datetime.now().astimezone()
    for received in (now - timedelta(days=30), now):
        cli("requests", "new", "--requester", "A. Reporter", "--received",
            received.isoformat(timespec="minutes"), "--description", "zoning")
    assert "OVERDUE" in cli("requests", "show", "1").output
    for request in ("1", "2"):
        cli("requests", "status", request, "acknowledged", "--note", "estimate: 3 weeks")
    late, on_time = (json.loads(cli("requests", "show", n, "--json").output)["deadlines"][0]
                     for n in ("1", "2"))
    assert late["met_on"] == on_time["met_on"] and late["business_days_left"] is None
    assert late["late"] and not on_time["late"] and not late["overdue"]
    shown = cli("requests", "show", "1").output
    assert "OVERDUE" not in shown and f"met {late['met_on']} (LATE)" in shown


def test_cli_produce_warns_of_suggested_redactions_nobody_decided(desk, tmp_path):
    cli = desk
    cli("requests", "new", "--requester", "A. Reporter", "--received",
        "2026-11-04T10:30-08:00", "--description", "zoning")
    cli("requests", "add", "1", "--search", "zoning")
    cli("requests", "mark", "1", "--item", "1", "--item", "2", "--item", "3", "--as",
        "responsive")
    done = cli("requests", "produce", "1", "-o", tmp_path / "out")
    said = done.output + (done.stderr or "")
    assert "Warning: 1 suggested redaction(s)" in said and "requests suggestions 1" in said
    produced = json.loads(cli("requests", "produce", "1", "-o", tmp_path / "again",
                              "--json").output)
    assert produced["pending_suggestions"] == 1
