#!/usr/bin/env bash
# Regenerates benches/RESULTS.md: every stage bench on the demo catalog, 100,000 and 1,000,000
# generated products (1,000,000 with synthetic vectors for the semantic stages), the peers
# (tools/bench-peers.sh), the HTTP load (tools/bench-load.sh) and the scale curve
# (tools/bench-scale.sh), then tools/bench_results.py writes the report with this machine's
# description and today's date. About an hour the first time (the catalogs, embeddings and
# graphs are built once under target/bench-data), about 40 minutes after.
#
#   bash tools/bench-results.sh
#   RESULTS_CATALOGS="demo 100000" bash tools/bench-results.sh   # skip the million
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
catalogs=${RESULTS_CATALOGS:-demo 100000 1000000}
# Criterion's sampling, shorter than its defaults: the percentile reports carry the targets.
criterion=(--warm-up-time 1 --measurement-time 3 --noplot)

bash tools/install-models.sh >/dev/null
cargo bench --no-run --quiet
rm -rf "$target/bench-report"
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
run demo analysis
run demo mcp
for catalog in $catalogs; do
    for bench in lexical filter knn fusion engine similar ingest; do
        run "$catalog" "$bench"
    done
    # The intent bench calls a fake Claude: its figures do not depend on the catalog's size.
    [ "$catalog" = 1000000 ] || run "$catalog" intent
done
bash tools/bench-peers.sh
bash tools/bench-load.sh
sizes="10000 100000"
case " $catalogs " in *" 1000000 "*) sizes="$sizes 1000000" ;; esac
SCALE_SIZES=$sizes bash tools/bench-scale.sh
python3 tools/bench_results.py "$target" benches/RESULTS.md
echo "wrote benches/RESULTS.md"
