#!/usr/bin/env bash
#
# scripts/localdb.sh: a project-local PostgreSQL cluster for development and
# tests (an "embedded" database that belongs to this checkout only).
#
# Usage:
#   scripts/localdb.sh start    initialise (first time) and start the server,
#                               and make sure the database exists
#   scripts/localdb.sh stop     stop the server (fine if it is not running)
#   scripts/localdb.sh reset    stop the server and delete all its data
#                               (the port in .pg/port is kept)
#   scripts/localdb.sh status   print "running" (exit 0) or "stopped" (exit 3)
#   scripts/localdb.sh port     print this checkout's port (chosen and kept
#                               in .pg/port the first time)
#   scripts/localdb.sh env      print `export` lines for libpq clients, e.g.
#                                   eval "$(scripts/localdb.sh env)"
#                                   psql -c 'select 1'
#                                   psql "$LOCALDB_URI" -c 'select 1'
#
# Where things live (relative to the repo root; .pg/ is git-ignored):
#   .pg/data                  the cluster (PGDATA)
#   .pg/run                   the unix socket directory (PGHOST)
#   .pg/log/postgres.log      the server log
#   .pg/port                  the TCP port this checkout's cluster uses
#
# Environment variables:
#   LOCALDB_PORT      TCP port, also part of the socket name. Unset: the port
#                     kept in .pg/port; the first `start` of a checkout picks
#                     the first free port from 54329 up and keeps it there, so
#                     two checkouts on one machine never collide. Chosen
#                     ports are noted in LOCALDB_PORT_REGISTRY (default
#                     /tmp/ce-pg-ports.registry) so that a stopped cluster's
#                     port is not given to another checkout.
#   LOCALDB_NAME      database created by `start` (default enrichment)
#   LOCALDB_OS_USER   OS user that runs the server when this script runs as
#                     root (default postgres; created if missing)
#
# Security note: the cluster uses "trust" authentication (no passwords). That
# is acceptable because the server only listens on the loopback address
# 127.0.0.1 and on a unix socket inside the project (or a private /tmp dir).
# Do not reuse this setup for anything that is reachable from the network.
#
# Special cases handled automatically:
#   * Running as root: PostgreSQL refuses to run as root, so the server runs as
#     LOCALDB_OS_USER. If that user cannot reach the checkout (e.g. it lives
#     under /root, which is mode 700), the cluster is kept under
#     /var/tmp/ce-pg-<hash>/ and .pg/data, .pg/log, .pg/run become symlinks.
#   * Long paths: a unix socket path must stay below ~107 bytes. If
#     .pg/run/.s.PGSQL.<port> would be longer than 100 bytes, the socket goes
#     to /tmp/ce-pg-<hash>/ instead. `env` always prints the right PGHOST.

set -euo pipefail

# ---------------------------------------------------------------------------
# Configuration and helpers
# ---------------------------------------------------------------------------

log() { printf '[localdb] %s\n' "$*" >&2; }
die() { printf '[localdb] ERROR: %s\n' "$*" >&2; exit 1; }

# Repo root = parent of this script's directory (independent of the cwd).
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
PGBASE="$ROOT/.pg"

DBNAME="${LOCALDB_NAME:-enrichment}"
DB_SUPERUSER="postgres"   # database role created by initdb (-U postgres)

[ -n "$DBNAME" ] || die "LOCALDB_NAME must not be empty"

# ---------------------------------------------------------------------------
# The port: LOCALDB_PORT, else .pg/port, else (on `start`) the first free one
# ---------------------------------------------------------------------------

PORT_FILE="$PGBASE/port"
DEFAULT_PORT=54329

valid_port() {
    case "$1" in
        '' | *[!0-9]*) return 1 ;;
    esac
    [ "$1" -ge 1024 ] && [ "$1" -le 65535 ]
}

# port_in_use PORT: does something accept TCP connections on 127.0.0.1:PORT,
# or is a server's unix socket for PORT in a shared socket dir?
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    [ -e "/tmp/.s.PGSQL.$1" ] || [ -e "/var/run/postgresql/.s.PGSQL.$1" ]
}

