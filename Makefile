# segmart — the two commands are `make demo` and `make test`; the rest are their parts.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin

export SEGMART_RAW_DIR ?= data/raw
export SEGMART_DB ?= warehouse/segmart.duckdb
# what BI tools and the export read: a published copy of the marts, never locked by a build
SEGMART_SERVING ?= serving/segmart.duckdb
EXPORT_DIR ?= exports
DASHBOARD_PORT ?= 8050
export DBT_PROFILES_DIR := $(CURDIR)
# dbt: no anonymous usage stats, no version check (only package registries are reachable)
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_VERSION_CHECK := false

DEMO_USERS ?= 20000
DEMO_DAYS ?= 120
DEMO_SEED ?= 7
AS_OF ?= 2025-01-01

.PHONY: segments help setup spark-setup test-spark build-spark browser demo demo-real bench test lint ruff sqlfluff pytest build publish export dashboard docs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "segmart: $(PYTHON) not found; install Python 3.11+"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "segmart: Python 3.11+ is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed  ## create .venv and install the pinned dependencies (idempotent)

$(VENV)/.spark-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	@touch $@

spark-setup: setup  ## the spark target's extra (pyspark, dbt-spark), after checking for Java 17
	@$(BIN)/python -m segmart.spark check-java
	@$(MAKE) --no-print-directory $(VENV)/.spark-installed

# the dashboard test opens the page in a real browser: Debian's chromium package
browser:  ## install Debian's chromium for the dashboard test (root or sudo; idempotent)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO="sudo -n"; \
	  else echo "segmart: the dashboard test needs Debian's chromium: run 'apt-get install chromium' as root"; exit 1; fi; \
	  echo "installing Debian's chromium (once) ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 \
	    || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; } \
	    || { echo "segmart: could not install Debian's chromium; install the package 'chromium' and rerun"; exit 1; }; }

# segment_memberships' refs and the docs' segment table follow the seg_*.sql files and their YAML
segments: setup  ## write segment_memberships' rule refs and docs/segments.md's table from the rules
	$(BIN)/python -m segmart.segments

# a full refresh: the generator writes every landing file anew, which an incremental build
# cannot tell from the files it has already read
demo: setup segments  ## generate demo data into data/raw, build everything, print a summary
	$(BIN)/python -m segmart.generate --users $(DEMO_USERS) --days $(DEMO_DAYS) \
		--seed $(DEMO_SEED) --end $(AS_OF) --out $(SEGMART_RAW_DIR)
	@mkdir -p $(dir $(SEGMART_DB))
	$(BIN)/dbt build --full-refresh --vars "{as_of: '$(AS_OF)'}" \
		|| { echo "segmart: dbt build failed: the failing model or test and its error are listed above (full log: logs/dbt.log); fix it and rerun"; exit 1; }
	$(BIN)/python -m segmart.publish --quiet --db $(SEGMART_DB) --to $(SEGMART_SERVING)
	$(BIN)/python -m segmart.summary --db $(SEGMART_DB)

REAL_DATA ?= ../shared/data/online_retail.parquet
REAL_RAW_DIR ?= data/online_retail
REAL_DB ?= warehouse/online_retail.duckdb
REAL_SERVING ?= serving/online_retail.duckdb

demo-real: setup segments  ## real data: UCI Online Retail (../shared/data) through the adapter, dbt build, summary
	$(BIN)/python -m segmart.online_retail --source $(REAL_DATA) --out $(REAL_RAW_DIR)
	@mkdir -p $(dir $(REAL_DB))
	SEGMART_RAW_DIR=$(REAL_RAW_DIR) SEGMART_DB=$(REAL_DB) \
		$(BIN)/dbt build --vars "$$($(BIN)/python -m segmart.online_retail --dbt-vars)" \
		|| { echo "segmart: dbt build failed: the failing model or test and its error are listed above (full log: logs/dbt.log); fix it and rerun"; exit 1; }
	$(BIN)/python -m segmart.publish --quiet --db $(REAL_DB) --to $(REAL_SERVING)
	$(BIN)/python -m segmart.summary --db $(REAL_DB)

