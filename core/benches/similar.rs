//! Similar products and recommendations: `Engine::similar` (the precomputed neighbour list,
//! or a k-NN search when filters empty it) and each recommendation kind.
//!
//!     cargo bench --bench similar                             # 100,000 products
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench similar
//!     VIVR_BENCH_PRODUCTS=1000000 cargo bench --bench similar # synthetic vectors
//!
//! Before criterion runs, the bench reports p50/p99/max over 1,000 anchors.

mod fixture;

use criterion::Criterion;
use vivr_search_core::recommend::{self, Kind, RecommendRequest};
use vivr_search_core::search::Filters;
use vivr_search_core::search::{Engine, SimilarRequest};

const BENCH: &str = "similar";
/// Anchors: every `n / ANCHORS`-th product.
const ANCHORS: usize = 1000;

/// Ten similar products of `id`, none of them `id`, every one passing the price filter.
fn similar(engine: &Engine, id: &str, filters: &Filters) -> usize {
    let response = engine
        .similar(&SimilarRequest {
            id_or_slug: id.to_owned(),
            limit: 10,
            filters: filters.clone(),
            same_category: false,
        })
        .unwrap();
    assert!(
        response.degraded.is_none() && response.hits.len() == 10,
        "{id}"
    );
    assert!(
        response
            .hits
            .iter()
            .all(|h| h.id != id && filters.max_price.is_none_or(|max| h.price <= max))
    );
    response.hits.len()
}

fn recommend(engine: &Engine, request: &RecommendRequest) -> usize {
    let response = recommend::recommend(engine, request).unwrap();
    assert!(!response.hits.is_empty(), "{:?}", request.kind);
    response.hits.len()
}

fn main() {
    let fixture = fixture::semantic_fixture();
    let engine = &fixture.engine;
    let label = fixture.label();
    let live = engine.generation();
    let vectors = live.vectors().expect("the fixture has vectors");
    let anchors: Vec<String> = fixture::rows_in_id_order(vectors)
        .into_iter()
        .step_by((vectors.len() / ANCHORS).max(1))
        .map(|r| vectors.item(r).id.clone())
        .collect();
    let any = Filters::default();
    let under_100 = Filters {
        max_price: Some(100.0),
        ..Filters::default()
    };
    fixture::report(
        BENCH,
        &label,
        "similar products (limit 10), anchors x 3",
        fixture::timed(&anchors, 3, |id| similar(engine, id, &any)),
    );
    fixture::report(
        BENCH,
        &label,
        "similar products under 100 EUR (precomputed list or k-NN)",
        fixture::timed(&anchors, 1, |id| similar(engine, id, &under_100)),
    );
    let kinds: Vec<RecommendRequest> = anchors
        .iter()
        .take(200)
        .flat_map(|id| {
            [Kind::BoughtTogether, Kind::CompleteTheLook].map(|kind| RecommendRequest {
                product_id: Some(id.clone()),
                ..RecommendRequest::new(kind)
            })
        })
        .chain(anchors.chunks(4).take(100).map(|ids| RecommendRequest {
            view_history: ids.to_vec(),
            ..RecommendRequest::new(Kind::Personalized)
        }))
        .chain(std::iter::once(RecommendRequest::new(Kind::Trending)))
        .collect();
    fixture::report(
        BENCH,
        &label,
        "recommendations (bought-together, complete-the-look, personalized, trending)",
        fixture::timed(&kinds, 1, |r| recommend(engine, r)),
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("similar/{}", fixture.scale.label()));
    let mut next = 0;
    let mut cycle = |n: usize| {
        next = (next + 1) % n;
        next
    };
    group.bench_function("similar", |b| {
        b.iter(|| similar(engine, &anchors[cycle(anchors.len())], &any))
    });
    group.bench_function("similar_under_100", |b| {
        b.iter(|| similar(engine, &anchors[cycle(anchors.len())], &under_100))
    });
    for (name, kind) in [
        ("recommend_bought_together", Kind::BoughtTogether),
        ("recommend_complete_the_look", Kind::CompleteTheLook),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                recommend(
                    engine,
                    &RecommendRequest {
                        product_id: Some(anchors[cycle(anchors.len())].clone()),
                        ..RecommendRequest::new(kind)
                    },
                )
            })
        });
    }
    group.finish();
    c.final_summary();
}
