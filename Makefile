# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m compileall -q ovis
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ovis server --host 127.0.0.1 --port 8910 --data-dir .ovis-data

test: $(STAMP)
	$(BIN)/python -m pytest -n auto tests

check: $(STAMP)
	$(BIN)/ruff format --check ovis tests bench
	$(BIN)/ruff check ovis tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .ovis-data
