# The commands of this repository. `make serve` and `make test` are all a newcomer needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build offline test lint format bench clean chapter
.PHONY: install upstream-install upstream compare-upstream

# Create .venv and install the pinned requirements (again whenever they change).
$(INSTALLED): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

# Install MathJax (equations are typeset at build time) and Lighthouse (make bench), pinned in
# package.json and package-lock.json, into node_modules/ (again whenever they change).
$(NODE_INSTALLED): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 18 or later and npm are needed: they typeset \
	the equations. Debian/Ubuntu: sudo apt-get install nodejs npm; macOS: brew install node; \
	others: https://nodejs.org/en/download"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## serve: build and serve the site on http://127.0.0.1:8000 with live reload
serve: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

## build: build the site into site/ (strict: any warning fails)
build: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/mkdocs build --strict

## offline: the copy for reading from disk, site-offline/ and site-offline.zip
offline: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m sitebuild.offline site-offline

## chapter: start a new chapter: make chapter SLUG=bidirectional TITLE="Part F: Bidirectional"
chapter: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m sitebuild.scaffold "$(SLUG)" "$(TITLE)"

## test: lint and format checks, then the whole test suite
test: lint $(NODE_INSTALLED)
	$(BIN)/python -m pytest

## lint: ruff's lint and format checks (rules in pyproject.toml)
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## format: apply ruff's fixes and formatting
format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: time cold, warm and bare builds against mkdocs-jupyter's execution, the
## step-through panel's update at T = 500, and Lighthouse (mobile) on the pages (all run;
## any missing its target fails)
bench: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python benchmarks/build_times.py; status=$$?; \
	$(BIN)/python benchmarks/stepper_update.py || status=1; \
	$(BIN)/mkdocs build --strict -q -d .cache/bench-site \
	  && $(BIN)/python benchmarks/lighthouse.py .cache/bench-site || status=1; \
	exit $$status

## clean: remove the built site and the example cache (git clean -fdX does the same and more)
clean:
	rm -rf site site-offline site-offline.zip .cache node_modules

## install: create .venv and install the pinned requirements (every other target does it too;
## the workflows run it once, before the build and the tests)
install: $(INSTALLED) $(NODE_INSTALLED)

# --- the upstream build: what the newest TensorFlow, Keras and NumPy change ---------------
UPSTREAM_VENV := .venv-upstream

## upstream-install: .venv-upstream with the newest TensorFlow, Keras and NumPy, all else pinned
upstream-install:
	test -x $(UPSTREAM_VENV)/bin/python || $(PYTHON) -m venv $(UPSTREAM_VENV)
	$(UPSTREAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(UPSTREAM_VENV)/bin/python -m sitebuild.upstream requirements-test.txt \
		> $(UPSTREAM_VENV)/requirements.txt
	$(UPSTREAM_VENV)/bin/python -m pip install --quiet --upgrade -r $(UPSTREAM_VENV)/requirements.txt

## upstream: build site-upstream/ (strict) with the packages of .venv-upstream
upstream: upstream-install
	$(UPSTREAM_VENV)/bin/mkdocs build --strict -d site-upstream

## compare-upstream: build site/ (pinned) and site-upstream/, compare them into upstream-report.md
## (fails when a number, a probe's verdict or a model changed); any two builds:
## python -m sitebuild.compare OLD NEW
compare-upstream: build upstream
	$(BIN)/python -m sitebuild.compare site site-upstream --report upstream-report.md

.PHONY: mutate
## mutate: mutation testing against the fast tests: mutmut on sitebuild/ and examples/publish.py,
## Stryker on the panel's engine (docs/javascripts/stepper-compute.js) against the node tests
## (tests/js); prints each score and the surviving mutants (mutation/run.py)
mutate: $(INSTALLED)
	$(BIN)/python mutation/run.py
