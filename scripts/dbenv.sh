# shellcheck shell=bash
# Sourced by the other scripts: decides which database everything talks to.
#
#   WDH_DATABASE__URI set    -> that database (a libpq URI, postgresql://...)
#   WDH_DATABASE__URI unset  -> the project-local cluster (scripts/localdb.sh),
#                               started here if it is not running.
#
# Exports DATABASE_URI (libpq URI), SQITCH_TARGET (the same, as a sqitch
# target) and LOCAL_DB (1 when the project-local cluster is in use).

ROOT="${ROOT:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)}"

if [ -n "${WDH_DATABASE__URI:-}" ]; then
    LOCAL_DB=0
    DATABASE_URI="$WDH_DATABASE__URI"
else
    LOCAL_DB=1
    "$ROOT/scripts/localdb.sh" start
    eval "$("$ROOT/scripts/localdb.sh" env)"
    DATABASE_URI="$LOCALDB_URI"
fi

# sqitch names PostgreSQL targets db:pg://...; libpq accepts both schemes.
case "$DATABASE_URI" in
    postgresql://*) SQITCH_TARGET="db:pg://${DATABASE_URI#postgresql://}" ;;
    postgres://*)   SQITCH_TARGET="db:pg://${DATABASE_URI#postgres://}" ;;
    *) echo "WDH_DATABASE__URI must be a postgresql:// URI, got something else" >&2; exit 2 ;;
esac

# The Python client reads WDH_DATABASE__URI.
WDH_DATABASE__URI="$DATABASE_URI"
export DATABASE_URI SQITCH_TARGET LOCAL_DB WDH_DATABASE__URI
