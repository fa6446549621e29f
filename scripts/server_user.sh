# shellcheck shell=bash
# Sourced by scripts/localdb.sh and scripts/standby.sh, after they define die() and SERVER_USER: running things
# as the OS user that runs PostgreSQL (which refuses root), and the directories that user owns.

# as_server_user CMD...: run a command as the server's OS user. We cd to / in
# a subshell first, because the user may not be allowed into the current
# directory (PostgreSQL tools complain about that).
as_server_user() {
    if [ "$EUID" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u "$SERVER_USER" -- "$@")
    else
        (cd / && setpriv --reuid="$SERVER_USER" --regid="$(id -g "$SERVER_USER")" \
            --init-groups -- "$@")
    fi
}

# make_dir DIR MODE: create DIR (if needed) owned by the server user, with
# MODE. Refuses symlinks, since these dirs may live in world-writable /tmp.
make_dir() {
    local dir="$1" mode="$2"
    [ ! -L "$dir" ] || die "$dir is a symlink, refusing to use it"
    mkdir -p -- "$dir"
    if [ "$EUID" -eq 0 ]; then
        chown "$SERVER_USER:" "$dir"
    else
        [ -O "$dir" ] || die "$dir exists but belongs to another user"
    fi
    chmod "$mode" "$dir"
}
