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
target=$(realpath "${CARGO_TARGET_DIR:-target}")
source tools/lib/postgres.sh

pg_install
cargo build --release --locked --quiet
cargo bench --bench peers --no-run --quiet 2>/dev/null

# A cluster of our own in a temp folder (tools/lib/postgres.sh), listening on a free loopback
# port only. Defaults but the memory a 24 GiB machine would give it; fsync off only speeds the
# load.
trap pg_stop EXIT
pg_start shared_buffers=1GB work_mem=16MB effective_cache_size=8GB fsync=off
pg_port=$PG_PORT
pg_pid=$PG_PID
pg_version=$("$PG_BIN/postgres" --version)

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
