//! How cost grows with the catalog: for the generated catalog of `VIVR_BENCH_PRODUCTS`
//! products, a fresh build (import of the export, then the text index), its size on disk, the
//! serving process's memory, and lexical search latency (the query mix, facets and highlights
//! on, as the search bar asks). One size per process, so memory figures are the size's own:
//! `tools/bench-scale.sh` runs 10,000, 100,000 and 1,000,000 products.
//!
//!     VIVR_BENCH_PRODUCTS=10000 cargo bench --bench scale
//!
//! Writes one JSON line to `target/bench-scale.jsonl`.

mod fixture;

use std::io::Write;
use std::time::Instant;

use serde_json::json;
use vivr_search_core::catalog::{Catalog, ImportOptions};
use vivr_search_core::index::ReindexOptions;
use vivr_search_core::search::{Engine, SearchRequest};

/// Rounds of the query mix.
const ROUNDS: usize = 20;

fn main() {
    let scale = fixture::scale();
    let fixture::Scale::Generated(products) = scale else {
        panic!("the scale curve runs on generated catalogs: set VIVR_BENCH_PRODUCTS to a number");
    };
    let export = scale.export();
    let dir = fixture::manifest_dir()
        .join("target/bench-scale")
        .join(products.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("catalog.db");
    let index_dir = dir.join("index");

    let started = Instant::now();
    let catalog = Catalog::open(&db).unwrap();
    let report = catalog.import(&export, ImportOptions::default()).unwrap();
    assert!(report.rejects.is_empty());
    assert_eq!(report.products.inserted as usize, products);
    let import_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let manifest =
        vivr_search_core::search::reindex(&catalog, &index_dir, None, &ReindexOptions::default())
            .unwrap();
    assert_eq!(manifest.products as usize, products);
    let reindex_s = started.elapsed().as_secs_f64();
    drop(catalog);

    let rss_before_open = fixture::rss_mib();
    let engine = Engine::open(Catalog::open(&db).unwrap(), &index_dir)
        .unwrap()
        .with_result_cache(0);
    let rss_open = fixture::rss_mib();
    let requests: Vec<SearchRequest> = fixture::query_mix()
        .into_iter()
        .map(|q| SearchRequest {
            q: q.to_owned(),
            facets: vec!["*".to_owned()],
            limit: 20,
            ..SearchRequest::default()
        })
        .collect();
    let (p50, p99, max) = fixture::timed(&requests, ROUNDS, |r| {
        let response = engine.search(r).unwrap();
        assert!(!response.hits.is_empty(), "{}", r.q);
        response.hits.len()
    });
    let line = json!({
        "products": products,
        "import_s": import_s,
        "reindex_s": reindex_s,
        "replica_mib": fixture::disk_bytes(&db) as f64 / 1048576.0,
        "index_mib": fixture::disk_bytes(&index_dir) as f64 / 1048576.0,
        // What opening the engine adds, and the process after the runs (index pages touched).
        "rss_open_mib": rss_open - rss_before_open,
        "rss_serving_mib": fixture::rss_mib(),
        "p50_ms": p50 / 1e3,
        "p99_ms": p99 / 1e3,
        "max_ms": max / 1e3,
        "queries": requests.len() * ROUNDS,
    });
    println!("{line}");
    let out = fixture::manifest_dir().join("target/bench-scale.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .unwrap();
    writeln!(file, "{line}").unwrap();
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}
