//! Fusion of the lexical and semantic lists (`search::fusion::fuse`), on the lists the engine
//! really fuses: for each query of the mix, its 40 best lexical hits and its 40 nearest
//! vectors.
//!
//!     cargo bench --bench fusion                             # 100,000 products
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench fusion
//!
//! Before criterion runs, the bench reports p50/p99/max over 100 rounds of the mix.

mod fixture;

use std::collections::HashSet;
use std::hint::black_box;

use criterion::Criterion;
use vivr_search_core::filter::ProductFilter;
use vivr_search_core::search::{SearchRequest, fuse};

const BENCH: &str = "fusion";
/// Candidates per source, as `search::hybrid` takes them.
const DEPTH: usize = 40;

type Lists = (Vec<(String, f32)>, Vec<(String, f32)>);

/// Fuses one query's lists; checks every id of either list is there once, best first.
fn run((lexical, semantic): &Lists) -> usize {
    let fused = fuse(black_box(lexical), black_box(semantic), 0.5);
    let ids: HashSet<&str> = lexical
        .iter()
        .chain(semantic)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(fused.len(), ids.len());
    assert!(fused.windows(2).all(|w| w[0].score >= w[1].score));
    fused.len()
}

fn main() {
    let fixture = fixture::semantic_fixture();
    let engine = &fixture.engine;
    let label = fixture.label();
    let live = engine.generation();
    let vectors = live.vectors().expect("the fixture has vectors");
    let embedder = fixture::embedder(fixture.scale);
    let inputs: Vec<Lists> = fixture::query_mix()
        .into_iter()
        .map(|q| {
            let lexical = engine
                .search(&SearchRequest {
                    q: q.to_owned(),
                    limit: DEPTH as i64,
                    ..SearchRequest::default()
                })
                .unwrap()
                .hits
                .into_iter()
                .map(|h| (h.id, h.ranking_score))
                .collect();
            let query = embedder.embed_query(q).unwrap();
            let semantic = vectors
                .knn(&query, DEPTH, &ProductFilter::default(), None)
                .into_iter()
                .map(|(row, cosine)| (vectors.item(row).id.clone(), cosine))
                .collect();
            (lexical, semantic)
        })
        .collect();
    fixture::report(
        BENCH,
        &label,
        &format!("fuse {DEPTH} lexical + {DEPTH} semantic candidates, query mix"),
        fixture::timed(&inputs, 100, run),
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("fusion/{}", fixture.scale.label()));
    let mut next = 0;
    group.bench_function("fuse_40_40", |b| {
        b.iter(|| {
            next = (next + 1) % inputs.len();
            run(&inputs[next])
        })
    });
    group.finish();
    c.final_summary();
}
