# Two commands do all the set-up on a machine with only python3:
#   make demo   creates .venv, installs opsctl with the sandbox, audits the sandbox account
#   make test   creates .venv, installs opsctl with dev tools, runs every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint bench venv clean docs

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/opsctl sandbox demo

test: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check opsctl checks tests benchmarks

bench: venv
	$(BIN)/python benchmarks/bench_audit.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

docs: venv
	$(BIN)/python -m tests.unit.test_docs
