//! Query understanding: the local intent parser, and what Claude adds to a submitted search's
//! latency, against the local fake of the Messages API (`tests/common/fake_claude.rs`).
//!
//!     cargo bench --bench intent                          # 100,000 products
//!     VIVR_BENCH_PRODUCTS=2400 cargo bench --bench intent # demo-sized
//!
//! Before criterion runs, the bench prints:
//! - the local parse's p50/p99/max over 200 rounds of the query mix (target: p99 < 0.2 ms);
//! - the suggest route's latency over prefixes of the mix (local only: a few milliseconds);
//! - with the fake answering after 300 ms, the latency a submitted search gains over the same
//!   search without Claude (target: the delay plus at most 20 ms);
//! - with the fake hanging, the response time against the rerank deadline (target: the
//!   deadline plus at most 50 ms).
//!
//! The fixture has no vectors: full mode answers lexically (the same on both sides of the
//! comparison). Claude's cache is off so every search calls the fake.

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/common/fake_claude.rs"]
mod fake_claude;
#[path = "../core/benches/fixture.rs"]
mod fixture;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use fake_claude::{FakeClaude, Recorded, Reply};
use serde_json::json;
use vivr_search::config::LlmSettings;
use vivr_search::llm::Claude;
use vivr_search::search::intent;
use vivr_search::search::{Engine, SearchRequest, search_with_claude};

/// Sentences as shoppers type them, with the storefront plan's examples.
const INTENT_QUERIES: &[&str] = &[
    "lampe moderne moins de 200 euros",
    "canape confortable pour petit salon",
    "decoration murale boheme",
    "tapis rouge pas cher",
    "table basse en chêne moins de 300 euros",
    "canapé 3 places velours bleu canard",
    "clic-clac gris anthracite",
    "luminaire pour table de nuit",
    "lit 160x200 bois massif",
    "miroir rond diamètre 60 cm",
    "suspension laiton entre 100 et 250 €",
    "fauteuil scandinve en stock",
    "coussins blancs 45x45",
    "plaid laine haut de gamme",
    "étagère industrielle métal noir",
    "chaise de bureau ergonomique",
    "vase céramique art déco",
    "armoire 2 portes chêne à partir de 500",
    "bougie parfumée petit prix",
    "tapis salon 200x290 jute",
    "lampadaire arc doré",
    "commode 6 tiroirs blanche",
    "housse de couette lin 240x220",
    "guirlande lumineuse extérieur",
    "meuble tv noyer < 600€",
    "rideaux velours vert sauge",
    "console entrée marbre",
    "tabouret de bar rotin",
    "panier osier rangement salle de bain",
    "applique murale minimaliste",
];

const BENCH: &str = "intent";

fn parse_report(engine: &Engine, label: &str) {
    let live = engine.generation();
    let known = |w: &str| live.text().knows_word(w);
    let mut micros = Vec::new();
    for _ in 0..200 {
        for q in INTENT_QUERIES {
            let started = Instant::now();
            let parsed = intent::parse(black_box(q), &known);
            micros.push(started.elapsed().as_secs_f64() * 1e6);
            assert!(!parsed.constraints.is_empty(), "{q}: nothing understood");
        }
    }
    fixture::report(
        BENCH,
        label,
        &format!(
            "local intent parse ({} queries x 200)",
            INTENT_QUERIES.len()
        ),
        fixture::percentiles(micros),
    );
}

/// The storefront's suggest route (local only): every prefix of the mix's queries from 2 chars.
fn suggest_report(engine: &Engine, label: &str) {
    let mut micros = Vec::new();
    for _ in 0..3 {
        for q in INTENT_QUERIES {
            for (end, _) in q.char_indices().skip(2).step_by(3) {
                let started = Instant::now();
                let s = engine.suggest(black_box(&q[..end])).unwrap();
                micros.push(started.elapsed().as_secs_f64() * 1e6);
                black_box(s);
            }
        }
    }
    fixture::report(
        BENCH,
        label,
        &format!("suggest ({} prefixes)", micros.len()),
        fixture::percentiles(micros),
    );
}

