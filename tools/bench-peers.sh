#!/usr/bin/env bash
# This engine beside PostgreSQL 15 full-text search (+ pg_trgm) and SQLite FTS5, on the same
# generated catalog and the same French query mix (benches/peers.rs has the details). Installs
# PostgreSQL 15 from Debian's packages when missing, starts a throwaway cluster on loopback,
# runs each peer in its own process, prints a markdown table and writes target/bench-peers.json.
#
#   bash tools/bench-peers.sh                        # 100,000 products
#   VIVR_BENCH_PRODUCTS=demo PEERS_SECONDS=3 bash tools/bench-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
pg_bin=/usr/lib/postgresql/15/bin

if [ ! -x "$pg_bin/postgres" ]; then
    echo "== installing PostgreSQL 15 (Debian packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >/dev/null
fi
cargo build --release --locked --quiet
cargo bench --bench peers --no-run --quiet 2>/dev/null

# A cluster of our own in a temp folder, owned by the postgres user when we are root (initdb
# refuses to run as root), listening on a free loopback port only.
pg_dir=$(mktemp -d)
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
stop_pg() {
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap stop_pg EXIT
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >/dev/null
# Defaults but the memory a 24 GiB machine would give it; fsync off only speeds the load.
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start -o \
    "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c shared_buffers=1GB -c work_mem=16MB -c effective_cache_size=8GB -c fsync=off" >/dev/null
pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
pg_version=$("$pg_bin/postgres" --version)

results=$target/bench-peers.jsonl
: >"$results"
for peer in engine http fts5 postgres; do
    echo "== $peer"
    VIVR_BIN=$target/release/vivr-search VIVR_PEERS_PG="host=127.0.0.1 port=$pg_port user=postgres" \
        VIVR_PEERS_PG_PID=$pg_pid cargo bench --quiet --bench peers -- "$peer" | grep '^{' >/dev/null
done

python3 - "$results" "$target/bench-peers.json" "$pg_version" <<'PY'
import datetime, json, platform, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
cores = sum(1 for l in open("/proc/cpuinfo") if l.startswith("processor"))
report = {"date": str(datetime.date.today()), "cpu": cpu, "cores": cores,
          "postgres": sys.argv[3], "peers": rows}
json.dump(report, open(sys.argv[2], "w"), indent=2)
names = {"engine": "vivr-search, in-process", "http": "vivr-search, HTTP",
         "fts5": "SQLite FTS5", "postgres": "PostgreSQL FTS + pg_trgm"}
by = {r["peer"]: r for r in rows}
print(f"\nPeers on {rows[0]['catalog']} products, {cores} cores ({cpu}), {report['date']}; "
      f"{rows[0]['mix']} queries of core/benches/query-mix.txt, {rows[0]['misspelled']} of core/benches/misspelled.txt; "
      f"{sys.argv[3]}\n")
print("| peer | p50 | p99 | queries/s (2 clients) | build | on disk | memory (PSS) | zero results, misspelled | p50 vs vivr-search |")
print("|---|---|---|---|---|---|---|---|---|")
base = by.get("engine", {}).get("p50_ms")
for r in rows:
    build = "(engine build)" if r["build_s"] is None else f"{r['build_s']:.1f} s"
    ratio = f"{r['p50_ms'] / base:.1f}×" if base else "?"
    print(f"| {names[r['peer']]} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['qps']:,.0f} | {build} | "
          f"{r['disk_mib']:.0f} MiB | {r['memory_mib']:.0f} MiB | {r['zero_rate']:.1%} ({r['misspelled_zero']}/{r['misspelled']}) | {ratio} |")
print(f"\nJSON: {sys.argv[2]}")
PY
