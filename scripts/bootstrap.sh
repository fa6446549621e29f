#!/usr/bin/env bash
#
# scripts/bootstrap.sh: get a development machine ready for this project.
#
# What it does (every step is skipped when it is already done):
#   1. Installs the system packages we need (Debian/Ubuntu, via apt-get):
#        - a PostgreSQL server, major version >= 15 (comes with psql)
#        - pgTAP built for that PostgreSQL major version
#        - pg_prove, the TAP test runner for pgTAP
#        - sqitch and its PostgreSQL driver (DBD::Pg)
#        - Python venv support (python3-venv)
#        - PgBouncer (pyclient/tests/test_pgbouncer.py runs the client through
#          it in transaction mode; Debian puts it in /usr/sbin)
#   2. Creates the Python virtual environment at <repo>/.venv and installs the
#      project into it in editable mode (pip install -e ".[dev]").
#   3. Only with BOOTSTRAP_LANGUAGES=1 (scripts/test.sh sets it): what the
#      examples in other languages need (examples/node, examples/java):
#        - Node.js and npm (Debian's nodejs and npm packages), then the Node
#          example's packages (npm ci: pg, as pinned in package-lock.json) in
#          the git-ignored examples/node/node_modules
#        - a JDK with javac (default-jdk-headless) and the PostgreSQL JDBC
#          driver (libpostgresql-jdbc-java: /usr/share/java/postgresql.jar)
#   4. Only with BOOTSTRAP_BROWSER=1 (scripts/test.sh sets it): Debian's
#      chromium and chromium-driver, which the web console's browser tests
#      drive headless through Selenium, and a CJK font (fonts-wqy-zenhei) for
#      their screenshots. Nothing is downloaded at test time.
#   5. Only with BOOTSTRAP_PROFILER=1 (`make bench-profile` sets it): perf
#      (Debian's linux-perf), which bench/profile_batch_mix.py runs on a
#      backend.
#
# Usage:
#   scripts/bootstrap.sh
#
# Environment variables:
#   BOOTSTRAP_EXTRAS   comma-separated pip "extras" to install (default: dev),
#                      e.g. BOOTSTRAP_EXTRAS=dev,dagster scripts/bootstrap.sh
#   BOOTSTRAP_LANGUAGES=1  also step 3 (Node.js, a JDK, the JDBC driver). Off by
#                      default, so `make demo` never pulls a JDK it does not use.
#   BOOTSTRAP_BROWSER=1    also step 4 (chromium, chromium-driver). Off by default.
#   BOOTSTRAP_PROFILER=1   also step 5 (perf). Off by default.
#
# It is safe to run as often as you like. When everything is already in place
# it takes well under 2 seconds and prints only "[bootstrap] ok".
# It exports nothing; run it as a command, do not `source` it.

set -euo pipefail

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

# Repo root = the parent of the directory holding this script. We deliberately
# do not use the current working directory, so the script works from anywhere.
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="$ROOT/.venv"
STAMP="$VENV/.bootstrap-stamp"
PYPROJECT="$ROOT/pyproject.toml"

MIN_PG_MAJOR=15

# Pip extras to install, e.g. "dev" or "dev,dagster". Spaces are removed so
# "dev, dagster" works too.
EXTRAS="${BOOTSTRAP_EXTRAS:-dev}"
EXTRAS="${EXTRAS// /}"

# Everything we might need, spelled out for people on systems without apt-get.
MANUAL_INSTALL_HINT="please install manually: a PostgreSQL >= ${MIN_PG_MAJOR} server (with psql), \
pgTAP for that PostgreSQL version, pg_prove (Perl TAP::Parser::SourceHandler::pgTAP), \
sqitch with its PostgreSQL driver (Perl DBD::Pg), PgBouncer (for its test), and python3 >= 3.11 with the venv/ensurepip module"

# ---------------------------------------------------------------------------
# Package installation (apt-get)
# ---------------------------------------------------------------------------

# Commands are run through sudo when we are not root (and sudo exists).
SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
fi

APT_UPDATED=0
APT_LOG=""