fn claude(fake: &FakeClaude, intent_ms: u64, rerank_ms: u64) -> Claude {
    Claude::new(
        LlmSettings {
            api_key: Some("bench-key".into()),
            base_url: fake.base_url(),
            intent_deadline_ms: intent_ms,
            rerank_deadline_ms: rerank_ms,
            cache_capacity: 0,
            rate_limit_requests: 0,
            ..LlmSettings::default()
        },
        None,
    )
}

fn submitted(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_owned(),
        limit: 20,
        ..SearchRequest::default()
    }
}

/// Milliseconds of one search without Claude (the local answer), the best of three.
fn local_ms(engine: &Engine, q: &str) -> f64 {
    let wide = SearchRequest {
        limit: 30,
        ..submitted(q)
    };
    (0..3)
        .map(|_| {
            let started = Instant::now();
            engine.search(&wide).unwrap();
            started.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn claude_report(engine: &Arc<Engine>, label: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let delay = Duration::from_millis(300);
        let answering = FakeClaude::start(Arc::new(move |r: &Recorded, _| {
            let input = if r.task() == "intent" {
                fake_claude::intent(json!({}))
            } else {
                let mut ids = r.candidate_ids();
                ids.reverse();
                fake_claude::ranking(&ids)
            };
            Reply::After(delay, Box::new(Reply::Tool(input)))
        }))
        .await;
        let client = claude(&answering, 800, 1_500);
        // The first call opens the connections (a running server keeps them open): reported
        // apart, not in the percentiles.
        let started = Instant::now();
        search_with_claude(engine, &client, &submitted("vase en verre"))
            .await
            .unwrap();
        eprintln!(
            "fake answering after 300 ms: first search (connections opened) {:.1} ms over the local one",
            started.elapsed().as_secs_f64() * 1e3 - local_ms(engine, "vase en verre")
        );
        let mut added = Vec::new();
        for q in INTENT_QUERIES {
            let local = local_ms(engine, q);
            let started = Instant::now();
            let r = search_with_claude(engine, &client, &submitted(q))
                .await
                .unwrap();
            let total = started.elapsed().as_secs_f64() * 1e3;
            assert!(
                r.degraded.iter().all(|d| !d.starts_with("claude")),
                "{q}: {:?}",
                r.degraded
            );
            added.push((total - local) * 1e3);
        }
        fixture::report(
            BENCH,
            label,
            &format!(
                "latency Claude adds, fake answering after 300 ms ({} searches; target <= 320 ms)",
                INTENT_QUERIES.len()
            ),
            fixture::percentiles(added),
        );

        let hanging = FakeClaude::start(Arc::new(|_: &Recorded, _| Reply::Hang)).await;
        let client = claude(&hanging, 800, 1_500);
        let mut over = Vec::new();
        for q in &INTENT_QUERIES[..6] {
            let started = Instant::now();
            let r = search_with_claude(engine, &client, &submitted(q))
                .await
                .unwrap();
            let total = started.elapsed().as_secs_f64() * 1e3;
            assert!(!r.hits.is_empty(), "{q}: the local answer is complete");
            over.push((total - 1_500.0) * 1e3);
        }
        fixture::report(
            BENCH,
            label,
            "answer time beyond the 1,500 ms rerank deadline, fake hanging (target <= 50 ms)",
            fixture::percentiles(over),
        );
    });
}

fn main() {
    let fixture = fixture::fixture();
    let label = fixture.label();
    let engine = Arc::new(fixture.engine);
    parse_report(&engine, &label);
    suggest_report(&engine, &label);
    claude_report(&engine, &label);

    let mut c = Criterion::default().configure_from_args();
    let live = engine.generation();
    let known = |w: &str| live.text().knows_word(w);
    let mut group = c.benchmark_group(format!("intent/{}", fixture.scale.label()));
    group.bench_function("parse_mix", |b| {
        b.iter(|| {
            for q in INTENT_QUERIES {
                black_box(intent::parse(black_box(q), &known));
            }
        })
    });
    group.bench_function("instant_search_with_intent", |b| {
        b.iter(|| {
            let r = engine
                .search(&SearchRequest {
                    q: "lampe moderne moins de 200 euros".into(),
                    mode: vivr_search::search::Mode::Instant,
                    ..SearchRequest::default()
                })
                .unwrap();
            assert!(r.estimated_total_hits > 0);
        })
    });
    group.finish();
    c.final_summary();
}
