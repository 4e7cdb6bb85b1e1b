# Two set-up commands on a fresh machine: `make run` and `make test`.
# `make run` installs only the server and what it needs at run time; the test and lint tools,
# the browser and busybox come with `make test` / `make check`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SERVER_STAMP := $(VENV)/.server-stamp
DEV_STAMP := $(VENV)/.dev-stamp
TOOLS_STAMP := $(VENV)/.tools-stamp
# The SAM CLI the tests drive (tests/integration/test_sam_cli.py, test_cfn_samples.py), pinned to
# the version they were written against, in a venv of its own: aws-sam-cli needs a newer botocore
# than awscli v1 in $(VENV) accepts. Telemetry and update checks are off in the tests, and no
# Docker is needed (`sam build` without --use-container).
SAM_VERSION := 1.170.0
SAM_VENV ?= .venv-sam
SAM_STAMP := $(SAM_VENV)/.sam-$(SAM_VERSION)-stamp
# Terraform's hashicorp/aws provider as a filesystem mirror (`terraform init -plugin-dir`): the
# machines this project runs on carry Terraform 1.11.4 and provider 5.100.0 there, and have no
# route to registry.terraform.io. Where neither is found, tests/integration/test_terraform.py
# skips with a message naming what is missing.
OVIS_TF_PLUGIN_DIR ?= $(wildcard /opt/tf-plugins)

.PHONY: run test check bench install install-dev node-runtimes sam-cli clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(SERVER_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q ovis
	@# The Python runtime's own SDK directory (the server's boto3, nothing else of its venv);
	@# the server also builds it at start when missing.
	$(BIN)/python -m ovis.runtimes.python.sdk >/dev/null
	touch $@

$(DEV_STAMP): pyproject.toml $(SERVER_STAMP)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# What the tests need from the system, as root with apt: a static busybox builds the container
# images the tests make (tests/integration/test_images.py); Debian's chromium runs the browser
# tests (playwright drives it, never `playwright install`).
$(TOOLS_STAMP): Makefile
	@for pkg in busybox-static:busybox chromium:chromium; do \
		deb=$${pkg%%:*}; cmd=$${pkg##*:}; \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! dpkg -s $$deb >/dev/null 2>&1; then \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q $$deb >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null && apt-get install -y -q $$deb >/dev/null; } || \
			{ echo "error: could not install $$deb (the tests need $$cmd)"; exit 1; }; \
		fi; \
	done
	touch $@

# The Node.js runtimes' own pieces, from the npm registry with `npm ci` of the locks committed
# under ovis/runtimes/node/ (sdk: the AWS SDK for JavaScript v3; node22: Node 22 for nodejs22.x),
# into $(VENV)/share/ovis/node. Idempotent and cheap when up to date, so it always runs; without
# npm it installs nothing and says so (Python functions do not need it).
node-runtimes: $(SERVER_STAMP)
	$(BIN)/python -m ovis.runtimes.node.install
	$(BIN)/python -m ovis.frontdoor.console.editor.install

# Idempotent: the stamp names the version, so a new pin reinstalls and an installed one costs
# nothing. About a minute the first time (pip from PyPI).
$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli==$(SAM_VERSION)
	rm -f $(SAM_VENV)/.sam-*-stamp
	touch $@

sam-cli: $(SAM_STAMP)

install: $(SERVER_STAMP) node-runtimes

install-dev: $(DEV_STAMP) $(TOOLS_STAMP) node-runtimes

run: $(SERVER_STAMP) node-runtimes
	$(BIN)/ovis server --host 127.0.0.1 --port 8910 --data-dir .ovis-data

# Coverage: the test processes through pytest-cov, each server the tests start through
# `coverage run --parallel-mode` (tests/conftest.py, OVIS_TEST_COVERAGE); pytest-cov combines
# every data file when the run ends, and the report prints what the whole suite covered.
# OVIS_SAM_CLI tells the SAM tests where `sam` is (without it they look in $(SAM_VENV)); they
# fail, not skip, when it is missing.
test: $(DEV_STAMP) $(TOOLS_STAMP) node-runtimes $(SAM_STAMP)
	OVIS_TEST_COVERAGE=1 OVIS_SAM_CLI=$(abspath $(SAM_VENV))/bin/sam \
		OVIS_TF_PLUGIN_DIR=$(OVIS_TF_PLUGIN_DIR) $(BIN)/python -m pytest -n auto --cov=ovis --cov-report= tests
	$(BIN)/python -m coverage report --sort=cover --skip-covered

check: $(DEV_STAMP)
	$(BIN)/ruff format --check ovis tests bench
	$(BIN)/ruff check ovis tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(SERVER_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .ovis-data .coverage .coverage.*
