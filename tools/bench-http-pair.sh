#!/usr/bin/env bash
# Compares the instant-mode HTTP throughput of server binaries, result cache off. Every server
# is up at once, each on its own index and the same replica; wrk loads one at a time for a few
# seconds, in an order that rotates, over many iterations. Short alternating runs keep a slow
# minute of the host from landing on one binary only: separate 20-second rounds drift by ±15 %
# on this machine, more than a change saves. Prints, per connection count, each binary's
# requests/s over the first one's in every iteration and their median.
#
#   bash tools/bench-http-pair.sh DB before=BIN:INDEX_DIR after=BIN:INDEX_DIR [name=BIN:INDEX_DIR...]
#   PAIR_ITERATIONS=16 PAIR_SECONDS=6 PAIR_CONNECTIONS="16 64"   # the defaults
#
# Each binary needs an index it can read (an older binary, an older format: build one with that
# binary's `reindex`). The servers share DB's folder for their state database, which is removed
# at the end. Runs go to ${CARGO_TARGET_DIR:-target}/bench-http-pair.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
db=$1
shift
iterations=${PAIR_ITERATIONS:-16}
seconds=${PAIR_SECONDS:-6}
connections=${PAIR_CONNECTIONS:-16 64}
out=${CARGO_TARGET_DIR:-target}/bench-http-pair.txt
source tools/lib/serve.sh

names=() ports=() pids=()
stop_all() {
    [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -f "$(dirname "$db")"/state.db "$(dirname "$db")"/state.db-wal "$(dirname "$db")"/state.db-shm
}
trap stop_all EXIT
for spec in "$@"; do
    name=${spec%%=*} rest=${spec#*=}
    VIVR_RESULT_CACHE_ENTRIES=0 serve_index "${rest%%:*}" "$db" "${rest#*:}" \
        "${CARGO_TARGET_DIR:-target}/bench-http-pair-$name.log"
    pids+=("$server") names+=("$name") ports+=("$port")
    MODE=instant wrk -t2 -c16 -d5s -s tools/load/search.lua "http://127.0.0.1:$port" >/dev/null
done

: >"$out"
n=${#names[@]}
for it in $(seq "$iterations"); do
    for c in $connections; do
        for k in $(seq 0 $((n - 1))); do
            j=$(((k + it) % n))
            line=$(MODE=instant wrk -t2 -c"$c" -d"${seconds}s" --timeout 10s \
                -s tools/load/search.lua "http://127.0.0.1:${ports[$j]}" | tail -1)
            echo "$it ${names[$j]} $c $line" | tee -a "$out"
        done
    done
done

python3 - "$out" "${names[@]}" <<'PY'
import json, statistics, sys
from collections import defaultdict
path, names = sys.argv[1], sys.argv[2:]
runs = defaultdict(dict)
for line in open(path):
    it, name, c, report = line.split(" ", 3)
    report = json.loads(report)
    if report["non_2xx"] or report["socket_errors"]:
        sys.exit(f"errors in iteration {it} of {name} at {c} connections: {report}")
    runs[(int(c), int(it))][name] = report["rps"]
for c in sorted({c for c, _ in runs}):
    iterations = [v for (cc, _), v in sorted(runs.items()) if cc == c]
    for name in names[1:]:
        ratios = [v[name] / v[names[0]] for v in iterations]
        print(f"{c} connections, {name} / {names[0]}: median {statistics.median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f}, {len(ratios)} iterations)")
    for name in names:
        rps = [v[name] for v in iterations]
        print(f"{c} connections, {name}: {min(rps):,.0f}-{max(rps):,.0f} req/s")
PY
