# Widget Builder. `make run` and `make test` work on a fresh machine: they make .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
QUICKJS := node_modules/.cache/widget-builder/quickjs.js
DEMO_CLAIMS ?= 1000000
ADDR ?= 127.0.0.1:8000
TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run setup vendor lint test test-fast test-js test-pg test-browser bench clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The pinned front-end packages: the TypeScript compiler (checks custom widgets), ECharts, QuickJS and
# esbuild (build the custom widget's VM), React (only the sandbox bench's baseline).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Generated, not committed: `npm ci` and `make clean` remove it with the packages it is made from.
$(QUICKJS): $(NODE_STAMP) widgets/tsx/vendor-quickjs.mjs
	node widgets/tsx/vendor-quickjs.mjs $(QUICKJS)

## The custom widget's QuickJS as one script (static/vendor/quickjs/quickjs.js), built offline from those
## pinned packages by the pinned esbuild: about 0.3 s, the same bytes every time. Every target below needs it.
vendor: $(QUICKJS)

setup: $(STAMP) $(QUICKJS)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --clear --verbosity 0
	$(PY) manage.py seed_demo --claims $(DEMO_CLAIMS)

## Set everything up and start the app (web + worker) on http://127.0.0.1:8000 (another: make run ADDR=127.0.0.1:8100)
run: setup
	$(PY) manage.py serve $(ADDR)

## Linters: ruff, and the import contract (apps reach the LLM gateway only through backend.llm.api)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

## The whole suite: the import contract, the SQLite pass, then the PostgreSQL + Redis pass (skipped with a
## reason when absent)
test: $(STAMP) $(QUICKJS) lint test-js
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-pg

## Everything except browser and slow tests, on SQLite
test-fast: $(STAMP) $(QUICKJS) lint test-js
	$(PY) -m pytest -m "not browser and not slow"

## The front end's unit tests (formatting, axis labels, partial buckets) under Node's own test runner.
## static/ has no package.json saying "type": "module", so Node's notice that it detected ES modules is muted.
test-js: $(QUICKJS)
	node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON --test --test-reporter=dot tests/js/

## The suite again with the app database on PostgreSQL, plus the integration tests (real Redis broker)
test-pg: $(STAMP) $(QUICKJS)
	DATABASE_URL=$(TEST_PG_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -m "not browser" -p no:cacheprovider

test-browser: $(STAMP) $(QUICKJS)
	$(PY) -m pytest -m browser

## Benchmarks: each script prints its figures as ratios against a baseline measured in the same run
bench: $(STAMP) $(QUICKJS)
	@for script in tests/bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) var node_modules
