"""Live capture: capturers per platform, the HTTP they share, credentials, health and the
schedule that runs them. An engine: it writes nothing itself (app/capturing.py ingests
what a pass returns and records the run, its gaps and alerts).

    capturer = capturer_for("mastodon")
    result = capturer.capture(job, client, token, known)   # a Pass
"""

from __future__ import annotations

import importlib

from civicarchive.capture.base import (Absent, CaptureJob, CaptureSettings, Capturer, Checked,
                                       Pass, Recheck, Thread)
from civicarchive.capture.failures import (CaptureFailed, CredentialsRejected,
                                           PlatformUnavailable, RateLimited)
from civicarchive.errors import InvalidInput

__all__ = ["Absent", "CaptureFailed", "CaptureJob", "CaptureSettings", "Capturer", "Checked",
           "CredentialsRejected", "Pass", "PlatformUnavailable", "RateLimited", "Recheck",
           "Thread", "CAPTURERS", "capturer_for"]

# platform -> "module:class", loaded on first use.
CAPTURERS = {
    "mastodon": "civicarchive.capture.mastodon:MastodonCapturer",
    "feed": "civicarchive.capture.feed:FeedCapturer",
    "facebook": "civicarchive.capture.facebook:FacebookCapturer",
    "instagram": "civicarchive.capture.instagram:InstagramCapturer",
}


def capturer_for(platform: str) -> Capturer:
    """The capturer of a platform; InvalidInput naming those there are."""
    if platform not in CAPTURERS:
        raise InvalidInput(f"no live capture for {platform} yet (there is for "
                           f"{', '.join(CAPTURERS)}); import its exports instead",
                           parameter="account_id")
    module, _, name = CAPTURERS[platform].partition(":")
    return getattr(importlib.import_module(module), name)()
