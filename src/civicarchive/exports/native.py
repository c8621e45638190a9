"""The native-look renderer: one record (`model.view.PostView`) as an HTML fragment that looks
like the platform it came from, for the staff record view and the production PDF alike.

Pure: view-model in, HTML out; no SQL, no application imports, nothing fetched.

    render_post(post, heading_level=2) -> Markup   the card, its media and its reply thread
    render_history(versions, heading_level=3)      each version with a word diff
    stylesheet() -> str                            the CSS both use (no inline styles)
    environment()                                  the Jinja2 environment, to include
                                                   "post.html" / "history.html" elsewhere

Archived content is third-party input. Every template autoescapes; text is escaped and
only then gets `<br>` for newlines; archived HTML passes `sanitize_html` (nh3, a small
allow-list, http/https/mailto links only, rel="noopener noreferrer nofollow"). Archived
URLs are text links a person must click, never an `<img src>`: only the `MediaView.src`
the caller supplies is displayed, and only when it is a `data:image/` URI, a path on the
caller's own site or an http(s) URL. The output carries no script, no event handler and
no style attribute, so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import jinja2
import nh3
from markupsafe import Markup, escape

from civicarchive.model.production import Redaction, RedactedText
from civicarchive.model.view import (PLATFORMS, Fact, Field, MediaView, PostView, VersionView,
                                     unredacted)

__all__ = ["TEMPLATES", "environment", "render_history", "render_post", "sanitize_html",
           "stylesheet"]

TEMPLATES = Path(__file__).with_name("templates") / "native"
NO_ALT = "Image attached to the post (no description)"
REL = "noopener noreferrer nofollow"
_TAGS = {"a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "i", "ins", "li",
         "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "u", "ul"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
REWRITTEN = 1 / 3  # difflib's ratio under which a version counts as rewritten
_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True, slots=True)
class Look:
    """How a platform shows a record: its name, how handles and times read, and whether
    media comes before the text (Instagram, YouTube) and the title is the heading."""

    key: str                # the CSS class suffix: np-x, np-facebook...
    label: str
    at: str                 # handle prefix: "@" or ""
    clock: str              # time format name, see `_display_time`
    handles: bool = True    # Facebook shows names only
    media_first: bool = False
    titled: bool = False    # the title, not the author, is the card's heading


LOOKS = {
    "x": Look("x", "X", "@", "x"),
    "facebook": Look("facebook", "Facebook", "", "facebook", handles=False),
    "instagram": Look("instagram", "Instagram", "", "date", media_first=True),
    "mastodon": Look("mastodon", "Mastodon", "@", "mastodon"),
    "bluesky": Look("bluesky", "Bluesky", "@", "bluesky"),
    "youtube": Look("youtube", "YouTube", "@", "day", media_first=True, titled=True),
    "feed": Look("feed", "Feed", "", "web", titled=True),
    "web": Look("web", "Web page", "", "web", titled=True),
}


def render_post(post: PostView, heading_level: int = 2, paper: bool = False) -> Markup:
    """The card of `post` with its media and its reply thread (replies one heading level
    down, to h6 at most), as an HTML fragment. `paper`: as the PDF has it (the same look,
    flatter markup: see post.html)."""
    return Markup(_post_macro()(post, _level(heading_level), paper))


def render_history(versions: Sequence[VersionView], heading_level: int = 3) -> Markup:
    """Each version's event, time and facts, and its text as a word diff against the
    version before (<ins>/<del>, with "added"/"removed" for screen readers)."""
    return Markup(_history_macro()(tuple(versions), _level(heading_level)))


@cache
def stylesheet() -> str:
    """The CSS of the cards and histories: serve it at a URL, or embed it for WeasyPrint."""
    return (TEMPLATES / "native.css").read_text(encoding="utf-8")


@cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescaping on for every template, strict undefined."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, auto_reload=False)
    env.filters.update(segments=segments, link=link, initials=initials, handle=handle,
                       fact=fact)
    env.globals.update(look=look, when=when, media_src=media_src, alt_text=alt_text,
                       diff=diff, sanitize_html=sanitize_html, heading=_level)
    return env


@cache
def _post_macro():
    return environment().get_template("post.html").module.post


@cache
def _history_macro():
    return environment().get_template("history.html").module.history


def _level(level: int) -> int:
    return min(max(int(level), 1), 6)


def look(platform: str) -> Look:
    """The platform's look; an unknown platform looks like a web page."""
    return LOOKS[platform if platform in PLATFORMS and platform in LOOKS else "web"]


def segments(value: Field) -> Markup:
    """Text as HTML: escaped, newlines as <br>, each redaction a black box with its reason."""
    if value is None:
        return Markup("")
    if isinstance(value, str):
        value = (value,)
    out = []
    for segment in value:
        if isinstance(segment, Redaction):
            out.append(f'<span class="redaction">REDACTED: {escape(segment.reason)}</span>')
        else:
            out.append(str(escape(segment)).replace("\n", "<br>\n"))
    return Markup("".join(out))


def link(value: Field) -> Markup:
    """An archived URL as a text link (http and https only); any other scheme, and any
    redacted part, is shown as text and not linked."""
    url = unredacted(value)
    if url is None or not url.lower().startswith(("https://", "http://")):
        return segments(value)
    return Markup(f'<a class="np-link" href="{escape(url)}" rel="{REL}">{escape(url)}</a>')


