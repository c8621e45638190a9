"""`import` picks the right importer for every format, whatever the registry's order:
each sample export built by a format's own tests is detected as that format and only
that one."""

from __future__ import annotations

import pytest

from civicarchive.connectors import registry
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput

from . import (test_bluesky, test_facebook, test_feed, test_instagram, test_mastodon,
               test_x, test_youtube)


def x_export(tmp_path):
    return test_x.build(tmp_path, {"data/manifest.js": test_x.manifest("data/tweets.js"),
                                   "data/account.js": test_x.ACCOUNT,
                                   "data/tweets.js": test_x.ytd("tweets",
                                                                [test_x.tweet("1", "hi")])})


def facebook_export(tmp_path):
    return test_facebook.zipped(tmp_path / "facebook.zip", test_facebook.export())


def instagram_export(tmp_path):
    return test_instagram.zipped(tmp_path / "instagram.zip", test_instagram.new_export())


def mastodon_export(tmp_path):
    return test_mastodon.zipped(test_mastodon.build(tmp_path / "mastodon"))


def bluesky_export(tmp_path):
    car, _blocks, _commit = test_bluesky.build_repo()
    path = tmp_path / "repo.car"
    path.write_bytes(car)
    return path


def youtube_export(tmp_path):
    return test_youtube.standard(tmp_path)


def feed_export(tmp_path):
    path = tmp_path / "news.xml"
    path.write_text(test_feed.RSS)
    return path


EXPORTS = {"x": x_export, "facebook": facebook_export, "instagram": instagram_export,
           "mastodon": mastodon_export, "bluesky": bluesky_export, "youtube": youtube_export,
           "feed": feed_export}


def test_every_registered_format_has_a_sample_here():
    assert set(EXPORTS) == set(registry.IMPORTERS) == set(registry.available())


@pytest.mark.parametrize("expected", sorted(EXPORTS))
def test_detection_names_exactly_one_format(tmp_path, expected):
    path = EXPORTS[expected](tmp_path)
    with ExportFiles.open(path) as files:
        claims = [name for name in registry.IMPORTERS if registry.importer(name).detect(files)]
        assert claims == [expected]
        assert registry.detect(files).format == expected


HTML_EXPORTS = {  # "Download Your Information" in HTML: today's layouts and the older one
    "facebook": ["start_here.html",
                 "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.html",
                 "your_facebook_activity/posts/media/Photos_1/1.jpg"],
    "facebook (before 2022)": ["index.html", "posts/your_posts_1.html",
                               "messages/inbox/ann_1/message_1.html"],
    "instagram": ["start_here.html", "your_instagram_activity/content/posts_1.html",
                  "personal_information/personal_information/personal_information.html",
                  "media/posts/202401/1.jpg"],
}


@pytest.mark.parametrize("name", sorted(HTML_EXPORTS))
def test_an_export_downloaded_in_html_says_to_ask_for_json(tmp_path, name):
    # Meta offers HTML first; such an export holds the records as web pages only. Detected
    # or named with --format, it is refused with what to do, never "0 entries imported".
    platform = name.split()[0]
    path = test_facebook.zipped(tmp_path / "export.zip",
                                {n: "<html><body>a page</body></html>" for n in
                                 HTML_EXPORTS[name]})
    with ExportFiles.open(path) as files:
        for attempt in (lambda: list(registry.detect(files).read(files, None)),
                        lambda: list(registry.importer(platform).read(files, None))):
            with pytest.raises(InvalidInput) as refused:
                attempt()
            message = str(refused.value)
            assert "HTML format" in message and "Format: JSON" in message and "{" not in message
            assert f"{'an Instagram' if platform == 'instagram' else 'a Facebook'} export" \
                in message


def test_html_files_beside_json_are_not_an_html_export(tmp_path):
    # A JSON export may carry pages too; only one with no JSON at all is refused.
    files = dict(test_facebook.export())
    files["your_facebook_activity/posts/notes.html"] = "<html></html>"
    path = test_facebook.zipped(tmp_path / "facebook.zip", files)
    with ExportFiles.open(path) as opened:
        assert registry.detect(opened).format == "facebook"
