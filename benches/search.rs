//! Lexical search on the generated catalog (`benches/fixture.rs`): the French query mix with
//! facets on, and single cases (exact, typo, prefix, filters and sort).
//!
//!     cargo bench --bench search                          # 100,000 products
//!     VIVR_BENCH_PRODUCTS=2400 cargo bench --bench search # demo-sized
//!
//! Before criterion runs, the bench prints p50/p99/max latency over 20 rounds of the query mix
//! (criterion reports means; the targets are percentiles).

mod fixture;

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use vivr_search::index::{Filters, Sort};
use vivr_search::search::{Engine, SearchRequest};

fn request(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_owned(),
        facets: vec!["*".to_owned()],
        limit: 20,
        ..SearchRequest::default()
    }
}

/// Runs a search and checks it found something, so a broken path cannot post a fast time.
fn run(engine: &Engine, request: &SearchRequest) -> usize {
    let response = engine.search(black_box(request)).unwrap();
    assert!(
        response.estimated_total_hits > 0,
        "{:?} found nothing",
        request.q
    );
    response.hits.len()
}

fn latency_report(engine: &Engine, products: usize) {
    let requests: Vec<SearchRequest> = fixture::query_mix().into_iter().map(request).collect();
    for r in &requests {
        run(engine, r);
    }
    let mut micros = Vec::new();
    for _ in 0..20 {
        for r in &requests {
            let started = Instant::now();
            run(engine, r);
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    let (p50, p99, max) = fixture::percentiles(micros.clone());
    println!(
        "lexical search, {products} products, {} queries x 20, facets on: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        fixture::query_mix().len(),
        p50 / 1e3,
        p99 / 1e3,
        max / 1e3
    );
}

fn main() {
    let fixture = fixture::fixture(fixture::products());
    let engine = &fixture.engine;
    latency_report(engine, fixture.products);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("search/{}", fixture.products));
    let mix: Vec<SearchRequest> = fixture::query_mix().into_iter().map(request).collect();
    let mut next = 0;
    group.bench_function("mix_facets", |b| {
        b.iter(|| {
            next = (next + 1) % mix.len();
            run(engine, &mix[next])
        })
    });
    for (name, q) in [
        ("exact", "canapé"),
        ("typo", "canpé velours"),
        ("prefix", "lam"),
        ("four_words", "table basse chene massif"),
    ] {
        let r = request(q);
        group.bench_function(name, |b| b.iter(|| run(engine, &r)));
    }
    let filtered = SearchRequest {
        filters: Filters {
            category: Some("luminaires".to_owned()),
            max_price: Some(200.0),
            in_stock: Some(true),
            ..Filters::default()
        },
        sort: Sort::PriceAsc,
        ..request("lampe")
    };
    group.bench_function("filter_sort", |b| b.iter(|| run(engine, &filtered)));
    group.finish();
    c.final_summary();
}
