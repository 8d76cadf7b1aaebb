# Two commands on a fresh machine (Python >= 3.11):
#   make run   -> creates .venv, installs, runs the main job on a shipped sample graph
#   make test  -> creates .venv, installs with test tools, runs lint, types and tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/graph-engine run sample_graphs/twitter100.toml

lint: $(VENV)/.installed
	$(BIN)/ruff check graph_engine tests benchmarks
	$(BIN)/ruff format --check graph_engine tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(OUT) benchmarks/.data benchmarks/results
