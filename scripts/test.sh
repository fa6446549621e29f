#!/usr/bin/env bash
# `make test`: every test, from nothing. Installs what is missing, starts the
# project-local database (unless WDH_DATABASE__URI is set), then:
#   1. migrations: deploy from zero, verify, revert everything, deploy again;
#   2. a second database on the same cluster: deploy, verify, revert;
#   3. pgTAP (pg_prove) against the deployed database;
#   4. pytest (real connections, concurrency), with a streaming hot standby of
#      the local cluster (scripts/standby.sh) for the replica tests;
#   5. ruff and mypy --strict on the Python package.
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
started=$(date +%s)
step() { printf '\n==> %s\n' "$*"; }

step "bootstrap (system packages, Python venv, Node.js and Java for the examples, chromium for the web console)"
BOOTSTRAP_EXTRAS=dev,dagster,web,pandas,polars,excel,parquet BOOTSTRAP_LANGUAGES=1 BOOTSTRAP_BROWSER=1 scripts/bootstrap.sh
# shellcheck source=scripts/dbenv.sh
. scripts/dbenv.sh
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
if [ "$LOCAL_DB" = 0 ] && [ -z "${WDH_TEST_STANDBY_URI:-}" ]; then
    echo "WDH_DATABASE__URI is set (not the local cluster), so the replica tests need a hot standby of that database:" \
        "set WDH_TEST_STANDBY_URI to its libpq URI (a superuser: the tests pause and resume its replay)" >&2
    exit 2
fi

step "migrations: deploy from zero, verify, revert, deploy"
if [ "$LOCAL_DB" = 1 ]; then
    # Truly from zero: a fresh database every run.
    env -u WDH_DATABASE__URI scripts/resetdb.sh
else
    # Someone else's database: revert what sqitch deployed there, if anything.
    sqitch revert -y --target "$SQITCH_TARGET" >/dev/null 2>&1 || true
fi
sqitch deploy --target "$SQITCH_TARGET"
sqitch verify --target "$SQITCH_TARGET"
sqitch revert -y --target "$SQITCH_TARGET"
"${PSQL[@]}" -d "$DATABASE_URI" -Atc "SELECT 'schema enterprise gone: ' || (to_regnamespace('enterprise') IS NULL)"
sqitch deploy --target "$SQITCH_TARGET"
sqitch verify --target "$SQITCH_TARGET"

if [ "$LOCAL_DB" = 1 ]; then
    step "a second database on the same cluster"
    second="${LOCALDB_NAME:-enrichment}_second"
    second_uri="postgresql://postgres@/$second?host=$PGHOST&port=$PGPORT"
    "${PSQL[@]}" -d "$DATABASE_URI" -c "DROP DATABASE IF EXISTS $second" -c "CREATE DATABASE $second"
    sqitch deploy --target "db:pg://${second_uri#postgresql://}"
    sqitch verify --target "db:pg://${second_uri#postgresql://}"
    sqitch revert -y --target "db:pg://${second_uri#postgresql://}"
    "${PSQL[@]}" -d "$DATABASE_URI" -c "DROP DATABASE $second"
fi

step "pgTAP"
# pgTAP lives in the test database only; the sqitch plan never needs it.
"${PSQL[@]}" -d "$DATABASE_URI" -c 'CREATE EXTENSION IF NOT EXISTS pgtap'
pg_prove --psql-bin scripts/psql-for-pg_prove.sh --ext .sql -r pgtests/

step "a hot standby for the replica tests"
if [ "$LOCAL_DB" = 1 ]; then
    # Started here and stopped (its copy and replication slot removed) however the run ends.
    trap 'scripts/standby.sh remove || true' EXIT
    scripts/standby.sh remove   # a copy left by an interrupted run may be of an older cluster: take a fresh one
    scripts/standby.sh start
    eval "$(scripts/standby.sh env)"
fi
export WDH_TEST_STANDBY_URI

step "pytest"
# The soak tests (restart the whole cluster) run with make test-soak.
.venv/bin/pytest -q pyclient/tests --ignore-glob='*/test_reliability_soak_*.py'

step "ruff and mypy --strict"
.venv/bin/ruff check pyclient
.venv/bin/mypy --strict pyclient

printf '\nmake test: everything passed in %ss\n' "$(( $(date +%s) - started ))"
