//! Vector search: HNSW k-NN (k = 10) over the generation's vectors, unfiltered and filtered
//! (category, price and stock; price and stock alone). A filtered search asks the unfiltered
//! graph for more rows when the filter keeps many, and scans the rows exactly when it keeps few
//! (`VectorSet::knn`).
//!
//!     cargo bench --bench knn                             # 100,000 products, real vectors
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench knn
//!     VIVR_BENCH_PRODUCTS=1000000 cargo bench --bench knn # synthetic vectors (fixture.rs)
//!
//! Before criterion runs, the bench reports p50/p99/max over 1,000 anchors.

mod fixture;

use criterion::Criterion;
use vivr_search_core::filter::ProductFilter;
use vivr_search_core::vectors::VectorSet;

const BENCH: &str = "knn";
/// Anchors: every `n / ANCHORS`-th product's vector is a query.
const ANCHORS: usize = 1000;

/// k-NN of `row`'s vector, itself excluded; checks ten came back, in order, all accepted.
fn knn(vectors: &VectorSet, filter: &ProductFilter, row: usize) -> usize {
    let found = vectors.knn(vectors.vector(row), 10, filter, Some(row));
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
    let rows: Vec<usize> = (0..vectors.len())
        .step_by((vectors.len() / ANCHORS).max(1))
        .collect();
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
    let lighting_rows: Vec<usize> = (0..vectors.len())
        .filter(|&r| in_lighting.accepts(vectors.item(r).facts()))
        .collect();
    let lighting_anchors: Vec<usize> = lighting_rows
        .iter()
        .copied()
        .step_by((lighting_rows.len() / ANCHORS).max(1))
        .collect();
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
