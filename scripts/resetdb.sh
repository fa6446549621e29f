#!/usr/bin/env bash
# Drop and re-create the project-local database (not the cluster), so that a
# deploy starts from zero. Refuses to touch a database given by
# WDH_DATABASE__URI.
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
if [ -n "${WDH_DATABASE__URI:-}" ]; then
    echo "resetdb: WDH_DATABASE__URI is set; not dropping someone else's database" >&2
    exit 2
fi
"$ROOT/scripts/localdb.sh" start
eval "$("$ROOT/scripts/localdb.sh" env)"
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "DROP DATABASE IF EXISTS \"$PGDATABASE\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$PGDATABASE\""
