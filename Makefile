# Two commands do all the set-up on a machine with only python3:
#   make demo   creates .venv, installs opsctl, audits the sandbox account (reports in reports/demo),
#               then applies its dashboards and alarms
#   make test   creates .venv, installs opsctl with dev tools, runs every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test test-fast lint bench bench-org bench-memory venv clean docs chromium

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/opsctl sandbox demo --report-dir reports/demo

test: venv chromium
	$(BIN)/python -m pytest

# The edit loop: unit and CLI tests only (no moto server, no browser), well under a minute.
test-fast: venv
	$(BIN)/python -m pytest -q tests/unit tests/cli

# The HTML report's browser test needs Debian's chromium; installed only when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	  else echo "make: chromium missing and no apt-get: the HTML browser test will be skipped" >&2; fi; }

lint: venv
	$(BIN)/ruff check opsctl checks tests benchmarks

bench: venv
	$(BIN)/python benchmarks/bench_audit.py

bench-org: venv
	$(BIN)/python benchmarks/bench_org.py

bench-memory: venv
	$(BIN)/python benchmarks/bench_memory.py --sizes 1000,3000 --trace-size 1000

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

docs: venv
	$(BIN)/python -m tests.unit.test_docs
