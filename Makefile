# Two commands: `make demo` and `make test`. Everything is installed into .venv here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The reference Bluesky PDS the capture tests start (scripts/pds/): installed from its lock
# file into .pds/ (git-ignored); npm compiles better-sqlite3, about 2 minutes the first time.
PDS := .pds
PDS_STAMP := $(PDS)/node_modules/.installed
NODEDIR := $(if $(wildcard /usr/include/node/node.h),--nodedir=/usr)
# The OpenID provider the single sign-on tests start (scripts/oidc/): panva's oidc-provider,
# installed from its lock file into .oidc/ (git-ignored); pure JavaScript, a few seconds.
OIDC := .oidc
OIDC_STAMP := $(OIDC)/node_modules/.installed
export CIVICARCHIVE_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test bench clean prerequisites pds oidc

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(PDS_STAMP): scripts/pds/package.json scripts/pds/package-lock.json
	mkdir -p $(PDS)
	cp scripts/pds/package.json scripts/pds/package-lock.json $(PDS)/
	cd $(PDS) && npm ci --no-audit --no-fund --loglevel=error $(NODEDIR)
	touch $(PDS_STAMP)

pds: $(PDS_STAMP)

$(OIDC_STAMP): scripts/oidc/package.json scripts/oidc/package-lock.json
	mkdir -p $(OIDC)
	cp scripts/oidc/package.json scripts/oidc/package-lock.json $(OIDC)/
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	touch $(OIDC_STAMP)

oidc: $(OIDC_STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --home demo-data

# The suite's real peers: Chromium and openssl installed, PostgreSQL started (see the script).
prerequisites:
	sh scripts/test-prerequisites.sh

# -n 4 on two cores: a test spends much of its time waiting (for Chromium, the PDS, the
# OpenID provider, PostgreSQL, fsync), and four workers keep both cores busy where two
# left them a third idle (2,905 tests: 13 min 6 s with -n 2, 10 min 49 s with -n 4).
# --dist worksteal: a worker that runs out of tests takes half of what another has left,
# so that a few long tests queued on one worker do not end the run alone (in pyproject's
# addopts it would make `pytest -p no:xdist` an unknown-option error).
test: $(STAMP) prerequisites $(PDS_STAMP) $(OIDC_STAMP)
	$(BIN)/ruff check src tests bench scripts docs/examples
	$(BIN)/python -m pytest -n 4 --dist worksteal -q

bench: $(STAMP) $(PDS_STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/moderation.py
	$(BIN)/python bench/public_business.py
	$(BIN)/python bench/capture_daemon.py --minutes 10
	$(BIN)/python bench/capture.py

clean:
	rm -rf $(VENV) $(PDS) $(OIDC) demo-data .pytest_cache .hypothesis
