# Two commands for a new user: `make demo` and `make test`. Both set themselves up from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint unit install bench instructions clean

$(STAMP): pyproject.toml requirements/dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Ordermesh needs Python 3.11+"'
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
	  || echo "uv unavailable; falling back to pip"
	@if $(PYTHON) -m uv --version >/dev/null 2>&1; then \
	  $(PYTHON) -m uv venv --allow-existing --quiet --python $(PYTHON) $(VENV) && \
	  $(PYTHON) -m uv pip install --quiet --python $(BIN)/python -r requirements/dev.txt -e . ; \
	else \
	  $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet -r requirements/dev.txt -e . ; \
	fi
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ordermesh demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# pytest exits 5 when it collected nothing: that is a broken suite, never a pass.
test: lint
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests --ignore=tests/concurrency; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest ran no tests"; exit 1; fi; [ $$rc -eq 0 ] || exit $$rc
	$(BIN)/pytest -q -p no:cacheprovider tests/concurrency; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest ran no concurrency tests"; exit 1; fi; exit $$rc

# Needs wrk (Debian package) as the load generator and pgbench (PostgreSQL client) for the raw ceiling.
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.run

# Instructions per placed order under callgrind: unlike times, they do not drift with a busy machine, so
# they show what a change to the hot path is worth (run on the code before and after it).
instructions: $(STAMP)
	@command -v valgrind >/dev/null || apt-get install -y valgrind || (apt-get update && apt-get install -y valgrind)
	$(BIN)/python -m bench.instructions --backend postgresql
	$(BIN)/python -m bench.instructions --backend sqlite

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
