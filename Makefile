# The two set-up commands (see README.md): `make run` and `make test`.
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: run test check bench clean

# Seed the article's engagements (idempotent), make sure a local staff feed exists and print its
# URLs, then serve with the workers and the reminder scheduler in-process (embedded mode).
run: $(STAMP_RUN)
	$(BIN)/calendar-service seed
	$(BIN)/calendar-service feeds ensure-local
	$(BIN)/calendar-service serve

test: $(STAMP_DEV)
	$(BIN)/python scripts/check.py

check: test

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(STAMP_DEV): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP_RUN)

$(STAMP_BENCH): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@ $(STAMP_DEV) $(STAMP_RUN)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
