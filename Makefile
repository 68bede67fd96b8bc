# The two commands of the README: `make run` and `make test`.
VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-fast lint typecheck bench bench-live bench-growth bench-sessions fuzz

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

# The sample (with its demo accounts) only goes into the default local database, never into one named by
# COMMAND_POST_DB: a production database gets no default passwords. The sender of pushed messages runs beside
# the app and stops with it; it sends nothing until an administrator configures a channel.
run: $(VENV)/.installed
	$(PYTHON) -m data_layer init
	@if [ -z "$$COMMAND_POST_DB" ]; then $(PYTHON) -m data_layer sample --if-empty; fi
	$(PYTHON) -m data_layer notify & sender=$$!; trap 'kill $$sender' EXIT INT TERM; \
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The types of the data layer and ui, checked by mypy as configured in pyproject.toml.
typecheck: $(VENV)/.test-installed
	$(VENV)/bin/mypy

# The whole suite in two passes: the tests that run only Python spread over the machine's cores (pytest-xdist,
# TEST_WORKERS), then the browser and load tests one at a time, since they time what a person sees, or what
# racing writers do, on cores they share with the servers and browsers they start.
TEST_WORKERS ?= auto
test: lint typecheck
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -m "not browser and not load"
	$(VENV)/bin/pytest -m "browser or load"

# Everything but the browser and load tests: the quick loop while working (make test stays the whole suite).
test-fast: lint typecheck
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -m "not browser and not load"

# Benchmarks (not part of `make test`): figures and ratios into benchmarks/RESULTS.md, under ten minutes on
# two cores. The district database is generated once into benchmarks/out/ and reused.
bench: $(VENV)/.test-installed
	$(PYTHON) -m benchmarks.run

# The benchmarks that drive Chromium (not part of `make bench`, as browsers and server share the cores): N kiosk
# walls, an entry's commit to its figure on each, the idle server CPU per wall; the kiosk page soaked through hours
# of redraws. About fifteen minutes; BENCH_SOAK_FULL=1 soaks through 24 hours' worth (48 minutes more).
bench-live: $(VENV)/.test-installed
	$(PYTHON) -m benchmarks.run live

# The briefing and every page on the district with 36, 110, 365 and 1,095 days of history (BENCH_GROWTH_DAYS), then
# at 0.1, 0.3, 1 and 3 times its size (BENCH_GROWTH_SCALES), and the growth exponent of each against each; each size
# is generated once into benchmarks/out/ (the 3-year and the 3× districts take minutes).
bench-growth: $(VENV)/.test-installed
	$(PYTHON) -m benchmarks.run growth

# How many sessions one app process serves: 25 to 300 sessions (clerks saving at shift change, leaders, walls)
# over Streamlit's websocket protocol, a fresh server for each step, the target's 200 three times, then 200 once more
# with a few Chromium phones (BENCH_SESSIONS, BENCH_SESSIONS_WINDOW, BENCH_SESSIONS_REPEATS,
# BENCH_SESSIONS_BROWSER_AT). About ten minutes; needs the machine to itself.
bench-sessions: $(VENV)/.test-installed
	$(PYTHON) -m benchmarks.run sessions

# The fuzz tests with 10,000 examples per target instead of make test's 500.
fuzz: $(VENV)/.test-installed
	COMMAND_POST_HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest tests/test_fuzz.py
