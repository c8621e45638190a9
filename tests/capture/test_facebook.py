"""Facebook Page capture against a loopback Graph API built from Meta's documented shapes."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta, timezone

from civicarchive.model.record import Kind
from tests.capture.conftest import audit
from tests.capture.graph_stub import PAGE_ID, T0, TOKEN, GraphStub, events, held, register

PHOTO = b"\xff\xd8\xff\xe0 library photo"


def seed(graph):
    """Two posts: a photo with comments (one hidden, the Page's reply, a visitor's reply),
    and a link post without comments."""
    photo = graph.add_post("The new library opens Monday #library", photo=graph.file(
        "471234_98765_n.jpg", PHOTO))
    graph.add_post("Council agenda for Monday", at=T0 + timedelta(hours=2),
                   link="https://example.gov/agenda")
    first = graph.add_comment(photo, "Great news!")
    hidden = graph.add_comment(photo, "buy followers cheap", hidden=True,
                               by={"id": "100000000000999", "name": "Spam Bot"})
    reply = graph.add_comment(photo, "Thank you!", by={"id": PAGE_ID, "name": "City of Example"},
                              parent=first, at=T0 + timedelta(hours=3))
    nested = graph.add_comment(photo, "What are the hours?", parent=first,
                               at=T0 + timedelta(hours=4))
    return photo, first, hidden, reply, nested


def test_facebook_first_pass_captures_posts_comments_replies_hidden_comments_and_media(
        archive, page, graph):
    photo, first, hidden, reply, nested = seed(graph)
    (report,) = archive.capturing.run(page.id, actor="clerk")
    assert report.ok, report.failure
    found = held(archive, page.id)
    kinds = {native: item.kind for native, (item, _) in found.items()}
    assert kinds[PAGE_ID] is Kind.PROFILE
    assert kinds[photo] is Kind.POST and kinds[first] is Kind.COMMENT
    assert kinds[reply] is Kind.REPLY          # the Page's own answer
    assert found[reply][0].parent_native_id == first and found[first][0].parent_native_id == photo
    assert found[nested][0].parent_native_id == first
    assert events(archive, page.id, hidden) == ["hidden"]
    assert events(archive, page.id, first) == ["created"]
    post = archive.reading.content(found[photo][1][-1])
    assert post["text"].startswith("The new library") and post["hashtags"] == ["library"]
    assert post["attachments"][0]["file"] == "471234_98765_n.jpg"
    assert post["author"] == "City of Example"
    media_id = f"{photo}/471234_98765_n.jpg"
    assert kinds[media_id] is Kind.MEDIA
    assert archive.reading.raw(found[media_id][1][-1]) == PHOTO
    link = next(n for n, k in kinds.items() if k is Kind.POST and n != photo)
    linked = archive.reading.content(found[link][1][-1])
    assert linked["urls"] == ["https://example.gov/agenda"] and linked["attachments"] == []
    assert linked["links"][0]["source"] == "example.gov"
    raw = json.loads(archive.reading.raw(found[photo][1][-1]))
    assert raw["id"] == photo and raw["comments"]["summary"]["total_count"] == 4
    status = archive.capturing.status()[0]
    assert status.completeness == 1.0 and status.expected_replies == 4
    # the token went in a header, never in a URL, though Graph's next links carry it
    for path, query, headers in graph.log:
        if not path.startswith("/files/"):
            assert headers["authorization"] == f"Bearer {TOKEN}"
        if not path.endswith("/debug_token"):
            assert "access_token" not in query and TOKEN not in json.dumps(query)
        else:
            assert query["input_token"] == TOKEN


def test_facebook_second_pass_adds_nothing(archive, page, graph):
    seed(graph)
    archive.capturing.configure(page.id, full_every=1)
    archive.capturing.run(page.id)
    before = archive.reading.stats()["versions"]
    graph.log.clear()
    (again,) = archive.capturing.run(page.id)
    assert again.ok and again.full
    assert archive.reading.stats()["versions"] == before
    assert again.counts["created"] == again.counts["edited"] == again.counts["deleted"] == 0
    assert not any(p.startswith("/files/") for p, _, _ in graph.log)   # media fetched once


def test_facebook_feed_pages_are_followed_to_the_end(archive, page, graph):
    for n in range(230):
        graph.add_post(f"notice {n}", at=T0 - timedelta(minutes=n))
    (report,) = archive.capturing.run(page.id)
    assert report.ok and report.counts["created"] == 231   # and the profile
    assert len(graph.requests_to(f"/{PAGE_ID}/feed")) == 3


def test_facebook_feed_whose_next_link_never_ends_fails_the_pass(archive, page, graph):
    seed(graph)
    graph.endless = True
    (report,) = archive.capturing.run(page.id)
    assert not report.ok and "pagination never ends" in report.failure["message"]
    assert len(graph.requests_to(f"/{PAGE_ID}/feed")) == 2


def test_facebook_edit_hide_unhide_and_deletion_confirmed_by_recheck(archive, page, graph):
    photo, first, hidden, reply, nested = seed(graph)
    archive.capturing.configure(page.id, full_every=1)
    archive.capturing.run(page.id)
    graph.edit_post(photo, "The new library opens Tuesday #library", T0 + timedelta(days=1))
    graph.hide(first)
    graph.hide(hidden, False)
    del graph.comments[nested]
    graph.log.clear()
    (report,) = archive.capturing.run(page.id)
    assert report.ok, report.failure
    assert events(archive, page.id, photo) == ["created", "edited"]
    assert events(archive, page.id, first) == ["created", "hidden"]
    assert events(archive, page.id, hidden) == ["hidden", "unhidden"]
    assert events(archive, page.id, nested) == ["created", "deleted"]
    assert graph.requests_to(f"/{nested}")    # looked up alone before being recorded deleted
    versions = held(archive, page.id)[nested][1]
    assert archive.reading.content(versions[-1])["text"] == "What are the hours?"  # kept
    assert report.counts["edited"] == 1 and report.counts["deleted"] == 1
    (deletions,) = audit(archive, "capture.deletions")
    assert deletions["confirmed"][0]["graph_error"]["error_subcode"] == 33


def test_facebook_transient_error_on_recheck_does_not_delete(archive, page, graph):
    photo, *_ = seed(graph)
    archive.capturing.configure(page.id, full_every=1)
    archive.capturing.run(page.id)
    graph.delete_post(photo)
    graph.fail(f"/{photo}", 500)
    (report,) = archive.capturing.run(page.id)
    assert report.ok and report.counts["deleted"] == 4   # its comments answer 100/33
    assert events(archive, page.id, photo) == ["created"]
    assert any(p["where"] == photo for p in report.problems)
    (later,) = archive.capturing.run(page.id)
    assert events(archive, page.id, photo) == ["created", "deleted"]
    assert later.counts["deleted"] == 1


def test_facebook_watched_post_deleted_between_full_passes_is_a_deletion_event(
        archive, page, graph):
    photo, *_ = seed(graph)
    archive.capturing.run(page.id)                      # the first pass is full
    graph.add_comment(photo, "Late comment", at=T0 + timedelta(days=1))
    (incremental,) = archive.capturing.run(page.id)
    assert not incremental.full and incremental.counts["created"] == 1   # the late comment
    assert graph.requests_to(f"/{PAGE_ID}/feed")[-1]["since"]
    graph.delete_post(photo)
    archive.capturing.run(page.id)
    assert events(archive, page.id, photo) == ["created", "deleted"]


def test_facebook_expired_token_fails_with_the_cause_and_opens_a_gap(archive, page, graph):
    seed(graph)
    archive.capturing.run(page.id)
    graph.expired = True
    reports = [archive.capturing.run(page.id)[0] for _ in range(3)]
    assert not any(r.ok for r in reports)
    first = reports[0]
    assert first.failure["cause"] == "credentials_expired"
    assert "the token has expired" in first.failure["message"]
    assert first.failure["evidence"]["graph_error"] == {
        "code": 190, "error_subcode": 463, "type": "OAuthException", "fbtrace_id": "AxYzExpired"}
    assert first.gap_opened and not reports[1].gap_opened   # one gap, held open
    (gap,) = archive.capturing.gaps(page.id)
    assert gap["cause"] == "credentials_expired" and gap["gap_to"] is None
    graph.expired = False
    (resumed,) = archive.capturing.run(page.id)
    assert resumed.ok and resumed.gap_closed == gap["id"]


def test_facebook_missing_permission_is_named(archive, page, graph):
    graph.fail(f"/{PAGE_ID}", 403, {
        "message": "(#200) Requires pages_read_engagement permission to manage the object",
        "type": "OAuthException", "code": 200, "fbtrace_id": "AperM"})
    (report,) = archive.capturing.run(page.id)
    assert report.failure["cause"] == "permission_revoked"
    assert "pages_read_engagement" in report.failure["message"]
    assert report.failure["evidence"]["permission"] == "pages_read_engagement"
    assert report.gap_opened


def test_facebook_rate_limit_waits_what_the_usage_header_estimates(archive, page, graph):
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 12,
                        "total_time": 30, "estimated_time_to_regain_access": 7}]}
    graph.fail(f"/{PAGE_ID}/feed", 400, {
        "message": "(#32) Page request limit reached", "type": "OAuthException", "code": 32,
        "fbtrace_id": "ArAtE"}, headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    (report,) = archive.capturing.run(page.id)
    assert not report.ok and report.failure["cause"] == "rate_limited"
    assert report.retry_after == 7 * 60
    assert "x-business-use-case-usage" in report.failure["evidence"]["headers"]
    assert not report.gap_opened            # one rate limit is not an uncaptured account
    (after,) = archive.capturing.run(page.id)
    assert after.ok


def test_facebook_server_error_is_an_outage(archive, page, graph):
    graph.fail(f"/{PAGE_ID}/feed", 503, times=3)
    reports = [archive.capturing.run(page.id)[0] for _ in range(3)]
    assert [r.failure["cause"] for r in reports] == ["outage"] * 3
    assert not reports[0].gap_opened and reports[2].gap_opened


def test_facebook_page_is_matched_by_its_id_and_a_rename_is_a_profile_version(
        archive, page, graph, tmp_path):
    archive.capturing.run(page.id)
    graph.page |= {"name": "City of Example (Official)", "username": "cityofexample.gov"}
    archive.capturing.run(page.id)
    assert events(archive, page.id, PAGE_ID) == ["created", "edited"]
    versions = held(archive, page.id)[PAGE_ID][1]
    assert archive.reading.content(versions[-1])["username"] == "cityofexample.gov"
    graph.answers_for = "999999"
    (other,) = archive.capturing.run(page.id)
    assert not other.ok and "rather than archive another account" in other.failure["message"]
    unnamed = register(archive, graph, tmp_path, "facebook", None, handle="cityofexample2")
    (report,) = archive.capturing.run(unnamed.id)
    assert not report.ok and "platform id" in report.failure["message"]
    assert not any(p.endswith("/cityofexample2") for p, _, _ in graph.log)


def test_facebook_token_expiry_is_recorded_from_debug_token_and_warned(archive, page, graph):
    assert archive.credentials.info(page.id).expires_at.startswith("2026-10-01")  # 60 days
    soon = datetime(2026, 8, 12, tzinfo=timezone.utc)
    graph.expires_at = int(soon.timestamp())
    graph.data_access_expires_at = int((soon + timedelta(days=60)).timestamp())
    (report,) = archive.capturing.run(page.id)
    assert report.ok
    assert archive.credentials.info(page.id).expires_at.startswith("2026-08-12")
    (alert,) = archive.capturing.alerts(page.id, kind="credentials.expiring")
    assert alert["details"]["expires_at"].startswith("2026-08-12")
    assert archive.capturing.status()[0].credentials_warning
    assert archive.credentials.token(page.id) == TOKEN      # the token itself unchanged
    graph.expires_at = 0   # a Page token that never expires: only data access does
    archive.capturing.configure(page.id, full_every=1)
    archive.capturing.run(page.id)
    assert archive.credentials.info(page.id).expires_at.startswith("2026-10-11")


def test_facebook_media_over_the_cap_is_a_problem_not_a_file(archive, page, graph):
    graph.add_post("big", photo=graph.file("big_n.jpg", b"x" * 5000))
    archive.capturing.configure(page.id, media_max_bytes=1000)
    (report,) = archive.capturing.run(page.id)
    assert report.ok and any("cap" in p["what"] for p in report.problems)
    assert not [i for i, _ in held(archive, page.id).values() if i.kind is Kind.MEDIA]


def test_facebook_captured_post_shares_the_importers_content_fields(archive, page, graph,
                                                                   tmp_path):
    text = "Road closed on Main St #traffic https://example.gov/roads"
    photo = graph.add_post(text, photo=graph.file("10158_55_n.jpg", PHOTO))
    archive.capturing.run(page.id)
    captured = archive.reading.content(held(archive, page.id)[photo][1][-1])
    export = tmp_path / "facebook-cityofexample-2026-08-02" / "posts"
    export.mkdir(parents=True)
    (export / "your_posts_1.json").write_text(json.dumps([{
        "timestamp": int(T0.timestamp()), "data": [{"post": text}],
        "attachments": [{"data": [{"media": {"uri": "posts/media/Album/10158_55_n.jpg",
                                             "description": "The new library"}}]}]}]))
    (export / "media" / "Album").mkdir(parents=True)
    (export / "media" / "Album" / "10158_55_n.jpg").write_bytes(PHOTO)
    imported_account = archive.registry.add_account("facebook", "cityofexample-export",
                                                    "agency")
    archive.ingesting.import_export(export.parent, imported_account.id, format="facebook")
    (imported,) = [archive.reading.content(v[-1]) for i, v in
                   held(archive, imported_account.id).values() if i.kind is Kind.POST]
    assert set(captured) == set(imported)      # the same fields
    for name in ("text", "urls", "hashtags", "tags", "edited_at", "place", "event"):
        assert captured[name] == imported[name], name
    assert captured["attachments"] == imported["attachments"]


def test_facebook_canary_token_appears_nowhere_in_plaintext(archive, page, graph, tmp_path,
                                                            caplog, cli):
    caplog.set_level(logging.DEBUG)
    seed(graph)
    for n in range(30):
        graph.add_post(f"notice {n}", at=T0 - timedelta(minutes=n))
    archive.capturing.run(page.id)                       # next links carry the token
    graph.fail(f"/{PAGE_ID}", 400, {"message": f"Invalid token {TOKEN}", "type": "OAuthException",
                                    "code": 190, "fbtrace_id": "AcAnArY"},
               headers={"WWW-Authenticate": f'OAuth "{TOKEN}"', "X-App-Usage": TOKEN})
    (failed,) = archive.capturing.run(page.id)
    assert not failed.ok and "[redacted]" in failed.failure["message"]
    exported = archive.evidence.export(
        list(range(1, archive.reading.stats()["versions"] + 1)), "warc", tmp_path / "o.warc.gz")
    shown = [cli("capture", "status", "--json").output, cli("alerts", "list", "--json").output,
             json.dumps(failed.as_dict()), caplog.text]
    assert "debug_token" in caplog.text      # httpx logged the request whose URL held it
    for text in shown:
        assert TOKEN not in text
    home = archive.context.settings.home
    for path in [*home.rglob("*"), exported]:
        if path.is_file() and not path.name.endswith("token.txt"):
            assert TOKEN.encode() not in path.read_bytes(), path
    if archive.context.store.dialect == "sqlite":
        dump = "\n".join(sqlite3.connect(home / "archive.db").iterdump())
        assert TOKEN not in dump and "Invalid token" in dump
    else:
        import sqlalchemy as sa
        with archive.context.read() as conn:
            for table in ("audit_events", "capture_runs", "credentials", "blobs", "capture_gaps"):
                for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                    assert TOKEN not in repr(row), table


def test_facebook_stub_answers_as_documented():
    """The stub itself: field selection and error shapes the capturer relies on."""
    stub = GraphStub("t")
    with stub:
        import httpx
        post = stub.add_post("hello")
        answer = httpx.get(f"{stub.url}/{post}", params={"fields": "id,message"},
                           headers={"Authorization": "Bearer t"})
        assert answer.json() == {"id": post, "message": "hello"}
        missing = httpx.get(f"{stub.url}/1_2", headers={"Authorization": "Bearer t"})
        assert missing.status_code == 400 and missing.json()["error"]["error_subcode"] == 33
        refused = httpx.get(f"{stub.url}/{post}", headers={"Authorization": "Bearer x"})
        assert refused.json()["error"]["code"] == 190