def handle(value: Field, platform: str) -> Markup:
    if value is None:
        return Markup("")
    prefix = look(platform).at
    if isinstance(value, str):
        return escape(prefix + value.removeprefix("@"))
    return Markup(escape(prefix)) + segments(value)


def fact(f: Fact) -> str:
    return f"{f.label} {f.value}" if f.label else f.value


def initials(value: Field) -> str:
    """Up to two initials for the avatar placeholder; "?" when the name is redacted."""
    name = unredacted(value)
    letters = [w[0] for w in re.findall(r"\w+", name or "")][:2]
    return "".join(letters).upper() or "?"


def when(iso: str | None, platform: str) -> tuple[str | None, str]:
    """(datetime attribute, what the platform would show), in UTC; (None, the text as
    given) when it is not an ISO 8601 time."""
    if not iso:
        return None, ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None, iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return iso, _display_time(moment, look(platform).clock)


def _display_time(m: datetime, clock: str) -> str:
    month, short = _MONTHS[m.month - 1], _MONTHS[m.month - 1][:3]
    twelve = f"{(m.hour % 12) or 12}:{m.minute:02d} {'AM' if m.hour < 12 else 'PM'}"
    hm = f"{m.hour:02d}:{m.minute:02d}"
    return {"x": f"{twelve} UTC · {short} {m.day}, {m.year}",
            "facebook": f"{m.day} {month} {m.year} at {hm} UTC",
            "mastodon": f"{short} {m.day}, {m.year}, {hm} UTC",
            "bluesky": f"{short} {m.day}, {m.year} at {twelve} UTC",
            "date": f"{month} {m.day}, {m.year}",
            "day": f"{m.day} {short} {m.year}",
            }.get(clock, f"{m.day} {month} {m.year} {hm} UTC")


def media_src(media: MediaView) -> str | None:
    """The caller's `src` when it is safe to display: a data: image, a path on the
    caller's own site, or an http(s) URL the caller serves. Anything else: None."""
    src = media.src
    if not src or media.withheld_reason is not None:
        return None
    lowered = src.strip().lower()
    if lowered.startswith("data:"):
        return src if lowered.startswith("data:image/") and media.media_type.startswith(
            "image/") else None
    if lowered.startswith(("https://", "http://")) or (src.startswith("/")
                                                        and not src.startswith("//")):
        return src
    return None


def alt_text(media: MediaView) -> str:
    return media.alt.strip() if media.alt and media.alt.strip() else NO_ALT


def sanitize_html(source: str) -> Markup:
    """Archived HTML with only text formatting and links left: no script, style, iframe,
    image, event handler or style attribute; links http/https/mailto, rel="nofollow..."."""
    return Markup(nh3.clean(source, tags=_TAGS, attributes={"a": {"href", "title"},
                                                            "abbr": {"title"}},
                            url_schemes={"http", "https", "mailto"}, link_rel=REL,
                            strip_comments=True))


def diff(before: RedactedText | None, after: RedactedText) -> tuple[Markup, bool]:
    """`after` against `before`, word by word, and whether it was rewritten: <del> for
    words removed and <ins> for words added, each led by "removed:" / "added:" in a `vh`
    span (visually hidden, for screen readers). A redaction counts as one word. When
    fewer than a third of the words stayed, the text is shown as it is, rewritten: a
    word diff of a new text would only repeat the version before."""
    new = _words(after)
    if before is None:
        return Markup("".join(_word_html(w) for w in new)), False
    old = _words(before)
    out = []
    matcher = difflib.SequenceMatcher(None, [w for w, _ in old], [w for w, _ in new],
                                      autojunk=False)
    if old and new and matcher.ratio() < REWRITTEN:
        return Markup("".join(_word_html(w) for w in new)), True
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(_word_html(w) for w in new[b1:b2])
            continue
        if op in ("delete", "replace"):
            out.append(_change("del", "removed", old[a1:a2]))
        if op in ("insert", "replace"):
            out.append(_change("ins", "added", new[b1:b2]))
    return Markup("".join(out)), False


def _words(text: RedactedText) -> list[tuple[str | Redaction, str]]:
    """Each word (or redaction) with the whitespace after it."""
    words: list[tuple[str | Redaction, str]] = []
    for segment in text:
        if isinstance(segment, Redaction):
            words.append((segment, ""))
            continue
        for token in _TOKEN.findall(segment):
            if token.isspace():
                if words:
                    words[-1] = (words[-1][0], words[-1][1] + token)
                else:
                    words.append(("", token))
            else:
                words.append((token, ""))
    return words


def _word_html(word: tuple[str | Redaction, str]) -> str:
    return str(segments(word))


def _change(tag: str, label: str, words: list[tuple[str | Redaction, str]]) -> str:
    body = "".join(_word_html(w) for w in words)
    trailing = len(body) - len(body.rstrip())  # the space after stays outside the mark
    space = body[len(body) - trailing:] if trailing else ""
    return (f'<span class="vh">{label}: </span><{tag}>{body[:len(body) - trailing]}</{tag}>'
            f"{space or ' '}")
