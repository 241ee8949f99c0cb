# flo-comms: `make run` serves the app with demo data; `make test` runs every test.
# Both set up whatever is missing first: the virtualenv, bun, a browser.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
BUN := $(TOOLS)/node_modules/.bin/bun
BUN_VERSION := 1.4.5
PORT ?= 3000

# Reflex builds the frontend with bun; Node.js here is too old for its own path.
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false

.PHONY: run test setup lint format unit e2e bench clean

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

$(BUN):
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)
	$(BUN) --version

setup: $(VENV)/.installed $(BUN)

run: setup
	FLO_DEMO_MODE=$${FLO_DEMO_MODE:-1} $(PY) -m flo_comms seed --demo --if-empty
	@echo
	@echo "  flo comms is starting at http://localhost:$(PORT)/  (demo mode; Ctrl-C stops it)"
	@echo
	FLO_DEMO_MODE=$${FLO_DEMO_MODE:-1} FLO_PUBLIC_URL=$${FLO_PUBLIC_URL:-http://localhost:$(PORT)} \
		$(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: setup
	./scripts/install-browser.sh $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	FLO_TEST_POSTGRES_URL="$$(./scripts/postgres-url.sh $(PY))" $(VENV)/bin/pytest tests/unit
	$(VENV)/bin/pytest tests/e2e
	@if ./scripts/scale-out-available.sh $(PY); then \
		echo "End-to-end suite again on the scale-out setup (PostgreSQL, Redis, 3 workers):"; \
		FLO_E2E_SCALE_OUT=1 $(VENV)/bin/pytest tests/e2e; \
	else \
		echo "PostgreSQL or Redis not reachable on 127.0.0.1: scale-out end-to-end run skipped."; \
	fi

unit: $(VENV)/.installed
	FLO_TEST_POSTGRES_URL="$$(./scripts/postgres-url.sh $(PY))" $(VENV)/bin/pytest tests/unit

e2e: setup
	./scripts/install-browser.sh $(PY)
	$(VENV)/bin/pytest tests/e2e

bench: $(VENV)/.installed
	$(PY) bench/timeline_bench.py
	$(PY) bench/status_change_bench.py
	$(PY) bench/event_reminder_bench.py

clean:
	rm -rf .web .states $(TOOLS) data
