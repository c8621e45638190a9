"""The native-look renderer: each platform's card shows who, when, what and its markers;
archived content comes out inert; the version diff marks words; redactions show their
reason and never the words; the production PDF is built from the same cards."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from civicarchive.exports import native
from civicarchive.exports.pdf import production_html, render_production
from civicarchive.exports.produced import view_of
from civicarchive.model.production import (ProducedItem, ProducedVersion, Production,
                                           Redaction, WithheldRecord)
from civicarchive.model.view import PLATFORMS, MediaView, PostView, VersionView, WithheldView

REASON = "RCW 42.56.230"
PAYLOADS = ('<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
            '"><svg onload=alert(1)>', "javascript:alert(1)", "</article><style>*{}</style>",
            "<a href='javascript:alert(1)' style='color:red'>x</a>")


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join("".join(self.text).split())


def assert_inert(source: str) -> None:
    parsed = Tags(source)
    names = {tag for tag, _ in parsed.tags}
    assert not names & {"script", "style", "iframe", "object", "embed", "svg", "base",
                        "form", "meta", "link"}, names
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert value and not value.strip().lower().startswith(
                    ("javascript:", "vbscript:", "data:text")), (tag, name, value)


def post(platform: str = "x", **fields) -> PostView:
    base = dict(platform=platform, display_name="City Hall", handle="cityhall",
                created_at="2025-03-01T09:05:00Z", text=("Road closed on Fifth Avenue",),
                url="https://example.org/posts/1")
    return PostView(**{**base, **fields})


@pytest.mark.parametrize("platform", PLATFORMS)
def test_render_post_shows_author_handle_time_text_and_markers(platform):
    card = post(platform, deleted=True, hidden=True, edited=True, replies=(
        post(platform, display_name="Resident Seven", handle="res7", kind="comment",
             text=("Thanks for the update",), replies=(
                 post(platform, display_name="Deep Reply", handle=None, kind="reply",
                      text=("me too",)),)),))
    source = str(native.render_post(card, heading_level=2))
    parsed = Tags(source)
    text = parsed.plain
    assert f"np-{platform}" in source
    assert "City Hall" in text and "Road closed on Fifth Avenue" in text
    assert "Resident Seven" in text and "Thanks for the update" in text and "me too" in text
    if platform != "facebook":  # Facebook shows names only
        assert "cityhall" in text and "res7" in text
    for marker in ("Deleted", "Hidden", "Edited"):  # words, not colour alone
        assert marker in text
    times = [attrs for tag, attrs in parsed.tags if tag == "time"]
    assert times and times[0]["datetime"] == "2025-03-01T09:05:00Z"
    # Headings go one level down per reply; articles nest.
    headings = [tag for tag, _ in parsed.tags if tag in ("h2", "h3", "h4")]
    assert headings == ["h2", "h3", "h4"]
    assert [tag for tag, _ in parsed.tags].count("article") == 3
    avatars = [attrs for tag, attrs in parsed.tags if "np-avatar" in (attrs.get("class") or "")]
    assert avatars and all(a["aria-hidden"] == "true" for a in avatars)
    assert_inert(source)


def test_render_post_platform_differences():
    x = Tags(str(native.render_post(post("x")))).plain
    facebook = Tags(str(native.render_post(post("facebook")))).plain
    mastodon = Tags(str(native.render_post(post("mastodon", handle="city@social.example")))
                    ).plain
    assert "@cityhall" in x and "9:05 AM UTC · Mar 1, 2025" in x
    assert "cityhall" not in facebook.split("Facebook")[0]  # no handle in the header
    assert "1 March 2025 at 09:05 UTC" in facebook
    assert "@city@social.example" in mastodon
    feed = str(native.render_post(post("feed", title="Council agenda", handle=None)))
    assert '<h2 class="np-title-inline">Council agenda</h2>' in feed
    unknown = str(native.render_post(post("myspace")))
    assert "np-web" in unknown and "myspace" not in unknown.split(">")[0]


def test_render_post_payloads_everywhere_come_out_inert():
    for payload in PAYLOADS:
        card = post("mastodon", display_name=payload, handle=payload, text=(payload, "\n"),
                    title=payload, url=payload, kind="post",
                    media=(MediaView(payload, "image/png", src=payload, alt=payload),
                           MediaView("f", payload, src="javascript:alert(1)")),
                    replies=(post("feed", html=f"<p>ok</p>{payload}<a href='{payload}'>l</a>",
                                  display_name=payload, url=payload),
                             WithheldView(payload, payload, payload)),
                    history=(VersionView(payload, payload, (payload,)),
                             VersionView("edited", "2025-03-02T00:00:00Z", (payload, " x"))))
        source = str(native.render_post(card))
        assert_inert(source)
        assert "<script" not in source
        # the payload is shown as text, not dropped
        assert payload in Tags(source).plain


def test_sanitize_html_keeps_formatting_and_safe_links_only():
    source = ('<p>Agenda <b>tonight</b></p><script>alert(1)</script><iframe src="x"></iframe>'
              '<a href="https://city.example/agenda" onclick="x()">agenda</a>'
              '<a href="javascript:alert(1)">bad</a><img src="https://tracker.example/p.gif">'
              '<p style="color:red">styled</p>')
    clean = str(native.sanitize_html(source))
    assert_inert(clean)
    parsed = Tags(clean)
    assert "Agenda tonight" in parsed.plain and "alert(1)" not in parsed.plain
    assert ("b", {}) in parsed.tags and not any(tag == "img" for tag, _ in parsed.tags)
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert {"href": "https://city.example/agenda", "rel": "noopener noreferrer nofollow"} in links
    assert all(a.get("href", "").startswith("https://") for a in links if "href" in a)


def test_render_post_shows_archived_urls_as_links_never_as_images():
    card = post(media=(MediaView("photo.jpg", "image/jpeg", src="https://cdn.platform.example/p.jpg"),
                       MediaView("mine.jpg", "image/jpeg", src="/media/17", alt="Map of the park"),
                       MediaView("bare.png", "image/png", src="/media/18"),
                       MediaView("gone.png", "image/png", src="/media/19",
                                 withheld_reason=REASON)))
    parsed = Tags(str(native.render_post(card)))
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    # The caller's own URLs only; an http(s) src is the caller's to supply, a withheld one
    # is never shown.
    assert [i["src"] for i in images] == ["https://cdn.platform.example/p.jpg", "/media/17",
                                          "/media/18"]
    assert images[1]["alt"] == "Map of the park"
    assert images[2]["alt"] == native.NO_ALT
    assert f"Withheld: {REASON} (gone.png)" in parsed.plain
    links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert links == ["https://example.org/posts/1"]  # the record's URL: a link to click
    odd = Tags(str(native.render_post(post(url="ftp://example.org/x")))).plain
    assert "ftp://example.org/x" in odd  # shown as text, not linked


def test_render_post_text_is_escaped_with_line_breaks():
    source = str(native.render_post(post(text=("one <b>two</b>\nthree",))))
    assert "one &lt;b&gt;two&lt;/b&gt;<br>\nthree" in source


def test_redactions_show_the_reason_never_the_words():
    card = post(display_name=(Redaction(REASON),), handle=(Redaction(REASON),),
                url=("https://example.org/", Redaction(REASON)),
                text=("call ", Redaction(REASON), " today"),
                history=(VersionView("created", "2025-03-01T09:00:00Z", ("call today",)),
                         VersionView("edited", "2025-03-01T10:00:00Z",
                                     ("call ", Redaction(REASON), " today"))))
    source = str(native.render_post(card))
    parsed = Tags(source)
    assert f"call REDACTED: {REASON} today" in parsed.plain
    assert source.count('<span class="redaction">') >= 5  # name, handle, url, text, diff
    assert "?" in parsed.plain  # the avatar of a redacted name
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert links == []  # a URL with a redaction in it is not linked


def test_render_history_marks_words_added_and_removed():
    versions = (VersionView("created", "2025-03-01T09:00:00Z",
                            ("The meeting is on Tuesday at city hall",)),
                VersionView("edited", "2025-03-01T10:00:00Z",
                            ("The meeting is on Wednesday at city hall tonight",)),
                VersionView("edited", "2025-03-01T11:00:00Z", ("Cancelled.",)))
    source = str(native.render_history(versions, heading_level=3))
    assert '<del>Tuesday</del>' in source and '<ins>Wednesday</ins>' in source
    assert '<ins>tonight</ins>' in source
    assert '<span class="vh">removed: </span><del>Tuesday</del>' in source
    assert '<span class="vh">added: </span><ins>Wednesday</ins>' in source
    assert "<ins>meeting" not in source and "<del>meeting" not in source  # kept words
    parsed = Tags(source)
    assert "Version history, 3 versions" in parsed.plain
    assert [attrs["datetime"] for tag, attrs in parsed.tags if tag == "time"] == [
        "2025-03-01T09:00:00Z", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"]
    # A whole new text is shown as it is, marked rewritten, not as a diff of everything.
    assert "rewritten" in parsed.plain and "<ins>Cancelled.</ins>" not in source
    assert_inert(source)


def test_diff_counts_a_redaction_as_a_word():
    shown, rewritten = native.diff(("call Ann today",), ("call ", Redaction(REASON), " today"))
    assert not rewritten and "Ann" in shown  # the earlier version's words, as produced
    assert f'<ins><span class="redaction">REDACTED: {REASON}</span></ins>' in str(shown)


def test_stylesheet_has_no_imports_or_urls():
    css = native.stylesheet()
    assert ".redaction" in css and ".np-head" in css and ".vh" in css
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


def version(vid: int, text: tuple, event: str = "created") -> ProducedVersion:
    return ProducedVersion(vid, event, f"2025-03-01T12:0{vid % 10}:00Z",
                           f"2025-03-01T12:0{vid % 10}:05Z", text, f"{vid:064x}",
                           f"{vid:064x}", vid * 3, "test")


def produced(item_id: int, text: tuple, kind: str = "post", **fields) -> ProducedItem:
    base = dict(item_id=item_id, platform="bluesky", account="city.bsky.social", kind=kind,
                native_id=f"n{item_id}", url=f"https://bsky.app/profile/city/post/n{item_id}",
                author=f"Author {item_id}", created_at="2025-03-01T09:00:00Z",
                first_seen_at="2025-03-01T09:00:30Z", versions=(version(item_id * 10, text),),
                deleted=False, hidden=False)
    return ProducedItem(**{**base, **fields})


def test_view_of_produced_item_keeps_thread_facts_and_redacted_fields():
    withheld = WithheldRecord(9, "comment", None, "privacy", "RCW 42.56.050")
    item = produced(1, ("post text",), author=("Author ", Redaction(REASON)),
                    url=(Redaction(REASON),), versions=(
                        version(10, ("first",)), version(11, ("second",), "edited")),
                    thread=(produced(2, ("a comment",), "comment"), withheld))
    view = view_of(item)
    assert view.display_name == ("Author ", Redaction(REASON))
    assert view.handle == ("city.bsky.social",) and view.edited
    assert view.url == (Redaction(REASON),) and view.anchor == "item-1"
    assert [v.event for v in view.history] == ["created", "edited"]
    assert view.replies[0].handle is None and view.replies[0].display_name == ("Author 2",)
    assert view.replies[1] == WithheldView("comment", "privacy", "RCW 42.56.050")
    facts = " ".join(f"{f.label} {f.value}" for f in view.facts)
    assert "native id n1" in facts  # the URL is redacted, so it cannot show the id


def test_production_pdf_is_built_from_the_native_cards():
    thread = (produced(2, ("Will the library open late?",), "comment",
                       thread=(produced(3, ("Yes, until nine.",), "reply"),)),)
    items = (produced(1, ("Library hours change on Monday ", Redaction(REASON), " call us",),
                      thread=thread, deleted=True),)
    prod = Production(agency="City of Example", title="Request R-1, production 1",
                      prefix="CITY-", first_number=1, produced_at="2026-01-15T09:00:00Z",
                      items=items)
    source = production_html(prod)
    assert str(native.render_post(view_of(items[0]), 3, paper=True)) in source
    assert native.stylesheet() in source
    assert_inert(source.split("</style>", 1)[1])
    rendered = render_production(prod)
    text = " ".join(" ".join(p.extract_text() for p in
                             PdfReader(io.BytesIO(rendered.pdf)).pages).split())
    for shown in ("Author 1", "@city.bsky.social", "Library hours change on Monday",
                  f"REDACTED: {REASON} call us", "Deleted", "Author 2",
                  "Will the library open late?", "Author 3", "Yes, until nine.", "CITY-000001"):
        assert shown in text, shown
    assert text.index("Author 1") < text.index("Author 2") < text.index("Author 3")
    assert rendered.ranges == {1: ("CITY-000001",) * 2, 2: ("CITY-000001",) * 2,
                               3: ("CITY-000001",) * 2}


def test_production_pdf_shows_redacted_author_and_url_as_reasons():
    item = produced(1, ("before ", Redaction(REASON), " after"),
                    author=(Redaction("privacy"),), url=(Redaction("security"),))
    prod = Production("City", "Request R-2", "C-", 1, "2026-01-15T09:00:00Z", (item,))
    text = " ".join(" ".join(p.extract_text() for p in
                             PdfReader(io.BytesIO(render_production(prod).pdf)).pages).split())
    assert f"before REDACTED: {REASON} after" in text
    assert "Records REDACTED: privacy @city.bsky.social" in text  # the author, then handle
    assert "REDACTED: security" in text and "bsky.app" not in text
