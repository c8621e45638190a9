"""`import` picks the right importer for every format, whatever the registry's order:
each sample export built by a format's own tests is detected as that format and only
that one."""

from __future__ import annotations

import pytest

from civicarchive.connectors import registry
from civicarchive.connectors.files import ExportFiles

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
