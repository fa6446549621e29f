#!/usr/bin/env bash
# `make test-soak`: the reliability tests that take more than a minute or disturb the whole cluster
# (pyclient/tests/test_reliability_soak_*.py: PostgreSQL restarted under four workers). `make test`
# leaves them out. Same database as `make test`: the project-local cluster unless WDH_DATABASE__URI is
# set; the plan is deployed first (sqitch deploy does nothing when it is up to date).
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
started=$(date +%s)

scripts/bootstrap.sh
# shellcheck source=scripts/dbenv.sh
. scripts/dbenv.sh
sqitch deploy --target "$SQITCH_TARGET"

shopt -s nullglob
soak=(pyclient/tests/test_reliability_soak_*.py)
[ "${#soak[@]}" -gt 0 ] || { echo "no soak tests found (pyclient/tests/test_reliability_soak_*.py)" >&2; exit 1; }
.venv/bin/pytest -q "${soak[@]}" "$@"

printf '\nmake test-soak: everything passed in %ss\n' "$(( $(date +%s) - started ))"