# apt_install PKG...: install packages without recommends, quietly. The full
# apt output is kept in a temporary file and only shown when something fails.
apt_install() {
    [ "$#" -gt 0 ] || return 0

    if ! command -v apt-get >/dev/null 2>&1; then
        die "apt-get not found (not Debian/Ubuntu?); missing: $*; $MANUAL_INSTALL_HINT"
    fi
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
        die "need root to install: $* (run: sudo apt-get install -y --no-install-recommends $*)"
    fi

    # Temporary file for apt's output, removed when the script exits.
    if [ -z "$APT_LOG" ]; then
        APT_LOG="$(mktemp)"
        trap 'rm -f -- "$APT_LOG"' EXIT
    fi
    local out="$APT_LOG"

    # Refresh the package lists once per run, and only when we install something.
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >"$out" 2>&1; then
            cat "$out" >&2
            die "apt-get update failed"
        fi
        APT_UPDATED=1
    fi

    log "installing: $*"
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "$@" >"$out" 2>&1; then
        tail -n 40 "$out" >&2
        die "apt-get install failed for: $*"
    fi
}

# Print the highest installed PostgreSQL server major version (e.g. "15"),
# or nothing when no server is installed. Debian/Ubuntu install each major
# version under /usr/lib/postgresql/<major>/.
detect_pg_major() {
    local bin major best=""
    for bin in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$bin" ] || continue                      # glob matched nothing
        major="${bin#/usr/lib/postgresql/}"
        major="${major%%/*}"
        case "$major" in *[!0-9]* | "") continue ;; esac # skip odd dir names
        if [ -z "$best" ] || [ "$major" -gt "$best" ]; then
            best="$major"
        fi
    done
    printf '%s' "$best"
}

# ---------------------------------------------------------------------------
# Step 1: system packages
# ---------------------------------------------------------------------------

missing=()

# PostgreSQL server >= 15. The distro's "postgresql" meta package pulls in
# its default server version (15 on Debian 12) plus the psql client.
# Note: on Debian this also creates and starts a system cluster ("main",
# port 5432). That is harmless; we do not use it (see scripts/localdb.sh).
PG_MAJOR="$(detect_pg_major)"
if [ -z "$PG_MAJOR" ] || [ "$PG_MAJOR" -lt "$MIN_PG_MAJOR" ]; then
    missing+=(postgresql)
fi

# pg_prove runs pgTAP test files.
command -v pg_prove >/dev/null 2>&1 || missing+=(libtap-parser-sourcehandler-pgtap-perl)

# sqitch (database migrations) and its PostgreSQL driver.
command -v sqitch >/dev/null 2>&1 || missing+=(sqitch)
perl -MDBD::Pg -e1 >/dev/null 2>&1 || missing+=(libdbd-pg-perl)

# PgBouncer, for the test of the client behind a pooler in transaction mode.
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)

# Python. We need python3 itself, and "venv" + "ensurepip" to create the
# virtual environment (Debian ships those separately in python3-venv). This
# check is only needed while the virtualenv does not exist yet.
if ! command -v python3 >/dev/null 2>&1; then
    missing+=(python3 python3-venv)
elif [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 \
        || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
fi

apt_install "${missing[@]+"${missing[@]}"}"

# Re-detect the server version now that it may have been installed.
PG_MAJOR="$(detect_pg_major)"
if [ -z "$PG_MAJOR" ] || [ "$PG_MAJOR" -lt "$MIN_PG_MAJOR" ]; then
    die "need a PostgreSQL server >= $MIN_PG_MAJOR, found '${PG_MAJOR:-none}'. \
Your distribution's default is too old; add the PGDG apt repository \
(https://wiki.postgresql.org/wiki/Apt) and install postgresql-$MIN_PG_MAJOR"
fi

# pgTAP must be built for the same major version as the server.
missing=()
[ -f "/usr/share/postgresql/$PG_MAJOR/extension/pgtap.control" ] \
    || missing+=("postgresql-$PG_MAJOR-pgtap")
# psql normally comes with the server package; install it if someone removed it.
command -v psql >/dev/null 2>&1 || missing+=("postgresql-client-$PG_MAJOR")
apt_install "${missing[@]+"${missing[@]}"}"

# Final sanity check, so a half-broken install is reported clearly here rather
# than later in some test.
command -v pg_prove >/dev/null 2>&1 || die "pg_prove still not found after install"
command -v sqitch >/dev/null 2>&1 || die "sqitch still not found after install"
perl -MDBD::Pg -e1 >/dev/null 2>&1 || die "Perl module DBD::Pg still not found after install"
command -v python3 >/dev/null 2>&1 || die "python3 still not found after install"

# ---------------------------------------------------------------------------
# Step 2: Python virtual environment
# ---------------------------------------------------------------------------

# (Re)create the venv when it is missing or broken (e.g. the python it was
# created from has been removed, which leaves a dangling bin/python symlink).
if [ ! -x "$VENV/bin/python" ]; then
    python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
        || die "python3 >= 3.11 is required, found $(python3 -V 2>&1)"
    log "creating virtualenv at $VENV"
    rm -rf -- "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed"
    # Upgrade pip once, right after creating the venv. Not fatal: an old pip
    # usually still works (e.g. when offline).
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
        || log "warning: could not upgrade pip, continuing with the bundled one"
fi

if [ ! -f "$PYPROJECT" ]; then
    log "notice: $PYPROJECT not found yet, skipping pip install"
else
    # pip install is slow, so only run it when needed: when pyproject.toml is
    # newer than the stamp file, or an extra is requested that the last
    # install did not include. The stamp records the extras installed; a
    # request for fewer extras (make demo after make test) installs nothing.
    have_extras=""
    if [ -f "$STAMP" ]; then
        IFS= read -r have_extras <"$STAMP" || true
        have_extras="${have_extras#extras=}"
    fi
    extra_missing=0
    IFS=',' read -r -a wanted <<<"$EXTRAS"
    for extra in "${wanted[@]}"; do
        [ -z "$extra" ] && continue
        case ",$have_extras," in
            *",$extra,"*) ;;
            *) extra_missing=1 ;;
        esac
    done
    if [ ! -f "$STAMP" ] || [ "$PYPROJECT" -nt "$STAMP" ] || [ "$extra_missing" = 1 ]; then
        # Keep what an earlier install brought in, add what is asked for now.
        all="$(printf '%s' "$have_extras,$EXTRAS" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
        target="$ROOT"
        if [ -n "$all" ]; then
            target="${ROOT}[${all}]"
        fi
        log "pip install -e .${all:+[$all]}"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target" \
            || die "pip install -e $target failed"
        printf 'extras=%s\n' "$all" >"$STAMP"
    fi
