# `make test` and `make run` work on a fresh machine with only Python 3.11 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system run test test-others test-h11 test-lowest test-pythons lint typecheck pytest bench load load-hostile vendor clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# compat mode puts the checkout on sys.path, which mypy follows (setuptools' default
	# editable finder hides aaf from mypy run on an app).
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

# What the tests start for real: Redis, and Chromium with its driver for the browser tests.
# Installed from Debian when missing (apt-get update once); elsewhere, a clear message.
SYSTEM_PACKAGES := redis-server:redis-server chromium:/usr/bin/chromium \
	chromium-driver:/usr/bin/chromedriver

system:
	@missing=""; \
	for entry in $(SYSTEM_PACKAGES); do \
		package=$${entry%%:*}; program=$${entry#*:}; \
		command -v $$program >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing:$$missing. Install them (Debian: apt-get install$$missing)." >&2; \
			if [ "$$CI" = "true" ]; then exit 1; fi; \
		fi; \
	fi

# The notes app (examples/notes/) on http://$(HOST):$(PORT)/, its data in var/.
HOST ?= 127.0.0.1
PORT ?= 8000

run: $(STAMP)
	$(BIN)/uvicorn --app-dir examples notes.app:app --host $(HOST) --port $(PORT) \
		--timeout-graceful-shutdown 35

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict aaf examples tests
	$(BIN)/basedpyright --project .

# The coverage gate: branches on; raise it as tests grow, never lower it. Compared at two
# decimals (pyproject.toml's precision): the 97 written here once was 96.5 in effect, as
# pytest-cov rounded the total first (it passed 96.67). 97 again, at two decimals, as the
# structure issue asked: measured 97.3 when it was set (hypothesis's examples move the
# total by a few hundredths from run to run).
COVERAGE_MIN ?= 97
# The main run in two processes (pytest-xdist; coverage combined by pytest-cov). Alone, it
# used one core of CI's two for the 12 minutes after the other two runs were done: 17.6 of
# CI's 25 minutes, in two 8 (`make test PYTEST_WORKERS=0` runs it in one process).
# worksteal: a process done early takes tests queued for the other (the plugin's and the
# large-body tests take minutes each, file by file).
PYTEST_WORKERS ?= 2

pytest: $(STAMP) system
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal \
		--cov=aaf --cov-branch --cov-report=term-missing:skip-covered \
		--cov-fail-under=$(COVERAGE_MIN)

# The core tests again on the oldest versions pyproject.toml allows (tests/lowest_pins.py):
# a lower bound that is too low fails here, not in a user's app. Deprecation warnings, which
# the main run treats as errors, are what old releases of one package say of another's.
LOWEST := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed
LOWEST_TESTS := tests/test_params.py tests/test_semantics.py tests/test_response.py \
	tests/test_response_edges.py tests/test_dependencies.py tests/test_routing.py \
	tests/test_views.py tests/test_connection.py tests/test_app.py tests/test_plan.py \
	tests/test_security.py tests/test_large_bodies.py tests/test_hostile.py \
	tests/test_server.py tests/test_lifecycle.py tests/test_websockets.py tests/test_threads.py \
	tests/test_testing.py tests/test_files.py tests/test_matcher.py tests/test_error_policy.py \
	tests/test_dispatch_edges.py tests/test_connection_misuse.py tests/test_small_contracts.py \
	tests/test_fuzz.py tests/test_redis_groups.py tests/test_middleware.py \
	tests/test_security_scopes.py tests/test_signature_fuzz.py tests/test_aliases.py \
	tests/test_channels.py tests/test_templating.py tests/test_examples.py tests/test_sse.py \
	examples/notes/tests/test_api.py

$(LOWEST_STAMP): pyproject.toml tests/lowest_pins.py
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python -m pip install --quiet $$($(PYTHON) tests/lowest_pins.py)
	$(LOWEST)/bin/python -m pip install --quiet --no-deps -e . --config-settings editable_mode=compat
	touch $@

test-lowest: $(LOWEST_STAMP) system
	$(LOWEST)/bin/pytest -p no:cacheprovider -o addopts="" -W ignore::DeprecationWarning \
		$(LOWEST_TESTS)

# The WebSocket tests that run a real uvicorn, again on its wsproto implementation (`uvicorn
# --ws wsproto`; aaf depends on the websockets library, which uvicorn picks by default).
WSPROTO_TESTS := tests/test_websockets.py tests/test_lifecycle.py tests/test_channels.py \
	tests/test_error_policy.py tests/test_redis_groups.py tests/test_middleware.py

# The tests that run a real uvicorn, again on its h11 implementation: `pip install aaf` gives
# uvicorn without httptools, which the main run's servers use (the test extras install it).
H11_TESTS := tests/test_server.py tests/test_hostile.py tests/test_sse.py tests/test_sse_browser.py \
	tests/test_lifecycle.py tests/test_websockets.py tests/test_response.py \
	tests/test_middleware.py tests/test_files.py tests/test_error_policy.py \
	tests/test_threads.py tests/test_redis_groups.py

test-h11: $(STAMP) system
	AAF_TEST_HTTP=h11 $(BIN)/pytest -p no:cacheprovider -o addopts="" $(H11_TESTS)
	AAF_TEST_WS=wsproto $(BIN)/pytest -p no:cacheprovider -o addopts="" $(WSPROTO_TESTS)

# The main run (two processes) beside the other two runs, one after the other: three test
# processes on CI's two cores. The runs wait on sockets, servers and subprocesses more than
# they compute; one after another they took 20 of CI's 25 minutes, the three side by side
# with the main run in one process 19.3, and four processes at once 12.5 to 13.7, where a
# test that waits on uvicorn's second worker to start failed once. Each run's output is
# printed whole when it ends (--output-sync).
test: lint typecheck
	$(MAKE) --no-print-directory --output-sync=target -j2 pytest test-others

test-others:
	$(MAKE) --no-print-directory test-h11
	$(MAKE) --no-print-directory test-lowest

# The whole suite on the newer Pythons pyproject.toml allows, each in a venv of its own
# (.venv-python3.12, ...); not part of `make test`, since a fresh machine has 3.11 alone.
# An interpreter that does not run (not installed; a pyenv shim of a version not enabled)
# is skipped with a message; PYTHONS may name interpreters by path.
PYTHONS ?= python3.12 python3.13

test-pythons: system
	@for python in $(PYTHONS); do \
		if ! $$python -c "" >/dev/null 2>&1; then echo "$$python: does not run here, skipped"; continue; fi; \
		venv=.venv-$$(basename $$python); \
		if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ]; then \
			rm -rf $$venv && $$python -m venv $$venv && \
			$$venv/bin/python -m pip install --quiet --upgrade pip && \
			$$venv/bin/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat && \
			touch $$venv/.installed || exit 1; \
		fi; \
		echo "== $$python"; \
		$$venv/bin/python -m pytest -q -p no:cacheprovider -o addopts="" tests examples/notes/tests || exit 1; \
	done

bench:
	$(MAKE) -C benchmarks bench

load: $(STAMP)
	$(BIN)/python benchmarks/load.py

# Hostile traffic (huge 422s, punycode, a million form fields, long paths) beside a normal
# client: its p50/p99 and the server's peak RSS. Not part of `make test`.
load-hostile: $(STAMP)
	$(BIN)/python benchmarks/hostile.py

# Refresh Swagger UI and ReDoc in aaf/static/ from the npm registry (npm pack).
vendor:
	$(PYTHON) scripts/vendor_docs.py

clean:
	rm -rf $(VENV) $(LOWEST) .mypy_cache .pytest_cache .ruff_cache
