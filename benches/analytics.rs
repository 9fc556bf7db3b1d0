//! The analytics server on 100,000 generated orders: every analytics tool through the real
//! HTTP stack (axum, rmcp's streamable HTTP, a staff token), the forecast's fitting time, and
//! shopper-event ingestion over HTTP.
//!
//!     cargo bench --bench analytics
//!
//! The fixture (once, under target/bench-data/orders-100000): the demo's 2,400 products with
//! 100,000 orders and their carts from `tools/gen_catalog.py --orders 100000`, imported and
//! indexed (text only); a state database with 30 days of search logs (the keystrokes of 6,000
//! sessions typing the query mix) and their clicks and purchases. The bench prints:
//! - each tool, 100 calls after a warm-up: p50/p99/max (target p99 ≤ 50 ms);
//! - the forecast alone (MSTL and its backtest on the two years of daily revenue): p50/p99;
//! - `POST /v1/events` in batches of 500 from 4 clients, 200,000 events, until the last is in
//!   the database: events/s (target ≥ 5,000).

#[path = "../core/benches/fixture.rs"]
mod fixture;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use vivr_search::api::{AppState, router};
use vivr_search::state::{Event, EventKind, SearchLog, State};

const BENCH: &str = "analytics";
const CATALOG: &str = "100000 orders";
const SECRET: &str = "analytics-bench-secret-of-32-characters";
const ISSUER: &str = "https://vivr.fr";
const ORDERS: usize = 100_000;
/// The generated export's last day: analytics periods end there.
const TODAY: &str = "2026-11-06";