# Checkouts that chose a port note it here, so that a stopped cluster's port
# is not given to another checkout (it would fail to start again).
PORT_REGISTRY="${LOCALDB_PORT_REGISTRY:-/tmp/ce-pg-ports.registry}"   # (tests use one of their own)

# port_kept_elsewhere PORT: does another existing checkout keep PORT (in its
# .pg/port, or in the localdb.conf of a cluster made before .pg/port)?
port_kept_elsewhere() {
    local port root kept
    [ -f "$PORT_REGISTRY" ] || return 1
    while read -r port root; do
        [ "$port" = "$1" ] && [ "$root" != "$ROOT" ] || continue
        kept=""
        if [ -f "$root/.pg/port" ]; then
            IFS= read -r kept <"$root/.pg/port" || true
        elif [ -f "$root/.pg/data/localdb.conf" ]; then
            kept="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$root/.pg/data/localdb.conf" 2>/dev/null | head -n 1)"
        fi
        [ "$kept" != "$1" ] || return 0
    done <"$PORT_REGISTRY"
    return 1
}

# known_port: the port without choosing one: LOCALDB_PORT, .pg/port, or the
# port an older checkout's cluster was configured with (localdb.conf). Prints
# nothing when this checkout has none yet.
known_port() {
    local p=""
    if [ -n "${LOCALDB_PORT:-}" ]; then
        printf '%s' "$LOCALDB_PORT"
        return 0
    fi
    if [ -f "$PORT_FILE" ]; then
        IFS= read -r p <"$PORT_FILE" || true
    elif [ -f "$PGBASE/data/localdb.conf" ]; then
        p="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$PGBASE/data/localdb.conf" 2>/dev/null | head -n 1)"
    fi
    printf '%s' "$p"
}

# choose_port: set PORT for `start`, and keep a chosen port in .pg/port.
# Ports are chosen under a machine-wide lock, so that two checkouts starting
# at the same moment do not pick the same one.
choose_port() {
    PORT="$(known_port)"
    if [ -n "${LOCALDB_PORT:-}" ]; then
        valid_port "$PORT" || die "LOCALDB_PORT must be a port number (1024..65535), got '$PORT'"
        return 0
    fi
    if [ -n "$PORT" ]; then
        valid_port "$PORT" || die "$PORT_FILE holds '$PORT', not a port number; fix or delete it"
        if [ ! -f "$PORT_FILE" ]; then
            printf '%s\n' "$PORT" >"$PORT_FILE"
            printf '%s %s\n' "$PORT" "$ROOT" >>"$PORT_REGISTRY" 2>/dev/null || true
        fi
        return 0
    fi
    local p
    mkdir -p -- "$PGBASE"
    # fd 8 stays open (and locked) until this script exits, after the server
    # listens; the server must not inherit it ("8>&-" in start_server).
    exec 8>>"/tmp/ce-pg-ports.lock"
    if command -v flock >/dev/null 2>&1; then flock 8; fi
    for ((p = DEFAULT_PORT; p < DEFAULT_PORT + 500; p++)); do
        if ! port_in_use "$p" && ! port_kept_elsewhere "$p"; then
            PORT="$p"
            break
        fi
    done
    [ -n "$PORT" ] || die "no free port in $DEFAULT_PORT..$((DEFAULT_PORT + 499)); set LOCALDB_PORT"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    printf '%s %s\n' "$PORT" "$ROOT" >>"$PORT_REGISTRY" 2>/dev/null || true
    log "this checkout's cluster will use port $PORT (kept in $PORT_FILE; LOCALDB_PORT overrides)"
}

# Commands other than `start` never choose: they use the known port, or the
# default when this checkout has none (nothing runs then anyway).
PORT="$(known_port)"
PORT="${PORT:-$DEFAULT_PORT}"
valid_port "$PORT" || die "LOCALDB_PORT must be a port number (1024..65535), got '$PORT'"

