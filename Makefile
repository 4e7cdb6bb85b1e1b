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
	@# A static busybox builds the container images the tests make (tests/integration/test_images.py).
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! dpkg -s busybox-static >/dev/null 2>&1; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q busybox-static >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q busybox-static >/dev/null; } || \
		{ echo "error: could not install busybox-static (the container-image tests need it)"; exit 1; }; \
	fi
	@# Debian's chromium runs the function URL CORS test in a real browser (playwright drives it).
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v chromium >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
		{ echo "error: could not install chromium (the browser CORS test needs it)"; exit 1; }; \
	fi
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
