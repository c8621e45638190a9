"""Screenshots of the staff application's main pages and of the open archive's, for
docs/web.md, docs/public.md and the README.

    python scripts/screenshots.py [--out docs/screenshots] [--home DIR] [--only staff|public]

Builds the demo archive (scripts/demo.py) in a temporary folder, or in --home unless it
holds one already (`make demo` builds demo-data), adds four comments for the moderation queue (the demo's moderation samples),
serves the application on 127.0.0.1 and saves 1280x800 PNGs with Debian's Chromium, kept
off the network as in the browser tests. Each PNG is shrunk to a palette of 256 colours.
A page that does not answer 200 is reported and left out. The open archive's pages
(public-*.png) are taken signed out; the tracking page is that of a request sent through
the public form, so each run on a --home archive adds one request to it.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--no-default-browser-check",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
LIMIT = 200 * 1024


def build_demo(home: Path) -> None:
    print(f"Building the demo archive in {home} (scripts/demo.py; a minute or two)")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--home",
                           str(home)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def add_comments(archive) -> None:  # noqa: ANN001
    """The demo's moderation samples as comments under its first post, for the queue."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from demo import MODERATION_SAMPLES

    from civicarchive.model.record import Kind, Observation
    when = datetime(2026, 3, 3, 9, tzinfo=timezone.utc)
    archive.ingesting.ingest([Observation(
        account_id=1, native_id=f"screenshot-{n}", kind=Kind.COMMENT, observed_at=when,
        created_at=when, author=f"resident{n}", parent_native_id="1800000000000",
        content={"text": sample["comment"], "author": f"resident{n}"},
        raw=sample["comment"].encode()) for n, sample in enumerate(MODERATION_SAMPLES)],
        source="screenshots", actor="demo")


def pages(archive) -> dict[str, str]:  # noqa: ANN001
    """name -> path of the pages to show, on records with a story to tell."""
    stats = archive.reading.stats()
    edited = next((i for i in range(1, stats["items"] + 1)
                   if archive.reading.history(i)[-1].event.value == "edited"), 1)
    collected = sorted(archive.requests.state(1).items)
    return {"dashboard": "/", "record-view": f"/records/{edited}",
            "search": "/search?q=zoning", "moderation-queue": "/moderation",
            "redaction-editor": f"/requests/1/items/{collected[0]}"}


def staff_screenshots(browser, url: str, archive, out: Path, password: str) -> None:  # noqa: ANN001
    """The staff pages, signed in as the demo's records officer."""
    page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 800})
    # The moderation queue judges every comment as it loads.
    page.set_default_timeout(180_000)
    page.goto("/login")
    page.fill("#username", "demo")
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    for name, path in pages(archive).items():
        response = page.goto(path)
        if response.status != 200:
            print(f"{name}: {path} answered {response.status}; left out")
            continue
        save(page, out / f"{name}.png")
    page.close()


def public_pages(archive) -> dict[str, str]:  # noqa: ANN001
    """name -> path of the open archive's pages to show: the agency's home, an edited
    record (else the newest) and its check page. The tracking page is made by `track`."""
    slug = archive.publishing.agencies()[0].slug
    shown = [h.item for h in archive.publishing.search(slug, "", limit=200).hits]
    edited = next((i for i in shown if archive.reading.history(i)[-1].event.value ==
                   "edited"), shown[0])
    home = f"/public/{slug}"
    return {"public-agency": home, "public-record": f"{home}/records/{edited}",
            "public-check": f"{home}/records/{edited}/check"}


def track(page, home: str) -> str:  # noqa: ANN001
    """Send a request through the public form, as a resident would; its tracking page's
    path."""
    page.goto(f"{home}/requests/new")
    page.fill("#requester", "R. Resident")
    page.fill("#contact", "r.resident@example.org")
    page.fill("#description", "The city's posts and comments about the Elm Street zoning "
              "hearing, March 2026, including deleted ones.")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    return page.get_attribute("main a[href*='/requests/track/']", "href")


def save(page, target: Path, full_page: bool = False) -> None:  # noqa: ANN001
    page.screenshot(path=target, full_page=full_page)
    shrink(target)
    size = target.stat().st_size
    print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
          f": {size // 1024} KB" + ("  (over 200 KB)" if size > LIMIT else ""))


def public_screenshots(browser, url: str, archive, out: Path) -> None:  # noqa: ANN001
    """The open archive, signed out: the check page once its verdict is in, and the
    whole tracking page, down to "explain this date" and the request's events."""
    page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 800})
    chosen = public_pages(archive)
    chosen["public-tracking"] = track(page, chosen["public-agency"])
    for name, path in chosen.items():
        response = page.goto(path)
        if response.status != 200:
            print(f"{name}: {path} answered {response.status}; left out")
            continue
        if name == "public-check":
            page.wait_for_selector("#check-status.ok, #check-status.failed")
        save(page, out / f"{name}.png", full_page=name == "public-tracking")
    page.close()


def shrink(path: Path) -> None:
    from PIL import Image
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT) \
            .save(path, optimize=True)


def serve(app):  # noqa: ANN001, ANN201
    import uvicorn
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            sys.exit("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--home", type=Path,
                        help="the demo archive: built there unless it already is")
    parser.add_argument("--only", choices=("staff", "public"),
                        help="only the staff pages, or only the open archive's")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from civicarchive import Archive
    from civicarchive.web.app import create_app
    sys.path.insert(0, str(ROOT / "scripts"))
    from demo import DEMO_PASSWORD

    with tempfile.TemporaryDirectory() as scratch:
        home = options.home or Path(scratch) / "demo-data"
        if not (home / "archive.db").exists():
            build_demo(home)
        options.out.mkdir(parents=True, exist_ok=True)
        with Archive.open(home) as archive:
            add_comments(archive)  # idempotent: ingesting the same again changes nothing
            server, thread, url = serve(create_app(archive))
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                         headless=True, args=ARGS)
                    if options.only != "public":
                        staff_screenshots(browser, url, archive, options.out, DEMO_PASSWORD)
                    if options.only != "staff":
                        public_screenshots(browser, url, archive, options.out)
                    browser.close()
            finally:
                server.should_exit = True
                thread.join(10)


if __name__ == "__main__":
    main()
