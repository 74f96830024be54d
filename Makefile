# trigger-client developer commands. Every target sets up .venv/ first when it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := tests/interop/node_modules/.installed
PYTEST_ARGS ?=
# The other supported Pythons, found with pyenv (any patch version) or else on PATH; each gets a venv
# of its own (.venv-3.12, ...) and runs these tests (the whole suite runs on $(PYTHON)).
OTHER_PYTHONS ?= 3.12 3.13
OTHER_PYTHONS_TESTS ?= tests/unit tests/emulator tests/parity tests/conformance tests/_async

.PHONY: setup test test-fast test-long codegen codegen-check lint check demo bench mutation interop-setup clean dist wheel-smoke docs test-pythons

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# npm ci for the official TypeScript SDK used by the interop and parity tests (skipped without npm).
$(NODE_STAMP): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) ## create .venv and install the project with its dev tools
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(NODE_STAMP); fi

interop-setup: $(NODE_STAMP)

test: setup ## the whole test suite (unit, emulator, parity, interop, chaos seeds for CI)
	$(PY) -m pytest $(PYTEST_ARGS)

test-pythons: setup ## unit, emulator, parity, conformance and async client tests on Python 3.12 and 3.13 (pyenv)
	@set -e; for v in $(OTHER_PYTHONS); do \
	  py="$$(pyenv prefix $$v 2>/dev/null | head -n1)/bin/python$$v"; \
	  if [ ! -x "$$py" ]; then py="$$(command -v python$$v || true)"; fi; \
	  if [ -z "$$py" ]; then echo "Python $$v not found (pyenv install $$v)"; exit 1; fi; \
	  venv=".venv-$$v"; \
	  if [ ! -f "$$venv/.installed" ] || [ pyproject.toml -nt "$$venv/.installed" ]; then \
	    rm -rf "$$venv"; "$$py" -m venv "$$venv"; \
	    "$$venv/bin/python" -m pip install --quiet --upgrade pip; \
	    "$$venv/bin/python" -m pip install --quiet -e '.[dev]'; \
	    touch "$$venv/.installed"; \
	  fi; \
	  echo "== Python $$("$$venv/bin/python" --version | cut -d' ' -f2): $(OTHER_PYTHONS_TESTS)"; \
	  "$$venv/bin/python" -m pytest -q $(OTHER_PYTHONS_TESTS) $(PYTEST_ARGS); \
	done

test-fast: $(STAMP) ## unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-long: setup ## the long chaos run: 5000 seeds per test (~12 min); prints each test's tally
	TRIGGER_CHAOS_SEEDS=5000 $(PY) -m pytest tests/chaos -s $(PYTEST_ARGS)

codegen: $(STAMP) ## regenerate models from openapi/ and the sync twin from _async/
	$(PY) codegen/gen_models.py
	$(PY) codegen/gen_sync.py

codegen-check: $(STAMP) ## fail when generated code is stale or hand-edited
	$(PY) codegen/gen_models.py --check
	$(PY) codegen/gen_sync.py --check

lint: $(STAMP) ## ruff check, ruff format --check, mypy --strict, 100% type completeness (pyright)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	PATH="$(abspath $(VENV))/bin:$$PATH" basedpyright --verifytypes trigger_client --ignoreexternal

dist: $(STAMP) ## build the sdist and the wheel into dist/ and check them (twine, check-wheel-contents)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*
	$(VENV)/bin/check-wheel-contents dist/*.whl

wheel-smoke: dist ## install the built wheel alone in a fresh venv; run the seed's example on an emulator
	$(PY) tests/packaging/wheel_smoke.py dist

docs: $(STAMP) ## build the documentation site and API reference into site/ (--strict)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

check: codegen-check lint test test-pythons docs wheel-smoke ## everything CI runs

demo: $(STAMP) ## run the SDK on the embedded emulator
	$(PY) examples/demo.py

bench: setup ## benchmarks against the official TypeScript SDK (RESULTS.md, then STREAMS.md)
	$(PY) -m bench
	$(PY) -m bench.streams

# Not part of `make check`: 45 minutes on a quiet 2-core machine, 2 hours or more on a loaded one
# (docs/testing.md). `make mutation MODULES="streams paths"` checks only those modules' mutants:
# their records in docs/mutation/ are replaced, the others' kept.
mutation: $(STAMP) ## mutation testing of trigger_client/_protocol/ (mutmut); score and survivors to docs/testing.md
	nice -n 19 $(PY) -m mutmut run --max-children 2 $(foreach m,$(MODULES),"trigger_client._protocol.$(m).*") > mutants.log 2>&1 || (tail -5 mutants.log; exit 1)
	$(PY) codegen/mutation_report.py

clean:
	rm -rf $(VENV) .venv-3.* tests/interop/node_modules site dist mutants mutants.log
