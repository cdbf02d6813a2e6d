# Burgernet — the two commands a newcomer needs:
#   make run    start the whole system on its embedded default and print where to go
#   make test   install what the tests need and run lint, types and the suite on SQLite + PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install lint types bench clean

# A fresh Debian has python3.11 but not its venv module; install it when we may (root + apt).
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-venv >/dev/null; \
	  else echo "Python's venv module is missing: sudo apt-get install python3.11-venv"; exit 1; fi; }
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is needed for the front-end packages: sudo apt-get install npm"; exit 1; fi; }
	$(PYTHON) -m venv $(VENV)

# Re-install when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	DEMO_MODE=$${DEMO_MODE:-1} PORT=$(PORT) $(BIN)/burgernet serve

test: install
	scripts/test.sh

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

types: install
	$(BIN)/mypy

bench: install
	bench/run.sh

clean:
	rm -rf $(VENV) node_modules var/*.sqlite3* var/static
