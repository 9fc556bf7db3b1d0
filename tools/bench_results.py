#!/usr/bin/env python3
"""Writes benches/RESULTS.md from what tools/bench-results.sh measured:

- target/bench-report/<bench>.jsonl: the benches' percentile and value reports;
- target/criterion/*/*/new/{benchmark,estimates}.json: criterion's estimates;
- target/bench-peers.json, target/bench-load.json, target/bench-scale.json.

Usage: bench_results.py TARGET_DIR OUT.md
"""

import datetime
import glob
import json
import os
import platform
import subprocess
import sys

STAGES = ["analysis", "lexical", "filter", "knn", "fusion", "intent", "engine", "similar",
          "ingest", "mcp", "analytics"]
TITLES = {
    "analysis": "French analysis",
    "lexical": "Lexical search (instant mode: exact, typo, prefix; facets on and off)",
    "filter": "Filters and sorting",
    "knn": "HNSW k-NN and filtered k-NN",
    "fusion": "Fusion of the lexical and semantic lists",
    "intent": "Intent parsing, suggestions, and what Claude adds (local fake of the Messages API)",
    "engine": "The whole Engine query, instant and full mode",
    "similar": "Similar products and recommendations",
    "ingest": "Import and reindex throughput",
    "mcp": "MCP tools/call over HTTP",
    "analytics": "Analytics tools over HTTP, the forecast, event ingestion (100,000 orders)",
}


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    cores = sum(1 for l in open("/proc/cpuinfo") if l.startswith("processor"))
    mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    os_name = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release")
                    if l.startswith("PRETTY_NAME")), platform.system())
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{cores} cores ({cpu}), {mem_kb / 1048576:.0f} GiB RAM, no GPU; {os_name}, "
            f"Linux {platform.release()}; {rustc}")


def fmt_ms(x):
    if x < 0.1:
        return f"{x * 1000:.1f} µs"
    return f"{x:.3f} ms" if x < 1 else f"{x:.2f} ms"


def fmt_value(r):
    v, unit = r["value"], r["unit"]
    return f"{v:,.0f} {unit}" if v >= 100 else f"{v:.1f} {unit}"


def reports(target):
    """{bench: [records]} in file order."""
    out = {}
    for bench in STAGES:
        path = os.path.join(target, "bench-report", f"{bench}.jsonl")
        if os.path.exists(path):
            out[bench] = [json.loads(l) for l in open(path) if l.strip()]
    return out


def catalogs_of(records):
    seen = []
    for r in records:
        if r["catalog"] not in seen:
            seen.append(r["catalog"])
    return seen


def stage_table(records):
    catalogs = catalogs_of(records)
    whats = []
    for r in records:
        if r["what"] not in whats:
            whats.append(r["what"])
    cell = {(r["what"], r["catalog"]): r for r in records}
    lines = ["| measure | " + " | ".join(catalogs) + " |", "|---|" + "---|" * len(catalogs)]
    for what in whats:
        cells = []
        for c in catalogs:
            r = cell.get((what, c))
            if r is None:
                cells.append("")
            elif "p50_ms" in r:
                cells.append(f"p50 {fmt_ms(r['p50_ms'])}, p99 {fmt_ms(r['p99_ms'])}")
            else:
                cells.append(fmt_value(r))
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    return lines


def criterion_table(target):
    rows = {}
    for bench_json in glob.glob(os.path.join(target, "criterion", "*", "*", "new", "benchmark.json")):
        meta = load_json(bench_json)
        est = load_json(os.path.join(os.path.dirname(bench_json), "estimates.json"))
        if not meta or not est or "/" not in meta["group_id"]:
            continue
        stage, catalog = meta["group_id"].split("/", 1)
        if stage not in STAGES:
            continue  # left by a bench that no longer exists
        rows.setdefault((stage, meta["function_id"]), {})[catalog] = est["mean"]["point_estimate"]
    catalogs = ["demo", "100000", "1000000"]
    lines = ["| bench | " + " | ".join(catalogs) + " |", "|---|" + "---|" * len(catalogs)]
    order = {s: i for i, s in enumerate(STAGES)}
    for (stage, function) in sorted(rows, key=lambda k: (order.get(k[0], 99), k[1])):
        cells = []
        for c in catalogs:
            ns = rows[(stage, function)].get(c)
            cells.append("" if ns is None else
                         f"{ns / 1e3:.1f} µs" if ns < 1e6 else
                         f"{ns / 1e6:.2f} ms" if ns < 1e9 else f"{ns / 1e9:.2f} s")
        lines.append(f"| {stage}/{function} | " + " | ".join(cells) + " |")
    return lines


