# Fahrplan: the commands. `make run` and `make test` are the whole set-up on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
ADMIN ?=
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json
BENCH_ARGS ?=

.PHONY: help run test test-unit test-integration test-functional lint format build seed bench reset clean venv npm

help:
	@echo "make run     start everything on http://localhost:$(PORT) (emulators, demo data, server)"
	@echo "make test    run unit, integration and functional tests (own emulators, free ports)"
	@echo "make lint    ruff check + format check over the whole tree"
	@echo "make format  ruff fix + format"
	@echo "make bench   benchmarks: portal pages vs a bare ViUR page vs nginx (prints a table, writes .artifacts/bench.md)"
	@echo "make reset   forget the local data of make run (database snapshot, files, root password)"

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt viur_modules/fahrplan/pyproject.toml
	@test -x $(PY) || "$$(tools/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e viur_modules/fahrplan
	@touch $@

# Test tools from the npm registry (axe-core for the accessibility browser test), exactly as package-lock.json pins them.
npm: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

build: $(STAMP)
	$(PY) -m tools.build_static

run: $(STAMP)
	$(PY) -m tools.dev --port $(PORT) $(if $(ADMIN),--admin "$(ADMIN)")

TEST_WORKERS ?= 2

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m tools.build_static
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile tests

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

test-integration: $(STAMP)
	$(PY) -m pytest tests/integration

test-functional: $(STAMP) $(NODE_STAMP)
	$(PY) -m tools.build_static
	$(PY) -m pytest tests/functional

bench: $(STAMP)
	$(PY) -m tools.build_static
	$(PY) -m tools.bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

reset:
	rm -rf .devdata

clean: reset
	rm -rf $(VENV) deploy/static .pytest_cache .ruff_cache node_modules .artifacts
