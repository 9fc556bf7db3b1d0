//! Lexical search (`Engine::search` with the request's defaults): the French query mix with
//! facets on, and single cases (exact word, typo, prefix, four words). The defaults are full
//! mode, but this fixture has no model: the semantic side is off, and each answer is the
//! lexical page of the 40 candidates full mode scores for fusion. Filters and sorting are in
//! `benches/filter.rs`, the whole query in both modes in `benches/engine.rs`.
//!
//!     cargo bench --bench lexical                              # 100,000 products
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench lexical     # the demo catalog
//!     VIVR_BENCH_PRODUCTS=1000000 cargo bench --bench lexical  # generated, built once
//!
//! Before criterion runs, the bench reports p50/p99/max over 20 rounds of the query mix.

mod fixture;

use std::hint::black_box;

use criterion::Criterion;
use vivr_search_core::search::{Engine, SearchRequest};

const BENCH: &str = "lexical";

fn request(q: &str, facets: bool) -> SearchRequest {
    SearchRequest {
        q: q.to_owned(),
        facets: if facets {
            vec!["*".to_owned()]
        } else {
            Vec::new()
        },
        limit: 20,
        ..SearchRequest::default()
    }
}

/// Runs a search and checks it found something, so a broken path cannot post a fast time.
fn run(engine: &Engine, request: &SearchRequest) -> usize {
    let response = engine.search(black_box(request)).unwrap();
    assert!(
        response.estimated_total_hits > 0 && !response.hits.is_empty(),
        "{:?} found nothing",
        request.q
    );
    assert_eq!(
        response.facet_distribution.is_some(),
        !request.facets.is_empty()
    );
    response.hits.len()
}

/// Prints the five slowest queries of the mix (median of 10 runs each): where to look first.
fn slowest(engine: &Engine, requests: &[SearchRequest]) {
    let mut medians: Vec<(f64, &str)> = requests
        .iter()
        .map(|r| {
            let (p50, _, _) = fixture::timed(std::slice::from_ref(r), 10, |r| run(engine, r));
            (p50, r.q.as_str())
        })
        .collect();
    medians.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top: Vec<String> = medians[..5.min(medians.len())]
        .iter()
        .map(|(us, q)| format!("{q:?} {:.2} ms", us / 1e3))
        .collect();
    println!("slowest queries: {}", top.join(", "));
}

fn main() {
    let fixture = fixture::fixture();
    let engine = &fixture.engine;
    let label = fixture.label();
    let with_facets: Vec<SearchRequest> = fixture::query_mix()
        .into_iter()
        .map(|q| request(q, true))
        .collect();
    let without_facets: Vec<SearchRequest> = fixture::query_mix()
        .into_iter()
        .map(|q| request(q, false))
        .collect();
    let queries = with_facets.len();
    fixture::report(
        BENCH,
        &label,
        &format!("query mix ({queries} queries x 20), facets on"),
        fixture::timed(&with_facets, 20, |r| run(engine, r)),
    );
    fixture::report(
        BENCH,
        &label,
        &format!("query mix ({queries} queries x 20), facets off"),
        fixture::timed(&without_facets, 20, |r| run(engine, r)),
    );
    fixture::report_value(BENCH, &label, "process RSS", fixture::rss_mib(), "MiB");
    slowest(engine, &with_facets);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("lexical/{}", fixture.scale.label()));
    let mut next = 0;
    group.bench_function("mix_facets", |b| {
        b.iter(|| {
            next = (next + 1) % with_facets.len();
            run(engine, &with_facets[next])
        })
    });
    for (name, q) in [
        ("exact", "canapé"),
        ("typo", "canpé velours"),
        ("prefix", "lam"),
        ("four_words", "table basse chene massif"),
    ] {
        let r = request(q, true);
        group.bench_function(name, |b| b.iter(|| run(engine, &r)));
    }
    group.finish();
    c.final_summary();
}
