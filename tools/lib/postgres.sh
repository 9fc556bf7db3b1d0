# Sourced by tools/bench-peers.sh and the storefront tests: a throwaway PostgreSQL 15 cluster in
# a temp folder, listening on a free loopback port only (and on a unix socket in that folder).
# initdb refuses to run as root: when we are root, the folder belongs to the postgres user and
# every server command runs as that user.
#
#   source tools/lib/postgres.sh
#   pg_install || { echo "skipped: PostgreSQL 15 is not installed and could not be"; exit 0; }
#   pg_start [NAME=VALUE...]     # each argument becomes a -c option (fsync=off, work_mem=16MB)
#   trap pg_stop EXIT            # stops the server (fast) and removes the folder
#   psql "$PG_URL" -c 'SELECT 1'
#
# pg_start exports PG_BIN, PG_DIR, PG_PORT, PG_PID (the postmaster's pid), PG_OPTS (the server
# options, to restart with the same ones) and PG_URL (postgres://postgres@127.0.0.1:$PG_PORT/postgres,
# no password: the cluster trusts local connections). To stop and restart the same cluster on
# the same port (PG_PID is read again after each pg_ctl_as call):
#
#   pg_ctl_as stop -m fast
#   pg_ctl_as start -w -l "$PG_DIR/log" -o "$PG_OPTS"
#
# Every function returns non-zero on failure rather than exiting, so a caller may test it.

# Kept when already set (exported by a parent script that started the cluster).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=${PG_DIR:-}
PG_PORT=${PG_PORT:-}
PG_PID=${PG_PID:-}
PG_OPTS=${PG_OPTS:-}
PG_URL=${PG_URL:-}

# Runs a command as the postgres user when we are root, as ourselves otherwise.
_pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Installs PostgreSQL 15 from Debian's packages when it is missing (apt-get update first when
# the package lists are too old to know it). Non-zero, with one line on stderr, if it cannot.
pg_install() {
    [ -x "$PG_BIN/postgres" ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "PostgreSQL 15 is not installed ($PG_BIN/postgres) and this user cannot apt-get it" >&2
        return 1
    fi
    echo "== installing PostgreSQL 15 (Debian packages)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/dev/null 2>&1; then
        apt-get update -q >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/dev/null 2>&1 || true
    fi
    if [ ! -x "$PG_BIN/postgres" ]; then
        echo "PostgreSQL 15 could not be installed (apt-get install postgresql-15 failed)" >&2
        return 1
    fi
}

# pg_ctl on this cluster, as the right user: pg_ctl_as stop -m fast, pg_ctl_as status...
pg_ctl_as() {
    [ -n "$PG_DIR" ] || { echo "pg_ctl_as: no cluster (pg_start first)" >&2; return 1; }
    local status=0
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" "$@" || status=$?
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
    else
        PG_PID=
    fi
    export PG_PID
    return $status
}

pg_start() {
    pg_install || return 1
    if [ -n "$PG_DIR" ]; then
        echo "pg_start: a cluster is already running in $PG_DIR (pg_stop first)" >&2
        return 1
    fi
    PG_DIR=$(mktemp -d) || return 1
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$PG_DIR" || { pg_stop; return 1; }
    fi
    PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
        { pg_stop; return 1; }
    if ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1; then
        echo "initdb failed:" >&2
        cat "$PG_DIR/initdb.log" >&2
        pg_stop
        return 1
    fi
    PG_OPTS="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR"
    local option
    for option in "$@"; do PG_OPTS+=" -c $option"; done
    if ! pg_ctl_as start -w -l "$PG_DIR/log" -o "$PG_OPTS" >/dev/null; then
        echo "PostgreSQL did not start; its log:" >&2
        cat "$PG_DIR/log" >&2 2>/dev/null || true
        pg_stop
        return 1
    fi
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    export PG_BIN PG_DIR PG_PORT PG_PID PG_OPTS PG_URL
}

# Stops the server (fast: open sessions are ended) and removes its folder. Safe to call twice,
# or when pg_start failed midway.
pg_stop() {
    if [ -n "$PG_DIR" ]; then
        if [ -f "$PG_DIR/data/postmaster.pid" ]; then
            _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PG_DIR"
    fi
    PG_DIR= PG_PORT= PG_PID= PG_OPTS= PG_URL=
}