fi

# ---------------------------------------------------------------------------
# Step 3 (BOOTSTRAP_LANGUAGES=1): Node.js and Java, for examples/node and examples/java
# ---------------------------------------------------------------------------

if [ "${BOOTSTRAP_LANGUAGES:-0}" = 1 ]; then
    NODE_DIR="$ROOT/examples/node"
    JDBC_JAR=/usr/share/java/postgresql.jar

    missing=()
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
    [ -f "$JDBC_JAR" ] || missing+=(libpostgresql-jdbc-java)
    apt_install "${missing[@]+"${missing[@]}"}"
    # Debian's nodejs comes without npm (NodeSource's includes it, and conflicts
    # with Debian's npm package), so npm is asked for only once node is there.
    if ! command -v npm >/dev/null 2>&1; then
        apt_install npm
    fi
    command -v node >/dev/null 2>&1 || die "node still not found after install"
    command -v npm >/dev/null 2>&1 || die "npm still not found after install"
    command -v javac >/dev/null 2>&1 || die "javac still not found after install"
    [ -f "$JDBC_JAR" ] || die "$JDBC_JAR still not found after installing libpostgresql-jdbc-java"

    # npm ci installs exactly what package-lock.json pins, into node_modules.
    # Skipped while pg is there and the stamp is newer than package.json and the lock file.
    NODE_STAMP="$NODE_DIR/node_modules/.bootstrap-stamp"
    if [ ! -f "$NODE_STAMP" ] || [ ! -d "$NODE_DIR/node_modules/pg" ] \
            || [ "$NODE_DIR/package.json" -nt "$NODE_STAMP" ] \
            || [ "$NODE_DIR/package-lock.json" -nt "$NODE_STAMP" ]; then
        log "npm ci in examples/node"
        (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2) \
            || die "npm ci in $NODE_DIR failed (is the npm registry reachable?)"
        touch "$NODE_STAMP"
    fi
fi

# ---------------------------------------------------------------------------
# Step 4 (BOOTSTRAP_BROWSER=1): a headless browser for the web console's tests
# ---------------------------------------------------------------------------

if [ "${BOOTSTRAP_BROWSER:-0}" = 1 ]; then
    missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    # A CJK font, so the screenshots show the customer names rather than empty boxes.
    [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
    apt_install "${missing[@]+"${missing[@]}"}"
    command -v chromium >/dev/null 2>&1 || die "chromium still not found after install"
    command -v chromedriver >/dev/null 2>&1 || die "chromedriver still not found after installing chromium-driver"
fi

# ---------------------------------------------------------------------------
# Step 5 (BOOTSTRAP_PROFILER=1): perf, for bench/profile_batch_mix.py
# ---------------------------------------------------------------------------

if [ "${BOOTSTRAP_PROFILER:-0}" = 1 ]; then
    command -v perf >/dev/null 2>&1 || apt_install linux-perf
    command -v perf >/dev/null 2>&1 || die "perf still not found after installing linux-perf"
fi

log "ok"