# Short, stable id for this checkout, used to name directories outside it.
HASH="$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
FALLBACK_BASE="/var/tmp/ce-pg-$HASH"   # cluster location if ROOT is unreachable
SHORT_SOCKET_DIR="/tmp/ce-pg-$HASH"    # socket location if the path is too long

# Which OS user runs the server. As root we must use an unprivileged user;
# otherwise we simply run everything as ourselves.
if [ "$EUID" -eq 0 ]; then
    SERVER_USER="${LOCALDB_OS_USER:-postgres}"
    [ "$SERVER_USER" != "root" ] || die "LOCALDB_OS_USER must not be root"
else
    SERVER_USER="$(id -un)"
fi

# as_server_user and make_dir
# shellcheck source=scripts/server_user.sh
. "$ROOT/scripts/server_user.sh"

# byte_length STRING: print the length of STRING in bytes (not characters).
byte_length() {
    local LC_ALL=C
    printf '%s' "${#1}"
}

# ---------------------------------------------------------------------------
# Layout: where the data, log and socket really are
# ---------------------------------------------------------------------------

# server_user_can_reach DIR: can the server user enter DIR (and every parent)?
# Side-effect free; used to predict the layout before anything exists.
server_user_can_reach() {
    if [ "$EUID" -ne 0 ]; then
        return 0
    fi
    if id -u "$SERVER_USER" >/dev/null 2>&1; then
        as_server_user test -x "$1"
    else
        # The user does not exist yet: approximate it with "nobody".
        setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$1"
    fi
}

# set_paths FALLBACK: set DATA, LOGDIR, LOGFILE, RUNDIR and SOCKDIR.
# FALLBACK=1 means the real files live under /var/tmp (see header).
set_paths() {
    FALLBACK="$1"
    local base="$PGBASE"
    if [ "$FALLBACK" -eq 1 ]; then
        base="$FALLBACK_BASE"
    fi
    DATA="$base/data"
    LOGDIR="$base/log"
    LOGFILE="$LOGDIR/postgres.log"
    RUNDIR="$base/run"
    SOCKDIR="$RUNDIR"
    # Unix socket paths are limited to 107 bytes; stay safely below.
    if [ "$(byte_length "$SOCKDIR/.s.PGSQL.$PORT")" -gt 100 ]; then
        SOCKDIR="$SHORT_SOCKET_DIR"
    fi
}

# resolve_layout: work out the paths without changing anything.
#   - .pg/data is a symlink         -> the /var/tmp fallback is in use
#   - .pg/data exists               -> normal layout inside the checkout
#   - nothing yet: predict what `start` will choose.
resolve_layout() {
    if [ -L "$PGBASE/data" ]; then
        set_paths 1
    elif [ -e "$PGBASE/data" ] || server_user_can_reach "$ROOT"; then
        set_paths 0
    else
        set_paths 1
    fi
}

# ---------------------------------------------------------------------------
# PostgreSQL binaries
# ---------------------------------------------------------------------------

