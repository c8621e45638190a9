"""Bluesky capture against the reference PDS (@atproto/pds) and a PLC directory, run
locally by tests/capture/pds.py: accounts, posts, replies, edits, deletions, a handle
change and a blob made with the atproto package, then captured."""

from __future__ import annotations

import json
import secrets
import struct
import zlib

import httpx
import pytest

from civicarchive import Archive
from civicarchive.capture import bluesky, firehose
from civicarchive.capture.failures import CaptureFailed
from civicarchive.capture.guard import FetchGuard
from civicarchive.capture.http import open_client
from civicarchive.clock import SystemClock
from civicarchive.errors import InvalidInput
from civicarchive.model.record import Kind
from tests.capture.conftest import audit
from tests.capture.loopback import Loopback
from tests.capture.pds import LocalPds
from tests.capture.test_mastodon import items

# the atproto client uploads a blob with httpx's old `data=` spelling
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture(scope="module")
def pds(tmp_path_factory):
    with LocalPds.start(tmp_path_factory.mktemp("pds")) as server:
        yield server


@pytest.fixture
def database_url():
    """SQLite here: the PDS tests are slow enough; one test below runs on PostgreSQL."""
    return None


@pytest.fixture
def clock():
    """The PDS dates everything by the real clock, so the archive does too."""
    return SystemClock()


@pytest.fixture(autouse=True)
def quick_stream(monkeypatch):
    """A local PDS sends its backlog at once: a short quiet spell means it is done."""
    monkeypatch.setattr(bluesky, "STREAM_IDLE", 0.3)


