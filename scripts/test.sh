#!/usr/bin/env bash
# `make test`: every test, from nothing. Installs what is missing, starts the
# project-local database (unless WDH_DATABASE__URI is set), then:
#   1. migrations: deploy from zero, verify, revert everything, deploy again;
#   2. a second database on the same cluster: deploy, verify, revert;
#   3. pgTAP (pg_prove) against the deployed database;
#   4. pytest (real connections, concurrency);
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

step "pytest"
# The soak tests (restart the whole cluster) run with make test-soak.
.venv/bin/pytest -q pyclient/tests --ignore-glob='*/test_reliability_soak_*.py'

step "ruff and mypy --strict"
.venv/bin/ruff check pyclient
.venv/bin/mypy --strict pyclient

printf '\nmake test: everything passed in %ss\n' "$(( $(date +%s) - started ))"
