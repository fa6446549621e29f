#!/usr/bin/env bash
# `make bench` / `make bench-full`: the benchmarks under bench/. Installs the
# bench-only dependencies (peers, matplotlib) into .venv, starts the
# project-local database, runs bench/run.py with the arguments given
# (BENCH_SCRIPT: another script under bench/, as `make bench-profile` runs
# bench/profile_batch_mix.py).
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
# The Dagster op is one of the parts (bench_client.run_dagster), so its extra too.
BOOTSTRAP_EXTRAS="${BOOTSTRAP_EXTRAS:-dev,dagster}" scripts/bootstrap.sh
stamp=.venv/.bench-stamp
if [ ! -f "$stamp" ] || [ bench/requirements-bench.txt -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-bench.txt
    touch "$stamp"
fi
scripts/localdb.sh start
exec .venv/bin/python "${BENCH_SCRIPT:-bench/run.py}" "$@"
