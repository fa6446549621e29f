#!/usr/bin/env bash
# `make demo`: the main job, end to end, on the project-local database (a
# fresh `enrichment_demo` database each run) or on WDH_DATABASE__URI.
#   1. deploy the plan; load examples/mappings.csv (curated mappings)
#   2. start the EQC stand-in with examples/eqc_fixtures.json (loopback only)
#   3. resolve examples/records.csv with an inline-lookup budget of 5
#   4. run the queue worker until the queue is drained
#   5. resolve the file again: everything resolvable is resolved, no new TEMP ids
#   6. print the queue stats and EQC's request count per looked-up name
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }

scripts/bootstrap.sh
if [ -z "${WDH_DATABASE__URI:-}" ]; then
    export LOCALDB_NAME=enrichment_demo
    scripts/resetdb.sh
fi
# shellcheck source=scripts/dbenv.sh
. scripts/dbenv.sh
ce() { .venv/bin/company-enrichment "$@"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URI" -c "$1"; }
out="$ROOT/.demo"
mkdir -p "$out"

step "deploy the sqitch plan"
sqitch deploy --target "$SQITCH_TARGET" | tail -n 1

step "load curated mappings (examples/mappings.csv)"
ce mappings import examples/mappings.csv

step "start the EQC stand-in (examples/eqc_fixtures.json)"
port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ce eqc-standin --fixtures examples/eqc_fixtures.json --port "$port" >"$out/standin.log" 2>&1 &
standin_pid=$!
trap 'kill "$standin_pid" 2>/dev/null || true; wait "$standin_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    grep -q "listening" "$out/standin.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "listening" "$out/standin.log" || { cat "$out/standin.log"; echo "the EQC stand-in did not start" >&2; exit 1; }
export WDH_EQC_BASE_URL="http://127.0.0.1:$port"
export WDH_EQC_TOKEN=demo-token
# The stand-in is local: allow it more than the real EQC's 10 requests a minute.
export WDH_EQC_RATE_LIMIT="${WDH_EQC_RATE_LIMIT:-6000}"
echo "EQC stand-in on $WDH_EQC_BASE_URL"

step "resolve examples/records.csv with an inline EQC budget of 5"
ce resolve examples/records.csv -o "$out/records.first.csv" --budget 5

step "drain the lookup queue"
ce work --once --concurrency 2
ce status
temps_before="$(sql 'SELECT count(*) FROM enterprise.temp_id_assignments')"

step "resolve the file again"
ce resolve examples/records.csv -o "$out/records.second.csv" --budget 0
temps_after="$(sql 'SELECT count(*) FROM enterprise.temp_id_assignments')"
echo "keyed TEMP ids remembered: $temps_before before the second run, $temps_after after it"
[ "$temps_before" = "$temps_after" ] || { echo "the second run minted new keyed TEMP ids" >&2; exit 1; }
.venv/bin/python - "$out/records.first.csv" "$out/records.second.csv" <<'PY'
import csv, sys
from collections import Counter
first, second = (list(csv.DictReader(open(p, encoding="utf-8"))) for p in sys.argv[1:3])
fields = ("plan_code", "customer_name", "account_name", "account_number")
changed = [(a, b) for a, b in zip(first, second) if a["temp_id"] and a["temp_id"] != b["temp_id"]]
empty = [b for a, b in changed if not any(b[f].strip() for f in fields)]
print(f"records whose TEMP id changed between the runs: {len(changed)} "
      f"({len(empty)} of them have no field at all, so each run gives them a fresh id, as designed)")
if len(changed) != len(empty):
    sys.exit("a record with data got a different TEMP id on the second run")
print("second run by status:", dict(Counter(r["status"] for r in second)))
if any(r["status"] == "pending_lookup" for r in second):
    sys.exit("records are still pending after the queue was drained")
PY

step "EQC economy (the stand-in's own counters)"
.venv/bin/python - "$WDH_EQC_BASE_URL" <<'PY'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/_standin/stats"))
counts = stats["search_key_counts"]
print(f"EQC search requests: {stats['search_requests']} for {len(counts)} distinct names; "
      f"most for one name: {max(counts.values(), default=0)}; detail requests: {stats['detail_requests']}")
if counts and max(counts.values()) > 1:
    sys.exit("a name was looked up more than once")
PY
pending="$(sql "SELECT count(*) FROM enterprise.lookup_requests WHERE status IN ('pending', 'processing')")"
echo "requests still queued: $pending"
[ "$pending" = 0 ] || { echo "the queue was not drained" >&2; exit 1; }
echo
echo "make demo: done. Output files: $out/records.first.csv and $out/records.second.csv"
