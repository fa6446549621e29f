#!/usr/bin/env bash
# `make example-node` / `make example-java`: run examples/node or examples/java on
# examples/other_languages_records.tsv and print their lines.
#
#   scripts/example.sh node|java [FILE]
#
# With ENRICHMENT_READER_URI set, the program runs against that database as that role, and nothing else is done.
# Without it, on the project-local database (`enrichment`): deploy the plan, load examples/mappings.csv (both
# idempotent), create the login role example_reader (a member of enrichment_reader only) when missing, and run the
# program as example_reader over TCP (127.0.0.1; the local cluster trusts loopback connections, so its password is
# not checked). Writes: the example's unknown name is queued and its records without a customer name get TEMP ids.
set -euo pipefail
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

language="${1:-}"
file="${2:-examples/other_languages_records.tsv}"
case "$language" in
    node | java) ;;
    *) echo "usage: scripts/example.sh node|java [FILE]" >&2; exit 2 ;;
esac

BOOTSTRAP_LANGUAGES=1 scripts/bootstrap.sh

if [ -z "${ENRICHMENT_READER_URI:-}" ]; then
    if [ -n "${WDH_DATABASE__URI:-}" ]; then
        echo "set ENRICHMENT_READER_URI to a login role of that database that is a member of enrichment_reader" >&2
        exit 2
    fi
    # shellcheck source=scripts/dbenv.sh
    . scripts/dbenv.sh
    sqitch deploy --target "$SQITCH_TARGET" >/dev/null
    .venv/bin/company-enrichment mappings import examples/mappings.csv >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URI" <<'SQL'
DO $$
BEGIN
    IF to_regrole('example_reader') IS NULL THEN
        CREATE ROLE example_reader LOGIN PASSWORD 'example';
    END IF;
    -- Again every time: reverting the plan drops enrichment_reader, and with it this membership.
    IF NOT pg_has_role('example_reader', 'enrichment_reader', 'MEMBER') THEN
        GRANT enrichment_reader TO example_reader;
    END IF;
END
$$;
SQL
    ENRICHMENT_READER_URI="postgresql://example_reader:example@127.0.0.1:${PGPORT}/${PGDATABASE}"
    export ENRICHMENT_READER_URI
    echo "[example] ENRICHMENT_READER_URI=$ENRICHMENT_READER_URI" >&2
fi

if [ "$language" = node ]; then
    exec node examples/node/resolve.js "$file"
fi
javac -d examples/java/build examples/java/ResolveCompanyIds.java
exec java -cp "examples/java/build:/usr/share/java/postgresql.jar" ResolveCompanyIds "$file"
