#!/usr/bin/env bash
#
# scripts/standby.sh: a real streaming hot standby of the project-local
# cluster (scripts/localdb.sh), for the replica tests and benchmarks.
#
# Usage:
#   scripts/standby.sh start    pg_basebackup -R the running local cluster (first
#                               time), start the standby, and wait until it has
#                               replayed the primary's current WAL position
#   scripts/standby.sh stop     stop the standby (its copy and slot are kept: the
#                               next start catches up from where it stopped)
#   scripts/standby.sh remove   stop it, delete its copy and drop its replication
#                               slot on the primary (fine if there is none)
#   scripts/standby.sh status   print "running" (exit 0) or "stopped" (exit 3)
#   scripts/standby.sh env      print `export` lines: STANDBY_URI and
#                               WDH_TEST_STANDBY_URI (what the tests read)
#   scripts/standby.sh wait     wait until the standby has replayed what the
#                               primary has written so far
#
# Where things live (git-ignored): .pg-standby/data, .pg-standby/log,
# .pg-standby/run, and .pg-standby/port. When the server's OS user cannot reach
# the checkout, the same folders live in /var/tmp/ce-pg-standby-<hash>/ and
# .pg-standby/ links to them; a socket path that would be too long goes to
# /tmp/ce-pgs-<hash>/.
#
# Environment variables:
#   LOCALDB_PORT      the primary's port (as for scripts/localdb.sh)
#   STANDBY_PORT      the standby's port. Unset: the port kept in
#                     .pg-standby/port, else the primary's port + 1000 (minus
#                     1000 above 64535), so that checkouts with distinct primary
#                     ports get distinct standby ports.
#   LOCALDB_NAME      the database the URIs name (default enrichment)
#
# The standby streams through a physical replication slot (ce_standby_<hash>)
# so that the primary keeps the WAL it has not received while the tests write a
# lot; `remove` drops the slot, or the primary would keep WAL for ever (make test
# removes the standby when it ends, however it ends). It runs as
# the same OS user as the primary (postgres when run as root), with the same
# trust authentication on loopback and a private socket only (see localdb.sh).
#
# The primary needs wal_level replica or logical, max_wal_senders and
# max_replication_slots above 0 (PostgreSQL's defaults, which localdb.sh keeps)
# and a replication line in pg_hba.conf (initdb writes one for local and
# loopback connections). A cluster made otherwise is fixed here: the settings
# with ALTER SYSTEM and a restart, the pg_hba.conf lines appended and reloaded.

set -euo pipefail

log() { printf '[standby] %s\n' "$*" >&2; }
die() { printf '[standby] ERROR: %s\n' "$*" >&2; exit 1; }

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
BASE="$ROOT/.pg-standby"
HASH="$(printf '%s' "$ROOT" | md5sum | cut -c1-8)"
FALLBACK_BASE="/var/tmp/ce-pg-standby-$HASH"
SHORT_SOCKET_DIR="/tmp/ce-pgs-$HASH"
SLOT="ce_standby_$HASH"
DBNAME="${LOCALDB_NAME:-enrichment}"
SUPERUSER=postgres

# The primary: where scripts/localdb.sh says it is.
eval "$("$ROOT/scripts/localdb.sh" env)"
PRIMARY_HOST="$PGHOST"
PRIMARY_PORT="$PGPORT"
unset PGHOST PGPORT PGUSER PGDATABASE LOCALDB_URI

primary_psql() {
    psql -X -qAt -v ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$SUPERUSER" -d postgres "$@"
}

# ---------------------------------------------------------------------------- the port

PORT_FILE="$BASE/port"
choose_port() {
    local p="${STANDBY_PORT:-}"
    if [ -z "$p" ] && [ -f "$PORT_FILE" ]; then
        IFS= read -r p <"$PORT_FILE" || true
    fi
    if [ -z "$p" ]; then
        if [ "$PRIMARY_PORT" -le 64535 ]; then p=$((PRIMARY_PORT + 1000)); else p=$((PRIMARY_PORT - 1000)); fi
    fi
    case "$p" in '' | *[!0-9]*) die "STANDBY_PORT must be a port number, got '$p'" ;; esac
    [ "$p" -ge 1024 ] && [ "$p" -le 65535 ] || die "STANDBY_PORT must be in 1024..65535, got $p"
    [ "$p" != "$PRIMARY_PORT" ] || die "the standby's port $p is the primary's"
    PORT="$p"
}

# ---------------------------------------------------------------------------- who and where

