#!/usr/bin/env bash
# The live sync's costs against a real PostgreSQL 15 (a throwaway cluster, tools/lib/postgres.sh),
# with the release binary and without the embedding model (lexical generations: a price change
# never re-embeds, and embedding 100,000 passages is the reindex bench's business):
# - the initial sync of a catalog from PostgreSQL, against the NDJSON import of the same export
#   (each followed by its publish; the replica alone is the `sync`/`import` column);
# - a reconcile of the unchanged store (every row read again, nothing written);
# - end-to-end freshness: from a committed UPDATE of 100 products' prices to the new prices in
#   search results of a watching server (`serve --sync-from --sync-interval 1s`), without and
#   with the NOTIFY trigger (tools/storefront/triggers.sql), ROUNDS times each.
# Prints a markdown table and writes target/bench-sync.json.
#
#   bash tools/bench-sync.sh                       # the demo and 100,000 products
#   SYNC_SIZES=demo ROUNDS=5 bash tools/bench-sync.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
sizes=${SYNC_SIZES:-"demo 100000"}
rounds=${ROUNDS:-10}

source tools/lib/postgres.sh
pg_install || { echo "PostgreSQL 15 is not available: nothing measured"; exit 1; }
pg_start shared_buffers=1GB
trap pg_stop EXIT
cargo build --release --locked --quiet
bin=$target/release/vivr-search
results=$target/bench-sync.jsonl
: >"$results"

