//! The whole query: `Engine::search` as the API calls it (intent parsing, planning, lexical
//! search, facets, highlights; in `full` mode also the query embedding, k-NN and fusion), in
//! `instant` and `full` mode, with the query embedding cached and uncached.
//!
//!     cargo bench --bench engine                             # 100,000 products, real model
//!     VIVR_BENCH_PRODUCTS=demo cargo bench --bench engine
//!     VIVR_BENCH_PRODUCTS=1000000 cargo bench --bench engine # synthetic vectors (fixture.rs)
//!
//! Before criterion runs, the bench reports p50/p99/max of each case.

mod fixture;

use criterion::Criterion;
use vivr_search_core::search::{Engine, Mode, SearchRequest};

const BENCH: &str = "engine";

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

/// A storefront search (facets on, 20 hits) in `mode`; checks it found something and, in full
/// mode, that nothing was degraded.
fn search(engine: &Engine, q: &str, mode: Mode) -> usize {
    let found = search_any(engine, q, mode);
    assert!(found > 0, "{q}: nothing found");
    found
}

/// [`search`] that accepts an empty answer, for the paraphrases: over synthetic vectors (which
/// carry no meaning) they may rightly find nothing close enough to show, and with the real model
/// the empty-answer rule finds two of them on the demo too weak to show (the timing is what
/// this bench measures; `tests/semantic.rs` and the eval check what paraphrases find).
fn search_any(engine: &Engine, q: &str, mode: Mode) -> usize {
    let response = engine
        .search(&SearchRequest {
            q: q.to_owned(),
            mode,
            facets: vec!["*".to_owned()],
            limit: 20,
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(response.degraded.is_empty(), "{q}: {:?}", response.degraded);
    response.hits.len()
}

fn main() {
    let fixture = fixture::semantic_fixture();
    let engine = &fixture.engine;
    let label = fixture.label();
    let queries = fixture::query_mix();
    fixture::report(
        BENCH,
        &label,
        "instant mode, query mix",
        fixture::timed(&queries, 10, |q| search(engine, q, Mode::Instant)),
    );
    fixture::report(
        BENCH,
        &label,
        "full mode, query mix, cached query embeddings",
        fixture::timed(&queries, 10, |q| search(engine, q, Mode::Full)),
    );
    // One engine serving (its vectors, graph and text index), before a second one opens.
    fixture::report_value(
        BENCH,
        &label,
        "process RSS, one engine",
        fixture::rss_mib(),
        "MiB",
    );
    fixture::report_value(
        BENCH,
        &label,
        "process RSS, one engine: anonymous (not file-backed)",
        fixture::anonymous_rss_mib(),
        "MiB",
    );
    // A second engine over the same files without a query-vector cache: every query is
    // embedded, but those whose lexical page is full of strong matches, which skip it.
    let uncached = fixture::semantic_fixture().engine.with_query_cache(0);
    fixture::report(
        BENCH,
        &label,
        "full mode, query mix, uncached (some skip the embedding)",
        fixture::timed(&queries, 2, |q| search(&uncached, q, Mode::Full)),
    );
    fixture::report(
        BENCH,
        &label,
        "full mode, paraphrases, uncached (always embedded)",
        fixture::timed(PARAPHRASES, 5, |q| search_any(&uncached, q, Mode::Full)),
    );
    fixture::report_value(
        BENCH,
        &label,
        "process RSS, two engines",
        fixture::rss_mib(),
        "MiB",
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group(format!("engine/{}", fixture.scale.label()));
    let mut next = 0;
    let mut cycle = |n: usize| {
        next = (next + 1) % n;
        next
    };
    group.bench_function("instant_mix", |b| {
        b.iter(|| search(engine, queries[cycle(queries.len())], Mode::Instant))
    });
    group.bench_function("full_mix_cached", |b| {
        b.iter(|| search(engine, queries[cycle(queries.len())], Mode::Full))
    });
    group.sample_size(10);
    group.bench_function("full_paraphrase_uncached", |b| {
        b.iter(|| search_any(&uncached, PARAPHRASES[cycle(PARAPHRASES.len())], Mode::Full))
    });
    group.finish();
    c.final_summary();
}
