"""The Fetcher every capturer talks through: media URLs, size caps, deadlines."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from civicarchive.capture.http import Fetcher, open_client

NOW = datetime(2026, 8, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:photo.jpg",
                                 "data:image/png;base64,AAAA", "ftp://files.example/a.png"])
def test_fetcher_download_of_a_non_http_media_url_says_only_http_is_fetched(url, loopback_only):
    with open_client() as client:
        data, _, problem = Fetcher(client, "secret", NOW).download(url, 1000)
    assert data is None
    assert "only http(s) media URLs are fetched" in problem and "missing" not in problem