def find(records, bench, catalog_prefix, what_prefix):
    """The latest record that matches (a bench run again adds lines)."""
    for r in reversed(records.get(bench, [])):
        catalog = r["catalog"]
        if (catalog == catalog_prefix or catalog.startswith(catalog_prefix + " ")) \
                and r["what"].startswith(what_prefix):
            return r
    return None


def find_exact(records, bench, catalog_prefix, what):
    """The latest record of exactly that measure (a longer measure may start with its name)."""
    for r in reversed(records.get(bench, [])):
        catalog = r["catalog"]
        if (catalog == catalog_prefix or catalog.startswith(catalog_prefix + " ")) \
                and r["what"] == what:
            return r
    return None


def before_after(recs, load, before):
    """The rows issue 21 set targets for: the figures it started from (benches/before-21.json)
    beside this run's."""
    md = ["## Second round of performance (issue 21): before and after", "",
          f"*Before*: {before['source']}. *After*: this run.", "",
          "| measure | before | after | target | |", "|---|---|---|---|---|"]
    for row in before["rows"]:
        after, ok = "", None
        if "load" in row and load:
            rps = [r["rps"] for r in load if r["mode"] == row["load"]]
            if rps:
                after = " / ".join(f"{x:,.0f}" for x in rps) + " req/s"
                if "at_least" in row:
                    ok = min(rps) >= row["at_least"]
        elif "bench" in row:
            r = find_exact(recs, row["bench"], row["catalog"], row["what"])
            if r:
                values = [r[f] for f in row["fields"]]
                if row["fields"] == ["value"]:
                    after = fmt_value(r)
                else:
                    after = " / ".join(fmt_ms(v) for v in values)
                if "at_most" in row:
                    ok = all(v <= limit for v, limit in zip(values, row["at_most"]))
                elif "at_least" in row:
                    ok = all(v >= row["at_least"] for v in values)
        else:
            after = row.get("elsewhere", "")
        mark = "" if ok is None else verdict(ok)
        md.append(f"| {row['measure']} | {row['before']} | {after} | {row['target']} | {mark} |")
    return md + [""]


def verdict(ok):
    return "met" if ok else "**missed**"