def name(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


@pytest.fixture
def agency(pds):
    return pds.account(name("city"))


@pytest.fixture
def resident(pds):
    return pds.account(name("res"))


def register(archive, pds, agency, url=None, plc=None, **settings):
    account = archive.registry.add_account("bluesky", agency.handle, "agency", actor="clerk")
    archive.capturing.configure(account.id, url=url or pds.url, plc_url=plc or pds.plc,
                                actor="clerk", **settings)
    return account


def capture(archive, account):
    (report,) = archive.capturing.run(account.id, actor="clerk")
    return report


def png() -> bytes:
    """A real 1x1 PNG (the PDS sniffs the type of what is uploaded)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def latest(archive, account, native_id):
    _, versions = items(archive, account.id)[native_id]
    return versions[-1], archive.reading.content(versions[-1])


def cursors(archive) -> list[dict]:
    """The cursor each run kept, oldest first."""
    return [json.loads(run["cursor"]) for run in audit(archive, "capture.run")
            if run["cursor"]]


def put(agency, uri: str, text: str) -> None:
    """putRecord: the same rkey, new content."""
    rkey = uri.rsplit("/", 1)[1]
    record = agency.client.com.atproto.repo.get_record(
        {"repo": agency.did, "collection": "app.bsky.feed.post", "rkey": rkey}).value
    record = {**record.model_dump(by_alias=True, exclude_none=True), "text": text}
    agency.client.com.atproto.repo.put_record(
        {"repo": agency.did, "collection": "app.bsky.feed.post", "rkey": rkey,
         "record": record})


# -- a first pass ------------------------------------------------------------------------


def test_bluesky_first_pass_captures_posts_replies_blob_and_profile(archive, pds, agency,
                                                                    resident, tmp_path):
    first = agency.post("Council meets Tuesday at 7pm")
    image = agency.client.send_image("The new park", png(), "a green square",
                                     profile_identify=agency.did)
    reply = resident.post("Will it be streamed?", reply_to=first)
    deeper = resident.post("Answering myself: yes", reply_to=reply, root=first)
    own_reply = agency.post("Yes, on the city site", reply_to=reply, root=first)
    unrelated = resident.post("Nice weather")
    agency.client.com.atproto.repo.put_record(
        {"repo": agency.did, "collection": "app.bsky.actor.profile", "rkey": "self",
         "record": {"$type": "app.bsky.actor.profile", "displayName": "City of Example"}})
    account = register(archive, pds, agency)

    report = capture(archive, account)
    assert report.ok, report.failure
    held = items(archive, account.id)
    assert held[first.uri][0].kind is Kind.POST
    comment, versions = held[reply.uri]
    assert comment.kind is Kind.COMMENT and comment.parent_native_id == first.uri
    assert archive.reading.content(versions[-1])["text"] == "Will it be streamed?"
    assert archive.reading.content(versions[-1])["author"] == resident.did
    assert held[deeper.uri][0].kind is Kind.COMMENT
    assert held[deeper.uri][0].parent_native_id == reply.uri   # its root is ours
    assert held[own_reply.uri][0].kind is Kind.REPLY
    assert unrelated.uri not in held
    blob = archive.reading.content(latest(archive, account, image.uri)[0])["attachments"][0]
    media, media_versions = held[f"{image.uri}/{blob['blob']}"]
    assert media.kind is Kind.MEDIA and archive.reading.raw(media_versions[-1]) == png()
    profile = f"at://{agency.did}/app.bsky.actor.profile/self"
    assert held[profile][0].kind is Kind.PROFILE
    _, shown = latest(archive, account, profile)
    assert shown["handle"] == agency.handle and shown["display_name"] == "City of Example"
    assert report.counts["created"] == len(held)
    (cursor,) = cursors(archive)   # the signed commit checked, kept in the run
    assert cursor["commit"]["signature"] == "valid"
    assert cursor["commit"]["key"] == pds.key(agency.did)
    assert cursor["commit"]["rev"] == cursor["rev"]
    assert cursor["stream"]["replies"] == 2   # what the stream delivered: no AppView counts

    # the same repository imported from its CAR is the same items, content unchanged
    car = tmp_path / "repo.car"
    car.write_bytes(pds.http.get(f"{pds.url}/xrpc/com.atproto.sync.getRepo",
                                 params={"did": agency.did}).content)
    before = archive.reading.stats()["versions"]
    archive.ingesting.import_export(car, account.id, public_key=pds.key(agency.did))
    assert set(items(archive, account.id)) == set(held)
    # only the profile gains a version: an export holds no handle
    assert archive.reading.stats()["versions"] == before + 1
    assert latest(archive, account, first.uri)[0].source.startswith("capture:")


def test_bluesky_pass_run_twice_adds_no_version(archive, pds, agency, resident):
    post = agency.post("Road closure on Main St")
    resident.post("Thanks for the notice", reply_to=post)
    account = register(archive, pds, agency, full_every=1)
    assert capture(archive, account).ok
    before = archive.reading.stats()["versions"]
    again = capture(archive, account)
    assert again.ok and again.full
    assert archive.reading.stats()["versions"] == before
    assert again.counts == {**again.counts, "created": 0, "edited": 0, "deleted": 0}


def test_bluesky_incremental_pass_reads_only_what_changed(archive, pds, agency, resident):
    agency.post("First")
    account = register(archive, pds, agency)
    assert capture(archive, account).ok
    quiet = capture(archive, account)
    assert quiet.ok and not quiet.full and quiet.counts["created"] == 0
    later = agency.post("Second")
    reply = resident.post("Replying to the second", reply_to=later)
    report = capture(archive, account)
    assert report.ok and not report.full
    held = items(archive, account.id)
    assert held[later.uri][0].kind is Kind.POST and held[reply.uri][0].kind is Kind.COMMENT
    assert report.counts["created"] == 2


# -- edits, deletions, identity -----------------------------------------------------------


def test_bluesky_put_record_is_an_edited_version(archive, pds, agency, resident):
    post = agency.post("The meeting is at 6pm")
    reply = resident.post("Which room?", reply_to=post)
    account = register(archive, pds, agency)
    assert capture(archive, account).ok
    put(agency, post.uri, "Corrected: the meeting is at 7pm")
    put(resident, reply.uri, "Which room? (edited)")
    report = capture(archive, account)
    assert report.ok and not report.full and report.counts["edited"] == 2
    version, content = latest(archive, account, post.uri)
    assert version.event.value == "edited" and content["text"].startswith("Corrected")
    version, content = latest(archive, account, reply.uri)
    assert version.event.value == "edited" and content["text"].endswith("(edited)")


def test_bluesky_deleted_post_is_recorded_only_after_its_recheck(archive, pds, agency):
    kept, victim = agency.post("Stays"), agency.post("Posted by mistake")
    account = register(archive, pds, agency)
    assert capture(archive, account).ok
    agency.client.delete_post(victim.uri)
    incremental = capture(archive, account)   # not a full listing: nothing inferred
    assert incremental.ok and incremental.counts["deleted"] == 0
    assert latest(archive, account, victim.uri)[0].event.value == "created"
    archive.capturing.configure(account.id, full_every=1)
    full = capture(archive, account)
    assert full.ok and full.full and full.counts["deleted"] == 1
    assert latest(archive, account, victim.uri)[0].event.value == "deleted"
    assert latest(archive, account, kept.uri)[0].event.value == "created"
    (deletions,) = audit(archive, "capture.deletions")
    (confirmed,) = deletions["confirmed"]
    assert confirmed["native_id"] == victim.uri and confirmed["status"] == 400
    assert "RecordNotFound" in confirmed["body"]   # the PDS's own answer


def test_bluesky_transient_error_on_recheck_deletes_nothing(archive, pds, agency):
    victim = agency.post("Soon gone")
    account = register(archive, pds, agency, full_every=1)
    assert capture(archive, account).ok
    agency.client.delete_post(victim.uri)
    with Proxy(pds, fail="com.atproto.repo.getRecord") as proxy:
        archive.capturing.configure(account.id, url=proxy.url, stream_url=pds.url)
        report = capture(archive, account)
    assert report.ok and report.counts["deleted"] == 0
    assert latest(archive, account, victim.uri)[0].event.value == "created"
    assert any(p["where"] == victim.uri for p in report.problems)


def test_bluesky_bare_404_on_recheck_deletes_nothing(archive, pds, agency):
    victim = agency.post("Not yet gone")
    account = register(archive, pds, agency, full_every=1)
    assert capture(archive, account).ok
    agency.client.delete_post(victim.uri)
    with Proxy(pds, fail="com.atproto.repo.getRecord", status=404) as proxy:
        archive.capturing.configure(account.id, url=proxy.url, stream_url=pds.url)
        report = capture(archive, account)
    assert report.ok and report.counts["deleted"] == 0
    assert latest(archive, account, victim.uri)[0].event.value == "created"


def test_bluesky_deleted_reply_is_a_deletion_event_from_the_stream(archive, pds, agency,
                                                                 resident):
    post = agency.post("Comments welcome")
    reply = resident.post("Rude remark I regret", reply_to=post)
    account = register(archive, pds, agency)
    assert capture(archive, account).ok
    resident.client.delete_post(reply.uri)
    report = capture(archive, account)
    assert report.ok and report.counts["deleted"] == 1
    version, content = latest(archive, account, reply.uri)
    assert version.event.value == "deleted" and content["text"] == "Rude remark I regret"


def test_bluesky_handle_change_is_a_new_profile_version_of_the_same_did(archive, pds, agency):
    account = register(archive, pds, agency)
    assert capture(archive, account).ok
    renamed = name("hall") + ".test"
    agency.client.com.atproto.identity.update_handle({"handle": renamed})
    report = capture(archive, account)
    assert report.ok
    profile = f"at://{agency.did}/app.bsky.actor.profile/self"
    _, versions = items(archive, account.id)[profile]
    assert [v.event.value for v in versions] == ["created", "edited"]
    assert archive.reading.content(versions[-1])["handle"] == renamed
    assert archive.reading.content(versions[0])["handle"] == agency.handle
    assert [c["did"] for c in cursors(archive)] == [agency.did, agency.did]


# -- what is refused ---------------------------------------------------------------------


def test_bluesky_altered_block_is_refused_not_content(archive, pds, agency):
    agency.post("The original words")
    with Proxy(pds, flip="com.atproto.sync.getRepo") as proxy:
        account = register(archive, pds, agency, url=proxy.url)
        archive.capturing.configure(account.id, stream_url=pds.url)
        report = capture(archive, account)
    assert not report.ok and "does not match its hash" in report.failure["message"]
    assert archive.reading.stats()["versions"] == 0


def wrong_key(pds, did: str) -> Proxy:
    """The PLC directory, but answering for `did` with another account's key."""
    other = pds.account(name("other"))
    their_key = pds.http.get(f"{pds.plc}/{other.did}").json()["verificationMethod"][0]
    return Proxy(pds, key_of=(did, their_key["publicKeyMultibase"]), upstream=pds.plc)


def test_bluesky_wrong_key_is_refused_not_content(archive, pds, agency):
    agency.post("Signed by the city")
    with wrong_key(pds, agency.did) as directory:
        account = register(archive, pds, agency, plc=directory.url)
        report = capture(archive, account)
    assert not report.ok and "signature does not verify" in report.failure["message"]
    assert archive.reading.stats()["versions"] == 0


def test_bluesky_reply_that_does_not_verify_is_a_problem_not_content(archive, pds, agency,
                                                                   resident):
    post = agency.post("Our own words")
    forged = resident.post("Words its key did not sign", reply_to=post)
    with wrong_key(pds, resident.did) as directory:
        account = register(archive, pds, agency, plc=directory.url)
        report = capture(archive, account)
    assert report.ok, report.failure
    held = items(archive, account.id)
    assert post.uri in held and forged.uri not in held
    assert any("signature does not verify" in p["what"] for p in report.problems)


def test_bluesky_blob_over_the_size_cap_is_not_downloaded(archive, pds, agency):
    image = agency.client.send_image("Too big for the cap", png(), "square",
                                     profile_identify=agency.did)
    account = register(archive, pds, agency, media_max_bytes=10)
    report = capture(archive, account)
    assert report.ok
    assert [i.kind for i, _ in items(archive, account.id).values()
            if i.parent_native_id == image.uri] == []
    assert any("cap" in p["what"] and "getBlob" in p["where"] for p in report.problems)


def test_bluesky_unknown_handle_is_a_failure_naming_it(archive, pds):
    account = archive.registry.add_account("bluesky", "nobody.test", "agency")
    archive.capturing.configure(account.id, url=pds.url, plc_url=pds.plc)
    report = capture(archive, account)
    assert not report.ok and "nobody.test" in report.failure["message"]


def test_bluesky_reference_servers_listen_on_loopback_only(pds):
    ports = {int(url.rsplit(":", 1)[1]) for url in (pds.url, pds.plc)}
    listening = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) in ports:   # LISTEN
                listening.setdefault(int(port, 16), set()).add(address)
    assert set(listening) == ports
    assert all(found == {"0100007F"} for found in listening.values()), listening  # 127.0.0.1


