#!/usr/bin/env bash
# `make demo`: the main job, end to end, on the project-local database (a
# fresh `enrichment_demo` database each run) or on WDH_DATABASE__URI.
#   1. deploy the plan; load examples/mappings.csv (curated mappings); auto_accept_confidence 0.85
#   2. start the EQC stand-in with examples/eqc_fixtures.json (loopback only)
#   3. resolve examples/records.csv with an inline-lookup budget of 5, and examples/review_records.csv
#      (names EQC answers uncertainly: fuzzy, pinyin, untyped, some of them wrong)
#   4. run the queue worker until the queue is drained: sure answers learned, the rest sent to review
#   5. a scripted reviewer: review list --csv, decisions filled in (scripts/demo_reviewer.py), review apply;
#      check that no wrong answer (examples/review_answers.json) was ever learned
#   6. resolve both files again: everything resolvable is resolved, no new TEMP ids
#   7. print the queue stats and EQC's request count per looked-up name
#   8. print a summary (the block README.md shows; a test compares them) and how to reach the demo's data
#
# Environment: DEMO_DATABASE (default enrichment_demo) names the project-local database the demo recreates;
# DEMO_OUT (default .demo/) is where its files go. The tests use both to leave your demo alone.
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }

scripts/bootstrap.sh
demo_db=""
if [ -z "${WDH_DATABASE__URI:-}" ]; then
    demo_db="${DEMO_DATABASE:-enrichment_demo}"
    export LOCALDB_NAME="$demo_db"
    scripts/resetdb.sh   # starts the local cluster (one "[localdb] ready") and recreates the database
    # Point dbenv.sh at that database, so that it does not start the cluster (and say "ready") a second time.
    eval "$(scripts/localdb.sh env)"
    export WDH_DATABASE__URI="$LOCALDB_URI"
fi
# shellcheck source=scripts/dbenv.sh
. scripts/dbenv.sh
ce() { .venv/bin/company-enrichment "$@"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URI" -c "$1"; }
out="${DEMO_OUT:-$ROOT/.demo}"
mkdir -p "$out"
: >"$out/summary.txt"
note() { printf '%s\n' "$*" | tee -a "$out/summary.txt"; }   # printed now, and again in the summary

step "deploy the sqitch plan"
sqitch deploy --target "$SQITCH_TARGET" >"$out/deploy.log"
deployed="$(grep -c '^  + ' "$out/deploy.log" || true)"
if [ "$deployed" = 0 ]; then
    echo "nothing to deploy: $(tail -n 1 "$out/deploy.log")"
else
    echo "$deployed changes deployed, from $(grep -m1 '^  + ' "$out/deploy.log" | awk '{print $2}')" \
         "to $(grep '^  + ' "$out/deploy.log" | tail -n 1 | awk '{print $2, $3}') (sqitch's output: $out/deploy.log)"
fi

step "load curated mappings (examples/mappings.csv)"
ce mappings import examples/mappings.csv

step "learn without a person only what EQC matched by full name"
# At the default 0.80, EQC's fuzzy answers (模糊匹配, 0.80) are learned at once, and the fixtures hold a wrong one.
sql "SELECT 'auto_accept_confidence: ' || auto_accept_confidence FROM enterprise.configure_lookup_queue(auto_accept_confidence => 0.85)"

step "start the EQC stand-in (examples/eqc_fixtures.json)"
port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Started directly, not through the ce function: `ce ... &` would fork a subshell, $! would be that subshell,
# and killing it would leave the stand-in itself running.
.venv/bin/company-enrichment eqc-standin --fixtures examples/eqc_fixtures.json --port "$port" >"$out/standin.log" 2>&1 &
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

step "resolve examples/review_records.csv (names EQC is unsure of)"
ce resolve examples/review_records.csv -o "$out/review_records.first.csv" --budget 0

step "drain the lookup queue"
ce work --once --concurrency 2
ce status
counts() {  # EQC answers learned, settled as not found, and waiting for a person
    sql "SELECT count(*) FILTER (WHERE outcome = 'found'), count(*) FILTER (WHERE outcome = 'not_found'),
                count(*) FILTER (WHERE status = 'review') FROM enterprise.lookup_requests" | tr '|' ' '
}
read -r found_before not_found_before review <<<"$(counts)"
note "EQC answers accepted automatically: $found_before; sent to review: $review; not found: $not_found_before"

step "a scripted reviewer decides what was sent to review"
COLUMNS=160 ce review list
ce review list --csv "$out/review.csv"
.venv/bin/python scripts/demo_reviewer.py "$out/review.csv" "$out/review.decided.csv"
ce review apply "$out/review.decided.csv"
read -r found_after not_found_after review <<<"$(counts)"
note "accepted by the reviewer: $((found_after - found_before)); rejected by the reviewer:" \
     "$((not_found_after - not_found_before)); still under review: $review"
[ "$review" = 0 ] || { echo "requests are still under review" >&2; exit 1; }

step "no wrong EQC answer was ever learned (examples/review_answers.json)"
wrong_json="$(.venv/bin/python -c 'import json; print(json.dumps(json.load(open("examples/review_answers.json", encoding="utf-8"))["wrong"]))')"
wrong_cached="$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URI" -v wrong="$wrong_json" <<'SQL'
SELECT count(*)
  FROM enterprise.company_mapping AS m
  JOIN jsonb_to_recordset(:'wrong'::jsonb) AS w(name text, company_id text)
    ON m.lookup_key = enterprise.normalize_name(w.name) AND m.canonical_id = w.company_id;
SQL
)"
note "wrong answers in the fixtures: $(.venv/bin/python -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$wrong_json"); cached as learned mappings: $wrong_cached"
[ "$wrong_cached" = 0 ] || { echo "a wrong EQC answer was learned" >&2; exit 1; }
temps_before="$(sql 'SELECT count(*) FROM enterprise.temp_id_assignments')"