# The OS user that runs the primary runs the standby (PostgreSQL refuses root).
primary_data_dir() {
    primary_psql -c 'SHOW data_directory'
}

# as_server_user and make_dir
# shellcheck source=scripts/server_user.sh
. "$ROOT/scripts/server_user.sh"

set_server_user() {
    if [ "$EUID" -eq 0 ]; then
        SERVER_USER="$(stat -c %U -- "$(primary_data_dir)")"
        [ "$SERVER_USER" != root ] || die "the primary's data directory belongs to root"
    else
        SERVER_USER="$(id -un)"
    fi
}

set_bindir() {
    local major
    major="$(primary_psql -c "SELECT current_setting('server_version_num')::int / 10000")"
    BINDIR="/usr/lib/postgresql/$major/bin"
    if [ ! -x "$BINDIR/pg_ctl" ]; then
        BINDIR="$(pg_config --bindir 2>/dev/null || true)"
    fi
    [ -n "$BINDIR" ] && [ -x "$BINDIR/pg_ctl" ] || die "pg_ctl of PostgreSQL $major not found"
}

# set_paths: DATA, LOGFILE, SOCKDIR from the layout on disk (or the one `start` will make).
set_paths() {
    local base="$BASE"
    if [ -L "$BASE/data" ]; then
        base="$FALLBACK_BASE"
    fi
    DATA="$base/data"
    LOGFILE="$base/log/standby.log"
    SOCKDIR="$base/run"
    if [ "$(LC_ALL=C; printf '%s' "${#SOCKDIR}")" -gt 80 ]; then
        SOCKDIR="$SHORT_SOCKET_DIR"
    fi
}

prepare_dirs() {
    mkdir -p -- "$BASE"
    if [ "$EUID" -eq 0 ] && [ ! -e "$BASE/data" ]; then
        chown "$SERVER_USER:" "$BASE"
        if ! as_server_user test -w "$BASE"; then
            log "notice: user '$SERVER_USER' cannot reach $ROOT, so the standby lives in $FALLBACK_BASE"
            chown --reference="$ROOT" "$BASE"
            [ ! -L "$FALLBACK_BASE" ] || die "$FALLBACK_BASE is a symlink, refusing to use it"
            mkdir -p -- "$FALLBACK_BASE"
            chmod 0755 "$FALLBACK_BASE"
            local d
            for d in data log run; do
                ln -sfn -- "$FALLBACK_BASE/$d" "$BASE/$d"
            done
        fi
    fi
    set_paths
    make_dir "$(dirname -- "$LOGFILE")" 0755
    make_dir "$SOCKDIR" 0775
}

is_running() {
    [ -f "$DATA/PG_VERSION" ] || return 1
    as_server_user "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

standby_psql() {
    psql -X -qAt -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PORT" -U "$SUPERUSER" -d postgres "$@"
}

# ---------------------------------------------------------------------------- the primary's side

# ensure_primary_ready: settings and pg_hba for streaming replication (clusters made by hand may lack them).
ensure_primary_ready() {
    local wal_level senders slots restart=0
    IFS='|' read -r wal_level senders slots < <(primary_psql -c \
        "SELECT current_setting('wal_level'), current_setting('max_wal_senders'), current_setting('max_replication_slots')")
    if [ "$wal_level" = minimal ]; then
        log "the primary has wal_level = minimal: setting it to replica (restarts the primary)"
        primary_psql -c "ALTER SYSTEM SET wal_level = replica"
        restart=1
    fi
    if [ "$senders" -lt 2 ]; then
        log "the primary has max_wal_senders = $senders: setting it to 10 (restarts the primary)"
        primary_psql -c "ALTER SYSTEM SET max_wal_senders = 10"
        restart=1
    fi
    if [ "$slots" -lt 2 ]; then
        log "the primary has max_replication_slots = $slots: setting it to 10 (restarts the primary)"
        primary_psql -c "ALTER SYSTEM SET max_replication_slots = 10"
        restart=1
    fi
    if [ "$restart" = 1 ]; then
        "$ROOT/scripts/localdb.sh" stop
        "$ROOT/scripts/localdb.sh" start
    fi
    local hba
    hba="$(primary_psql -c "SELECT count(*) FROM pg_hba_file_rules
        WHERE error IS NULL AND 'replication' = ANY (database) AND type IN ('local', 'host')
          AND (type = 'local' OR address = '127.0.0.1')")"
    if [ "$hba" -lt 2 ]; then
        local file
        file="$(primary_psql -c 'SHOW hba_file')"
        log "adding replication lines for the unix socket and 127.0.0.1 to $file"
        # Before any other line: the first matching line decides.
        as_server_user sh -c 'f="$1"; { printf "%s\n" "# Added by scripts/standby.sh: streaming replication to the local standby." \
            "local   replication     all                                     trust" \
            "host    replication     all             127.0.0.1/32            trust"; cat -- "$f"; } >"$f.new" && mv -- "$f.new" "$f"' \
            sh "$file"
        primary_psql -c 'SELECT pg_reload_conf()' >/dev/null
    fi
}

drop_slot() {
    primary_psql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
        WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------- commands

wait_replayed() {
    local target i
    target="$(primary_psql -c 'SELECT pg_current_wal_lsn()')"
    for ((i = 1; i <= 600; i++)); do
        if [ "$(standby_psql -c "SELECT coalesce(pg_last_wal_replay_lsn() >= '$target', false)" 2>/dev/null)" = t ]; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 -- "$LOGFILE" >&2 || true
    die "the standby did not replay up to $target within 60 s"
}

cmd_start() {
    choose_port
    set_server_user
    set_bindir
    prepare_dirs
    printf '%s\n' "$PORT" >"$PORT_FILE"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        ensure_primary_ready
        drop_slot   # a slot left by a standby whose data is gone would pin WAL for nothing
        make_dir "$DATA" 0700
        log "copying the primary (port $PRIMARY_PORT) with pg_basebackup -R into $DATA"
        local out
        if ! out="$(as_server_user "$BINDIR/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$SUPERUSER" \
                -D "$DATA" -R -X stream -C -S "$SLOT" --checkpoint=fast --no-sync 2>&1)"; then
            printf '%s\n' "$out" >&2
            rm -rf -- "${DATA:?}"/* 2>/dev/null || true
            die "pg_basebackup failed"
        fi
        # The copy carries the primary's postgresql.conf and localdb.conf (its port and socket); these lines,
        # read last (postgresql.auto.conf), make it a hot standby of its own.
        local sock_q="${SOCKDIR//\'/\'\'}"
        as_server_user sh -c 'cat >>"$1"' sh "$DATA/postgresql.auto.conf" <<EOF
# Added by scripts/standby.sh: the local hot standby.
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock_q'
hot_standby = on
hot_standby_feedback = on
EOF
    fi
    if ! is_running; then
        log "starting the standby on port $PORT (socket dir $SOCKDIR)"
        local out
        if ! out="$(as_server_user "$BINDIR/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start 2>&1 9>&- 8>&-)"; then
            printf '%s\n' "$out" >&2
            tail -n 30 -- "$LOGFILE" >&2 || true
            die "could not start the standby"
        fi
    fi
    [ "$(standby_psql -c 'SELECT pg_is_in_recovery()')" = t ] || die "the server on port $PORT is not a standby"
    wait_replayed
    log "ready: hot standby of port $PRIMARY_PORT on port $PORT, replayed up to the primary's position"
}

# Whether this standby's server runs; sets its paths, server user and bindir on the way.
server_running() {
    choose_port
    set_paths
    [ -f "$DATA/PG_VERSION" ] || return 1
    set_server_user
    set_bindir
    is_running
}

cmd_stop() {
    if server_running; then
        as_server_user "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        log "stopped"
    fi
}

cmd_remove() {
    cmd_stop
    drop_slot
    # The data is a copy of the primary: the next start takes a fresh one.
    if [ -L "$BASE/data" ]; then
        rm -rf -- "$FALLBACK_BASE"
    fi
    rm -rf -- "$BASE"
    if [ -d "$SHORT_SOCKET_DIR" ] && [ ! -L "$SHORT_SOCKET_DIR" ]; then
        rm -rf -- "$SHORT_SOCKET_DIR"
    fi
}

cmd_status() {
    if server_running; then
        echo running
        return 0
    fi
    echo stopped
    return 3
}

cmd_env() {
    choose_port
    set_paths
    local uri="postgresql://$SUPERUSER@/$DBNAME?host=$SOCKDIR&port=$PORT"
    printf "export STANDBY_URI='%s'\n" "$uri"
    printf "export WDH_TEST_STANDBY_URI='%s'\n" "$uri"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    remove) cmd_remove ;;
    status) cmd_status ;;
    env) cmd_env ;;
    wait)
        choose_port
        set_paths
        wait_replayed
        ;;
    *)
        sed -n '3,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