def test_bluesky_raw_bytes_are_a_proof_anyone_can_recheck(archive, pds, agency):
    post = agency.post("Provable")
    account = register(archive, pds, agency)
    assert capture(archive, account).ok
    version, _ = latest(archive, account, post.uri)
    raw = archive.reading.raw(version)
    did, key, record = bluesky.check_proof(raw, pds.key(agency.did))
    assert did == agency.did and key == post.uri.split("/", 3)[3]
    assert record["text"] == "Provable"
    other = pds.account(name("nokey"))
    with pytest.raises(InvalidInput, match="does not verify"):
        bluesky.check_proof(raw, pds.key(other.did))
    tampered = raw.replace(b"Provable", b"Provably")
    with pytest.raises(InvalidInput):
        bluesky.check_proof(tampered, pds.key(agency.did))


def test_bluesky_app_password_is_used_and_a_revoked_one_opens_a_gap(archive, pds, agency,
                                                                  tmp_path):
    agency.post("Authenticated read")
    password = agency.client.com.atproto.server.create_app_password(
        {"name": "archive"}).password
    account = register(archive, pds, agency)
    token = tmp_path / "token"
    token.write_text(password)
    archive.credentials.store(account.id, token, actor="clerk")
    assert capture(archive, account).ok
    agency.client.com.atproto.server.revoke_app_password({"name": "archive"})
    failed = capture(archive, account)
    assert not failed.ok and failed.gap_opened
    (gap,) = archive.capturing.gaps(account.id)
    assert gap["cause"] == "credentials_expired"
    assert gap["evidence"]["failures"][0]["evidence"]["status"] == 401
    assert password not in json.dumps(gap) and password not in json.dumps(failed.as_dict())


