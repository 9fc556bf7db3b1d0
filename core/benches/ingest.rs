//! Import and reindex throughput: the export imported into a fresh replica, the text index
//! (with order signals) built into a fresh index folder, products per second; the embedding
//! model's throughput on product passages; and, on the demo catalog (or with
//! `VIVR_BENCH_VECTOR_BUILD=1`), one reindex with vectors from a warm embedding cache (HNSW
//! graph and neighbour lists).
//!
//!     cargo bench --bench ingest                          # 100,000 products
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench ingest
//!
//! From 1,000,000 products on, import and reindex run once each (timed) instead of under
//! criterion, which needs ten samples.

mod fixture;

use std::path::Path;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput};
use vivr_search_core::catalog::{Catalog, ImportOptions};
use vivr_search_core::index::ReindexOptions;
use vivr_search_core::search::reindex;
use vivr_search_core::vectors::Embedder;

const BENCH: &str = "ingest";
/// Catalogs at least this large are timed once, outside criterion.
const ONCE_FROM: usize = 1_000_000;

/// Imports `export` into a fresh replica in `dir`; checks every product went in.
fn import(export: &Path, dir: &Path, products: usize) -> Catalog {
    let catalog = Catalog::open(&dir.join("catalog.db")).unwrap();
    let report = catalog.import(export, ImportOptions::default()).unwrap();
    assert!(report.committed && report.rejects.is_empty());
    assert_eq!(report.products.inserted as usize, products);
    catalog
}

/// Builds the text index of `catalog` into a fresh `index_dir`; checks it holds every product.
fn reindex_text(catalog: &Catalog, index_dir: &Path, products: usize) -> u64 {
    let manifest = reindex(catalog, index_dir, None, &ReindexOptions::default()).unwrap();
    assert_eq!(manifest.products as usize, products);
    manifest.products
}

fn main() {
    let scale = fixture::scale();
    let export = scale.export();
    let (db, _) = fixture::paths(scale);
    let products = Catalog::open(&db).unwrap().product_count().unwrap() as usize;
    let label = scale.label();
    let scratch = tempfile::tempdir_in(scale.dir()).unwrap();

    let started = Instant::now();
    let catalog = import(&export, scratch.path(), products);
    let import_s = started.elapsed().as_secs_f64();
    fixture::report_value(
        BENCH,
        &label,
        "import, fresh replica",
        products as f64 / import_s,
        "products/s",
    );
    let started = Instant::now();
    reindex_text(&catalog, &scratch.path().join("index"), products);
    let reindex_s = started.elapsed().as_secs_f64();
    fixture::report_value(
        BENCH,
        &label,
        "reindex, text index and signals",
        products as f64 / reindex_s,
        "products/s",
    );

    let vector_build = std::env::var_os("VIVR_BENCH_VECTOR_BUILD").is_some();
    if !scale.synthetic_vectors() {
        let model = fixture::model();
        let tree = catalog.category_tree().unwrap();
        let passages: Vec<String> = catalog
            .products_page(0, 256)
            .unwrap()
            .iter()
            .map(|p| vivr_search_core::vectors::passage(p, &tree.path(&p.category_id)))
            .collect();
        let started = Instant::now();
        let vectors = model.embed_passages(&passages).unwrap();
        assert_eq!(vectors.len(), passages.len());
        fixture::report_value(
            BENCH,
            &label,
            "embedding, multilingual-e5-small, product passages",
            passages.len() as f64 / started.elapsed().as_secs_f64(),
            "passages/s",
        );
    }
    if scale == fixture::Scale::Demo || vector_build {
        // The fixture's replica holds every passage's embedding: this times the graph and
        // the neighbour lists, as a reindex after a catalog update does.
        let semantic = fixture::semantic_fixture();
        let embedder = fixture::embedder(scale);
        let started = Instant::now();
        let manifest = reindex(
            semantic.engine.catalog(),
            &scratch.path().join("index-vectors"),
            Some(embedder.as_ref()),
            &ReindexOptions::default(),
        )
        .unwrap();
        let vectors = manifest.vectors.unwrap();
        assert_eq!((vectors.count, vectors.embedded), (products, 0));
        fixture::report_value(
            BENCH,
            &semantic.label(),
            "reindex with vectors from the embedding cache (HNSW graph, neighbour lists)",
            products as f64 / started.elapsed().as_secs_f64(),
            "products/s",
        );
    }
    drop(catalog);
    if products >= ONCE_FROM {
        return;
    }

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("ingest/{label}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(products as u64));
    group.bench_function("import", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(scale.dir()).unwrap(),
            |dir| {
                import(&export, dir.path(), products);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    let catalog = Catalog::open(&db).unwrap();
    group.bench_function("reindex_text", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(scale.dir()).unwrap(),
            |dir| {
                reindex_text(&catalog, dir.path(), products);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    c.final_summary();
}
