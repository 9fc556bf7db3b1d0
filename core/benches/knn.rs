//! Vector search: HNSW k-NN (k = 10) over the generation's vectors, unfiltered and filtered
//! (category, price and stock; price and stock alone). A filtered search asks the unfiltered
//! graph for more rows when the filter keeps many, and scans the rows exactly when it keeps few
//! (`VectorSet::knn`).
//!
//!     cargo bench --bench knn                             # 100,000 products, real vectors
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench knn
//!     VIVR_BENCH_PRODUCTS=1000000 cargo bench --bench knn # synthetic vectors (fixture.rs)
//!
//! Before criterion runs, the bench reports p50/p99/max over 1,000 anchors, and each filter's
//! recall@10 against exact float k-NN (every full-precision vector read into memory, each
//! anchor scored against all of them) over [`RECALL_ANCHORS`] of those anchors.

mod fixture;

use criterion::Criterion;
use vivr_search_core::filter::ProductFilter;
use vivr_search_core::vectors::VectorSet;

const BENCH: &str = "knn";
/// Anchors: every `n / ANCHORS`-th product's vector (in product-id order) is a query.
const ANCHORS: usize = 1000;
/// Anchors whose answers are compared with exact float k-NN (a brute-force pass over every
/// vector each: a tenth of a second at a million).
const RECALL_ANCHORS: usize = 100;

/// About `n` of `rows`, spread evenly (every `len / n`-th).
fn spread(rows: &[usize], n: usize) -> Vec<usize> {
    rows.iter()
        .copied()
        .step_by((rows.len() / n).max(1))
        .collect()
}

/// Every full-precision vector of the live generation, row after row.
fn every_vector(index_dir: &std::path::Path, vectors: &VectorSet) -> Vec<f32> {
    let live = vivr_search_core::index::live_generation_dir(index_dir).unwrap();
    let bytes = std::fs::read(
        live.join(vivr_search_core::vectors::VECTORS_DIR)
            .join("vectors.f32"),
    )
    .unwrap();
    let every = bytemuck::pod_collect_to_vec::<u8, f32>(&bytes);
    assert_eq!(every.len(), vectors.len() * vectors.dimension());
    every
}

/// The share of the exact 10 nearest rows passing `filter` (anchor excluded) that
/// [`VectorSet::knn`] returns, over `anchors`.
fn recall_at_10(
    vectors: &VectorSet,
    every: &[f32],
    filter: &ProductFilter,
    anchors: &[usize],
) -> f64 {
    let d = vectors.dimension();
    let row = |r: usize| &every[r * d..(r + 1) * d];
    let (mut found, mut wanted) = (0, 0);
    for &anchor in anchors {
        let mut exact: Vec<(usize, f32)> = (0..vectors.len())
            .filter(|&r| r != anchor && !vectors.item(r).retired)
            .filter(|&r| filter.accepts(vectors.item(r).facts()))
            .map(|r| (r, vivr_search_core::vectors::dot(row(anchor), row(r))))
            .collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        exact.truncate(10);
        let got = vectors.knn(row(anchor), 10, filter, Some(anchor));
        found += got
            .iter()
            .filter(|g| exact.iter().any(|e| e.0 == g.0))
            .count();
        wanted += exact.len();
    }
    found as f64 / wanted.max(1) as f64
}

/// k-NN of `row`'s vector, itself excluded; checks ten came back, in order, all accepted.
fn knn(vectors: &VectorSet, filter: &ProductFilter, row: usize) -> usize {
    let found = vectors.knn(&vectors.vector(row), 10, filter, Some(row));
    assert_eq!(found.len(), 10);
    assert!(found.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(
        found
            .iter()
            .all(|&(r, _)| r != row && filter.accepts(vectors.item(r).facts()))
    );
    found.len()
}

fn main() {
    let fixture = fixture::semantic_fixture();
    let label = fixture.label();
    let live = fixture.engine.generation();
    let vectors = live.vectors().expect("the fixture has vectors");
    let by_id = fixture::rows_in_id_order(vectors);
    let rows = spread(&by_id, ANCHORS);
    let everything = ProductFilter::default();
    let lighting = ProductFilter {
        category: live.text().category_ord("luminaires").map(|o| o as u32),
        max_price: Some(200.0),
        in_stock: Some(true),
        ..ProductFilter::default()
    };
    fixture::report(
        BENCH,
        &label,
        "k-NN k=10 over every vector",
        fixture::timed(&rows, 1, |&r| knn(vectors, &everything, r)),
    );
    let cheap = ProductFilter {
        max_price: Some(50.0),
        in_stock: Some(true),
        ..ProductFilter::default()
    };
    fixture::report(
        BENCH,
        &label,
        "k-NN k=10, filtered (luminaires, <= 200 EUR, in stock)",
        fixture::timed(&rows, 1, |&r| knn(vectors, &lighting, r)),
    );
    // The usual case (a lamp's similar lamps, a lighting query): anchors inside the category,
    // whose neighbourhood in the graph holds rows that pass. The anchors above are anywhere, so
    // most of them have no lighting nearby and fall back to scanning the category.
    let in_lighting = ProductFilter {
        category: lighting.category,
        ..ProductFilter::default()
    };
    let lighting_rows: Vec<usize> = by_id
        .iter()
        .copied()
        .filter(|&r| in_lighting.accepts(vectors.item(r).facts()))
        .collect();
    let lighting_anchors = spread(&lighting_rows, ANCHORS);
    fixture::report(
        BENCH,
        &label,
        "k-NN k=10, filtered (luminaires, <= 200 EUR, in stock), anchors in luminaires",
        fixture::timed(&lighting_anchors, 1, |&r| knn(vectors, &lighting, r)),
    );
    fixture::report(
        BENCH,
        &label,
        "k-NN k=10, filtered (<= 50 EUR, in stock)",
        fixture::timed(&rows, 1, |&r| knn(vectors, &cheap, r)),
    );

    let every = every_vector(&fixture.scale.dir().join("index"), vectors);
    let recall_anchors = spread(&rows, RECALL_ANCHORS);
    let lighting_recall_anchors = spread(&lighting_anchors, RECALL_ANCHORS);
    for (what, filter, anchors) in [
        ("every vector", &everything, &recall_anchors),
        (
            "luminaires, <= 200 EUR, in stock",
            &lighting,
            &recall_anchors,
        ),
        (
            "luminaires, <= 200 EUR, in stock, anchors in luminaires",
            &lighting,
            &lighting_recall_anchors,
        ),
        ("<= 50 EUR, in stock", &cheap, &recall_anchors),
    ] {
        fixture::report_value(
            BENCH,
            &label,
            &format!("recall@10 against exact float k-NN, {what}"),
            recall_at_10(vectors, &every, filter, anchors) * 100.0,
            "%",
        );
    }
    drop(every);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("knn/{}", fixture.scale.label()));
    let mut next = 0;
    group.bench_function("k10", |b| {
        b.iter(|| {
            next = (next + 1) % rows.len();
            knn(vectors, &everything, rows[next])
        })
    });
    group.bench_function("k10_filtered", |b| {
        b.iter(|| {
            next = (next + 1) % rows.len();
            knn(vectors, &lighting, rows[next])
        })
    });
    group.bench_function("k10_filtered_price", |b| {
        b.iter(|| {
            next = (next + 1) % rows.len();
            knn(vectors, &cheap, rows[next])
        })
    });
    group.finish();
    c.final_summary();
}
