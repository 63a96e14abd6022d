# Casualty figures workbook: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ENV_STAMP := $(VENV)/.installed
PORT ?= 8888
NOTEBOOK ?=
PARAMS ?=
# NOTEBOOK and PARAMS reach `workbook report` as plain words through the environment: their text is
# never expanded by make ($(...)) nor run by the shell (';', '`', '$(...)', globs).
override NOTEBOOK := $(value NOTEBOOK)
override PARAMS := $(value PARAMS)
override PORT := $(value PORT)
export NOTEBOOK PARAMS PORT
JOBS ?=
BENCH_ARGS ?=
# make test's workers: one more than the usable cores. Many tests wait (on a browser, a kernel, a build they
# started), and the extra worker runs while one waits: on 2 cores, run in turn on one host, the suite took
# 177-182 s so and 196-210 s with one worker a core, the same CPU time both ways (the host's own speed
# moves more than that between runs: 174 s and 203 s so, in two benchmark runs 20 minutes apart).
# The cores as a build counts them (executors.usable_cores); read when the recipe runs, after .venv is made.
TEST_JOBS ?= $(shell $(BIN)/python -c 'from casualty_workbook.pipeline.executors import usable_cores; print(usable_cores() + 1)')
# What `make lint` checks: the whole project, notebooks included (LINT_PATHS narrows it).
LINT_PATHS ?= .
BOOTSTRAP := tools/bootstrap.txt
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# Every file is checked against the lock's hashes, so any index the machine's settings add may serve it.
UV := $(BIN)/uv --quiet
UV_SYNC := pip sync --index-strategy unsafe-best-match --require-hashes --compile-bytecode

## help: list the targets with one line each
help:
	@grep -E '^## [a-z]+: ' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z]+): /\1\t/' | awk -F'\t' '{printf "  %-10s %s\n", $$1, $$2}'

$(ENV_STAMP): requirements.lock pyproject.toml $(BOOTSTRAP)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv --clear --without-pip $(VENV)
	@# uv (pinned with its hashes) installs the lock, pip included, in seconds; where uv cannot be
	@# installed (no pip outside the venv, or no access to the package index), pip does the same.
	@if $(PYTHON) -m pip --quiet --disable-pip-version-check --python $(BIN)/python install --require-hashes \
			-r $(BOOTSTRAP) && $(BIN)/uv --version; then \
		echo "$(UV) $(UV_SYNC) requirements.lock"; \
		$(UV) $(UV_SYNC) --python $(BIN)/python requirements.lock \
		&& $(UV) pip install --python $(BIN)/python --no-deps --no-build-isolation -e .; \
	else \
		echo "uv could not be installed: installing requirements.lock with pip" >&2; \
		$(BIN)/python -m ensurepip --default-pip >/dev/null \
		&& $(PIP) install --require-hashes -r requirements.lock \
		&& $(PIP) install --no-deps --no-build-isolation -e .; \
	fi
	@touch $@

## env: create .venv from the pinned lock with uv, or pip without it (every other target does this first)
env: $(ENV_STAMP)

## figures: build every stale report and its figures (figures/, reports/)
figures: $(ENV_STAMP)
	$(BIN)/workbook build $(if $(JOBS),--jobs $(JOBS))

## report: run one notebook with your parameters: make report NOTEBOOK=ohchr_2014_2021 PARAMS='include_mh17=false'
report: $(ENV_STAMP)
	@test -n "$$NOTEBOOK" || { echo "error: give NOTEBOOK=<name>, e.g. make report NOTEBOOK=ohchr_2014_2021 PARAMS='year_from=2015'" >&2; exit 2; }
	@set -f; echo "$(BIN)/workbook report $$NOTEBOOK $$PARAMS"; exec $(BIN)/workbook report "$$NOTEBOOK" $$PARAMS

## validate: check every table in data/ and list what is wrong
validate: $(ENV_STAMP)
	$(BIN)/workbook validate

