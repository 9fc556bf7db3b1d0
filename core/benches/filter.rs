//! Filters and sorting: searches narrowed by category, price, stock and attributes, sorted by
//! price, popularity or novelty, and a category browsed without words.
//!
//!     cargo bench --bench filter                          # 100,000 products
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench filter
//!
//! Before criterion runs, the bench reports p50/p99/max of each case over 200 runs.

mod fixture;

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::Criterion;
use vivr_search_core::search::{Engine, SearchRequest};
use vivr_search_core::search::{Filters, Sort};

const BENCH: &str = "filter";

/// Runs a search and checks every hit obeys the filters and the sort.
fn run(engine: &Engine, request: &SearchRequest) -> usize {
    let response = engine.search(black_box(request)).unwrap();
    assert!(!response.hits.is_empty(), "{:?} found nothing", request.q);
    let f = &request.filters;
    for hit in &response.hits {
        assert!(f.max_price.is_none_or(|max| hit.price <= max), "{}", hit.id);
        assert!(f.min_price.is_none_or(|min| hit.price >= min), "{}", hit.id);
        assert!(f.in_stock != Some(true) || hit.in_stock, "{}", hit.id);
    }
    if request.sort == Sort::PriceAsc {
        assert!(response.hits.windows(2).all(|w| w[0].price <= w[1].price));
    }
    response.hits.len()
}

fn cases() -> Vec<(&'static str, SearchRequest)> {
    let base = SearchRequest {
        limit: 20,
        ..SearchRequest::default()
    };
    vec![
        (
            "category_price_stock_sort_price",
            SearchRequest {
                q: "lampe".to_owned(),
                filters: Filters {
                    category: Some("luminaires".to_owned()),
                    max_price: Some(200.0),
                    in_stock: Some(true),
                    ..Filters::default()
                },
                sort: Sort::PriceAsc,
                ..base.clone()
            },
        ),
        (
            "attributes_sort_popular",
            SearchRequest {
                q: "canapé".to_owned(),
                filters: Filters {
                    attributes: BTreeMap::from([
                        (
                            "color".to_owned(),
                            vec!["gris".to_owned(), "bleu".to_owned()],
                        ),
                        ("material".to_owned(), vec!["velours".to_owned()]),
                    ]),
                    ..Filters::default()
                },
                sort: Sort::Popular,
                ..base.clone()
            },
        ),
        (
            "price_range_sort_newest",
            SearchRequest {
                q: "table".to_owned(),
                filters: Filters {
                    min_price: Some(100.0),
                    max_price: Some(400.0),
                    ..Filters::default()
                },
                sort: Sort::Newest,
                ..base.clone()
            },
        ),
        (
            "browse_category_sort_price",
            SearchRequest {
                filters: Filters {
                    category: Some("mobilier".to_owned()),
                    in_stock: Some(true),
                    ..Filters::default()
                },
                sort: Sort::PriceAsc,
                ..base
            },
        ),
    ]
}

fn main() {
    let fixture = fixture::fixture();
    let engine = &fixture.engine;
    let label = fixture.label();
    let cases = cases();
    for (name, request) in &cases {
        fixture::report(
            BENCH,
            &label,
            name,
            fixture::timed(std::slice::from_ref(request), 200, |r| run(engine, r)),
        );
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("filter/{}", fixture.scale.label()));
    for (name, request) in &cases {
        group.bench_function(*name, |b| b.iter(|| run(engine, request)));
    }
    group.finish();
    c.final_summary();
}
