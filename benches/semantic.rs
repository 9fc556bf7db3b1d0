//! The semantic layer and recommendations on the generated catalog (`benches/fixture.rs`) with
//! real embeddings (multilingual-e5-small, computed once into the replica's embedding cache):
//! k-NN (HNSW, filtered), similar products, hybrid search with a cached and an uncached query
//! embedding, and each recommendation kind.
//!
//!     cargo bench --bench semantic                           # 100,000 products
//!     VIVR_BENCH_PRODUCTS=2400 cargo bench --bench semantic  # demo-sized
//!     VIVR_BENCH_HNSW_BUILD=1 cargo bench --bench semantic   # also time one HNSW build
//!
//! Before criterion runs, the bench prints the serving process's memory and p50/p99 latencies
//! (criterion reports means; the targets are percentiles).

mod fixture;

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use vivr_search::index::Filters;
use vivr_search::recommend::{self, Kind, RecommendRequest};
use vivr_search::search::{Engine, Mode, SearchRequest, SimilarRequest};
use vivr_search::vectors::{AnnIndex, VectorFilter, VectorSet};

/// Anchors of the similar-products runs: every `n / ANCHORS`-th product.
const ANCHORS: usize = 1000;

/// Queries in other words than the catalog's: their lexical page is never full of strong
/// matches, so full mode always embeds them.
const PARAPHRASES: &[&str] = &[
    "éclairage pour lire au lit",
    "de quoi s'asseoir à plusieurs devant la télé",
    "ranger les chaussures dans l'entrée",
    "mettre des fleurs sur la table",
    "quelque chose de doux pour les soirées d'hiver",
    "lumière pour la terrasse en été",
    "poser la télévision",
    "dormir à deux confortablement",
];

fn knn(vectors: &VectorSet, filter: &VectorFilter, row: usize) -> usize {
    let found = vectors.knn(vectors.vector(row), 10, filter, Some(row));
    assert_eq!(found.len(), 10);
    found.len()
}

fn similar(engine: &Engine, id: &str, filters: Filters) -> usize {
    let response = engine
        .similar(&SimilarRequest {
            id_or_slug: id.to_owned(),
            limit: 10,
            filters,
            same_category: false,
        })
        .unwrap();
    assert!(
        response.degraded.is_none() && response.hits.len() == 10,
        "{id}"
    );
    response.hits.len()
}

