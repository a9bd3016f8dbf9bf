# Two commands matter: `make run` (a working demo on http://127.0.0.1:8000/) and `make test`.
# GNU make. The virtualenv lives in .venv; packages are installed again only when a requirements file changes.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo marks every page as sample data unless the caller says otherwise.
DEMO_MODE ?= 1
DEMO_PASSWORD ?=
# Handed to load_demo through the environment so any character in the password survives the shell.
export DEMO_PASSWORD

.DEFAULT_GOAL := help
.PHONY: help venv run demo-data test lint bench loadtest

help:
	@echo "make run    install, migrate, load units, rule sets and demo data, then serve on http://$(HOST):$(PORT)/"
	@echo "make test   run the whole test suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)"
	@echo "make lint   ruff check, ruff format --check, makemigrations --check"
	@echo "make bench  the national-scale benchmark (PostgreSQL; writes docs/benchmarks.md)"
	@echo "make loadtest  20 clients for 60 s against gunicorn + a Celery worker on loopback (after make bench)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# The stamp is newer than both requirements files once they are installed; editing either reinstalls.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

demo-data: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py import_units
	$(PY) manage.py load_rule_sets
	$(PY) manage.py load_ocop_schemes
	$(PY) manage.py load_demo $(if $(DEMO_PASSWORD),--password "$$DEMO_PASSWORD")

run: demo-data
	@echo
	@echo "NTM tracker: http://$(HOST):$(PORT)/"
	@echo "Log in as demo-xa-dongtam (commune), demo-huyen-binhlieu (district review), demo-tinh-quangninh (province, read only),"
	@echo "demo-tinh-dieuphoi (provincial coordinator) or demo-admin (administrator)"
	@echo "with the password $(if $(DEMO_PASSWORD),you set in DEMO_PASSWORD,printed above by load_demo). Stop with Ctrl-C."
	@echo
	DEMO_MODE=$(DEMO_MODE) $(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	@if [ -f bench/run.py ]; then $(PY) bench/run.py; else echo "bench/run.py is not there yet: nothing to measure."; fi

# Loopback only, bounded: at most 50 clients for 120 s (bench/loadtest.py --help).
loadtest: $(STAMP)
	$(PY) bench/loadtest.py
