"""The open archive's pages in process: what shows, what never does, caching, the feed,
proofs, and one 404 for everything not shown."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import feedparser
import pytest
import orjson
from fastapi.testclient import TestClient

from civicarchive.store.proof import parse_proof, verify_proof
from tests.public.conftest import CANARIES, SLUG

HOME = f"/public/{SLUG}"
NEW = 10  # the first record a test adds: records are numbered as first seen (conftest: 1 to 9)


def test_agencies_lists_the_published_agency(public):
    page = public.client.get("/public/")
    assert page.status_code == 200 and f'href="{HOME}"' in page.text


def test_home_lists_newest_public_records_only(public):
    page = public.client.get(HOME)
    assert page.status_code == 200
    assert f"{HOME}/records/{public.items['post']}" in page.text
    assert f"{HOME}/records/{public.items['comment']}" in page.text
    for name in ("message", "embargoed", "employee", "hidden", "withheld", "redacted",
                 "followers"):
        assert f"{HOME}/records/{public.items[name]}\"" not in page.text, name


def test_search_with_facets_counts_only_what_shows(public):
    page = public.client.get(f"{HOME}/search", params={"q": "budget"})
    assert page.status_code == 200
    assert "2 records found" in page.text  # the post and one comment
    assert re.search(r"comment \(1\)", page.text) and re.search(r"post \(1\)", page.text)


def test_record_page_renders_the_native_card_with_its_thread_escaped(public):
    page = public.client.get(f"{HOME}/records/{public.items['post']}")
    assert page.status_code == 200
    assert "Budget hearing tonight" in page.text and "Will the budget cover parks?" in page.text
    assert "<script>window.__xss" not in page.text and "&lt;script&gt;" in page.text
    assert "withheld: personal information" in page.text.lower()
    assert "REDACTED: personal information" in page.text
    scripts = _tags(page.text, "script")
    assert all("nonce" in attributes or "src" not in attributes for attributes in scripts)


def test_everything_not_shown_is_the_same_404(public):
    missing = public.client.get(f"{HOME}/records/99999")
    assert missing.status_code == 404
    for name in ("message", "embargoed", "employee", "hidden", "withheld", "followers"):
        answer = public.client.get(f"{HOME}/records/{public.items[name]}")
        assert answer.status_code == 404 and answer.text == missing.text, name
    assert public.client.get("/public/no-such-agency").text == missing.text


def test_pages_are_cacheable_with_etags(public):
    first = public.client.get(f"{HOME}/records/{public.items['post']}")
    assert first.headers["cache-control"] == "public, max-age=60" and first.headers["etag"]
    again = public.client.get(f"{HOME}/records/{public.items['post']}",
                              headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert "content-security-policy" in first.headers


def test_the_feed_is_atom_of_what_shows(public):
    answer = public.client.get(f"{HOME}/feed.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo and feed.feed.title.startswith("City of Example")
    links = {entry.link for entry in feed.entries}
    assert links == {f"http://127.0.0.1{HOME}/records/{public.items[n]}"
                     for n in ("post", "comment")}


def test_the_feed_links_to_the_public_url_whatever_host_a_request_names(public):
    # A cache in front (nginx keys on the upstream's name by default) would keep a feed
    # whose links point to the host a request made up, and serve it to every reader.
    from civicarchive.web.app import create_app
    forged = public.client.get(f"{HOME}/feed.atom", headers={"Host": "evil.example"})
    assert "evil.example" in forged.text  # without a public URL: the request's own host
    client = TestClient(create_app(public.archive, public_url="https://records.example.gov/"),
                        base_url="http://127.0.0.1")
    answer = client.get(f"{HOME}/feed.atom", headers={"Host": "evil.example"})
    feed = feedparser.parse(answer.content)
    assert "evil.example" not in answer.text and feed.feed.link == \
        f"https://records.example.gov{HOME}"
    assert {e.link for e in feed.entries} == {
        f"https://records.example.gov{HOME}/records/{public.items[n]}"
        for n in ("post", "comment")}


@pytest.mark.parametrize("url", ["records.example.gov", "ftp://records.example.gov",
                                 "https://", "https://records.example.gov/?a=1",
                                 "https://records.example.gov/#top"])
def test_a_public_url_that_is_no_web_address_is_refused(public, url):
    from civicarchive.errors import InvalidInput
    from civicarchive.web.app import create_app
    with pytest.raises(InvalidInput, match="public URL"):
        create_app(public.archive, public_url=url)


def test_the_feed_stays_well_formed_whatever_the_text_holds(public):
    # Text pasted from a word processor carries a vertical tab; a platform may pass a NUL.
    # XML cannot hold either, even escaped: one such post made the whole feed unreadable.
    from dataclasses import replace

    from tests.conftest import T0, observe
    city = public.archive.registry.accounts()[0].id
    public.archive.ingesting.ingest([replace(
        observe(city, "controls", "Road\x0bclosure\x00 notice\x1b on Elm"),
        created_at=T0)], source="test", actor="clerk")
    answer = public.client.get(f"{HOME}/feed.atom")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.bozo_exception
    assert any("Road\ufffdclosure\ufffd notice\ufffd on Elm" in e.summary
               for e in feed.entries)


def test_a_public_proof_verifies_and_leaves_redacted_text_out(public):
    answer = public.client.get(f"{HOME}/records/{public.items['post']}/proof.json")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    result = verify_proof(parse_proof(answer.content, "proof"))
    assert result.content_included
    redacted = public.client.get(f"{HOME}/records/{public.items['redacted']}/proof.json")
    assert redacted.status_code == 200
    assert orjson.loads(redacted.content)["content"] is None
    assert CANARIES["redacted"] not in redacted.text


def test_check_page_carries_the_key_and_the_verifier(public):
    page = public.client.get(f"{HOME}/records/{public.items['post']}/check")
    assert page.status_code == 200
    key = public.archive.context.public_key_b64
    assert f'data-key="{key}"' in page.text and "verify.js" in page.text
    assert public.archive.context.public_key_fingerprint in page.text
    assert public.client.get(f"{HOME}/key.pem").content == \
        public.archive.evidence.public_key_pem()


def test_no_canary_in_any_public_answer(public):
    seen = _crawl(public.client, ["/public/", HOME, f"{HOME}/feed.atom",
                                  f"{HOME}/search?q=budget", f"{HOME}/search?q=CANARY",
                                  *(f"{HOME}/search?q={c}" for c in CANARIES.values()),
                                  *(f"{HOME}/records/{i}" for i in public.items.values()),
                                  *(f"{HOME}/records/{i}/proof.json"
                                    for i in public.items.values()),
                                  f"{HOME}/search?q=%22unclosed", f"{HOME}?page=0",
                                  f"{HOME}/accounts/2", f"{HOME}/checkpoint.json"])
    assert len(seen) > 15
    for url, body in seen.items():
        for name, canary in CANARIES.items():
            # A search for the canary echoes the query in its form, and nowhere else.
            body = body.replace(f'value="{canary}"', "")
            assert canary not in body, f"{name} canary in {url}"


def _crawl(client, start: list[str], limit: int = 200) -> dict[str, str]:  # noqa: ANN001
    seen, queue = {}, list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        answer = client.get(url)
        seen[url] = answer.text
        for link in re.findall(r'href="(/public/[^"#]*)"', answer.text):
            link = link.replace("&amp;", "&")
            if link not in seen and "/static/" not in link:
                queue.append(link)
    return seen


def _tags(html: str, name: str) -> list[dict]:
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):  # noqa: ANN001
            if tag == name:
                found.append(dict(attrs))

    Parser().feed(html)
    return found


def test_search_counts_facets_of_many_matches_only_when_asked(public, monkeypatch):
    from civicarchive.web.public import archive as pages
    monkeypatch.setattr(pages, "FACET_AT_ONCE", 1)  # "budget" finds 2: many, here
    page = public.client.get(f"{HOME}/search", params={"q": "budget"})
    assert page.status_code == 200 and "2 records found" in page.text
    assert not re.search(r"comment \(1\)", page.text)
    link = re.search(r'href="(\?[^"]*facets=true[^"]*)"', page.text).group(1)
    counted = public.client.get(f"{HOME}/search" + link.replace("&amp;", "&"))
    assert "2 records found" in counted.text
    assert re.search(r"comment \(1\)", counted.text) and re.search(r"post \(1\)", counted.text)


def test_a_redacted_handle_shows_nowhere(public):
    # A handle redacted in a request: the account's records leave listings and search,
    # its name leaves the list of accounts, and a record's page names it redacted.
    city = next(a for a in public.archive.registry.accounts() if a.handle == "cityofexample")
    assert f'/accounts/{city.id}">cityofexample</a>' in public.client.get(HOME).text
    public.archive.requests.redact_handle(1, public.items["redacted"], "privacy", "clerk")
    for url in (HOME, f"{HOME}/records/{public.items['post']}",
                f"{HOME}/records/{public.items['comment']}", f"{HOME}/feed.atom",
                f"{HOME}/search?q=budget"):
        answer = public.client.get(url)
        assert answer.status_code == 200, url
        assert "cityofexample" not in answer.text, url
    assert "REDACTED: privacy" in public.client.get(
        f"{HOME}/records/{public.items['post']}").text
    assert public.client.get(f"{HOME}/accounts/{city.id}").status_code == 404


def test_a_hidden_comment_has_no_check_page(public, tmp_path):
    # With `hidden: notice` a hidden comment shows as a marker in its thread, and its own
    # page is the shared 404: so must its check page be.
    from tests.public.conftest import EXAMPLES
    policy = tmp_path / "notice.yaml"
    policy.write_text((EXAMPLES / "washington-local.yaml").read_text().replace(
        "  hidden: hide ", "  hidden: notice ", 1))
    public.archive.custody.adopt_policy(policy, "clerk")
    thread = public.client.get(f"{HOME}/records/{public.items['post']}").text
    assert "Comment withheld: hidden under the agency&#39;s moderation policy</p>" in thread
    missing = public.client.get(f"{HOME}/records/99999/check")
    hidden = public.client.get(f"{HOME}/records/{public.items['hidden']}/check")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text
    assert public.client.get(f"{HOME}/records/{public.items['post']}/check").status_code == 200


def test_an_id_too_large_for_the_database_is_the_same_404(public):
    missing = public.client.get(f"{HOME}/records/99999")
    for url in (f"{HOME}/records/99999999999999999999999",
                f"{HOME}/records/9223372036854775808/check",
                f"{HOME}/records/9223372036854775808/proof.json",
                f"{HOME}/records/-1", f"{HOME}/accounts/99999999999999999999"):
        answer = public.client.get(url)
        assert answer.status_code == 404 and answer.text == missing.text, url


def test_a_public_proof_leaves_out_content_that_names_a_redacted_author(public):
    from civicarchive.model.record import Kind, Observation
    from tests.conftest import T0
    city = public.archive.registry.accounts()[0].id

    def seen(native_id: str, kind: Kind, content: dict, author: str) -> Observation:
        return Observation(account_id=city, native_id=native_id, kind=kind, observed_at=T0,
                           created_at=T0, content=content, raw=native_id.encode(),
                           author=author, parent_native_id="1" if kind is Kind.COMMENT
                           else None)
    public.archive.ingesting.ingest([
        seen("9", Kind.POST, {"text": "Parks plan",
                              "media": [{"alt": "photo by resident.ruth"}]}, "cityofexample"),
        seen("10", Kind.COMMENT, {"text": "Nice photo"}, "resident.ruth"),
    ], source="test", actor="clerk")
    post, comment = NEW, NEW + 1
    shown = public.client.get(f"{HOME}/records/{post}/proof.json")
    assert shown.status_code == 200 and "resident.ruth" in shown.text
    public.archive.requests.collect(1, "clerk", items=[comment])
    public.archive.requests.redact_author(1, comment, "privacy", "clerk")
    answer = public.client.get(f"{HOME}/records/{post}/proof.json")
    assert answer.status_code == 200
    assert orjson.loads(answer.content)["content"] is None
    assert "resident.ruth" not in answer.text
    assert verify_proof(parse_proof(answer.content, "proof")).content_included is False


def test_head_answers_as_get_without_a_body_and_any_etag_matches(public):
    for url in (HOME, f"{HOME}/records/{public.items['post']}", f"{HOME}/feed.atom",
                f"{HOME}/records/{public.items['post']}/proof.json", f"{HOME}/requests/new"):
        got, head = public.client.get(url), public.client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head.content == b"" and head.headers["content-type"] == \
            got.headers["content-type"], url
    first = public.client.get(HOME)
    tag = first.headers["etag"]
    for given in ("*", f"W/{tag}", f'"other", {tag}'):
        assert public.client.get(HOME, headers={"If-None-Match": given}).status_code == 304
    assert public.client.get(HOME, headers={"If-None-Match": '"other"'}).status_code == 200
    assert public.client.head(f"{HOME}/records/99999").status_code == 404


@pytest.mark.parametrize("hidden", ["hide", "notice"])
def test_replies_under_a_withheld_or_hidden_comment_show_nowhere(public, tmp_path, hidden):
    # The thread shows nothing under a marker (a reply often quotes what was withheld):
    # nor may search, listings, the feed or the replies' own pages.
    from dataclasses import replace

    from civicarchive.model.record import Event, Kind
    from tests.conftest import T0, observe
    from tests.public.conftest import EXAMPLES
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLES / "washington-local.yaml").read_text().replace(
        "  hidden: hide ", f"  hidden: {hidden} ", 1))
    public.archive.custody.adopt_policy(policy, "clerk")
    city = public.archive.registry.accounts()[0].id

    def reply(native_id: str, parent: str, text: str):  # noqa: ANN202
        return replace(observe(city, native_id, text, kind=Kind.REPLY), created_at=T0,
                       parent_native_id=parent, author=f"resident{native_id}")
    public.archive.ingesting.ingest([
        reply("20", "3", "UNDERWITHHELD your address is wrong"),
        reply("21", "20", "UNDERWITHHELD deeper"),
        reply("22", "8", "UNDERHIDDEN reply to spam"),
        reply("23", "2", "UNDERSHOWN a plain reply")], source="test", actor="clerk")
    ids = {n: NEW + i for i, n in enumerate(("20", "21", "22", "23"))}
    missing = public.client.get(f"{HOME}/records/99999")
    for native_id in ("20", "21", "22"):
        for suffix in ("", "/check", "/proof.json"):
            answer = public.client.get(f"{HOME}/records/{ids[native_id]}{suffix}")
            assert answer.status_code == 404 and answer.text == missing.text, (native_id,
                                                                              suffix)
    assert public.client.get(f"{HOME}/records/{ids['23']}").status_code == 200
    for url in (HOME, f"{HOME}/feed.atom", f"{HOME}/search?q=UNDERWITHHELD",
                f"{HOME}/search?q=UNDERHIDDEN", f"{HOME}/search?q=reply",
                f"{HOME}/records/{public.items['post']}"):
        text = public.client.get(url).text.replace('value="UNDERWITHHELD"', "") \
            .replace('value="UNDERHIDDEN"', "")
        assert "UNDERWITHHELD" not in text and "UNDERHIDDEN" not in text, url
    assert "UNDERSHOWN" in public.client.get(f"{HOME}/search?q=UNDERSHOWN").text
    # Shown again when the comment is: the buried set follows every new version.
    public.archive.ingesting.ingest([replace(
        observe(city, "8", "Budget spam", minutes=9, kind=Kind.COMMENT, event=Event.UNHIDDEN),
        parent_native_id="1", author="spammer")], source="test", actor="clerk")
    assert public.client.get(f"{HOME}/records/{ids['22']}").status_code == 200
    assert "UNDERHIDDEN" in public.client.get(f"{HOME}/search?q=UNDERHIDDEN").text


def test_replies_under_a_comment_deleted_under_hide_show_nowhere(public, tmp_path):
    from dataclasses import replace

    from civicarchive.model.record import Event, Kind
    from tests.conftest import T0, observe
    from tests.public.conftest import EXAMPLES
    city = public.archive.registry.accounts()[0].id
    public.archive.ingesting.ingest([
        replace(observe(city, "20", "UNDERDELETED a reply", kind=Kind.REPLY), created_at=T0,
                parent_native_id="2", author="resident20"),
        replace(observe(city, "2", None, minutes=9, kind=Kind.COMMENT, event=Event.DELETED),
                parent_native_id="1")], source="test", actor="clerk")
    reply = NEW
    # `deleted: notice` (the example's): the deleted comment shows, with its replies.
    assert public.client.get(f"{HOME}/records/{reply}").status_code == 200
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLES / "washington-local.yaml").read_text().replace(
        "  deleted: notice ", "  deleted: hide ", 1))
    public.archive.custody.adopt_policy(policy, "clerk")
    assert public.client.get(f"{HOME}/records/{reply}").status_code == 404
    assert "UNDERDELETED" not in public.client.get(
        f"{HOME}/search?q=reply").text.replace('value="reply"', "")


def _media(account: int, native_id: str, parent: str, word: str, created):  # noqa: ANN001, ANN202
    """A photo under `parent` whose alt text and file name carry `word`."""
    from datetime import timedelta

    from civicarchive.model.record import Kind, Observation
    from tests.conftest import T0
    return Observation(account_id=account, native_id=native_id, kind=Kind.MEDIA,
                       observed_at=T0 + timedelta(minutes=30), created_at=created,
                       parent_native_id=parent, author="cityofexample",
                       content={"file": f"{word}.jpg", "media_type": "image/jpeg",
                                "alt": f"photo {word}"},
                       raw=b"\xff\xd8\xff" + word.encode(), raw_media_type="image/jpeg")


def _shows_nowhere(public, item_id: int, word: str) -> None:  # noqa: ANN001
    missing = public.client.get(f"{HOME}/records/99999")
    for suffix in ("", "/check", "/proof.json"):
        answer = public.client.get(f"{HOME}/records/{item_id}{suffix}")
        assert answer.status_code == 404 and answer.text == missing.text, (item_id, suffix)
    for url in (HOME, f"{HOME}/feed.atom", f"{HOME}/search?q={word}", f"{HOME}/search?q=photo",
                f"{HOME}/accounts/1", f"{HOME}/records/{public.items['post']}"):
        text = public.client.get(url).text.replace(f'value="{word}"', "")
        assert word not in text, url


def test_a_photo_sent_in_a_direct_message_shows_nowhere(public):
    # A direct message never shows, so neither may what it carries: its media are records
    # of their own, under it, which the rules alone would show as any photo.
    from tests.conftest import T0
    city = public.archive.registry.accounts()[0].id
    public.archive.ingesting.ingest([
        _media(city, "5/photo", str(public.items["message"]), "SENTPRIVATELY", T0),
        _media(city, "1/photo", str(public.items["post"]), "POSTEDPUBLICLY", T0)],
        source="test", actor="clerk")
    _shows_nowhere(public, NEW, "SENTPRIVATELY")
    assert public.client.get(f"{HOME}/records/{NEW + 1}").status_code == 200  # the post's photo
    assert "POSTEDPUBLICLY" in public.client.get(f"{HOME}/search?q=POSTEDPUBLICLY").text


def test_a_photo_found_before_its_message_leaves_when_the_message_arrives(public):
    # The archive follows new records: a photo ingested before the message it came in
    # (exports and captures arrive in any order) shows as a photo of its own until then.
    from dataclasses import replace

    from civicarchive.model.record import Kind
    from tests.conftest import T0, observe
    city = public.archive.registry.accounts()[0].id
    public.archive.ingesting.ingest([_media(city, "50/photo", "50", "LATEMESSAGE", T0)],
                                    source="test", actor="clerk")
    assert public.client.get(f"{HOME}/records/{NEW}").status_code == 200
    public.archive.ingesting.ingest([replace(observe(city, "50", "a second message",
                                                     kind=Kind.MESSAGE), created_at=T0)],
                                    source="test", actor="clerk")
    _shows_nowhere(public, NEW, "LATEMESSAGE")


def test_a_photo_older_than_its_embargoed_post_is_held_back_with_it(public):
    # Facebook dates a photo by when it was taken: shared in a post made yesterday, a photo
    # from last year is past any embargo by its own date, but shows the post's content.
    from datetime import datetime, timedelta, timezone

    from tests.conftest import T0
    city = public.archive.registry.accounts()[0].id
    public.archive.ingesting.ingest([
        _media(city, "6/photo", "6", "SHAREDTODAY", T0)], source="test", actor="clerk")
    _shows_nowhere(public, NEW, "SHAREDTODAY")
    public.archive.context.clock._now = datetime(2026, 3, 8, tzinfo=timezone.utc) + \
        timedelta(minutes=1)  # the post (made 28 February, embargo 7 days) is out
    assert public.client.get(f"{HOME}/records/{public.items['embargoed']}").status_code == 200
    assert public.client.get(f"{HOME}/records/{NEW}").status_code == 200
    assert "SHAREDTODAY" in public.client.get(f"{HOME}/search?q=SHAREDTODAY").text


def test_a_photo_under_a_comment_shows_only_where_comments_do(public, tmp_path):
    from tests.conftest import T0
    from tests.public.conftest import EXAMPLES
    city = public.archive.registry.accounts()[0].id
    public.archive.ingesting.ingest([
        _media(city, "2/photo", "2", "UNDERCOMMENT", T0)], source="test", actor="clerk")
    assert public.client.get(f"{HOME}/records/{NEW}").status_code == 200
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLES / "washington-local.yaml").read_text().replace(
        "  comments: true ", "  comments: false ", 1))
    assert "comments: false" in policy.read_text()
    public.archive.custody.adopt_policy(policy, "clerk")
    _shows_nowhere(public, NEW, "UNDERCOMMENT")
