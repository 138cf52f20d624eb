# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint types contracts unit bench bench-serve bench-otlp bench-crash bench-disk bench-w2 bench-stores clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=70.1' wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet 'setuptools>=70.1' wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-build-isolation --no-deps -e examples/plugins/pipeflow-hash
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/run_demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check domain application infrastructure interfaces pipeflow

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint types contracts unit

bench: $(STAMP)
	$(BIN)/python bench/run_w1.py

bench-serve: $(STAMP)
	$(BIN)/python bench/serve_w1.py

bench-otlp: $(STAMP)
	$(BIN)/python bench/otlp_w1.py

bench-crash: $(STAMP)
	$(BIN)/python bench/crash_exactly_once.py -n 500000 --kills 3 --workers 1
	$(BIN)/python bench/crash_exactly_once.py -n 500000 --kills 3 --workers 2

bench-disk: $(STAMP)
	$(BIN)/python bench/disk_w1.py --runs 3
	$(BIN)/python bench/disk_w1.py --runs 3 --workers 2

bench-w2: $(STAMP)
	$(BIN)/python bench/run_w2.py -n 1000000 --runs 3

bench-stores: $(STAMP)
	$(BIN)/python bench/stores_w1.py -n 200000 --runs 3

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
