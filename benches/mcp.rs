//! The MCP endpoint over HTTP on the demo catalog (with its semantic layer): `tools/call
//! search_products` through the real server stack (axum, rmcp's streamable HTTP transport,
//! sessions, the tool, the engine in full mode), from a client on loopback.
//!
//!     cargo bench --bench mcp
//!
//! Before criterion runs, the bench prints:
//! - one session calling the tool over the French query mix, 10 rounds: p50/p99/max latency
//!   (target: p50 ≤ 10 ms), the first round (query embeddings not cached yet) apart;
//! - 50 sessions at once, each initializing then calling the tool 20 times: errors (target 0),
//!   throughput, p50/p99/max latency under that load.

#[path = "../core/benches/fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::Instant;

use criterion::Criterion;
use serde_json::{Value, json};
use vivr_search::api::{AppState, router};

/// An MCP session over streamable HTTP, as a client holds it.
struct Session {
    http: reqwest::Client,
    url: String,
    id: String,
}

/// The JSON-RPC message of a response body: plain JSON, or the data of an event stream.
fn message(body: &str) -> Option<Value> {
    serde_json::from_str(body).ok().or_else(|| {
        body.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .find_map(|d| serde_json::from_str(d.trim()).ok())
    })
}

impl Session {
    async fn open(http: reqwest::Client, url: &str) -> Result<Session, String> {
        let response = http
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .json(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"}}}),
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let id = response
            .headers()
            .get("mcp-session-id")
            .ok_or("no session id")?
            .to_str()
            .map_err(|e| e.to_string())?
            .to_owned();
        response.text().await.map_err(|e| e.to_string())?;
        let session = Session {
            http,
            url: url.to_owned(),
            id,
        };
        session
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(session)
    }

    async fn post(&self, body: Value) -> Result<String, String> {
        let response = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {text}"));
        }
        Ok(text)
    }

    /// Calls `search_products`; the number of products, or what went wrong.
    async fn search(&self, query: &str) -> Result<usize, String> {
        let body = self
            .post(
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "search_products", "arguments": {"query": query, "limit": 10}}}),
            )
            .await?;
        let message = message(&body).ok_or_else(|| format!("no JSON-RPC message in {body}"))?;
        let result = &message["result"];
        if result["isError"] == true || result.is_null() {
            return Err(format!("tool error: {message}"));
        }
        Ok(result["structuredContent"]["products"]
            .as_array()
            .map_or(0, Vec::len))
    }
}

/// Serves the engine's router on a free loopback port; the MCP endpoint's address.
async fn serve(fixture: fixture::Fixture) -> String {
    let config = vivr_search::config::Config {
        request_timeout_ms: 10_000,
        ..vivr_search::config::Config::default()
    };
    let state = AppState::new(
        Arc::new(fixture.engine),
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &config,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let limits = vivr_search::api::ConnectionLimits::from(&config);
        vivr_search::api::serve(listener, router(state), limits, std::future::pending())
            .await
            .unwrap()
    });
    format!("http://{addr}/mcp")
}

const BENCH: &str = "mcp";

fn ms(micros: f64) -> f64 {
    micros / 1e3
}

async fn one_session_report(url: &str) {
    let session = Session::open(reqwest::Client::new(), url).await.unwrap();
    let mut first = Vec::new();
    let mut warm = Vec::new();
    for round in 0..10 {
        for q in fixture::query_mix() {
            let started = Instant::now();
            let n = session.search(q).await.unwrap();
            let micros = started.elapsed().as_secs_f64() * 1e6;
            assert!(n > 0 || q.is_empty(), "{q}: no products");
            if round == 0 { &mut first } else { &mut warm }.push(micros);
        }
    }
    fixture::report(
        BENCH,
        "demo",
        &format!(
            "one session, tools/call search_products ({} queries x 9 rounds)",
            fixture::query_mix().len()
        ),
        fixture::percentiles(warm),
    );
    fixture::report(
        BENCH,
        "demo",
        "one session, first round (query embeddings computed)",
        fixture::percentiles(first),
    );
}

async fn concurrent_report(url: &str, sessions: usize, calls: usize) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let tasks: Vec<_> = (0..sessions)
        .map(|i| {
            let http = http.clone();
            let url = url.to_owned();
            tokio::spawn(async move {
                let mut micros = Vec::new();
                let mut errors = Vec::new();
                match Session::open(http, &url).await {
                    Err(e) => errors.push(format!("initialize: {e}")),
                    Ok(session) => {
                        for k in 0..calls {
                            let mix = fixture::query_mix();
                            let q = mix[(i * 7 + k) % mix.len()];
                            let t = Instant::now();
                            match session.search(q).await {
                                Ok(_) => micros.push(t.elapsed().as_secs_f64() * 1e6),
                                Err(e) => errors.push(e),
                            }
                        }
                    }
                }
                (micros, errors)
            })
        })
        .collect();
    let mut micros = Vec::new();
    let mut errors = Vec::new();
    for task in tasks {
        let (m, e) = task.await.unwrap();
        micros.extend(m);
        errors.extend(e);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (p50, p99, max) = fixture::percentiles(micros.clone());
    eprintln!(
        "{sessions} sessions at once, {calls} calls each: {} calls in {:.2} s ({:.0} calls/s), {} errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, RSS {:.0} MiB",
        micros.len(),
        elapsed,
        micros.len() as f64 / elapsed,
        errors.len(),
        ms(p50),
        ms(p99),
        ms(max),
        fixture::rss_mib()
    );
    if let Some(e) = errors.first() {
        eprintln!("  first error: {e}");
    }
    let what = format!("{sessions} sessions at once, {calls} calls each");
    fixture::report(BENCH, "demo", &what, (p50, p99, max));
    fixture::report_value(
        BENCH,
        "demo",
        &format!("{what}: throughput"),
        micros.len() as f64 / elapsed,
        "calls/s",
    );
    fixture::report_value(
        BENCH,
        "demo",
        &format!("{what}: errors"),
        errors.len() as f64,
        "errors",
    );
}

fn main() {
    let fixture = fixture::semantic_fixture_of(fixture::Scale::Demo);
    eprintln!(
        "MCP bench on the demo catalog ({} products, with vectors)",
        fixture.products
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = runtime.block_on(serve(fixture));
    runtime.block_on(one_session_report(&url));
    runtime.block_on(concurrent_report(&url, 50, 20));

    let mut c = Criterion::default().configure_from_args();
    let session = runtime
        .block_on(Session::open(reqwest::Client::new(), &url))
        .unwrap();
    let mut group = c.benchmark_group("mcp/demo");
    group.bench_function("tools_call_search_products_http", |b| {
        b.iter(|| {
            let n = runtime
                .block_on(session.search("canapé velours bleu"))
                .unwrap();
            assert!(n > 0);
        })
    });
    group.finish();
    c.final_summary();
}
