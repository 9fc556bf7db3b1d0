#!/usr/bin/env bash
# Regenerates benches/RESULTS.md: every stage bench on the demo catalog, 100,000 and 1,000,000
# generated products (1,000,000 with synthetic vectors for the semantic stages), the peers
# (tools/bench-peers.sh), the HTTP load (tools/bench-load.sh), the live sync
# (tools/bench-sync.sh) and the scale curve
# (tools/bench-scale.sh), then tools/bench_results.py writes the report with this machine's
# description and today's date. About an hour the first time (the catalogs, embeddings and
# graphs are built once under target/bench-data), about 40 minutes after.
#
#   bash tools/bench-results.sh
#   RESULTS_CATALOGS="demo 100000" bash tools/bench-results.sh   # without the million...
#   RESULTS_CATALOGS=1000000 RESULTS_APPEND=1 bash tools/bench-results.sh  # ...which comes later
#
# The demo-only benches run with `demo`; the peers and the HTTP load with `100000`; the scale
# curve's 10,000 and 100,000 with `100000`, its 1,000,000 with `1000000`. RESULTS_APPEND=1 keeps
# the figures of an earlier run and adds these.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
catalogs=${RESULTS_CATALOGS:-demo 100000 1000000}
# Criterion's sampling, shorter than its defaults: the percentile reports carry the targets.
criterion=(--warm-up-time 1 --measurement-time 3 --noplot)

bash tools/install-models.sh >/dev/null
cargo bench --no-run --quiet
has() { case " $catalogs " in *" $1 "*) return 0 ;; esac; return 1; }
if [ "${RESULTS_APPEND:-0}" != 1 ]; then
    rm -rf "$target/bench-report" "$target/bench-scale.jsonl"
fi
mkdir -p "$target/bench-report"
run() {
    local catalog=$1 bench=$2
    echo "== $bench on $catalog"
    VIVR_BENCH_PRODUCTS=$catalog cargo bench --quiet --bench "$bench" -- "${criterion[@]}" \
        >>"$target/bench-report/$bench.log" 2>&1 || {
        echo "$bench on $catalog failed; its output: $target/bench-report/$bench.log" >&2
        exit 1
    }
}
if has demo; then
    run demo analysis
    run demo mcp
    # 100,000 generated orders on the demo's products, whatever the catalogs.
    run demo analytics
fi
for catalog in $catalogs; do
    for bench in lexical filter knn fusion engine similar ingest; do
        run "$catalog" "$bench"
    done
    # The intent bench calls a fake Claude: its figures do not depend on the catalog's size.
    [ "$catalog" = 1000000 ] || run "$catalog" intent
done
if has 100000; then
    bash tools/bench-peers.sh
    bash tools/bench-load.sh
    bash tools/bench-sync.sh
fi
sizes=
has 100000 && sizes="10000 100000"
has 1000000 && sizes="$sizes 1000000"
[ -z "$sizes" ] || SCALE_APPEND=1 SCALE_SIZES=$sizes bash tools/bench-scale.sh
python3 tools/bench_results.py "$target" benches/RESULTS.md
echo "wrote benches/RESULTS.md"
