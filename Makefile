# Developer and CI entry points. `make run` serves the demo, `make test` runs the tests.
# Everything installs into ./.venv from pyproject.toml; a machine needs only Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

PORT ?= 8000
SIZE ?= 100k
PYTEST_ARGS ?=
DEMO_FIXTURE := fixtures/demo.json
DEMO_PASSWORD := kap-demo-2026
# DEMO=0 skips loading the demo data in `make run`.
DEMO ?= 1

# Local development runs with DEBUG on (no SECRET_KEY needed); `DEBUG=0 make run` overrides.
run demo migrate token: export DEBUG ?= 1

.DEFAULT_GOAL := help

.PHONY: help .venv venv run demo migrate token test lint fmt clean bench axe

help:
	@echo "make run      install if needed, migrate, load the demo data, serve on 127.0.0.1:$(PORT)"
	@echo "              with a task worker beside the server (webhooks, reminders)"
	@echo "make test     run the test suite (SQLite by default; DATABASE_URL=postgres:///kap_test for PostgreSQL)"
	@echo "make lint     ruff check, ruff format --check and the import contracts (lint-imports)"
	@echo "make fmt      ruff format and ruff check --fix"
	@echo "make migrate  apply database migrations"
	@echo "make token USER=frontdesk   print (creating if needed) that user's API token"
	@echo "make demo     migrate and load the demo data without serving"
	@echo "make bench    run the benchmarks (SIZE=$(SIZE))"
	@echo "make clean    remove var/ (the SQLite database) and caches; keeps .venv"

# --- bootstrap ----------------------------------------------------------------------------
# The stamp depends on pyproject.toml, so a second run installs nothing.
.venv venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -e '.[dev]'
	touch $@

# --- running ------------------------------------------------------------------------------
migrate: $(STAMP)
	$(MANAGE) migrate --noinput

# Fixed primary keys (and usernames for users) make loaddata update rows in place:
# loading the demo again creates no duplicates.
define load_demo
@if [ '$(DEMO)' = 1 ]; then \
	echo "$(MANAGE) loaddata $(DEMO_FIXTURE)"; \
	$(MANAGE) loaddata $(DEMO_FIXTURE); \
	$(MANAGE) demo_schedule; \
	else \
	echo "DEMO=$(DEMO): demo data not loaded"; \
	fi
endef

define print_logins
@echo ""
@echo "  Harbor Light Wellness demo clinic (America/New_York)"
@echo "  Logins, all with the password $(DEMO_PASSWORD):"
@echo "    frontdesk   front desk"
@echo "    clinician   clinician"
@echo "    manager     manager (may also use /admin/)"
@echo ""
@echo "  Service:   http://127.0.0.1:$(PORT)/"
@echo "  Admin:     http://127.0.0.1:$(PORT)/admin/"
@echo "  API docs:  http://127.0.0.1:$(PORT)/api/docs/"
@echo ""
endef

demo: $(STAMP)
	$(MANAGE) migrate --noinput
	$(load_demo)
	$(print_logins)

# The task worker (webhook deliveries, reminders) runs in the background beside the server
# and stops with it: the shell's traps end it, and it also exits on its own once the shell
# is gone (--exit-with-parent). It does not reload on code changes: restart `make run`.
run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(load_demo)
	$(print_logins)
	@$(MANAGE) tasks_worker --exit-with-parent & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# The README's token command, with the same local settings as `make run`.
USER_NAME = $(if $(filter command line,$(origin USER)),$(USER),)
token: $(STAMP)
	@if [ -z '$(USER_NAME)' ]; then echo "usage: make token USER=<username>" >&2; exit 2; fi
	$(MANAGE) apitoken '$(USER_NAME)'

# --- checks -------------------------------------------------------------------------------
# pytest exits 5 when it collected no tests: say so instead of failing with a bare code.
# axe-core for the browser tests' accessibility checks, pinned in tests/e2e/axe's lock file.
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js

$(AXE): tests/e2e/axe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/e2e/axe && npm ci --no-audit --no-fund; \
	else \
		echo "npm is missing: the accessibility checks will skip (apt-get install -y npm)" >&2; \
	fi

axe: $(AXE)

test: $(STAMP) axe
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (bench/): SIZE is smoke, 10k, 100k (default) or 1m; BENCH_ARGS passes more,
# e.g. BENCH_ARGS="--sizes 10k,100k,1m" or "--load". With DATABASE_URL on PostgreSQL it
# measures SQLite and PostgreSQL, each in a database of its own.
BENCH_ARGS ?=
bench: $(STAMP)
	SIZE='$(SIZE)' $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf var test-output .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