## series: import OHCHR's running civilian count from data/imports/ into data/ (safe to repeat: no change)
# The raw sheet first, so the weeks it covers name OHCHR's update; then the whole series, which extends the chain.
SERIES_OPTIONS := --country Ukraine --counted-from 2022-02-24 --source-url https://data.humdata.org/visualization/ukraine-humanitarian-operations/
series: $(ENV_STAMP)
	$(BIN)/workbook import ohchr-series data/imports/ocha_ukraine_keyfigures_sheet_2022-03_04.csv $(SERIES_OPTIONS)
	$(BIN)/workbook import ohchr-series data/imports/ohchr_ukraine_civcas_cumulative_daily_2022-2023_hxl.csv $(SERIES_OPTIONS)

## test: run the test suite on every core, one worker more than the cores (data, notebooks, figures byte for byte, browser)
test: $(ENV_STAMP)
	@# --dist loadfile: a module's tests share one worker, so its module-wide fixtures run once; the modules
	@# go out in collection order, longest first (tests/conftest.py), not ordered by their count of tests.
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder

## lint: ruff's checks and formatting (LINT_PATHS says where), and the package's layers, changing no file
lint: $(ENV_STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	@# The layers' contracts in pyproject.toml ([tool.importlinter]): imports only downward, no loops.
	$(BIN)/lint-imports --no-cache

## lab: start JupyterLab on 127.0.0.1 (PORT, default 8888) with a token, in notebooks/
lab: $(ENV_STAMP)
	@# Localhost only, and always a token: TOKEN from the environment or a fresh random one. The token goes to
	@# JupyterLab in its environment (JUPYTER_TOKEN), never on a command line that `ps` shows to every user.
	@# A taken port is named before anything is printed (root, as in containers, is allowed).
	@# casualty_workbook.pipeline.lab_extension forks each notebook's kernel from a warm server: ready in a fraction of a second.
	@# Offline: JupyterLab's own settings turn off its news feed (and the prompt asking to fetch it), its update
	@# check and the extension manager's searches of the package index (read-only: it lists what is installed).
	@case "$$PORT" in ''|*[!0-9]*) echo "error: PORT must be a port number, got '$$PORT'" >&2; exit 2;; esac; \
	if (exec 3<>"/dev/tcp/127.0.0.1/$$PORT") 2>/dev/null; then \
		echo "error: port $$PORT on 127.0.0.1 is taken (another JupyterLab?): stop it, or choose another port, e.g. PORT=9000 make lab" >&2; exit 1; fi; \
	token="$${TOKEN:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))')}"; \
	echo "JupyterLab: http://127.0.0.1:$$PORT/lab?token=$$token"; \
	JUPYTER_TOKEN="$$token" exec $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port="$$PORT" \
		--ServerApp.port_retries=0 --ServerApp.open_browser=False --ServerApp.root_dir=notebooks \
		--ServerApp.jpserver_extensions casualty_workbook.pipeline.lab_extension=True \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		--LabApp.extension_manager=readonly \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

## bench: time a fresh set-up, the build, the loader, 10-200 reports (local, Dask) and an import; bench/RESULTS.md
bench: $(ENV_STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

## lock: refresh requirements.lock from requirements.in, then environment.yml and tools/bootstrap.txt from it
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --generate-hashes --strip-extras --allow-unsafe --upgrade -o requirements.lock requirements.in
	.venv-lock/bin/python tools/sync_environment.py
	rm -rf .venv-lock

## clean: remove reports, caches and build state (keeps .venv and committed figures)
clean:
	@# Through the workbook when it is installed: it stops, saying so, while a build or report runs, and
	@# keeps the lock files a running build holds; without .venv nothing can be running.
	@if [ -x $(BIN)/workbook ]; then $(BIN)/workbook clean; else rm -rf reports .pytest_cache .build-state bench/out; fi
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} + -o -name '*.egg-info' -type d -exec rm -rf {} +

.PHONY: help env figures report validate series test lint lab bench lock clean