/// The export, replica and index, built the first time.
fn fixture_paths() -> (PathBuf, PathBuf, PathBuf) {
    let dir = fixture::manifest_dir().join(format!("target/bench-data/orders-{ORDERS}"));
    let export = dir.join("export");
    if !export.join("carts.ndjson").is_file() {
        let started = Instant::now();
        let status = std::process::Command::new("python3")
            .arg(fixture::manifest_dir().join("tools/gen_catalog.py"))
            .args(["--orders", &ORDERS.to_string(), "--out"])
            .arg(&export)
            .status()
            .expect("python3 runs tools/gen_catalog.py");
        assert!(status.success(), "generation failed");
        eprintln!(
            "fixture: {ORDERS} orders generated in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let db = dir.join("catalog.db");
    let index = dir.join("index");
    if vivr_search::index::Generation::open_live(&index).is_err() {
        let started = Instant::now();
        let catalog = vivr_search::catalog::Catalog::open(&db).unwrap();
        let report = catalog.import(&export, Default::default()).unwrap();
        assert!(report.rejects.is_empty(), "{:?}", &report.rejects[..3]);
        vivr_search::search::reindex(&catalog, &index, None, &Default::default()).unwrap();
        eprintln!(
            "fixture: imported and indexed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    (export, db, index)
}

/// 30 days of search logs and events before `TODAY`, in a fresh state database.
fn state_with_traffic(path: &Path) -> Arc<State> {
    let _ = std::fs::remove_file(path);
    let state = Arc::new(State::open(path).unwrap());
    let end = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(20, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    let queries = fixture::query_mix();
    let zero = [
        "jacuzzi gonflable",
        "sauna infrarouge",
        "trampoline",
        "barbecue",
    ];
    let mut logs = Vec::new();
    let mut events = Vec::new();
    for session in 0..6_000_i64 {
        let at = end - (session * 431_000) % (30 * 86_400_000);
        let query = if session % 11 == 0 {
            zero[(session as usize / 11) % zero.len()]
        } else {
            queries[session as usize % queries.len()]
        };
        // The keystrokes that led to the query, 300 ms apart, then the query itself.
        let chars: Vec<char> = query.chars().collect();
        let steps = [3, 5, 7, 9, chars.len()];
        for (i, &n) in steps.iter().enumerate().filter(|(_, n)| **n <= chars.len()) {
            let prefix: String = chars[..n].iter().collect();
            let uid = format!("s{session}-{i}");
            logs.push(SearchLog {
                request_uid: uid.clone(),
                at_ms: at + i as i64 * 300,
                query: prefix,
                mode: "instant",
                hits: if session % 11 == 0 && n == chars.len() {
                    0
                } else {
                    12
                },
                latency_ms: 2.0,
                session_id: Some(format!("visitor-{session}")),
                user_id: None,
                dropped: Vec::new(),
            });
            if n == chars.len() && session % 3 == 0 {
                events.push(Event {
                    kind: if session % 9 == 0 {
                        EventKind::Purchase
                    } else {
                        EventKind::Click
                    },
                    query_id: Some(uid),
                    product_id: format!("prod_{:07}", 1 + session % 2400),
                    position: Some(1 + (session % 10) as u32),
                    session_id: Some(format!("visitor-{session}")),
                    user_id: None,
                    at_ms: at + 5_000,
                });
            }
        }
    }
    for chunk in logs.chunks(5_000) {
        state.record_searches(chunk).unwrap();
    }
    state.record_events(&events).unwrap();
    eprintln!(
        "fixture: {} search logs, {} events",
        logs.len(),
        events.len()
    );
    state
}

/// A staff token for the resource `audience`.
fn token(audience: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "staff_1", "scope": "analytics:read", "iss": ISSUER, "aud": audience,
                "exp": now + 3600, "iat": now}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

async fn serve(
    engine: Arc<vivr_search::search::Engine>,
    state: Arc<State>,
) -> (String, Arc<State>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = vivr_search::config::Config {
        request_timeout_ms: 30_000,
        ..vivr_search::config::Config::default()
    };
    config.auth.hs256_secret = Some(SECRET.into());
    config.auth.issuer = Some(ISSUER.into());
    config.auth.public_url = Some(format!("http://{addr}"));
    // The bench measures the tools and the ingestion, not the per-client rate limit.
    config.rate_limit_requests = 0;
    config.server_rate_limit_requests = 0;
    config.store.today = Some(chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap());
    let app_state = AppState::new(
        engine,
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &config,
    )
    .with_state_db(state.clone());
    tokio::spawn(async move {
        let limits = vivr_search::api::ConnectionLimits::from(&config);
        vivr_search::api::serve(listener, router(app_state), limits, std::future::pending())
            .await
            .unwrap();
    });
    (format!("http://{addr}"), state)
}

/// An MCP session on `/mcp/analytics` with the staff token.
struct Session {
    http: reqwest::Client,
    url: String,
    id: String,
    token: String,
}

impl Session {
    async fn open(base: &str) -> Session {
        let http = reqwest::Client::new();
        let url = format!("{base}/mcp/analytics");
        let token = token(&url);
        let response = http
            .post(&url)
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .json(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"}}}),
            )
            .send()
            .await
            .unwrap();
        let id = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_owned();
        response.text().await.unwrap();
        let session = Session {
            http,
            url,
            id,
            token,
        };
        session
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        session
    }

    async fn post(&self, body: Value) -> String {
        self.http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Calls `name`; panics on a tool error (the bench measures answers).
    async fn call(&self, name: &str, arguments: &Value) {
        let body = self
            .post(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                          "params": {"name": name, "arguments": arguments}}))
            .await;
        let ok = body.contains("structuredContent") && !body.contains("\"isError\":true");
        assert!(ok, "{name}: {}", &body[..body.len().min(400)]);
    }
}

async fn tools_report(base: &str) {
    let session = Session::open(base).await;
    let calls: [(&str, Value); 10] = [
        (
            "get_sales_summary",
            json!({"startDate": "2025-11-07", "endDate": TODAY, "granularity": "week"}),
        ),
        ("get_top_products", json!({"period": "quarter"})),
        ("get_inventory_insights", json!({})),
        ("get_category_performance", json!({"period": "month"})),
        (
            "get_customer_analytics",
            json!({"metric": "acquisition", "period": "year"}),
        ),
        ("get_customer_analytics", json!({"metric": "retention"})),
        (
            "get_customer_analytics",
            json!({"metric": "lifetime_value"}),
        ),
        (
            "get_customer_analytics",
            json!({"metric": "cart_abandonment"}),
        ),
        ("get_revenue_forecast", json!({"forecastDays": 30})),
        ("get_search_insights", json!({"period": "month"})),
    ];
    for (name, arguments) in &calls {
        // The first call: the first of all reads the replica into the ledger; the forecast and
        // the cohorts are computed once per replica version and day.
        let started = Instant::now();
        session.call(name, arguments).await;
        let first = started.elapsed().as_secs_f64() * 1e3;
        let label = match arguments.get("metric") {
            Some(metric) => format!("{name} {}", metric.as_str().unwrap()),
            None => name.to_string(),
        };
        fixture::report_value(BENCH, CATALOG, &format!("{label}: first call"), first, "ms");
        let mut micros = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            session.call(name, arguments).await;
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
        let what = match arguments.get("metric") {
            Some(metric) => format!("{name} {} over HTTP", metric.as_str().unwrap()),
            None => format!("{name} over HTTP"),
        };
        fixture::report(BENCH, CATALOG, &what, fixture::percentiles(micros));
    }
}

fn forecast_report(engine: &vivr_search::search::Engine) {
    let today = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let answer = vivr_search::analytics::revenue_forecast(engine.catalog(), today, 30).unwrap();
    let history = answer.history.clone();
    let mut micros = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let f = vivr_search::analytics::forecast::forecast(&history, 30).unwrap();
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(f);
    }
    fixture::report(
        BENCH,
        CATALOG,
        &format!(
            "forecast fit with its backtest ({} days of history, {} fits)",
            history.len(),
            1 + answer.forecast.backtest.folds
        ),
        fixture::percentiles(micros),
    );
    let b = &answer.forecast.backtest;
    println!(
        "{BENCH} [{CATALOG}] forecast: {}; backtest WAPE model {:.3} vs seasonal naive {:.3}, MASE {:.3} vs {:.3}, 80 % coverage {:.2}",
        answer.forecast.model.name(),
        b.model.map_or(f64::NAN, |m| m.wape),
        b.seasonal_naive.wape,
        b.model.map_or(f64::NAN, |m| m.mase),
        b.seasonal_naive.mase,
        b.model.map_or(f64::NAN, |m| m.coverage80),
    );
}

async fn ingestion_report(base: &str, state: &State) {
    const CLIENTS: usize = 4;
    const BATCHES: usize = 100;
    const BATCH: usize = 500;
    let before = state.analytics_counts().unwrap().0;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let url = format!("{base}/v1/events");
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut refused = 0;
            for batch in 0..BATCHES {
                let events: Vec<Value> = (0..BATCH)
                    .map(|i| {
                        json!({"type": "click", "queryId": format!("q{client}-{batch}-{i}"),
                               "productId": format!("prod_{:07}", 1 + i), "position": 1 + i % 20,
                               "sessionId": format!("visitor-{client}")})
                    })
                    .collect();
                let response = http
                    .post(&url)
                    .json(&json!({ "events": events }))
                    .send()
                    .await
                    .unwrap();
                refused += usize::from(!response.status().is_success());
                response.bytes().await.unwrap();
            }
            refused
        }));
    }
    let mut refused = 0;
    for task in tasks {
        refused += task.await.unwrap();
    }
    let sent = started.elapsed().as_secs_f64();
    let total = (CLIENTS * BATCHES * BATCH) as u64;
    // Until the writer has stored them all.
    while state.analytics_counts().unwrap().0 < before + total && started.elapsed().as_secs() < 120
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let stored = state.analytics_counts().unwrap().0 - before;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{BENCH} [{CATALOG}] events: {total} sent in {sent:.2} s ({refused} batches refused), {stored} stored in {elapsed:.2} s"
    );
    fixture::report_value(
        BENCH,
        CATALOG,
        &format!("event ingestion over HTTP, {CLIENTS} clients, batches of {BATCH}, until stored"),
        stored as f64 / elapsed,
        "events/s",
    );
}

fn main() {
    let (_, db, index) = fixture_paths();
    let engine = Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&db).unwrap(),
            &index,
        )
        .unwrap(),
    );
    let state_path = db.with_file_name("state.db");
    let state = state_with_traffic(&state_path);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (base, state) = runtime.block_on(serve(engine.clone(), state));
    runtime.block_on(tools_report(&base));
    forecast_report(&engine);
    runtime.block_on(ingestion_report(&base, &state));
}