def targets(recs, peers, load, scale):
    lines = ["| target | measured | |", "|---|---|---|"]
    lex = find(recs, "lexical", "100000", "query mix (48 queries x 20), facets on")
    lex_off = find(recs, "lexical", "100000", "query mix (48 queries x 20), facets off")
    if lex:
        lines.append(
            f"| 100k lexical in-process: p50 ≤ 1 ms, p99 ≤ 5 ms | p50 {fmt_ms(lex['p50_ms'])}, "
            f"p99 {fmt_ms(lex['p99_ms'])} (facets on); p50 {fmt_ms(lex_off['p50_ms'])}, "
            f"p99 {fmt_ms(lex_off['p99_ms'])} (facets off) | "
            f"{verdict(lex['p50_ms'] <= 1 and lex['p99_ms'] <= 5)} |")
    full = find(recs, "engine", "100000", "full mode, paraphrases, uncached")
    if full:
        lines.append(f"| 100k full hybrid, uncached query embedding: p50 ≤ 20 ms | "
                     f"p50 {fmt_ms(full['p50_ms'])}, p99 {fmt_ms(full['p99_ms'])} | "
                     f"{verdict(full['p50_ms'] <= 20)} |")
    if peers:
        by = {p["peer"]: p for p in peers["peers"]}
        if "engine" in by and "postgres" in by:
            e, pg = by["engine"], by["postgres"]
            ratio = pg["p50_ms"] / e["p50_ms"]
            lines.append(
                f"| ≥ 5× faster than PostgreSQL FTS + pg_trgm at p50, fewer zero results on "
                f"misspellings | {ratio:.1f}× ({fmt_ms(e['p50_ms'])} vs {fmt_ms(pg['p50_ms'])}); "
                f"zero results {e['zero_rate']:.1%} vs {pg['zero_rate']:.1%} | "
                f"{verdict(ratio >= 5 and e['zero_rate'] < pg['zero_rate'])} |")
    if load:
        instant = [r for r in load if r["mode"] == "instant"]
        if instant:
            best = max(r["rps"] for r in instant)
            errors = sum(r["non_2xx"] + r["socket_errors"] for r in load)
            lines.append(f"| HTTP instant mode: ≥ 3,000 queries/s on 2 cores, 0 errors | "
                         f"{best:,.0f} queries/s (wrk on the same cores), {errors} errors | "
                         f"{verdict(best >= 3000 and errors == 0)} |")
    million = find(recs, "lexical", "1000000", "query mix (48 queries x 20), facets on")
    if million:
        lines.append(f"| 1M lexical: p99 ≤ 20 ms | p99 {fmt_ms(million['p99_ms'])} "
                     f"(p50 {fmt_ms(million['p50_ms'])}), facets on | "
                     f"{verdict(million['p99_ms'] <= 20)} |")
    return lines


def sync_section(sync):
    """The live sync's section (tools/bench-sync.sh)."""
    md = ["## Live sync from PostgreSQL (`tools/bench-sync.sh`)", "",
          "PostgreSQL 15 on the same 2 cores, filled by `tools/storefront/load.sh`; the release "
          "binary without the embedding model (lexical generations). *First sync*: `sync --once` "
          "into an empty replica (reading and applying every row; *+ publish*: the whole command, "
          "the first generation built whole included), beside `import` and `reindex` of the same "
          "export. *Reconcile*: every row read again from the unchanged store, nothing written. "
          "*Freshness*: from a committed `UPDATE` of 100 products' prices to the new prices of "
          "three of them in `POST /v1/search` answers of a `serve --sync-from --sync-interval 1s` "
          "(the next generation built from the live one), without and with the `NOTIFY` trigger.",
          "",
          "| catalog | rows | NDJSON import (+ reindex) | first sync: replica (+ publish) | reconcile | "
          "freshness, 1 s interval: p50 / p90 | with NOTIFY: p50 / p90 |",
          "|---|---|---|---|---|---|---|"]
    for r in sync["rows"]:
        md.append(f"| {r['products']:,} products | {r['rows']:,} | {r['import_s']:.2f} s "
                  f"(+ {r['reindex_s']:.2f} s) | {r['sync_s']:.2f} s ({r['sync_total_s']:.2f} s) | "
                  f"{r['reconcile_s']:.2f} s | {r['fresh_p50_s']:.2f} / {r['fresh_p90_s']:.2f} s | "
                  f"{r['notify_p50_s']:.2f} / {r['notify_p90_s']:.2f} s |")
    md += ["", f"{sync['rows'][0]['rounds']} rounds per size, {sync['date']}.", ""]
    return md