def test_bluesky_login_is_not_sent_on_to_a_redirect():
    """A PDS (or anyone between) answering the login with 307 would have the client resend
    the app password, in the body, to wherever the Location header points."""
    sent = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(307, headers={"location": "https://elsewhere.example/steal"})

    client = httpx.Client(transport=httpx.MockTransport(answer), follow_redirects=True)
    with pytest.raises(CaptureFailed, match="redirects the login to https://elsewhere.example"):
        bluesky.create_session(client, "https://pds.example", "did:plc:abc", "app-password")
    assert [str(r.url) for r in sent] == [
        "https://pds.example/xrpc/com.atproto.server.createSession"]


def test_bluesky_login_gives_up_a_server_trickling_its_headers(loopback_only):
    from civicarchive.capture.failures import PlatformUnavailable
    from tests.capture.test_http import TrickledHeaders
    with TrickledHeaders() as server, open_client(timeout=5, allow_loopback=True) as client:
        with pytest.raises(PlatformUnavailable, match="no whole answer within 0.5 s"):
            bluesky.create_session(client, server.url, "did:plc:abc", "app-password",
                                   within=0.5)
    assert max(server.sent) < 100


def test_bluesky_login_is_never_sent_over_plain_http_off_this_machine():
    sent = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r)))
    with pytest.raises(CaptureFailed, match="only over https"):
        bluesky.create_session(client, "http://pds.example", "did:plc:abc", "app-password")
    assert sent == []