for size in $sizes; do
    if [ "$size" = demo ]; then
        export_dir=data/demo
    else
        export_dir=target/bench-data/$size-seed7/export
        if [ ! -f "$export_dir/products.ndjson" ]; then
            echo "== generating $size products"
            python3 tools/gen_catalog.py --products "$size" --seed 7 --out "$export_dir"
        fi
    fi
    work=$(mktemp -d)
    db="sync_$size"
    psql -q -d "$PG_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    url="${PG_URL%/*}/$db"
    echo "== $size: loading PostgreSQL"
    load_started=$(date +%s.%N)
    bash tools/storefront/load.sh "$url" "$export_dir" >/dev/null
    load_s=$(python3 -c "import time; print(time.time() - $load_started)")
    vivr() { RUST_LOG=warn VIVR_MODELS_DIR="$work/no-models" "$bin" "$@"; }

    echo "== $size: import and reindex, then the first sync"
    import_started=$(date +%s.%N)
    vivr --db "$work/import.db" --index-dir "$work/import-index" import "$export_dir" >/dev/null
    import_s=$(python3 -c "import time; print(time.time() - $import_started)")
    reindex_started=$(date +%s.%N)
    vivr --db "$work/import.db" --index-dir "$work/import-index" reindex >/dev/null
    reindex_s=$(python3 -c "import time; print(time.time() - $reindex_started)")
    sync_started=$(date +%s.%N)
    vivr --db "$work/sync.db" --index-dir "$work/sync-index" sync --once --json \
        --database-url "$url" >"$work/first.json"
    sync_total_s=$(python3 -c "import time; print(time.time() - $sync_started)")
    vivr --db "$work/sync.db" --index-dir "$work/sync-index" sync --once --reconcile --json \
        --database-url "$url" >"$work/reconcile.json"

    python3 - "$results" "$size" "$url" "$bin" "$work" "$rounds" "$load_s" "$import_s" \
        "$reindex_s" "$sync_total_s" <<'PY'
import json, os, statistics, subprocess, sys, time, urllib.request
(results, size, url, binary, work, rounds, load_s, import_s, reindex_s, sync_total_s) = sys.argv[1:]
rounds = int(rounds)
first = json.load(open(f"{work}/first.json"))
reconcile = json.load(open(f"{work}/reconcile.json"))
assert reconcile["published"] is None and not any(
    c["inserted"] + c["updated"] + c["deleted"]
    for k, c in reconcile["sync"]["report"].items() if isinstance(c, dict) and "inserted" in c), reconcile

def psql(sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)

def rows(sql):
    out = subprocess.run(["psql", "-At", "-F", "\t", "-d", url, "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]

# 100 products spread over the catalog; three of them are watched in search results.
products = rows('SELECT id, name FROM "Product" WHERE "deletedAt" IS NULL ORDER BY md5(id) LIMIT 100')
ids = [p[0] for p in products]
watched = [products[0], products[50], products[99]]

def search(base, q):
    body = json.dumps({"q": q, "limit": 20, "mode": "instant", "intent": False}).encode()
    request = urllib.request.Request(f"{base}/v1/search", body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)

def serve():
    env = dict(os.environ, RUST_LOG="warn", VIVR_MODELS_DIR=f"{work}/no-models")
    server = subprocess.Popen([binary, "--db", f"{work}/sync.db", "--index-dir", f"{work}/sync-index",
                               "serve", "--bind", "127.0.0.1:0", "--sync-from", url,
                               "--sync-interval", "1s"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    base = server.stdout.readline().strip().removeprefix("listening on ")
    return server, base

def freshness(triggers):
    server, base = serve()
    try:
        # Settled: the watcher's first sync (and LISTEN) done.
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                health = json.load(urllib.request.urlopen(f"{base}/health", timeout=5))
                if health.get("sync", {}).get("status") == "ok" and health["sync"]["triggers"] == triggers:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        time.sleep(1.5)
        took = []
        for r in range(rounds):
            cents = 1000 + r * 7 + (50 if triggers else 0)
            id_list = ",".join(f"'{i}'" for i in ids)
            psql(f'UPDATE "Product" SET price = {cents} + (abs(hashtext(id)) % 90), '
                 f'"updatedAt" = now() WHERE id IN ({id_list})')
            committed = time.time()
            expected = {pid: None for pid, _ in watched}
            want = {r2[0]: float(r2[1]) for r2 in rows(
                f'SELECT id, price FROM "Product" WHERE id IN ({",".join(repr(p) for p, _ in watched)})')}
            while True:
                seen = 0
                for pid, name in watched:
                    hits = search(base, name)["hits"]
                    if any(h["id"] == pid and abs(h["price"] - want[pid]) < 1e-6 for h in hits):
                        seen += 1
                if seen == len(watched):
                    took.append(time.time() - committed)
                    break
                if time.time() - committed > 120:
                    raise SystemExit(f"round {r}: prices not visible within 120 s")
                time.sleep(0.02)
            time.sleep(0.5)
        return took
    finally:
        server.terminate()
        server.wait()

plain = freshness(False)
psql("SELECT 1")
subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "tools/storefront/triggers.sql"],
               check=True, stdout=subprocess.DEVNULL)
notified = freshness(True)

def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

row = {
    "size": size,
    "products": first["sync"]["report"]["products"]["inserted"],
    "rows": first["sync"]["rowsRead"],
    "load_s": float(load_s),
    "import_s": float(import_s),
    "reindex_s": float(reindex_s),
    "sync_s": first["sync"]["tookMs"] / 1000,
    "sync_total_s": float(sync_total_s),
    "reconcile_s": reconcile["sync"]["tookMs"] / 1000,
    "fresh_p50_s": pct(plain, 0.5), "fresh_p90_s": pct(plain, 0.9),
    "notify_p50_s": pct(notified, 0.5), "notify_p90_s": pct(notified, 0.9),
    "rounds": rounds,
}
with open(results, "a") as f:
    f.write(json.dumps(row) + "\n")
print(json.dumps(row))
PY
    rm -rf "$work"
done

python3 - "$results" "$target/bench-sync.json" <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
cores = sum(1 for l in open("/proc/cpuinfo") if l.startswith("processor"))
json.dump({"date": str(datetime.date.today()), "cpu": cpu, "cores": cores, "rows": rows},
          open(sys.argv[2], "w"), indent=2)
print(f"\nLive sync, {cores} cores ({cpu}), {datetime.date.today()}, PostgreSQL 15, no embedding model\n")
print("| catalog | rows | NDJSON import | first sync (replica) | + publish | reconcile (unchanged) | 100 prices → search, 1 s interval: p50 / p90 | with NOTIFY: p50 / p90 |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['products']:,} products | {r['rows']:,} | {r['import_s']:.2f} s (+ reindex {r['reindex_s']:.2f} s) | "
          f"{r['sync_s']:.2f} s | {r['sync_total_s']:.2f} s | {r['reconcile_s']:.2f} s | "
          f"{r['fresh_p50_s']:.2f} / {r['fresh_p90_s']:.2f} s | {r['notify_p50_s']:.2f} / {r['notify_p90_s']:.2f} s |")
print(f"\n{rows[0]['rounds']} rounds per size; JSON: {sys.argv[2]}")
PY