def main():
    target, out = sys.argv[1], sys.argv[2]
    recs = reports(target)
    peers = load_json(os.path.join(target, "bench-peers.json"))
    load = load_json(os.path.join(target, "bench-load.json"))
    scale = load_json(os.path.join(target, "bench-scale.json"))
    sync = load_json(os.path.join(target, "bench-sync.json"))
    md = [
        "# Benchmark results",
        "",
        f"Generated by `bash tools/bench-results.sh` on {datetime.date.today()}, on {machine()}.",
        "Every figure below comes from that one run on that one machine; ratios between peers",
        "hold for this machine only. Percentiles come from the benches' own timed loops (each",
        "call checks its result); the criterion table gives means. Catalogs: `demo` is",
        "`data/demo`; the others are generated by `tools/gen_catalog.py` (seed 7). Semantic",
        "stages use multilingual-e5-small vectors, except on 1,000,000 products, where they use",
        "the synthetic vectors of `core/benches/fixture.rs` (marked *synthetic vectors*): embedding a",
        "million products with the real model would take about ten hours on 2 cores.",
        "",
        "## Targets",
        "",
        *targets(recs, peers, load, scale),
        "",
        "## Stages",
        "",
    ]
    for bench in STAGES:
        if bench in recs:
            md += [f"### {TITLES[bench]} (`benches/{bench}.rs`)", "", *stage_table(recs[bench]), ""]
    md += ["## Criterion means", "", *criterion_table(target), ""]
    if peers:
        md += ["## Peers (`tools/bench-peers.sh`)", "",
               f"{peers['peers'][0]['catalog']} products; {peers['postgres']}; the query mix of "
               "`core/benches/query-mix.txt` and the misspellings of `core/benches/misspelled.txt`. Latency: "
               "one client; queries/s: two clients in a closed loop, sharing the 2 cores with the "
               "peer. Memory: proportional set size of the peer's processes.", "",
               "| peer | p50 | p99 | queries/s | build | on disk | memory | zero results, misspelled | how it was built |",
               "|---|---|---|---|---|---|---|---|---|"]
        names = {"engine": "vivr-search, in-process", "http": "vivr-search, HTTP",
                 "fts5": "SQLite FTS5", "postgres": "PostgreSQL FTS + pg_trgm"}
        for p in peers["peers"]:
            build = "(the in-process build)" if p["build_s"] is None else f"{p['build_s']:.1f} s"
            md.append(f"| {names[p['peer']]} | {fmt_ms(p['p50_ms'])} | {fmt_ms(p['p99_ms'])} | "
                      f"{p['qps']:,.0f} | {build} | {p['disk_mib']:,.0f} MiB | {p['memory_mib']:,.0f} MiB | "
                      f"{p['zero_rate']:.1%} ({p['misspelled_zero']}/{p['misspelled']}) | {p['notes']} |")
        md.append("")
    if load:
        md += ["## HTTP load (`tools/bench-load.sh`)", "",
               f"wrk -t2 on the same 2 cores as the server, `POST /v1/search` with the query mix, "
               f"20 hits, highlights on; {load[0]['products']:,} products.", "",
               "| mode | connections | requests/s | p50 | p99 | max | errors | server RSS before → after |",
               "|---|---|---|---|---|---|---|---|"]
        for r in load:
            md.append(f"| {r['mode']} | {r['connections']} | {r['rps']:,.0f} | {fmt_ms(r['p50_ms'])} | "
                      f"{fmt_ms(r['p99_ms'])} | {fmt_ms(r['max_ms'])} | {r['non_2xx'] + r['socket_errors']} | "
                      f"{r['rss_before_mib']} → {r['rss_after_mib']} MiB |")
        md.append("")
    if scale:
        md += ["## Scale curve (`tools/bench-scale.sh`)", "",
               "A fresh build from the export (import, then the text index), one process per size; "
               "lexical search over the query mix, facets and highlights on, in-process.", "",
               "| products | import | text index | replica | index | RSS serving | p50 | p99 | max |",
               "|---|---|---|---|---|---|---|---|---|"]
        for r in scale["sizes"]:
            md.append(f"| {r['products']:,} | {r['import_s']:.1f} s | {r['reindex_s']:.1f} s | "
                      f"{r['replica_mib']:,.0f} MiB | {r['index_mib']:,.0f} MiB | "
                      f"{r['rss_serving_mib']:,.0f} MiB | {fmt_ms(r['p50_ms'])} | {fmt_ms(r['p99_ms'])} | "
                      f"{fmt_ms(r['max_ms'])} |")
        md.append("")
    if sync:
        md += sync_section(sync)
    before = load_json(os.path.join(os.path.dirname(out), "before-21.json"))
    if before:
        md += before_after(recs, load, before)
    notes = os.path.join(os.path.dirname(out), "RESULTS-notes.md")
    if os.path.exists(notes):
        md += [open(notes).read().rstrip(), ""]
    with open(out, "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
