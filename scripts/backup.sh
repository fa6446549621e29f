#!/usr/bin/env bash
# `make backup` / `make restore`: pg_dump -Fc of the database, and pg_restore of such a file into a new database on
# the same server, checked with sqitch verify. The database is the project-local one unless WDH_DATABASE__URI is set
# (scripts/dbenv.sh). README, "Backup and restore", explains the commands for a server of your own.
#
#   scripts/backup.sh dump FILE        pg_dump -Fc of the database into FILE
#   scripts/backup.sh restore FILE DB  create database DB (from template0; it must not exist) on the same server,
#                                      pg_restore FILE into it (all or nothing, owners and grants kept),
#                                      sqitch verify, print schema_version(); DB is dropped again if the restore fails
#
# pg_dump and pg_restore are the server's own major version (/usr/lib/postgresql/<major>/bin, as localdb.sh finds
# initdb), else pg_config's or the PATH's if they are at least that version.
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
die() { printf 'backup: %s\n' "$*" >&2; exit 2; }

usage="usage: scripts/backup.sh dump FILE | scripts/backup.sh restore FILE DB  (make backup FILE=... / make restore FILE=... DB=...)"
command="${1:-}"
file="${2:-}"
[ -n "$file" ] || die "no FILE given; $usage"
case "$command" in
    dump) [ "$#" -eq 2 ] || die "$usage" ;;
    restore)
        [ "$#" -eq 3 ] && [ -n "$3" ] || die "no DB given (the new database to restore into); $usage"
        db="$3"
        [ -f "$file" ] || die "$file: no such file"
        ;;
    *) die "$usage" ;;
esac

# shellcheck source=scripts/dbenv.sh
. scripts/dbenv.sh
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)

# pg_tool NAME: the path of the server's own pg_dump or pg_restore (or of a newer one).
major="$("${PSQL[@]}" -d "$DATABASE_URI" -c 'SHOW server_version_num')"
major=$((major / 10000))
pg_tool() {
    local exe version candidates=("/usr/lib/postgresql/$major/bin/$1")
    if command -v pg_config >/dev/null 2>&1; then candidates+=("$(pg_config --bindir)/$1"); fi
    if command -v "$1" >/dev/null 2>&1; then candidates+=("$(command -v "$1")"); fi
    for exe in "${candidates[@]}"; do
        [ -x "$exe" ] || continue
        version="$("$exe" --version | sed -n 's/^[^)]*) \([0-9]*\).*/\1/p')"
        if [ -n "$version" ] && [ "$version" -ge "$major" ]; then
            printf '%s\n' "$exe"
            return 0
        fi
    done
    die "no $1 of PostgreSQL $major or newer (tried ${candidates[*]})"
}

if [ "$command" = dump ]; then
    "$(pg_tool pg_dump)" -Fc -f "$file" --dbname "$DATABASE_URI"
    printf 'backup: %s written (pg_dump -Fc, %s bytes)\n' "$file" "$(wc -c <"$file")"
    exit 0
fi

# restore: the new database's URI is the database's URI with another database name.
case "$db" in *[!A-Za-z0-9_]* | [0-9]*) die "DB must be a plain name (letters, digits, _), got '$db'" ;; esac
target_uri="$(printf '%s\n' "$DATABASE_URI" | sed -E "s#^(postgres(ql)?://[^/?]*/)[^?]*#\\1$db#")"
[ "$target_uri" != "$DATABASE_URI" ] || die "cannot tell the database name in WDH_DATABASE__URI; give it as postgresql://.../dbname"
exists="$("${PSQL[@]}" -d "$DATABASE_URI" -v db="$db" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")"
[ -z "$exists" ] || die "database $db exists; restore into a new database (drop it first if you mean to replace it)"
"${PSQL[@]}" -d "$DATABASE_URI" -c "CREATE DATABASE $db TEMPLATE template0"
if ! "$(pg_tool pg_restore)" --exit-on-error --single-transaction -d "$target_uri" "$file"; then
    "${PSQL[@]}" -d "$DATABASE_URI" -c "DROP DATABASE $db WITH (FORCE)"
    die "pg_restore failed; database $db dropped again"
fi
sqitch verify --target "db:pg:${target_uri#*:}"
printf 'backup: %s restored into database %s, schema_version %s\n' "$file" "$db" \
    "$("${PSQL[@]}" -d "$target_uri" -c 'SELECT enterprise.schema_version()')"
