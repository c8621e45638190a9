"""The XSS payload corpus (xss.txt) planted in an archive through the services a real
deployment uses: ingest (posts, comments, authors, display names, handles in text, URLs,
media alt text, archived HTML), the registry (an account's handle and owner), the people
registry, a staff user's display name, a records request, a legal hold and a request made
through the public portal (its tracking page shows its description).

Every post's text starts with its tag (`xss07`), so one search finds one payload's post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from civicarchive.model.record import Kind, Observation
from civicarchive.model.staff import StaffRole

CORPUS = Path(__file__).with_name("xss.txt")
T0 = datetime(2025, 12, 1, 12, tzinfo=timezone.utc)
# Spam, so that the moderation engine puts the payload's comment in the queue.
SPAM = ("BUY CHEAP WATCHES!!! Best prices at http://cheap-watches.example.com click now "
        "http://cheap-watches.example.com/deal")
XSS_USER = "xss_admin"
# A 1x1 PNG: the media items' bytes (their alt text carries the payload).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1">'
       b'<script>window.__xss=1</script></svg>')


def payloads() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


def tag(index: int) -> str:
    return f"xss{index:02d}"


@dataclass
class Planted:
    """Where the payloads went: item ids by payload index, and the other records."""

    payloads: list[str]
    posts: dict[int, int] = field(default_factory=dict)      # index -> post item id
    comments: dict[int, int] = field(default_factory=dict)   # index -> comment item id
    html_posts: dict[int, int] = field(default_factory=dict)  # index -> archived-HTML post
    svg_post: int = 0            # a post whose media is an SVG that scripts
    account: int = 0             # the account whose handle and owner are a payload
    request: int = 0             # the records request naming payloads
    flow_request: int = 0        # another, for the flow tests (test_flows.py)
    person: int = 0
    tracking: str = ""           # the tracking secret of a portal request naming payloads


def _observe(account_id: int, native_id: str, kind: Kind, minutes: int, content: dict,
             author: str, parent: str | None = None, url: str | None = None,
             raw: bytes | None = None, media_type: str = "application/json") -> Observation:
    return Observation(account_id=account_id, native_id=native_id, kind=kind,
                       observed_at=T0 + timedelta(minutes=minutes), content=content,
                       raw=raw if raw is not None else repr(content).encode(),
                       created_at=T0 + timedelta(minutes=minutes), author=author,
                       parent_native_id=parent, url=url, raw_media_type=media_type)


def plant(archive, city_account: int, agency: str) -> Planted:  # noqa: ANN001
    """Ingest the corpus into `archive` on `city_account` (and one account of its own)."""
    from civicarchive.policy import EXAMPLES
    planted = Planted(payloads())
    archive.custody.adopt_policy(EXAMPLES / "washington-local.yaml", "clerk")
    bad = planted.payloads
    hostile = archive.registry.add_account(
        "mastodon", bad[5], "employee", owner=bad[0], agency=agency, actor="clerk")
    planted.account = hostile.id
    observations = []
    for index, payload in enumerate(bad):
        post, comment = f"xss-post-{index}", f"xss-comment-{index}"
        observations.append(_observe(city_account, post, Kind.POST, index, {
            "text": f"{tag(index)} {payload}", "author": "cityofexample",
            "attachments": [{"file": f"image{index}.png", "media_type": "image/png",
                             "alt": payload, "url": payload}],
            "url": f"https://x.example/cityofexample/{post}"},
            "cityofexample", url=f"https://x.example/cityofexample/{post}"))
        observations.append(_observe(city_account, comment, Kind.COMMENT, index, {
            "text": f"{SPAM} @{payload} {payload} see {payload}",
            "author": payload, "author_name": payload, "display_name": payload,
            "mentions": [{"name": f"@{payload}", "href": payload}], "hashtags": [payload],
            "url": payload}, payload, parent=post, url=payload))
        observations.append(_observe(
            city_account, f"{post}/image{index}.png", Kind.MEDIA, index,
            {"file": f"image{index}.png", "media_type": "image/png", "alt": payload,
             "size": len(PNG), "url": payload}, "cityofexample", parent=post, raw=PNG,
            media_type="image/png"))
    # Archived HTML (Mastodon's content), shown only after sanitising.
    for index, payload in enumerate(bad):
        observations.append(_observe(hostile.id, f"xss-html-{index}", Kind.POST, index, {
            "type": "note", "text": f"{tag(index)} html", "html": f"<p>{tag(index)} {payload}</p>",
            "author": bad[5], "display_name": payload, "content_warning": payload},
            bad[5], url=f"https://mastodon.example/@x/{index}"))
    observations.append(_observe(hostile.id, "xss-svg", Kind.POST, 0, {
        "type": "note", "text": "an image that scripts", "author": bad[5],
        "attachments": [{"file": "evil.svg", "media_type": "image/svg+xml", "alt": bad[9]}]},
        bad[5]))
    observations.append(_observe(hostile.id, "xss-svg/evil.svg", Kind.MEDIA, 0, {
        "file": "evil.svg", "media_type": "image/svg+xml", "alt": bad[9], "size": len(SVG)},
        bad[5], parent="xss-svg", raw=SVG, media_type="image/svg+xml"))
    archive.ingesting.ingest(observations, source="xss corpus", actor="clerk")
    archive.finding.sync()
    ids = _item_ids(archive)
    for index in range(len(bad)):
        planted.posts[index] = ids[city_account, f"xss-post-{index}"]
        planted.comments[index] = ids[city_account, f"xss-comment-{index}"]
        planted.html_posts[index] = ids[hostile.id, f"xss-html-{index}"]
    planted.svg_post = ids[hostile.id, "xss-svg"]
    planted.person = archive.people.add(bad[12], "staff", "clerk",
                                        accounts=[hostile.id], agency=agency).id
    archive.users.add(XSS_USER, agency, [StaffRole.ADMIN], "clerk", display_name=bad[5],
                      password=_password())
    planted.request = archive.requests.new(
        bad[0], T0, f"Every record that says {bad[10]}", "clerk", contact=bad[20])
    planted.flow_request = archive.requests.new(
        "A. Requester", T0, "The city's posts about the corpus", "clerk")
    for request, picked in ((planted.request, (0, 5, 9)), (planted.flow_request, (1, 2))):
        items = [planted.posts[i] for i in picked] + [planted.comments[i] for i in picked]
        archive.requests.collect(request, "clerk", items=items)
        archive.requests.mark(request, items, "responsive", "clerk")
    _, planted.tracking = archive.portal.submit(
        agency, bad[0], bad[20], "Records that say: " + " ".join(bad))
    from civicarchive.model.custody import HoldScope
    archive.custody.add_hold(bad[1], bad[2], bad[3], HoldScope(items=frozenset(
        {planted.posts[0]})), "clerk")
    return planted


def _item_ids(archive) -> dict[tuple[int, str], int]:  # noqa: ANN001
    """(account, native id) -> item id, for every item (ids count up from 1)."""
    from civicarchive.errors import NotFound
    ids, item_id = {}, 1
    while True:
        try:
            item = archive.reading.item(item_id)
        except NotFound:
            return ids
        ids[item.account_id, item.native_id] = item_id
        item_id += 1


def _password() -> str:
    from tests.web.conftest import PASSWORD
    return PASSWORD
