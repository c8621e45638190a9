#!/bin/sh
# Browser capture drives Debian's Chromium (/usr/bin/chromium); Playwright never downloads
# a browser of its own. `make test` runs this: it installs the Debian package when it is
# missing and we are root, and otherwise says what to do (the browser tests then skip,
# except in CI, where they fail).
set -eu
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-chromium: $CHROMIUM is missing and this is not root: run" \
         "'sudo apt-get install chromium' to run the browser capture tests" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: installing Debian's chromium package" >&2
if ! apt-get install -y -q chromium >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q chromium >/dev/null
fi
"$CHROMIUM" --version >&2
