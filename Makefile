# Two commands for a newcomer: `make demo` and `make test`. Both create .venv and install
# the project into it first; nothing else is needed beyond Python 3.11+ and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint test-sqlite test-postgres benchmark benchmark-survey benchmark-stats benchmark-disclosure benchmark-report benchmark-qual clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/workforce demo

lint: install
	$(BIN)/ruff check .

# The whole suite on SQLite, then the database tests again on PostgreSQL when a server is
# reachable or can be started here; each run says which database it used.
test: lint test-sqlite test-postgres

test-sqlite: install
	@echo "== Test suite on SQLite (all tests) =="
	env -u DATABASE_URL $(BIN)/pytest -n 2 --dist loadgroup -q

test-postgres: install
	@url=$$($(BIN)/python scripts/find_postgres.py); \
	if [ -n "$$url" ]; then \
		echo "== Database tests again on PostgreSQL ($$url) =="; \
		DATABASE_URL="$$url" $(BIN)/pytest -n 2 --dist loadgroup -q -m platform; \
	else \
		echo "== PostgreSQL: no server reachable and none could be started; its run was skipped =="; \
	fi

benchmark: install
	$(BIN)/python benchmarks/bench_synth.py --scale 100

# Simulated respondents answering a survey against `workforce serve` (see docs/performance.md):
# SQLite, then PostgreSQL when a server is reachable or can be started here. Each about 2 min.
benchmark-survey: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_survey_load.py --database sqlite \
		--out benchmarks/results/survey_load_sqlite.json
	@url=$$($(BIN)/python scripts/find_postgres.py); \
	if [ -n "$$url" ]; then \
		$(BIN)/python benchmarks/bench_survey_load.py --database postgres --postgres-url "$$url" \
			--out benchmarks/results/survey_load_postgres.json; \
	else \
		echo "== PostgreSQL: no server reachable and none could be started; its run was skipped =="; \
	fi

# Raking a million respondents on 4 margins and 30 domain proportions with standard errors,
# against R's survey package on the same data when Rscript and survey are installed (see
# docs/performance.md). About 8 minutes, most of it R.
benchmark-stats: install
	$(BIN)/python benchmarks/bench_stats.py --rows 1000000 \
		--out benchmarks/results/stats_rake_estimate.json

# The disclosure gate on 4-dimensional tables of 2⁴ to 10⁴ inner cells (see
# docs/performance.md). About 12 minutes.
benchmark-disclosure: install
	$(BIN)/python benchmarks/bench_disclosure.py --sizes 2 3 4 5 6 8 10 \
		--out benchmarks/results/disclosure.json

# Focus-group and open-text work at the size of a large survey (see docs/performance.md).
benchmark-qual: install
	$(BIN)/python benchmarks/bench_qual.py --answers 50000 --out benchmarks/results/qual.json

# The whole benchmark report of a consortium at scale 10 (see docs/performance.md).
benchmark-report: install
	$(BIN)/python benchmarks/bench_report.py --scale 10 \
		--out benchmarks/results/report_scale10.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
