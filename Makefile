# Stride: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# pytest-xdist workers for `make test` (auto: one per CPU; JOBS=0 runs in one process)
JOBS ?= auto

.PHONY: run dev test lint format bench clean help

help:
	@echo "make run    install, migrate, load the built-in decks and serve http://localhost:$(PORT)"
	@echo "make dev    the same, watching the code and rerunning pages on save (stride run --dev)"
	@echo "make test   install the test dependencies and run the whole suite (lint included)"
	@echo "make lint   ruff check + ruff format --check"
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

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/stride bench engine

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