def test_bluesky_stream_goes_through_the_ssrf_guard(pds):
    reading = firehose.Reading()
    with FetchGuard(allow_loopback=False).client() as guarded:
        with pytest.raises(CaptureFailed, match="loopback"):
            list(firehose.read(guarded, firehose.stream_url(None, pds.url), 0, reading))
    with open_client(allow_loopback=True) as allowed:
        events = list(firehose.read(allowed, firehose.stream_url(None, pds.url), 0, reading,
                                    idle=0.3))
    assert events and events[0].seq == 1


def test_bluesky_capture_on_postgresql(pg_url, tmp_path, pds, agency, resident):
    post = agency.post("Stored in PostgreSQL")
    resident.post("Noted", reply_to=post)
    archive = Archive.init("City of Example", home=tmp_path / "pg", database_url=pg_url,
                           clock=SystemClock(), actor="clerk")
    try:
        account = register(archive, pds, agency, full_every=1)
        assert capture(archive, account).ok
        before = archive.reading.stats()["versions"]
        assert before == 3   # post, comment, profile
        assert capture(archive, account).ok
        assert archive.reading.stats()["versions"] == before
    finally:
        archive.close()


def test_cli_capture_run_for_a_bluesky_account(cli, pds, agency, resident):
    post = agency.post("From the command line")
    resident.post("Seen", reply_to=post)
    cli("init", "--agency", "City of Example")
    added = json.loads(cli("accounts", "add", "--platform", "bluesky", "--handle",
                           agency.handle, "--classification", "agency", "--json").output)
    configured = json.loads(cli("capture", "configure", added["id"], "--url", pds.url,
                                "--plc-url", pds.plc, "--stream-url",
                                pds.url.replace("http://", "ws://"), "--json").output)
    assert configured["plc_url"] == pds.plc
    (run,) = json.loads(cli("capture", "run", "--account", added["id"], "--json").output)
    assert run["outcome"] == "ok" and run["created"] == 3, run


