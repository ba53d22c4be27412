# Debrief: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint format bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

# DEBUG and a secret key for the commands the README runs by hand; kept once written.
.env: | $(VENV)/.installed
	$(PY) -m config.environment

run: $(VENV)/.installed .env
	PORT=$(PORT) $(PY) -m config.devserver

# One test process per core; TEST_WORKERS=0 runs them all in this process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev .env
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=10 $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# A throwaway database (SQLite, or next to DATABASE_URL's PostgreSQL), seeded at scale; BENCH_SCALE=0.1 for a quick run.
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles var debrief.sqlite3
