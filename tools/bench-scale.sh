#!/usr/bin/env bash
# The scale curve: 10,000, 100,000 and 1,000,000 generated products (benches/scale.rs, one size
# per process): build time, size on disk, serving memory, lexical p50/p99. Prints a markdown
# table and writes target/bench-scale.json.
#
#   bash tools/bench-scale.sh
#   SCALE_SIZES="10000 100000" bash tools/bench-scale.sh
#   SCALE_APPEND=1 SCALE_SIZES=1000000 bash tools/bench-scale.sh   # add to an earlier run
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
sizes=${SCALE_SIZES:-10000 100000 1000000}

results=$target/bench-scale.jsonl
[ "${SCALE_APPEND:-0}" = 1 ] || : >"$results"
for n in $sizes; do
    echo "== $n products"
    VIVR_BENCH_PRODUCTS=$n cargo bench --quiet --bench scale | grep '^{' >/dev/null
done

python3 - "$results" "$target/bench-scale.json" <<'PY'
import datetime, json, sys
# The last run of each size, smallest first.
rows = sorted({r["products"]: r for r in (json.loads(l) for l in open(sys.argv[1]) if l.strip())}.values(),
              key=lambda r: r["products"])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
cores = sum(1 for l in open("/proc/cpuinfo") if l.startswith("processor"))
json.dump({"date": str(datetime.date.today()), "cpu": cpu, "cores": cores, "sizes": rows},
          open(sys.argv[2], "w"), indent=2)
print(f"\nScale curve, {cores} cores ({cpu}), {datetime.date.today()}: fresh build from the export, "
      "lexical search over core/benches/query-mix.txt (facets and highlights on, in-process)\n")
print("| products | import | text index | replica | index | RSS serving | p50 | p99 | max |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['products']:,} | {r['import_s']:.1f} s | {r['reindex_s']:.1f} s | {r['replica_mib']:,.0f} MiB | "
          f"{r['index_mib']:,.0f} MiB | {r['rss_serving_mib']:,.0f} MiB | {r['p50_ms']:.2f} ms | "
          f"{r['p99_ms']:.2f} ms | {r['max_ms']:.2f} ms |")
print(f"\nJSON: {sys.argv[2]}")
PY