# -- a loopback proxy for the refusals -----------------------------------------------------


class Proxy(Loopback):
    """Forwards GETs to the PDS (or `upstream`); can fail one method (503, or `status`), flip a
    byte in one method's answer, or swap a DID's key in the directory's answer."""

    def __init__(self, pds: LocalPds, fail: str | None = None, flip: str | None = None,
                 key_of: tuple[str, str] | None = None, upstream: str | None = None,
                 status: int = 503) -> None:
        self.upstream = upstream or pds.url
        self.fail, self.flip, self.key_of, self.status = fail, flip, key_of, status
        self.http = httpx.Client(trust_env=False)
        super().__init__(self.forward)

    def forward(self, method, path, query, headers):
        if self.fail and path.endswith(self.fail):
            return self.status, {"content-type": "text/plain"}, b"down for maintenance"
        response = self.http.get(f"{self.upstream}{path}",
                                 params={k: v[0] for k, v in query.items()})
        body = response.content
        if self.flip and path.endswith(self.flip) and len(body) > 200:
            at = len(body) - 40   # inside the last block: a record or a tree node
            body = body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1:]
        if self.key_of and path == f"/{self.key_of[0]}":
            document = json.loads(body)
            document["verificationMethod"][0]["publicKeyMultibase"] = self.key_of[1]
            body = json.dumps(document).encode()
        return response.status_code, {"content-type": response.headers.get(
            "content-type", "application/octet-stream")}, body

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.http.close()


@pytest.fixture
def lexical(monkeypatch):
    """The moderation engine's fallback (read when the archive opens, so before `archive`):
    this is a test of the threadgate, not of the sentence encoder, which costs seconds to
    load (tests/moderation test it)."""
    monkeypatch.setenv("CIVICARCHIVE_EMBEDDINGS", "off")


def test_bluesky_hide_and_unhide_rewrite_the_threadgate_keeping_its_rules(lexical, archive, pds,
                                                                         agency, resident,
                                                                         tmp_path):
    from civicarchive.policy import EXAMPLES
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    post = agency.post("Warming shelter open tonight at the Community Center")
    spam = resident.post("BUY CHEAP WATCHES at http://watches.example.com "
                         "http://watches.example.com/deal", reply_to=post)
    kept = resident.post("Is it open all night?", reply_to=post)
    rkey = post.uri.rsplit("/", 1)[1]
    agency.client.com.atproto.repo.put_record(   # a rule of the agency's, to be kept
        {"repo": agency.did, "collection": "app.bsky.feed.threadgate", "rkey": rkey,
         "record": {"$type": "app.bsky.feed.threadgate", "post": post.uri,
                    "createdAt": "2026-01-01T00:00:00.000Z",
                    "allow": [{"$type": "app.bsky.feed.threadgate#followingRule"}],
                    "hiddenReplies": [kept.uri]}})
    password = agency.client.com.atproto.server.create_app_password({"name": "mod"}).password
    account = register(archive, pds, agency)
    token = tmp_path / "token"
    token.write_text(password)
    archive.credentials.store(account.id, token, actor="clerk")
    assert capture(archive, account).ok
    comment = items(archive, account.id)[spam.uri][0].id

    def gate() -> dict:
        return agency.client.com.atproto.repo.get_record(
            {"repo": agency.did, "collection": "app.bsky.feed.threadgate",
             "rkey": rkey}).value.model_dump(by_alias=True)

    done = archive.moderation.act(comment, "hide", "moderator", clause="spam")
    assert done["outcome"] == "carried out", done["outcome_detail"]
    assert password not in json.dumps(done)
    assert gate()["hiddenReplies"] == [kept.uri, spam.uri]
    assert "followingRule" in str(gate()["allow"])   # the agency's own rule is kept
    assert archive.moderation.act(comment, "unhide", "moderator")["outcome"] == "carried out"
    assert gate()["hiddenReplies"] == [kept.uri]
    blocked = archive.moderation.act(comment, "block", "moderator", clause="spam")
    assert blocked["outcome"] == "recorded only"