# find_bindir: set BINDIR to the directory holding initdb/pg_ctl/postgres.
# Prefer the version that created an existing cluster, else the highest
# installed major under /usr/lib/postgresql (Debian/Ubuntu layout), else
# pg_config --bindir, else whatever initdb is on PATH.
find_bindir() {
    BINDIR=""
    local d major best=-1 data_major=""
    if [ -f "$DATA/PG_VERSION" ]; then
        IFS= read -r data_major <"$DATA/PG_VERSION" || true
        if [ -x "/usr/lib/postgresql/$data_major/bin/pg_ctl" ]; then
            BINDIR="/usr/lib/postgresql/$data_major/bin"
        fi
    fi
    if [ -z "$BINDIR" ]; then
        for d in /usr/lib/postgresql/*/bin; do
            if [ ! -x "$d/initdb" ] || [ ! -x "$d/pg_ctl" ]; then continue; fi
            major="${d#/usr/lib/postgresql/}"
            major="${major%%/*}"
            case "$major" in *[!0-9]* | "") continue ;; esac
            if [ "$major" -gt "$best" ]; then
                best="$major"
                BINDIR="$d"
            fi
        done
    fi
    if [ -z "$BINDIR" ] && command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [ -n "$d" ] && [ -x "$d/initdb" ]; then
            BINDIR="$d"
        fi
    fi
    if [ -z "$BINDIR" ] && command -v initdb >/dev/null 2>&1; then
        BINDIR="$(dirname -- "$(command -v initdb)")"
    fi
    [ -n "$BINDIR" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/bootstrap.sh"

    # Client tools: from the same directory if present, else from PATH.
    PSQL="$BINDIR/psql";             [ -x "$PSQL" ] || PSQL="psql"
    PG_ISREADY="$BINDIR/pg_isready"; [ -x "$PG_ISREADY" ] || PG_ISREADY="pg_isready"
}

# ---------------------------------------------------------------------------
# Locking: serialise start/stop/reset (e.g. parallel test workers)
# ---------------------------------------------------------------------------

LOCKED=0
take_lock() {
    [ "$LOCKED" -eq 0 ] || return 0
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p -- "$PGBASE"
    # fd 9 stays open until the script exits. Child processes that outlive us
    # (the server) must not inherit it: see "9>&-" where we start them.
    exec 9>"$PGBASE/.lock"
    flock 9
    LOCKED=1
}

# ---------------------------------------------------------------------------
# Setup steps used by `start`
# ---------------------------------------------------------------------------

ensure_os_user() {
    [ "$EUID" -eq 0 ] || return 0
    if ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        log "creating system user '$SERVER_USER' to run PostgreSQL (it refuses to run as root)"
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVER_USER"
    fi
}

# prepare_dirs: create data/log/run dirs with the right owner. As root, decide
# here (once) whether the checkout is usable or the /var/tmp fallback is needed.
prepare_dirs() {
    mkdir -p -- "$PGBASE"
    ensure_os_user

    if [ "$EUID" -eq 0 ] && [ "$FALLBACK" -eq 0 ] && [ ! -e "$PGBASE/data" ]; then
        # Hand .pg to the server user and check that it can really write there.
        chown "$SERVER_USER:" "$PGBASE"
        if ! as_server_user test -w "$PGBASE"; then
            chown --reference="$ROOT" "$PGBASE"
            set_paths 1
        fi
    fi

    local d
    if [ "$FALLBACK" -eq 1 ]; then
        if [ ! -L "$PGBASE/data" ]; then
            log "notice: user '$SERVER_USER' cannot access $ROOT (a parent directory is private), so the cluster lives in $FALLBACK_BASE (linked from $PGBASE)"
        fi
        [ ! -L "$FALLBACK_BASE" ] || die "$FALLBACK_BASE is a symlink, refusing to use it"
        mkdir -p -- "$FALLBACK_BASE"
        chmod 0755 "$FALLBACK_BASE"
        [ -d "$DATA" ] || make_dir "$DATA" 0700   # never chmod an existing cluster
        make_dir "$LOGDIR" 0755
        make_dir "$RUNDIR" 0775
        for d in data log run; do
            if [ ! -L "$PGBASE/$d" ]; then
                # An empty leftover directory may be replaced by the symlink.
                if [ -d "$PGBASE/$d" ]; then
                    rmdir -- "$PGBASE/$d" 2>/dev/null \
                        || die "$PGBASE/$d is in the way (not empty); move it or run: $0 reset"
                fi
                ln -s -- "$FALLBACK_BASE/$d" "$PGBASE/$d"
            fi
        done
    else
        make_dir "$LOGDIR" 0755
        make_dir "$RUNDIR" 0775
        [ -d "$DATA" ] || make_dir "$DATA" 0700
    fi

    # Socket dir outside the checkout for long paths. 0775 (not 0700) so that
    # other users (e.g. root when the server runs as postgres) can connect.
    if [ "$SOCKDIR" != "$RUNDIR" ]; then
        make_dir "$SOCKDIR" 0775
    fi
}

# init_cluster: run initdb for a new cluster.
init_cluster() {
    if [ -n "$(ls -A -- "$DATA" 2>/dev/null)" ]; then
        die "$DATA is not empty but has no PG_VERSION (interrupted initdb?); run: $0 reset"
    fi
    # Prefer the C.UTF-8 locale (UTF-8 aware, but with plain byte-order sorting
    # like "C"); fall back to plain C if this system does not have it.
    local locale="C"
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        locale="C.UTF-8"
    fi
    log "initialising a new cluster in $DATA ($("$BINDIR/initdb" --version))"
    local out
    # --auth=trust: see the security note at the top of this file.
    # --no-sync: skip the final flush of initdb only; the server itself keeps
    # fsync on, so data survives restarts and crashes.
    if ! out="$(as_server_user "$BINDIR/initdb" -D "$DATA" -U "$DB_SUPERUSER" \
            --auth=trust -E UTF8 --locale="$locale" --no-sync 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "initdb failed"
    fi
}

# write_config: our settings live in $DATA/localdb.conf, included from
# postgresql.conf. The file is regenerated on every start so that a changed
# LOCALDB_PORT or socket dir takes effect. (ALTER SYSTEM still wins, as usual.)
write_config() {
    local conf="$DATA/postgresql.conf" inc="$DATA/localdb.conf" want have=""
    # Single quotes inside a config string are written as ''.
    local sockdir_q="${SOCKDIR//\'/\'\'}"
    want="# Written by scripts/localdb.sh on every start; edit the script, not this file.
port = $PORT
listen_addresses = '127.0.0.1'          # loopback only (trust auth!)
unix_socket_directories = '$sockdir_q'
max_connections = 200
shared_buffers = 256MB
log_min_messages = warning
# Keep durability on: tests restart the server and must not lose data.
fsync = on
synchronous_commit = on"

    if [ -f "$inc" ]; then
        have="$(cat -- "$inc")"
    fi
    if [ "$have" != "$want" ]; then
        if [ "$1" = running ]; then
            log "warning: settings changed (port/socket) but the server is running; run: $0 stop && $0 start"
        else
            printf '%s\n' "$want" >"$inc"
            [ "$EUID" -ne 0 ] || chown "$SERVER_USER:" "$inc"
        fi
    fi

    if ! grep -qx "include = 'localdb.conf'" "$conf"; then
        printf "\n# Added by scripts/localdb.sh: project-local settings.\ninclude = 'localdb.conf'\n" >>"$conf"
    fi
}

is_running() {
    [ -f "$DATA/PG_VERSION" ] || return 1
    as_server_user "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

show_log_tail() {
    if [ -f "$LOGFILE" ]; then
        log "last 30 lines of $LOGFILE:"
        tail -n 30 -- "$LOGFILE" >&2
    fi
}

# ensure_database: create $DBNAME unless it exists. One psql call; \gexec
# runs the generated CREATE DATABASE only when the SELECT returns a row.
ensure_database() {
    local sql="SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec"
    if ! printf '%s\n' "$sql" | "$PSQL" -X -q -v ON_ERROR_STOP=1 -v db="$DBNAME" \
            -h "$SOCKDIR" -p "$PORT" -U "$DB_SUPERUSER" -d postgres >/dev/null; then
        # Another process may have created it at the same moment; re-check.
        local exists
        exists="$(printf "SELECT 1 FROM pg_database WHERE datname = :'db'\n" \
            | "$PSQL" -X -qAt -v db="$DBNAME" -h "$SOCKDIR" -p "$PORT" \
                -U "$DB_SUPERUSER" -d postgres 2>/dev/null || true)"
        [ "$exists" = 1 ] || die "could not create database '$DBNAME'"
    fi
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

# start_server: pg_ctl start, or show the log and exit on failure.
start_server() {
    log "starting PostgreSQL on port $PORT (socket dir $SOCKDIR)"
    local out
    # -w -t 60: wait up to 60 s until the server accepts connections.
    # A stale postmaster.pid from a crash is detected and ignored by pg_ctl.
    # 9>&- 8>&-: do not pass our lock files on to the long-running server.
    if ! out="$(as_server_user "$BINDIR/pg_ctl" -D "$DATA" -l "$LOGFILE" \
            -w -t 60 start 2>&1 9>&- 8>&-)"; then
        printf '%s\n' "$out" >&2
        show_log_tail
        die "could not start PostgreSQL"
    fi
}

cmd_start() {
    take_lock
    choose_port
    resolve_layout
    prepare_dirs
    find_bindir

    if [ ! -f "$DATA/PG_VERSION" ]; then
        init_cluster
    fi

    if is_running; then
        write_config running
    else
        write_config stopped
        start_server
    fi

    # Wait until the server answers on our socket (normally at once). Every
    # second, check that it is still alive: right after a crash, pg_ctl may
    # briefly report a dead server (a not yet reaped process) as running.
    local i restarts=0
    for ((i = 1; i <= 600; i++)); do
        if "$PG_ISREADY" -q -h "$SOCKDIR" -p "$PORT" -U "$DB_SUPERUSER" -d postgres; then
            break
        fi
        if ((i % 10 == 0)) && ! is_running && ((restarts < 3)); then
            restarts=$((restarts + 1))
            start_server
        fi
        sleep 0.1
    done
    if [ "$i" -gt 600 ]; then
        show_log_tail
        die "server is running but not answering on $SOCKDIR port $PORT (started with another LOCALDB_PORT? try: $0 stop && $0 start)"
    fi

    ensure_database
    log "ready: database '$DBNAME' on port $PORT, socket dir $SOCKDIR"
}

cmd_stop() {
    resolve_layout
    if [ ! -f "$DATA/PG_VERSION" ]; then
        log "not initialised, nothing to stop"
        return 0
    fi
    take_lock
    find_bindir
    if ! is_running; then
        log "not running"
        return 0
    fi
    local out
    if ! out="$(as_server_user "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop 2>&1)"; then
        printf '%s\n' "$out" >&2
        show_log_tail
        die "could not stop PostgreSQL"
    fi
    log "stopped"
}

cmd_reset() {
    take_lock
    cmd_stop    # dies (keeping the data) if the server cannot be stopped
    # rm -rf does not follow the symlinks in .pg; the fallback dir is removed
    # explicitly. ROOT comes from the script location, so these are never "/".
    # The chosen port outlives the data: other checkouts may count on it being taken.
    local kept=""
    [ ! -f "$PORT_FILE" ] || IFS= read -r kept <"$PORT_FILE" || true
    rm -rf -- "$PGBASE" "$FALLBACK_BASE"
    if [ -n "$kept" ]; then
        mkdir -p -- "$PGBASE"
        printf '%s\n' "$kept" >"$PORT_FILE"
    fi
    if [ -d "$SHORT_SOCKET_DIR" ] && [ ! -L "$SHORT_SOCKET_DIR" ]; then
        rm -rf -- "$SHORT_SOCKET_DIR"
    fi
    log "removed all local database files"
}

cmd_status() {
    resolve_layout
    if [ -f "$DATA/PG_VERSION" ]; then
        find_bindir
        if is_running; then
            echo running
            return 0
        fi
    fi
    echo stopped
    return 3
}

# shell_quote STRING: quote STRING for POSIX shells ('...' with ' escaped).
shell_quote() {
    printf "'%s'" "${1//\'/\'\\\'\'}"
}

cmd_env() {
    resolve_layout
    local uri="postgresql://$DB_SUPERUSER@/$DBNAME?host=$SOCKDIR&port=$PORT"
    printf 'export PGHOST=%s\n' "$(shell_quote "$SOCKDIR")"
    printf 'export PGPORT=%s\n' "$(shell_quote "$PORT")"
    printf 'export PGUSER=%s\n' "$(shell_quote "$DB_SUPERUSER")"
    printf 'export PGDATABASE=%s\n' "$(shell_quote "$DBNAME")"
    printf 'export LOCALDB_URI=%s\n' "$(shell_quote "$uri")"
}

usage() {
    sed -n '3,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    reset) cmd_reset ;;
    status) cmd_status ;;
    env) cmd_env ;;
    port)
        take_lock
        choose_port
        printf '%s\n' "$PORT"
        ;;
    -h | --help | help) usage ;;
    *)
        usage
        exit 2
        ;;
esac
