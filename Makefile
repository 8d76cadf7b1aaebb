# Two commands on a fresh machine (Python >= 3.11):
#   make run   -> creates .venv, installs, runs the main job on a shipped sample graph
#   make test  -> creates .venv, installs with test tools, runs lint, types and tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: run test lint browser java bench clean

# The report tests open report.html in a real headless Chromium: install it when missing
# (Debian/Ubuntu package `chromium`; sudo when not root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The overlap's kernels are C (graph_engine/_ckernels.c), built by pip: install a compiler
# when there is none (Debian/Ubuntu package `gcc`).
$(VENV)/.installed: pyproject.toml constraints.txt graph_engine/_ckernels.c | $(BIN)/python
	@command -v cc >/dev/null 2>&1 || { \
	  echo "installing a C compiler for the overlap kernels (apt-get install gcc)"; \
	  $(SUDO) apt-get install -y -q gcc >/dev/null 2>&1 || { \
	    $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q gcc >/dev/null; }; }
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench,spark,plots]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/graph-engine run sample_graphs/twitter100.toml

lint: $(VENV)/.installed
	$(BIN)/ruff check graph_engine tests benchmarks
	$(BIN)/ruff format --check graph_engine tests benchmarks
	$(BIN)/mypy

browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Chromium for the report tests (apt-get install chromium)"; \
	  $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || { \
	    $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium >/dev/null; }; }

# The Spark tests run a real local Spark, which needs a Java 17+ runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing a Java runtime for the Spark tests (apt-get install openjdk-17-jre-headless)"; \
	  $(SUDO) apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1 || { \
	    $(SUDO) apt-get update -q >/dev/null && \
	    $(SUDO) apt-get install -y -q openjdk-17-jre-headless >/dev/null; }; }

test: lint browser java
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(OUT) benchmarks/.data benchmarks/results
