//! Shared setup of the benches.
//!
//! The catalog is chosen by `VIVR_BENCH_PRODUCTS`: `demo` (the bundled `data/demo`), or a number
//! of generated products (`tools/gen_catalog.py`, seed 7; default 100,000). It is imported and
//! indexed once under `target/bench-data/`; build steps are timed and printed when they run.
//!
//! The semantic stages need vectors: real multilingual-e5-small embeddings (kept in the
//! replica's embedding cache after the first time), or, from 1,000,000 products on (or with
//! `VIVR_BENCH_VECTORS=synthetic`), [`SyntheticEmbedder`]'s: embedding a million products with
//! the real model would take about ten hours on 2 cores. Reports say which.
//!
//! Latency reports (`report`) print p50/p99/max and append one JSON line per measure to
//! `target/bench-report/<bench>.jsonl`, which `tools/bench-results.sh` turns into
//! `benches/RESULTS.md` (criterion reports means; the targets are percentiles).
#![allow(dead_code, unreachable_pub)]

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use vivr_search_core::catalog::{Catalog, ImportOptions};
use vivr_search_core::index::{self, ReindexOptions};
use vivr_search_core::search::Engine;
use vivr_search_core::vectors::{Embedder, LocalEmbedder, SyntheticEmbedder};

/// 1–4 word French queries as shoppers type them, one per line: exact, plural, missing accents,
/// typos (1 and 2 edits, swapped letters), sizes, colours, materials.
pub const QUERY_MIX_FILE: &str = include_str!("query-mix.txt");

/// Misspelled queries (typos, dropped and doubled letters, phonetic spellings), for the
/// zero-result rate of `benches/peers.rs`.
pub const MISSPELLED_FILE: &str = include_str!("misspelled.txt");

fn lines(file: &'static str) -> Vec<&'static str> {
    file.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The queries of [`QUERY_MIX_FILE`] (also read by `tools/bench-load.sh`).
pub fn query_mix() -> Vec<&'static str> {
    lines(QUERY_MIX_FILE)
}

/// The queries of [`MISSPELLED_FILE`].
pub fn misspelled() -> Vec<&'static str> {
    lines(MISSPELLED_FILE)
}

/// Which catalog a bench runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The bundled demo catalog.
    Demo,
    /// A generated catalog of that many products.
    Generated(usize),
}

/// Products from which the semantic fixture uses synthetic vectors.
pub const SYNTHETIC_FROM: usize = 1_000_000;

impl Scale {
    /// `demo` or the number of products, as reports and group names show it.
    pub fn label(self) -> String {
        match self {
            Scale::Demo => "demo".to_owned(),
            Scale::Generated(n) => n.to_string(),
        }
    }

    /// Where its export, replica and index live.
    pub fn dir(self) -> PathBuf {
        match self {
            Scale::Demo => root().join("demo"),
            Scale::Generated(n) => root().join(format!("{n}-seed7")),
        }
    }

    /// Its export folder (generated the first time).
    pub fn export(self) -> PathBuf {
        match self {
            Scale::Demo => manifest_dir().join("data/demo"),
            Scale::Generated(n) => {
                let export = self.dir().join("export");
                if !export.join("products.ndjson").is_file() {
                    generate(n, &export);
                }
                export
            }
        }
    }

    /// Whether its semantic fixture uses [`SyntheticEmbedder`].
    pub fn synthetic_vectors(self) -> bool {
        std::env::var("VIVR_BENCH_VECTORS").is_ok_and(|v| v == "synthetic")
            || matches!(self, Scale::Generated(n) if n >= SYNTHETIC_FROM)
    }
}

/// The repository's root (the workspace): the folder above this bench's crate that holds
/// `data/demo`. Bench data, models and reports live there, whichever crate runs the bench.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("data/demo").is_dir())
        .expect("the bench runs inside the repository")
}

fn root() -> PathBuf {
    manifest_dir().join("target/bench-data")
}

/// The catalog of `VIVR_BENCH_PRODUCTS` (`demo` or a number; default 100,000).
pub fn scale() -> Scale {
    match std::env::var("VIVR_BENCH_PRODUCTS").as_deref() {
        Ok("demo") => Scale::Demo,
        Ok(n) => Scale::Generated(n.parse().expect("VIVR_BENCH_PRODUCTS: `demo` or a number")),
        Err(_) => Scale::Generated(100_000),
    }
}

