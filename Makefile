# Two commands: `make demo` and `make test`. Everything is installed into .venv here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CIVICARCHIVE_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test bench clean prerequisites

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --home demo-data

# The suite's real peers: Chromium and openssl installed, PostgreSQL started (see the script).
prerequisites:
	sh scripts/test-prerequisites.sh

test: $(STAMP) prerequisites
	$(BIN)/ruff check src tests bench scripts docs/examples
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/moderation.py
	$(BIN)/python bench/public_business.py

clean:
	rm -rf $(VENV) demo-data .pytest_cache .hypothesis
