//! French analysis (`text`): the query side (`text::words`: tokenize, lower-case, apostrophes,
//! elisions, stop words, accent folding and light stemming of every word) over the query mix,
//! and the index side (the `fr_stem` analyzer tantivy runs) over product names and
//! descriptions. The work per text does not depend on the catalog's size: it runs on the demo
//! catalog's texts.
//!
//!     cargo bench --bench analysis
//!
//! Before criterion runs, the bench reports p50/p99/max per query and the index side's
//! throughput in products per second.

mod fixture;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use tantivy::tokenizer::TokenStream;
use vivr_search_core::catalog::Catalog;
use vivr_search_core::text;

const BENCH: &str = "analysis";

/// Analyses a query; checks every word got a folded form.
fn query_words(q: &str) -> usize {
    let words = text::words(black_box(q));
    assert!(
        !words.is_empty() && words.iter().all(|w| !w.exact.is_empty()),
        "{q}"
    );
    words.len()
}

/// Runs the stemmed analyzer over a product's texts; checks it produced tokens.
fn index_tokens(analyzer: &mut tantivy::tokenizer::TextAnalyzer, texts: &str) -> usize {
    let mut stream = analyzer.token_stream(black_box(texts));
    let mut n = 0;
    while stream.advance() {
        n += 1;
    }
    assert!(n > 0);
    n
}

fn main() {
    let (db, _) = fixture::paths(fixture::Scale::Demo);
    let catalog = Catalog::open(&db).unwrap();
    let texts: Vec<String> = catalog
        .products_page(0, 2_000)
        .unwrap()
        .into_iter()
        .map(|p| format!("{} {}", p.name, p.description.unwrap_or_default()))
        .collect();
    let queries = fixture::query_mix();
    fixture::report(
        BENCH,
        "demo",
        "query analysis (text::words), query mix",
        fixture::timed(&queries, 200, |q| query_words(q)),
    );
    let mut analyzer = text::stem_analyzer();
    let started = Instant::now();
    let tokens: usize = texts.iter().map(|t| index_tokens(&mut analyzer, t)).sum();
    let seconds = started.elapsed().as_secs_f64();
    fixture::report_value(
        BENCH,
        "demo",
        &format!(
            "index analysis (fr_stem), name + description, {} products",
            texts.len()
        ),
        texts.len() as f64 / seconds,
        "products/s",
    );
    fixture::report_value(
        BENCH,
        "demo",
        "index analysis tokens",
        tokens as f64 / seconds,
        "tokens/s",
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("analysis");
    let mut next = 0;
    group.bench_function("query_words", |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            query_words(queries[next])
        })
    });
    group.throughput(Throughput::Elements(100));
    group.bench_function("index_100_products", |b| {
        b.iter(|| {
            next = (next + 1) % (texts.len() / 100);
            texts[next * 100..(next + 1) * 100]
                .iter()
                .map(|t| index_tokens(&mut analyzer, t))
                .sum::<usize>()
        })
    });
    group.finish();
    c.final_summary();
}
