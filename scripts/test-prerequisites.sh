#!/bin/sh
# What the test suite's real peers need, installed and started before `make test` runs
# it; no test skips for want of them (they fail, naming what is missing):
# - Node.js and npm, which install and run the reference Bluesky PDS the capture tests
#   start (the Makefile's .pds target installs it from scripts/pds/package-lock.json);
# - Debian's Chromium (/usr/bin/chromium), which browser capture drives (Playwright never
#   downloads a browser of its own), and the openssl command, which the local
#   time-stamping authority and the signature checks use: installed when missing, as root;
# - the PostgreSQL server the suite uses (127.0.0.1:5432 unless
#   CIVICARCHIVE_TEST_DATABASE_URL names another): started when it is installed here and
#   not answering.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-prerequisites: missing Debian packages:$missing; run" \
             "'sudo apt-get install$missing' (their tests fail without them)" >&2
    else
        export DEBIAN_FRONTEND=noninteractive
        echo "test-prerequisites: installing Debian packages:$missing" >&2
        # shellcheck disable=SC2086 # a list of package names
        if ! apt-get install -y -q $missing >/dev/null; then
            apt-get update -q >/dev/null
            apt-get install -y -q $missing >/dev/null
        fi
    fi
fi
url=${CIVICARCHIVE_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}
case "$url" in
    *@127.0.0.1:5432/*|*@localhost:5432/*)
        if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432 &&
                command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
            echo "test-prerequisites: starting the local PostgreSQL server" >&2
            for version in $(ls /etc/postgresql); do
                pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
            done
        fi ;;
esac