step "resolve the files again"
ce resolve examples/records.csv -o "$out/records.second.csv" --budget 0
ce resolve examples/review_records.csv -o "$out/review_records.second.csv" --budget 0 --with-profile
temps_after="$(sql 'SELECT count(*) FROM enterprise.temp_id_assignments')"
note "keyed TEMP ids remembered: $temps_before before the second run, $temps_after after it"
[ "$temps_before" = "$temps_after" ] || { echo "the second run minted new keyed TEMP ids" >&2; exit 1; }
.venv/bin/python - "$out/records.first.csv" "$out/records.second.csv" <<'PY' | tee -a "$out/summary.txt"
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
print("records.csv, first run by status:", dict(Counter(r["status"] for r in first)))
print("records.csv, second run by status:", dict(Counter(r["status"] for r in second)))
if any(r["status"] == "pending_lookup" for r in second):
    sys.exit("records are still pending after the queue was drained")
PY
.venv/bin/python - "$out/review_records.second.csv" "$out/summary.txt" <<'PY'
import csv, json, sys
from collections import Counter
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
wrong = {(w["name"], w["company_id"]) for w in json.load(open("examples/review_answers.json", encoding="utf-8"))["wrong"]}
line = f"review_records.csv, second run by status: {dict(Counter(r['status'] for r in rows))}"
print(line)
with open(sys.argv[2], "a", encoding="utf-8") as summary:
    print(line, file=summary)
for r in rows:
    print(f"  {r['customer_name']:<16} {r['status']:<17} {r['company_id']:<12} {r['full_name']}")
if any((r["customer_name"].strip(), r["company_id"]) in wrong for r in rows):
    sys.exit("a record resolved to a wrong EQC answer")
if any(r["status"] == "pending_lookup" for r in rows):
    sys.exit("records of review_records.csv are still pending")
PY

step "EQC economy (the stand-in's own counters)"
.venv/bin/python - "$WDH_EQC_BASE_URL" <<'PY' | tee -a "$out/summary.txt"
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/_standin/stats"))
counts = stats["search_key_counts"]
print(f"EQC search requests: {stats['search_requests']} for {len(counts)} distinct names; "
      f"most for one name: {max(counts.values(), default=0)}; detail requests: {stats['detail_requests']}")
if counts and max(counts.values()) > 1:
    sys.exit("a name was looked up more than once")
PY
pending="$(sql "SELECT count(*) FROM enterprise.lookup_requests WHERE status IN ('pending', 'processing')")"
note "requests still queued: $pending"
[ "$pending" = 0 ] || { echo "the queue was not drained" >&2; exit 1; }

step "summary"
cat "$out/summary.txt"

kill "$standin_pid" 2>/dev/null || true
wait "$standin_pid" 2>/dev/null || true
echo
echo "make demo: done. Output files: $out/records.first.csv, $out/records.second.csv,"
echo "$out/review_records.second.csv (with profiles) and the reviewer's $out/review.decided.csv"
echo
if [ -n "$demo_db" ]; then
    echo "The demo's data is in database $demo_db of the project-local cluster (make psql and the CLI use"
    echo "database enrichment unless told otherwise). To reach it:"
    echo "  make psql DB=$demo_db"
    echo "  export LOCALDB_NAME=$demo_db; eval \"\$(scripts/localdb.sh env)\"; export WDH_DATABASE__URI=\"\$LOCALDB_URI\""
    echo "  .venv/bin/company-enrichment status     # the CLI, on that database"
else
    echo "The demo's data is in the database of WDH_DATABASE__URI (make psql opens it)."
fi
