# The two commands a newcomer needs: `make run` (the site with its seed content) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic
CACHE_URL ?= redis://127.0.0.1:6379/0
# Development values. Production gets its own from the environment (see .env.example).
export DATABASE_URL CACHE_URL
export SECRET_KEY ?= dev-only-insecure-secret-key-change-me-0123456789abcdef
export DEBUG ?= true
export ALLOWED_HOSTS ?= 127.0.0.1,localhost,testserver
export SECURE_HTTPS ?= false
export EMAIL_URL ?= consolemail://
# `make run PORT=8001` when 8000 is taken.
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test venv tools services db seed manage lint format bench faults clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || "$$(bin/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The Nu HTML Checker for the browser tests (needs Java) and ical.js for the calendar file tests;
# install scripts off, nothing downloaded beyond the pinned packages. Only the tests need them, so
# `make run` works without Node.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "The tests need npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(VENV)/.installed

tools: node_modules/.installed

services:
	@bin/ensure-services

db: venv services
	$(PY) bin/ensure-database
	$(PY) manage.py migrate --noinput

seed: db
	$(PY) manage.py load_seed

run: seed
	@echo "Serving the site at http://127.0.0.1:$(PORT)/ with the background worker (Ctrl-C stops both)"
	@trap 'kill 0' EXIT INT TERM; \
	while true; do $(PY) manage.py db_worker; echo "Worker stopped; restarting in 5 s"; sleep 5; done & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: export CACHE_KEY_PREFIX ?= test-$(notdir $(CURDIR))
test: venv tools services
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m pytest $(PYTEST_ARGS)

# Any management command with the same development settings, e.g. make manage ARGS=createsuperuser
manage: venv
	$(PY) manage.py $(ARGS)

lint: venv
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Load and fault runs on a private PostgreSQL, Redis and SMTP sink (loopback ports 5439, 6389,
# 8089, 8090, 8091, 2526); they never touch the shared servers. See bench/README.md.
bench: venv
	bench/run

faults: venv
	bench/faults

clean:
	rm -rf $(VENV) node_modules .pytest_cache staticfiles