/// Runs the generator into `export`.
pub fn generate(products: usize, export: &Path) {
    let started = Instant::now();
    let status = std::process::Command::new("python3")
        .arg(manifest_dir().join("tools/gen_catalog.py"))
        .args(["--products", &products.to_string(), "--seed", "7", "--out"])
        .arg(export)
        .status()
        .expect("python3 runs tools/gen_catalog.py");
    assert!(status.success(), "catalog generation failed");
    eprintln!(
        "fixture: generated {products} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

pub struct Fixture {
    pub engine: Engine,
    pub scale: Scale,
    pub products: usize,
    /// Whether the engine's vectors are synthetic ([`SyntheticEmbedder`]).
    pub synthetic: bool,
}

impl Fixture {
    /// The catalog as reports name it: `100000`, `demo`, `1000000 (synthetic vectors)`.
    pub fn label(&self) -> String {
        if self.synthetic {
            format!("{} (synthetic vectors)", self.scale.label())
        } else {
            self.scale.label()
        }
    }
}

/// The export's files as a stamp (names, sizes, modification times): a changed export is
/// imported again.
fn export_stamp(export: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(export)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let meta = e.metadata().ok()?;
                    let modified = meta
                        .modified()
                        .ok()?
                        .duration_since(std::time::UNIX_EPOCH)
                        .ok()?;
                    Some(format!(
                        "{} {} {}",
                        e.file_name().to_string_lossy(),
                        meta.len(),
                        modified.as_secs()
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.join("\n")
}

/// The replica and index folder of `scale`, imported and indexed (text only) the first time
/// and again when the export changed (an import changes only the lines that did).
pub fn paths(scale: Scale) -> (PathBuf, PathBuf) {
    let dir = scale.dir();
    let db = dir.join("catalog.db");
    let index_dir = dir.join("index");
    let export = scale.export();
    let stamp_file = dir.join("export.stamp");
    let stamp = export_stamp(&export);
    let stale = std::fs::read_to_string(&stamp_file).ok().as_deref() != Some(stamp.as_str());
    // No generation, or one this binary cannot read (an older format), or a changed export:
    // build one. The replica is kept: its embedding cache took an hour to fill.
    if stale || index::Generation::open_live(&index_dir).is_err() {
        std::fs::create_dir_all(&dir).unwrap();
        let catalog = Catalog::open(&db).unwrap();
        if stale || catalog.product_count().unwrap() == 0 {
            let started = Instant::now();
            let report = catalog.import(&export, ImportOptions::default()).unwrap();
            assert!(report.rejects.is_empty());
            eprintln!(
                "fixture: imported {} in {:.1} s ({})",
                scale.label(),
                started.elapsed().as_secs_f64(),
                report.summary()
            );
        }
        let started = Instant::now();
        vivr_search_core::search::reindex(&catalog, &index_dir, None, &ReindexOptions::default())
            .unwrap();
        eprintln!(
            "fixture: indexed {} in {:.1} s",
            scale.label(),
            started.elapsed().as_secs_f64()
        );
        std::fs::write(&stamp_file, stamp).unwrap();
    }
    (db, index_dir)
}

/// The catalog of [`scale`] for lexical stages: no embedding model.
pub fn fixture() -> Fixture {
    fixture_of(scale())
}

/// The catalog of `scale` for lexical stages: no embedding model.
pub fn fixture_of(scale: Scale) -> Fixture {
    let (db, index_dir) = paths(scale);
    let catalog = Catalog::open(&db).unwrap();
    Fixture {
        products: catalog.product_count().unwrap() as usize,
        // The benches time searches, not the result cache (tools/bench-load.sh measures both).
        engine: Engine::open(catalog, &index_dir)
            .unwrap()
            .with_result_cache(0),
        scale,
        synthetic: false,
    }
}

/// The embedding model installed by `tools/install-models.sh`.
pub fn model() -> Arc<LocalEmbedder> {
    Arc::new(
        LocalEmbedder::open(&manifest_dir().join("models")).expect("run tools/install-models.sh"),
    )
}

/// The embedder of `scale`'s semantic fixture: the real model or [`SyntheticEmbedder`].
pub fn embedder(scale: Scale) -> Arc<dyn Embedder> {
    if scale.synthetic_vectors() {
        Arc::new(SyntheticEmbedder)
    } else {
        model()
    }
}

/// The catalog of [`scale`] with its semantic layer. The live generation is rebuilt with the
/// embedder when it lacks vectors of that embedder, order signals or neighbour lists; real
/// embeddings come from the replica's cache after the first time (100,000 products: about an
/// hour of embedding on 2 cores, once).
pub fn semantic_fixture() -> Fixture {
    semantic_fixture_of(scale())
}

/// The catalog of `scale` with its semantic layer (see [`semantic_fixture`]).
pub fn semantic_fixture_of(scale: Scale) -> Fixture {
    let (db, index_dir) = paths(scale);
    let embedder = embedder(scale);
    let live = index::live_generation_dir(&index_dir).unwrap();
    let complete = live.join("signals.json").is_file()
        && live.join("vectors/neighbours.bin").is_file()
        && index::Generation::open(&live)
            .unwrap()
            .manifest()
            .vectors
            .as_ref()
            .is_some_and(|v| v.model_id == embedder.model_id());
    if !complete {
        let catalog = Catalog::open(&db).unwrap();
        let started = Instant::now();
        let manifest = vivr_search_core::search::reindex(
            &catalog,
            &index_dir,
            Some(embedder.as_ref()),
            &ReindexOptions::default(),
        )
        .unwrap();
        let vectors = manifest.vectors.unwrap();
        eprintln!(
            "fixture: reindexed {} with {} vectors in {:.1} s ({} texts embedded, {:.1} s embedding)",
            scale.label(),
            embedder.model_id(),
            started.elapsed().as_secs_f64(),
            vectors.embedded,
            vectors.embed_ms as f64 / 1e3
        );
    }
    let catalog = Catalog::open(&db).unwrap();
    Fixture {
        products: catalog.product_count().unwrap() as usize,
        engine: Engine::open_with(catalog, &index_dir, Some(embedder))
            .unwrap()
            .with_result_cache(0),
        scale,
        synthetic: scale.synthetic_vectors(),
    }
}

/// The rows of `vectors` in product-id order. Benches pick their anchors from it, not from
/// the row order, which is the build's layout (by category since 2026-11-29): runs across a
/// layout change then time the same products (the catalog was laid out in id order before).
pub fn rows_in_id_order(vectors: &vivr_search_core::vectors::VectorSet) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..vectors.len()).collect();
    rows.sort_by(|&a, &b| vectors.item(a).id.cmp(&vectors.item(b).id));
    rows
}

/// Resident memory of this process, in MiB (Linux).
pub fn rss_mib() -> f64 {
    rss_of("self")
}

/// Resident memory of process `pid` (or `self`), in MiB.
pub fn rss_of(pid: &str) -> f64 {
    status_mib(pid, "VmRSS:")
}

/// The resident memory of this process that no file backs (heap, stacks), in MiB: the part of
/// [`rss_mib`] the kernel cannot drop and read again from a mapped file.
pub fn anonymous_rss_mib() -> f64 {
    status_mib("self", "RssAnon:")
}

/// A `kB` line of `/proc/<pid>/status`, in MiB.
fn status_mib(pid: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Bytes of the files under `path`.
pub fn disk_bytes(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| disk_bytes(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// p50, p99 and max of durations in microseconds.
pub fn percentiles(mut micros: Vec<f64>) -> (f64, f64, f64) {
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99), *micros.last().unwrap())
}

/// p50/p99/max in microseconds of `f` over `rounds` passes of `inputs`, after one warm-up
/// pass. `f` checks its own result and returns something the optimiser must keep.
pub fn timed<T, R>(inputs: &[T], rounds: usize, mut f: impl FnMut(&T) -> R) -> (f64, f64, f64) {
    for input in inputs {
        black_box(f(input));
    }
    let mut micros = Vec::with_capacity(inputs.len() * rounds);
    for _ in 0..rounds {
        for input in inputs {
            let started = Instant::now();
            black_box(f(input));
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    percentiles(micros)
}

/// Prints a latency measure and records it in `target/bench-report/<bench>.jsonl`.
pub fn report(bench: &str, catalog: &str, what: &str, (p50, p99, max): (f64, f64, f64)) {
    println!(
        "{bench} [{catalog}] {what}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        p50 / 1e3,
        p99 / 1e3,
        max / 1e3
    );
    record(
        bench,
        serde_json::json!({
            "catalog": catalog, "what": what,
            "p50_ms": p50 / 1e3, "p99_ms": p99 / 1e3, "max_ms": max / 1e3,
        }),
    );
}

/// Prints a figure that is not a latency (throughput, memory, size) and records it.
pub fn report_value(bench: &str, catalog: &str, what: &str, value: f64, unit: &str) {
    println!("{bench} [{catalog}] {what}: {value:.1} {unit}");
    record(
        bench,
        serde_json::json!({ "catalog": catalog, "what": what, "value": value, "unit": unit }),
    );
}

fn record(bench: &str, line: serde_json::Value) {
    let dir = manifest_dir().join("target/bench-report");
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{bench}.jsonl")))
        .unwrap();
    writeln!(file, "{line}").unwrap();
}
