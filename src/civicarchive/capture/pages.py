"""Web pages on a schedule: a public page the policy names, or an official's personal
profile that no API reaches, captured in headless Chromium (capture/browser.py).

An account of platform `web` lists its pages (`capture configure --page URL`, repeated;
its `url` alone when it names none). Each page is an item of kind POST whose native id is
the URL as configured, and whose versions are its captures: content is what
`page_observation` keeps (address, status, title, extracted text, the screenshot's
sha256), raw bytes the WACZ. The WACZ changes with every capture (dates, ids), so only a
change in that content is an edit.

- A page that answers 404 or 410 is not taken as removed at once: it is captured again at
  the next pass, and only a second 404 or 410 in a row records it deleted (the WACZ of
  that answer is the deletion's raw bytes). A page that was never captured has nothing
  to delete.
- A login wall or a consent page is a problem, never content; so is a page that could not
  be fetched or rendered. When no page of the account could be captured, the pass fails,
  so that repeated failures open a gap.
- Every request the browser makes goes through the same SSRF guard as the client the
  capture service hands over.

No kind is claimed complete: a page taken off the list is no longer captured, not
deleted.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx

from civicarchive.capture.base import Absent, CaptureJob, Checked, Known, Pass, Recheck
from civicarchive.capture.browser import (BrowserCapturer, BrowserSettings, Outcome,
                                          PageCapture, ProblemKind, page_observation)
from civicarchive.capture.failures import CaptureFailed, PlatformUnavailable
from civicarchive.capture.guard import FetchGuard, GuardedTransport
from civicarchive.clock import format_time
from civicarchive.errors import BrowserUnavailable


class PagesCapturer:
    platform = "web"

    def __init__(self, settings: BrowserSettings = BrowserSettings()) -> None:
        self.settings = settings

    def capture(self, job: CaptureJob, client: httpx.Client, token: str | None,
                known: Known = lambda ids: set()) -> Pass:
        """Capture every page of the account once (see the module docstring)."""
        pages = list(job.settings.pages) or ([job.settings.url] if job.settings.url else [])
        if not pages:
            raise CaptureFailed(f"account {job.account_id} names no web page to capture: "
                                "add its pages (capture configure)")
        browser = self._browser(job, client)
        cursor = dict(job.cursor)
        missing = dict(cursor.get("missing", {}))   # url -> when it first answered 404
        gone = set(cursor.get("gone", []))          # urls recorded deleted
        held = known(pages)
        result = Pass(cursor=cursor, requests=len(pages))
        outcomes, met = [], []
        for url in pages:
            capture = self._capture(browser, url)
            outcomes.append(capture.outcome)
            met += capture.problems
            for problem in capture.problems:
                result.problem(problem.where, f"{problem.kind.value}: {problem.what}")
            if capture.outcome is Outcome.CAPTURED:
                missing.pop(url, None)
                gone.discard(url)
                result.observations.append(page_observation(capture, job.account_id))
            elif capture.outcome is Outcome.GONE:
                self._gone(capture, job, result, held, missing, gone)
        cursor.update(missing=missing, gone=sorted(gone), passes_since_full=0)
        if not {Outcome.CAPTURED, Outcome.GONE} & set(outcomes):
            failure = PlatformUnavailable if met and all(
                p.kind is ProblemKind.UNREACHABLE for p in met) else CaptureFailed
            raise failure(f"no page of account {job.account_id} could be captured: "
                          f"{met[0].kind.value}: {met[0].what}" if met else "no answer",
                          {"problems": [p.as_dict() for p in met][:20]})
        return result

    def recheck(self, job: CaptureJob, client: httpx.Client, token: str | None,
                absent: Absent) -> Checked:
        """The page captured again: GONE on 404 or 410 only."""
        capture = self._capture(self._browser(job, client), absent.native_id)
        if capture.outcome is Outcome.GONE:
            return Checked(Recheck.GONE, {"status": capture.status, "url": capture.url})
        if capture.outcome is Outcome.CAPTURED:
            return Checked(Recheck.PRESENT, {"status": capture.status},
                           page_observation(capture, job.account_id))
        return Checked(Recheck.UNKNOWN, {"reason": capture.outcome.value})

    @staticmethod
    def _gone(capture: PageCapture, job: CaptureJob, result: Pass, held: set[str],
              missing: dict, gone: set[str]) -> None:
        """A 404 or 410: a deletion only when the page was captured before and the
        previous pass met the same answer."""
        url = capture.url
        if url in gone:
            return   # recorded deleted already
        if url not in held:
            missing.pop(url, None)
            result.problem(url, f"answers HTTP {capture.status} and was never captured: "
                           "nothing to record; check the address")
        elif url not in missing:
            missing[url] = format_time(capture.captured_at)
            result.problem(url, f"answers HTTP {capture.status}: captured again at the next "
                           "pass before it is recorded deleted")
        else:
            missing.pop(url)
            gone.add(url)
            result.observations.append(page_observation(capture, job.account_id))

    def _browser(self, job: CaptureJob, client: httpx.Client) -> BrowserCapturer:
        return BrowserCapturer(guard_of(client), self.settings, _PassClock(job.observed_at))

    @staticmethod
    def _capture(browser: BrowserCapturer, url: str) -> PageCapture:
        try:
            return browser.capture(url)
        except BrowserUnavailable as error:
            raise CaptureFailed(str(error), {"browser": "unavailable"}) from None


def guard_of(client: httpx.Client) -> FetchGuard:
    """The SSRF guard of the client the capture service made (capture/http.py), so that
    the browser's requests obey the same rules (loopback in tests only); a client without
    one (a test's MockTransport) gets the strict default."""
    transport = getattr(client, "_transport", None)   # httpx keeps it private
    return transport.guard if isinstance(transport, GuardedTransport) else FetchGuard()


class _PassClock:
    """The pass's own time, moving on as the pass does, so that a page's capture and
    the WARC records in it are dated from when the pass began."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)
