# Stride: `make run` serves the app, `make check` is the fast loop, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# pytest-xdist workers for `make test` and `make check` (auto: one per CPU; JOBS=0: one process)
JOBS ?= auto
# `make check` runs the unit tests (the page tests, tests/app, are in make test) less those marked
# slow, browser, postgres (make test runs them all) or lint (it runs ruff and mypy itself), and
# draws this many seeds per family sweep
CHECK_PATHS ?= tests/unit
CHECK_MARKERS ?= not slow and not browser and not postgres and not lint
CHECK_SWEEP_SEEDS ?= 5

.PHONY: run dev test check lint format bench clean help

help:
	@echo "make run    install, migrate, load the built-in decks and serve http://localhost:$(PORT)"
	@echo "make dev    the same, watching the code and rerunning pages on save (stride run --dev)"
	@echo "make check  the fast loop while you work: lint, then the unit tests not marked slow,"
	@echo "            browser or postgres, with $(CHECK_SWEEP_SEEDS) seeds per family sweep"
	@echo "make test   install the test dependencies and run the whole suite (lint included): CI"
	@echo "make lint   ruff check + ruff format --check + mypy"
	@echo "make bench  engine benchmark (installs the optional torch==2.13.0 for the comparison)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Stride needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed-runtime

run: $(VENV)/.installed-runtime
	$(BIN)/stride run --port $(PORT)

dev: $(VENV)/.installed-runtime
	$(BIN)/stride run --dev --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(JOBS)

# PYTHONDONTWRITEBYTECODE= lets Python and pytest keep compiled modules and rewritten tests in
# __pycache__ even where the shell turns that off (each run would compile them again: ~10 CPU s)
check: lint
	PYTHONDONTWRITEBYTECODE= STRIDE_SWEEP_SEEDS=$(CHECK_SWEEP_SEEDS) \
		$(BIN)/python -m pytest -n $(JOBS) -q -m "$(CHECK_MARKERS)" $(CHECK_PATHS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/stride bench engine

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis build *.egg-info
