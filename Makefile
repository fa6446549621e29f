# company-enrichment: the two commands a newcomer needs are `make demo` and
# `make test`. Both install what is missing and start a project-local
# PostgreSQL unless WDH_DATABASE__URI points at a database of your own.

SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help demo test test-soak example-node example-java bench bench-full bench-profile deploy verify revert backup restore psql db-start db-stop db-reset db-status bootstrap lint

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

demo:  ## run the main job end to end on the local database
	@scripts/demo.sh

test:  ## every test: migrations, pgTAP, pytest, ruff, mypy
	@scripts/test.sh

test-soak:  ## soak tests: PostgreSQL restarted under 4 workers (restarts the local cluster)
	@scripts/soak.sh

example-node:  ## examples/node (pg) on examples/other_languages_records.tsv, as a reader role
	@scripts/example.sh node

example-java:  ## examples/java (JDBC) on the same records, as a reader role
	@scripts/example.sh java

bench:  ## benchmarks, quick mode (under 2 minutes); not part of make test
	@scripts/bench.sh --quick

bench-full:  ## benchmarks at full size; rewrites BENCHMARKS.md and the chart
	@scripts/bench.sh --write

bench-profile:  ## a perf profile of the batch path's backend on the mix (installs perf); ARGS="--flat" for self time
	@BOOTSTRAP_PROFILER=1 BENCH_SCRIPT=bench/profile_batch_mix.py scripts/bench.sh $(ARGS)

bootstrap:  ## install system packages and the Python venv if missing
	@scripts/bootstrap.sh

deploy:  ## sqitch deploy to the database (local unless WDH_DATABASE__URI)
	@. scripts/dbenv.sh && sqitch deploy --target "$$SQITCH_TARGET"

verify:  ## sqitch verify
	@. scripts/dbenv.sh && sqitch verify --target "$$SQITCH_TARGET"

revert:  ## sqitch revert everything (asks first)
	@. scripts/dbenv.sh && sqitch revert --target "$$SQITCH_TARGET"

# FILE=path: the dump file of make backup and make restore.
FILE ?=

backup:  ## pg_dump -Fc of the database into FILE= (local unless WDH_DATABASE__URI)
	@scripts/backup.sh dump "$(FILE)"

restore:  ## pg_restore FILE= into a new database DB= on the same server, then sqitch verify
	@scripts/backup.sh restore "$(FILE)" "$(DB)"

# DB=name: another database of the project-local cluster, e.g. `make psql DB=enrichment_demo` after `make demo`.
DB ?=

psql:  ## open psql on the database (DB=enrichment_demo: the one make demo wrote)
	@if [ -n "$(DB)" ] && [ -n "$${WDH_DATABASE__URI:-}" ]; then \
	    echo "make psql DB=$(DB): DB names a database of the project-local cluster, but WDH_DATABASE__URI is set; unset it or point it at that database" >&2; exit 2; fi
	@. scripts/dbenv.sh && $(if $(DB),eval "$$(LOCALDB_NAME='$(DB)' scripts/localdb.sh env)" && DATABASE_URI="$$LOCALDB_URI" &&) psql "$$DATABASE_URI"

lint:  ## ruff and mypy --strict on the Python package
	@.venv/bin/ruff check pyclient && .venv/bin/mypy --strict pyclient

db-start:  ## start the project-local PostgreSQL
	@scripts/localdb.sh start

db-stop:  ## stop the project-local PostgreSQL
	@scripts/localdb.sh stop

db-reset:  ## stop it and throw its data away
	@scripts/localdb.sh reset

db-status:  ## is it running? (prints running or stopped)
	@scripts/localdb.sh status || [ $$? = 3 ]
