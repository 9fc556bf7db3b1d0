#!/usr/bin/env bash
# HTTP load with wrk (Debian package): POST /v1/search with the French query mix of
# core/benches/query-mix.txt in `instant` and `full` mode, then the routes that read the SQLite
# replica (GET /v1/products/{id} over every product, GET /v1/categories), `full` searches
# with Claude on (`claude`: a local fake of the Messages API, tools/load/fake_claude.py, answers
# the warm-up; the measured run is served from Claude's cache and writes its call log), and
# `instant` searches with the result cache off (`uncached`: what every search costs, where
# `instant` mostly measures the cache), 16 and 64 connections, 30 s each, against the release
# server on the generated bench catalog (the one `cargo bench` uses, with vectors).
# Prints a markdown table (throughput, p50/p99/max latency, errors, server RSS before and
# after) and writes target/bench-load.json.
#
#   bash tools/bench-load.sh                     # 100,000 products
#   VIVR_BENCH_PRODUCTS=2400 LOAD_SECONDS=10 bash tools/bench-load.sh
#   LOAD_MODES="product claude" VIVR_LOAD_BIN=/tmp/old/vivr-search bash tools/bench-load.sh
#                                                # some modes, against another build (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
products=${VIVR_BENCH_PRODUCTS:-100000}
seconds=${LOAD_SECONDS:-30}
target=${CARGO_TARGET_DIR:-target}
dir=target/bench-data/$products-seed7

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
fi
bash tools/install-models.sh >/dev/null
if [ -n "${VIVR_LOAD_BIN:-}" ]; then
    bin=$VIVR_LOAD_BIN
else
    cargo build --release --locked --quiet
    bin=$target/release/vivr-search
fi
vivr() { RUST_LOG=warn "$bin" --db "$dir/catalog.db" --index-dir "$dir/index" "$@"; }

if [ ! -f "$dir/export/products.ndjson" ]; then
    echo "== generating $products products"
    python3 tools/gen_catalog.py --products "$products" --seed 7 --out "$dir/export"
fi
has_vectors() {
    python3 - "$dir/index" <<'PY'
import json, os, sys
try:
    live = os.path.realpath(os.path.join(sys.argv[1], "current"))
    sys.exit(0 if json.load(open(os.path.join(live, "manifest.json"))).get("vectors") else 1)
except OSError:
    sys.exit(1)
PY
}
modes=${LOAD_MODES:-instant full product categories claude uncached}
# Only full searches read vectors: the other modes measure any generation (embedding 100,000
# products takes an hour).
case " $modes " in
*" full "* | *" claude "*) needs_vectors=1 ;;
*) needs_vectors= ;;
esac
# A generation this binary cannot read (an older format) is rebuilt too.
if { [ -n "$needs_vectors" ] && ! has_vectors; } || ! vivr search --mode instant canapé >/dev/null 2>&1; then
    echo "== importing and indexing with the model (embeddings come from the replica's cache after the first time)"
    vivr import "$dir/export" >/dev/null
    vivr reindex
fi

source tools/lib/serve.sh
fake_claude=
stop_all() {
    stop_server
    [ -z "$fake_claude" ] || kill "$fake_claude" 2>/dev/null || true
}
trap stop_all EXIT
serve_index "$bin" "$dir/catalog.db" "$dir/index" "$target/bench-load-serve.log"
rss() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }

results=$target/bench-load.jsonl
: >"$results"
python3 - "$dir/catalog.db" >"$target/bench-load-ids.txt" <<'PY'
import sqlite3, sys
for (i,) in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM products ORDER BY id"):
    print(i)
PY
export IDS=$target/bench-load-ids.txt
# mode: a search mode (search.lua), a replica route (replica.lua), `claude` (full searches,
# Claude's answers from its cache) or `uncached` (instant searches, no result cache).
for mode in $modes; do
    script=tools/load/search.lua
    search_mode=$mode
    case $mode in product | categories) script=tools/load/replica.lua ;; esac
    if [ "$mode" = claude ]; then
        # The same server, with Claude on and its base URL on the local fake.
        stop_server
        fake_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        python3 tools/load/fake_claude.py "$fake_port" &
        fake_claude=$!
        ANTHROPIC_API_KEY=load-test ANTHROPIC_BASE_URL=http://127.0.0.1:$fake_port \
            AI_RATE_LIMIT_REQUESTS=1000000 \
            serve_index "$bin" "$dir/catalog.db" "$dir/index" "$target/bench-load-serve.log"
        search_mode=full
    fi
    if [ "$mode" = uncached ]; then
        # The same server, without Claude and with the result cache off.
        stop_server
        VIVR_RESULT_CACHE_ENTRIES=0 \
            serve_index "$bin" "$dir/catalog.db" "$dir/index" "$target/bench-load-serve.log"
        search_mode=instant
    fi
    # Warm-up: query vectors, caches (Claude's too) and page cache, as a running server has them.
    MODE=$search_mode ROUTE=$mode wrk -t2 -c16 -d5s -s "$script" "http://127.0.0.1:$port" >/dev/null
    for connections in 16 64; do
        before=$(rss)
        line=$(MODE=$search_mode ROUTE=$mode wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
            -s "$script" "http://127.0.0.1:$port" | grep '^{')
        after=$(rss)
        echo "$line" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
r.update(mode=sys.argv[1], connections=int(sys.argv[2]), rss_before_mib=int(sys.argv[3]),
         rss_after_mib=int(sys.argv[4]), products=int(sys.argv[5]))
print(json.dumps(r))' "$mode" "$connections" "$before" "$after" "$products" >>"$results"
    done
done
python3 - "$results" "$target/bench-load.json" "$products" "$(nproc)" <<'PY'
import json, sys, datetime, platform
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump(rows, open(sys.argv[2], "w"), indent=2)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"\nHTTP load (POST /v1/search by mode, GET /v1/products/{{id}}, GET /v1/categories, full searches with Claude's answers cached, instant searches with the result cache off), {int(sys.argv[3]):,} products, {sys.argv[4]} cores ({cpu}), "
      f"{datetime.date.today()}, wrk -t2, query mix core/benches/query-mix.txt\n")
print("| mode or route | connections | requests/s | p50 | p99 | max | errors | server RSS before → after |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    errors = r["non_2xx"] + r["socket_errors"]
    print(f"| {r['mode']} | {r['connections']} | {r['rps']:,.0f} | {r['p50_ms']:.2f} ms | "
          f"{r['p99_ms']:.2f} ms | {r['max_ms']:.1f} ms | {errors} | "
          f"{r['rss_before_mib']} → {r['rss_after_mib']} MiB |")
print(f"\nJSON: {sys.argv[2]}")
PY
