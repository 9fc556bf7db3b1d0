//! Shared setup of the benches: a generated catalog of `VIVR_BENCH_PRODUCTS` products (default
//! 100,000; seed 7), imported and indexed once under `target/bench-data/`, and the French query
//! mix the benches run. Build steps are timed and printed the first time they run.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use vivr_search::catalog::{Catalog, ImportOptions};
use vivr_search::index::{self, ReindexOptions};
use vivr_search::search::Engine;

/// 1–4 word French queries as shoppers type them, one per line: exact, plural, missing accents,
/// typos (1 and 2 edits, swapped letters), sizes, colours, materials.
pub const QUERY_MIX_FILE: &str = include_str!("query-mix.txt");

/// The queries of [`QUERY_MIX_FILE`] (also read by `tools/bench-load.sh`).
pub fn query_mix() -> Vec<&'static str> {
    QUERY_MIX_FILE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

pub struct Fixture {
    pub engine: Engine,
    pub products: usize,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

/// Products in the bench catalog.
pub fn products() -> usize {
    std::env::var("VIVR_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Opens (building the first time) the bench catalog of `products` products.
pub fn fixture(products: usize) -> Fixture {
    let (db, index_dir) = build(products);
    Fixture {
        engine: Engine::open(Catalog::open(&db).unwrap(), &index_dir).unwrap(),
        products,
    }
}

/// Generates, imports and indexes the bench catalog the first time; returns the paths of its
/// replica and index folder.
fn build(products: usize) -> (PathBuf, PathBuf) {
    let dir = root().join(format!("{products}-seed7"));
    let export = dir.join("export");
    let db = dir.join("catalog.db");
    let index_dir = dir.join("index");
    if !export.join("products.ndjson").is_file() {
        let started = Instant::now();
        let status = std::process::Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/gen_catalog.py"))
            .args(["--products", &products.to_string(), "--seed", "7", "--out"])
            .arg(&export)
            .status()
            .expect("python3 runs tools/gen_catalog.py");
        assert!(status.success(), "catalog generation failed");
        eprintln!(
            "fixture: generated {products} products in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    // No generation, or one this binary cannot read (an older format): build one. The replica
    // is kept when it holds the catalog: its embedding cache took an hour to fill.
    if index::Generation::open_live(&index_dir).is_err() {
        let catalog = Catalog::open(&db).unwrap();
        if catalog.product_count().unwrap() < products as u64 {
            let started = Instant::now();
            let report = catalog.import(&export, ImportOptions::default()).unwrap();
            assert!(report.rejects.is_empty());
            eprintln!(
                "fixture: imported {products} products in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let started = Instant::now();
        vivr_search::search::reindex(&catalog, &index_dir, None, &ReindexOptions::default())
            .unwrap();
        eprintln!(
            "fixture: indexed {products} products in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    (db, index_dir)
}

/// The embedding model installed by `tools/install-models.sh`.
pub fn model() -> std::sync::Arc<vivr_search::vectors::LocalEmbedder> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    std::sync::Arc::new(
        vivr_search::vectors::LocalEmbedder::open(&dir).expect("run tools/install-models.sh"),
    )
}

/// The bench catalog of `products` products with its semantic layer: the live generation is
/// rebuilt with the model when it lacks vectors, order signals or neighbour lists. Embeddings
/// come from the replica's cache after the first time (100,000 products: about an hour of
/// embedding on 2 cores, once).
pub fn semantic_fixture(products: usize) -> Fixture {
    let (db, index_dir) = build(products);
    let live = index::live_generation_dir(&index_dir).unwrap();
    let complete = live.join("signals.json").is_file()
        && live.join("vectors/neighbours.bin").is_file()
        && index::Generation::open(&live)
            .unwrap()
            .manifest()
            .vectors
            .is_some();
    let model = model();
    if !complete {
        let catalog = Catalog::open(&db).unwrap();
        let started = Instant::now();
        let manifest = vivr_search::search::reindex(
            &catalog,
            &index_dir,
            Some(model.as_ref()),
            &ReindexOptions::default(),
        )
        .unwrap();
        let vectors = manifest.vectors.unwrap();
        eprintln!(
            "fixture: reindexed {products} products with vectors in {:.1} s ({} texts embedded, {:.1} s embedding)",
            started.elapsed().as_secs_f64(),
            vectors.embedded,
            vectors.embed_ms as f64 / 1e3
        );
    }
    Fixture {
        engine: Engine::open_with(Catalog::open(&db).unwrap(), &index_dir, Some(model)).unwrap(),
        products,
    }
}

/// The demo catalog (`data/demo`) with its semantic layer, imported and indexed once under
/// `target/bench-data/demo` (the model from `tools/install-models.sh`).
pub fn demo_fixture() -> Fixture {
    let dir = root().join("demo");
    let db = dir.join("catalog.db");
    let index_dir = dir.join("index");
    let model = model();
    let fresh =
        index::Generation::open_live(&index_dir).is_ok_and(|g| g.manifest().vectors.is_some());
    if !fresh {
        let catalog = Catalog::open(&db).unwrap();
        let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
        let report = catalog.import(&export, ImportOptions::default()).unwrap();
        assert!(report.rejects.is_empty());
        let started = Instant::now();
        vivr_search::search::reindex(
            &catalog,
            &index_dir,
            Some(model.as_ref()),
            &ReindexOptions::default(),
        )
        .unwrap();
        eprintln!(
            "fixture: indexed the demo catalog with vectors in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let catalog = Catalog::open(&db).unwrap();
    let products = catalog.product_count().unwrap() as usize;
    Fixture {
        engine: Engine::open_with(catalog, &index_dir, Some(model)).unwrap(),
        products,
    }
}

/// Resident memory of this process, in MiB (Linux).
pub fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// p50, p99 and max of durations in microseconds.
pub fn percentiles(mut micros: Vec<f64>) -> (f64, f64, f64) {
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99), *micros.last().unwrap())
}
