# Two commands set everything up: `make run` and `make test`. `make setup` does the set-up alone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8888

.PHONY: setup run test test-server test-e2e screenshot lint bench bench-quick build clean

setup: $(VENV)/.installed node_modules/.installed build

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: node_modules/.installed
	node build.mjs

run: setup
	$(BIN)/python server.py --port $(PORT)

# Browser tests share no event loop with the async server tests: a second pytest invocation.
test: setup
	$(BIN)/python -m pytest -q
	npm test --silent
	$(BIN)/python -m pytest -q -p no:tornado tests/e2e

test-server: setup
	$(BIN)/python -m pytest -q

test-e2e: setup
	$(BIN)/python -m pytest -q -p no:tornado tests/e2e

# The README's picture, taken by the browser test that draws it (a test run writes it to a
# temporary folder instead, so `make test` leaves the tree clean).
screenshot: setup
	WHITEBOARD_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(BIN)/python -m pytest -q -p no:tornado tests/e2e/test_screenshot.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	npm run lint --silent

# The Performance issue's scenarios in full (10-20 minutes) plus the other benches, quick.
bench: setup
	$(BIN)/python bench/run_all.py

# Every bench with small settings: a few minutes, to check the benches and the table.
bench-quick: setup
	$(BIN)/python bench/run_all.py --quick

clean:
	rm -rf $(VENV) node_modules static/dist