# the scheduled production build: unit tests check logic, which `make test` covers, so they
# are left out here (as dbt advises). segmart.build skips it when nothing changed since the
# last completed build (FORCE=1 builds anyway)
build: setup segments  ## dbt build (no unit tests) on whatever is in $SEGMART_RAW_DIR (as_of=latest unless AS_OF is passed; dbt is skipped when nothing changed, FORCE=1 builds anyway), then publish
	@mkdir -p $(dir $(SEGMART_DB))
	$(BIN)/python -m segmart.build $(if $(filter 1 true yes,$(FORCE)),--force) --exclude-resource-type unit_test $(if $(filter command line,$(origin AS_OF)),--vars "{as_of: '$(AS_OF)'}") \
		|| { echo "segmart: dbt build failed: the failing model or test and its error are listed above (full log: logs/dbt.log); fix it and rerun"; exit 1; }
	$(BIN)/python -m segmart.publish --db $(SEGMART_DB) --to $(SEGMART_SERVING)

publish: setup  ## copy the marts of the built warehouse to the read-only serving file, atomically
	$(BIN)/python -m segmart.publish --db $(SEGMART_DB) --to $(SEGMART_SERVING)

# every destination (google_customer_match, meta_custom_audience, email): full files, deltas
# against the state of the last run, manifests (docs/activation.md); DESTINATION=name for one
DESTINATION ?= all
export: setup  ## exports/<destination>/<segment>.csv (+ .added/.removed deltas, _manifest.csv) for every destination
	$(BIN)/python -m segmart.export --destination $(DESTINATION) --db $(SEGMART_SERVING) --out $(EXPORT_DIR)

test: setup browser lint pytest test-spark  ## ruff, sqlfluff, pytest (dbt builds on generated data, the dashboard in Chromium), then the same models on Spark

lint: ruff sqlfluff  ## both linters

ruff: setup
	$(BIN)/ruff check src tests/python bench models

sqlfluff: setup
	SEGMART_TARGET=lint $(BIN)/sqlfluff lint models analyses tests/singular

pytest: setup browser
	$(BIN)/pytest -m "not spark"

test-spark: spark-setup  ## build a small generated data set on local Spark; its marts must equal DuckDB's
	SEGMART_REQUIRE_SPARK=1 $(BIN)/pytest -m spark tests/python/test_spark.py

SPARK_DIR ?= warehouse/spark
build-spark: spark-setup segments  ## dbt build --target spark on $SEGMART_RAW_DIR, then the clustering tables
	SEGMART_TARGET=spark SEGMART_SPARK_DIR=$(SPARK_DIR) $(BIN)/dbt build \
		$(if $(filter command line,$(origin AS_OF)),--vars "{as_of: '$(AS_OF)'}") --exclude-resource-type unit_test \
		|| { echo "segmart: dbt build on Spark failed: the failing model or test and its error are listed above (full log: logs/dbt.log)"; exit 1; }
	SEGMART_SPARK_DIR=$(SPARK_DIR) $(BIN)/python -m segmart.spark cluster --manifest target/manifest.json

dashboard: setup  ## build the segment dashboard from the serving file and serve it on localhost:$(DASHBOARD_PORT)
	$(BIN)/python -m segmart.dashboard --db $(SEGMART_SERVING) --out dashboard --serve --port $(DASHBOARD_PORT)

BENCH_EVENTS ?= 1000000,10000000
bench: setup  ## full build, one more day, nothing new at 1 M and 10 M events (BENCH_100M=1 adds 100 M, BENCH_THREADS=1 one dbt thread); adds its run to bench/results.md
	$(BIN)/python bench/bench_build.py --events $(BENCH_EVENTS) $(if $(BENCH_100M),--with-100m) $(if $(BENCH_THREADS),--threads $(BENCH_THREADS))

docs: setup  ## dbt docs generate (needs a built warehouse)
	$(BIN)/dbt docs generate

clean:  ## remove build output (keeps .venv and data)
	rm -rf target logs dbt_packages warehouse serving dashboard test-artifacts $(EXPORT_DIR)
