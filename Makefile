# leadlab: `make demo` and `make test` are the two commands a fresh machine needs (python3 >= 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_LEADS ?= 30000
DEMO_SEED  ?= 42

.PHONY: demo test lab env data reports clean lock

# Set-up is skipped when pyproject.toml and requirements.lock did not change.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

env: $(STAMP)

# Synthetic demo data, regenerated only when the generator changed.
data/leadlab.duckdb: $(STAMP) $(wildcard leadlab/synth/*.py)
	$(BIN)/leadlab synth --leads $(DEMO_LEADS) --seed $(DEMO_SEED) --replace

data: data/leadlab.duckdb

demo: data/leadlab.duckdb
	$(BIN)/leadlab score train --quiet
	$(BIN)/leadlab score apply --quiet
	$(BIN)/leadlab report all --period last-month
	$(BIN)/leadlab report all --period last-month --lang zh
	@echo "Open $(CURDIR)/reports/index.html"

# One pytest run: unit tests, every docstring example of the package (on a small seeded demo
# store, see conftest.py) and every notebook once, through the report runner (tests/test_notebooks.py).
# Whole files per worker, longest first (the order of conftest.py's LONGEST_FIRST, not by test count).
# Bytecode caches on (git-ignored __pycache__) even where PYTHONDONTWRITEBYTECODE is set: each worker,
# kernel and CLI subprocess imports leadlab, and each worker rewrites the test modules' asserts.
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile --no-loadscope-reorder --doctest-modules leadlab tests

lab: $(STAMP)
	LEADLAB_HOME=$(CURDIR) $(BIN)/jupyter lab --notebook-dir=notebooks

# Re-pin transitive dependencies after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^leadlab' > requirements.lock

clean:
	rm -rf build reports/*/ reports/index.html reports/index.json .pytest_cache