fn hybrid(engine: &Engine, q: &str) -> usize {
    let response = engine
        .search(&SearchRequest {
            q: q.to_owned(),
            mode: Mode::Full,
            limit: 20,
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(
        response.degraded.is_empty() && !response.hits.is_empty(),
        "{q}"
    );
    response.hits.len()
}

fn recommend(engine: &Engine, request: &RecommendRequest) -> usize {
    let response = recommend::recommend(engine, request).unwrap();
    assert!(!response.hits.is_empty(), "{:?}", request.kind);
    response.hits.len()
}

/// p50/p99/max in microseconds of `f` over `inputs`, after one warm-up pass.
fn timed<T>(inputs: &[T], rounds: usize, mut f: impl FnMut(&T) -> usize) -> (f64, f64, f64) {
    for input in inputs {
        f(input);
    }
    let mut micros = Vec::with_capacity(inputs.len() * rounds);
    for _ in 0..rounds {
        for input in inputs {
            let started = Instant::now();
            black_box(f(input));
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    fixture::percentiles(micros)
}

fn print(what: &str, (p50, p99, max): (f64, f64, f64)) {
    println!(
        "{what}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        p50 / 1e3,
        p99 / 1e3,
        max / 1e3
    );
}

fn main() {
    let products = fixture::products();
    let rss_before = fixture::rss_mib();
    let fixture = fixture::semantic_fixture(products);
    let engine = &fixture.engine;
    let live = engine.generation();
    let vectors = live.vectors().expect("the fixture has vectors");
    let rss_open = fixture::rss_mib();
    println!(
        "serving process: RSS {rss_open:.0} MiB with {} vectors and the text index open ({:.0} MiB before opening)",
        vectors.len(),
        rss_before
    );

    let anchors: Vec<String> = (0..vectors.len())
        .step_by((vectors.len() / ANCHORS).max(1))
        .map(|r| vectors.item(r).id.clone())
        .collect();
    let rows: Vec<usize> = anchors.iter().filter_map(|id| vectors.row(id)).collect();
    let everything = VectorFilter::default();
    let lighting = VectorFilter {
        category: live.text().category_ord("luminaires").map(|o| o as u32),
        max_price: Some(200.0),
        in_stock: Some(true),
        ..VectorFilter::default()
    };
    print(
        &format!("k-NN k=10, {} vectors", vectors.len()),
        timed(&rows, 1, |&r| knn(vectors, &everything, r)),
    );
    print(
        "k-NN k=10, filtered (luminaires, <= 200 EUR, in stock)",
        timed(&rows, 1, |&r| knn(vectors, &lighting, r)),
    );
    print(
        &format!(
            "similar products (limit 10, in stock), {} anchors",
            anchors.len()
        ),
        timed(&anchors, 3, |id| similar(engine, id, Filters::default())),
    );
    let under_100 = Filters {
        max_price: Some(100.0),
        ..Filters::default()
    };
    print(
        "similar products under 100 EUR (precomputed list or search)",
        timed(&anchors, 1, |id| similar(engine, id, under_100.clone())),
    );

    let queries: Vec<&str> = fixture::query_mix();
    print(
        "hybrid search, cached query embedding",
        timed(&queries, 10, |q| hybrid(engine, q)),
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
    print(
        "recommendations (bought-together, complete-the-look, personalized, trending)",
        timed(&kinds, 1, |r| recommend(engine, r)),
    );
    println!(
        "serving process after the runs: RSS {:.0} MiB",
        fixture::rss_mib()
    );
    // A second engine over the same files, without a query-vector cache: every query is
    // embedded (but those whose lexical page is full of strong matches, which skip it).
    let uncached = fixture::semantic_fixture(products)
        .engine
        .with_query_cache(0);
    print(
        "hybrid search, uncached query embedding, the query mix (some skip the embedding)",
        timed(&queries, 2, |q| hybrid(&uncached, q)),
    );
    print(
        "hybrid search, uncached query embedding, paraphrases (always embedded)",
        timed(PARAPHRASES, 5, |q| hybrid(&uncached, q)),
    );

    if std::env::var_os("VIVR_BENCH_HNSW_BUILD").is_some() {
        let data: Vec<&[f32]> = (0..vectors.len()).map(|r| vectors.vector(r)).collect();
        let started = Instant::now();
        let ann = AnnIndex::build(&data);
        println!(
            "HNSW build of {} vectors: {:.1} s",
            ann.len(),
            started.elapsed().as_secs_f64()
        );
    }

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("semantic/{products}"));
    let mut next = 0;
    let mut cycle = |n: usize| {
        next = (next + 1) % n;
        next
    };
    group.bench_function("knn_k10", |b| {
        b.iter(|| knn(vectors, &everything, rows[cycle(rows.len())]))
    });
    group.bench_function("knn_k10_filtered", |b| {
        b.iter(|| knn(vectors, &lighting, rows[cycle(rows.len())]))
    });
    group.bench_function("similar", |b| {
        b.iter(|| similar(engine, &anchors[cycle(anchors.len())], Filters::default()))
    });
    group.bench_function("hybrid_cached", |b| {
        b.iter(|| hybrid(engine, queries[cycle(queries.len())]))
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
    group.sample_size(10);
    group.bench_function("hybrid_uncached_paraphrase", |b| {
        b.iter(|| hybrid(&uncached, PARAPHRASES[cycle(PARAPHRASES.len())]))
    });
    group.finish();
    c.final_summary();
}
