# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# make run is for a laptop: debug pages, no HTTPS redirect. Production sets DEBUG=0.
RUN_DEBUG ?= 1

.DEFAULT_GOAL := help
PY_DIRS := accounts analytics core demo identity privacy quality safety escalations exports helpdesk sops tickets tests bench scripts manage.py conftest.py
.PHONY: help install run test test-fast lint stop clean-data messages

help:
	@echo "make run    start web, worker and beat (embedded PostgreSQL and Redis unless configured)"
	@echo "make test   run the whole test suite, browser tests included"
	@echo "make lint   ruff, mypy, Django's deploy checks, missing migrations"
	@echo "make stop   stop the embedded PostgreSQL and Redis if they are still running"

$(VENV)/.installed: requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: Python 3.11 or newer is needed (found $$($(PYTHON) --version))."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@# Bytecode ahead of time: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every
	@# process would otherwise compile ~900 modules at start (1-2 s per worker, per test
	@# process, per `ingest_email` an MTA runs).
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	@touch $@

node_modules/.installed: package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (Node.js) is needed for the front-end assets."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed
	@$(BIN)/python -m compileall -q -j 0 $(PY_DIRS) >/dev/null 2>&1 || true

run: install
	@DEBUG=$${DEBUG:-$(RUN_DEBUG)} $(BIN)/python -m helpdesk.launcher

# Tests run side by side in pytest-xdist worker processes, each with its own test database
# and Redis database (README, "Tests"). PYTEST_WORKERS=0 runs them in this one process.
PYTEST_WORKERS ?= 3
PYTEST_XDIST := -n $(PYTEST_WORKERS)

test: install
	@scripts/ensure-chromium
	$(BIN)/python -m pytest $(PYTEST_XDIST) --durations=25 $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m "not e2e" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# The architecture's import rules (pyproject.toml [tool.importlinter]).
	$(BIN)/lint-imports --no-cache
	@# Types. Stand-in service addresses: mypy's Django plugin loads the settings, which
	@# would otherwise start the embedded PostgreSQL and Redis (nothing connects to these).
	DATABASE_URL=postgres://mypy@127.0.0.1:9/mypy REDIS_URL=redis://127.0.0.1:9/0 \
	  SECRET_KEY=mypy-only $(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	@# Django's deployment checks against production settings (values are stand-ins).
	DEBUG=0 SECRET_KEY=lint-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  ALLOWED_HOSTS=helpdesk.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

stop: install
	@$(BIN)/python -c "from helpdesk import embedded as e; print('postgres stopped' if e.stop_postgres() else 'postgres was not running'); print('redis stopped' if e.stop_redis() else 'redis was not running')"

# Refresh the translation catalogues after changing marked strings (needs gettext).
messages: install
	$(BIN)/python manage.py makemessages -a --ignore=.venv --ignore=node_modules --ignore=tests --ignore=.local
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean-data:
	@echo "This deletes the embedded database and Redis data in .local/."
	$(MAKE) stop
	rm -rf .local
