# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exits 0 when the Python running it is new enough for the project.
PY_OK := import sys; sys.exit(sys.version_info < (3, 11))

.PHONY: run test lint bench clean FORCE

# A .venv whose Python is gone or too old (made with another python3) is rebuilt, not
# trusted: its stamp alone would otherwise keep it forever.
ifneq ($(shell $(BIN)/python -c '$(PY_OK)' 2>/dev/null && echo ok),ok)
$(STAMP): FORCE
endif

$(STAMP): pyproject.toml
	@$(PYTHON) -c '$(PY_OK)' 2>/dev/null || { \
		echo "error: '$(PYTHON)' is missing or older than Python 3.11;" \
			"run make again with PYTHON=python3.11 (or newer)" >&2; exit 1; }
	@if [ -d $(VENV) ] && ! $(BIN)/python -c '$(PY_OK)' 2>/dev/null; then \
		echo "$(VENV) has no working Python 3.11+: building it afresh with $(PYTHON)"; \
		rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Solve the sample clinic in data/ and publish into out/
run: $(STAMP)
	./iop-scheduler validate data/sample_clinic.xlsx
	./iop-scheduler solve data/sample_clinic.xlsx --out out
	@echo "Done. From this folder, run the tool as ./iop-scheduler (try ./iop-scheduler --help)."

## Lint, type-check and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check scheduler tests benchmarks
	$(BIN)/ruff format --check scheduler tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) out

FORCE:
