# Sourced by tools/mcp-check.sh, tools/e2e.sh and tools/bench-load.sh: serves an index on a free
# loopback port for the script's checks and stops it when the script exits.
#
#   serve_index BIN DB INDEX_DIR LOG   # sets $port and $server (the server's own pid)
#   free_port                          # prints a free loopback port (to choose it beforehand,
#                                      # e.g. for VIVR_PUBLIC_URL): set port=... and SERVE_PORT=1
#   trap stop_server EXIT              # or, with a temp folder:
#   use_work_dir                       # sets $work; on exit stops the server and removes it

server=

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

serve_index() {
    local bin=$1 db=$2 index_dir=$3 log=$4
    [ -n "${SERVE_PORT:-}" ] || port=$(free_port)
    # The binary itself in the background, so that $! is its pid (to stop it and read its RSS).
    RUST_LOG=warn "$bin" --db "$db" --index-dir "$index_dir" serve --bind "127.0.0.1:$port" \
        >/dev/null 2>"$log" &
    server=$!
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "the server did not start within 30 s; its log: $log" >&2
    return 1
}

stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=
    fi
}

# A temp folder in $work, removed (and the server stopped) when the script exits, keeping the
# script's exit status.
use_work_dir() {
    work=$(mktemp -d)
    trap 'status=$?; stop_server; rm -rf "$work"; exit $status' EXIT
}
