# Jiceng — set-up and everyday commands. Needs Python 3.11, Node 20 (npm) and make.
#
#   make demo       create .venv, install, copy assets, migrate, load the demo county, serve :8000
#   make test       install the test dependencies and run the whole suite (SQLite, or
#                   PostgreSQL when JICENG_DATABASE_URL=postgres://…)
#   make lint       ruff check, ruff format --check, mypy, makemigrations --check
#   make format     ruff format and ruff check --fix
#   make assets     npm ci and copy the front-end files into static/vendor/
#   make messages   makemessages (zh_Hans, en) and compilemessages (needs gettext)
#   make serve      serve the existing database with gunicorn
#   make federation-demo  a hub, two counties and three department systems on ports 8101-8106
#   make bench      every benchmark scenario at a small scale (a few minutes; PostgreSQL, wrk), one
#                   table of figures, same-run baselines, ratios and bars (see bench/README.md)
#   make bench-full the same at full scale: 1 M and 5 M events, 1 M people (hours)
#   make clean      remove .venv, node_modules, copied assets and caches (var/ is kept)
#
# Re-running is cheap: stamp files skip pip and npm while pyproject.toml, requirements.lock
# and package-lock.json are unchanged.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers, e.g. `make test XDIST="-n 2"`. Off by default: with ~300 fast tests the
# per-worker start-up (a test database each) costs more than the second core saves; turn it on
# when the suite grows. Works on SQLite and PostgreSQL.
XDIST ?=
PYTEST_ARGS ?=
VENDOR := src/jiceng/web/static/vendor
MO_FILES := $(patsubst %.po,%.mo,$(wildcard src/jiceng/locale/*/LC_MESSAGES/*.po))
# Management commands that only inspect the code need no secret key.
DEV_ENV := JICENG_DEBUG=1

.PHONY: help demo federation-demo test lint format assets messages serve clean install install-test compile-messages bench bench-full bench-tools

help:
	@sed -n '2,18p' Makefile | sed 's/^# \{0,1\}//'

# --- Python -----------------------------------------------------------------------------

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# uv installs the locked packages in ~10 s where pip takes ~85 s (a fresh venv, warm caches, this machine);
# compiled to bytecode as pip does, so that test processes do not each compile them at start.
$(BIN)/uv: | $(PY)
	$(PY) -m pip install -qq --disable-pip-version-check uv==0.13.9

$(VENV)/.stamp-runtime: pyproject.toml requirements.lock | $(BIN)/uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) -c requirements.lock -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml requirements.lock | $(BIN)/uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) -c requirements.lock -e '.[test]'
	touch $@ $(VENV)/.stamp-runtime

install: $(VENV)/.stamp-runtime
install-test: $(VENV)/.stamp-test

# --- Front-end assets (npm, no CDN) ------------------------------------------------------

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.stamp: node_modules/.stamp scripts/copy_assets.py
	$(PYTHON) scripts/copy_assets.py
	touch $@

assets: $(VENDOR)/.stamp

# --- Translations -----------------------------------------------------------------------

%.mo: %.po
	@if command -v msgfmt >/dev/null 2>&1; then \
	  echo "msgfmt $<"; msgfmt --check-format -o $@ $<; \
	else \
	  echo "warning: msgfmt not found (install gettext): $@ not rebuilt" >&2; \
	fi

compile-messages: $(MO_FILES)

messages: $(VENV)/.stamp-runtime
	cd src/jiceng && $(DEV_ENV) ../../$(PY) -P -m django makemessages --settings=jiceng.settings \
	  -l zh_Hans -l en --no-obsolete --ignore 'static/*' --ignore 'migrations/*'
	cd src/jiceng && $(DEV_ENV) ../../$(PY) -P -m django compilemessages --settings=jiceng.settings \
	  --ignore 'static/*'

# --- Running ----------------------------------------------------------------------------

demo: $(VENV)/.stamp-runtime assets compile-messages
	JICENG_DEMO=1 $(BIN)/jiceng demo

# A hub, two county platforms and three department systems on ports 8101-8106 (var/federation/).
federation-demo: $(VENV)/.stamp-runtime assets compile-messages
	$(PY) scripts/federation_demo.py

serve: $(VENV)/.stamp-runtime assets compile-messages
	$(BIN)/jiceng serve --host $(HOST) --port $(PORT)

# --- Checks -----------------------------------------------------------------------------

test: $(VENV)/.stamp-test assets compile-messages
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

lint: $(VENV)/.stamp-test
	@status=0; \
	echo "+ ruff check"; $(BIN)/ruff check || status=1; \
	echo "+ ruff format --check"; $(BIN)/ruff format --check || status=1; \
	echo "+ mypy"; $(DEV_ENV) $(BIN)/mypy || status=1; \
	echo "+ manage.py makemigrations --check --dry-run"; \
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run || status=1; \
	exit $$status

format: $(VENV)/.stamp-test
	$(BIN)/ruff format
	$(BIN)/ruff check --fix

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache .hypothesis test-results
	find src tests scripts -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf src/*.egg-info

# --- Benchmarks (PostgreSQL on 127.0.0.1, wrk from Debian) ------------------------------

BENCH_ARGS ?=
bench-tools:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk </dev/null; } \
	  || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

bench: $(VENV)/.stamp-runtime bench-tools
	$(PY) bench/run.py $(BENCH_ARGS)

bench-full: $(VENV)/.stamp-runtime bench-tools
	$(PY) bench/run.py --full $(BENCH_ARGS)
