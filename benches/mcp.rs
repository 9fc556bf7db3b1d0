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
//!   throughput, p50/p99/max latency under that load;
//! - each order and support tool, called 300 times over HTTP with a customer's access token
//!   (a staff token for the staff tools): p50/p99/max (target p99 ≤ 10 ms);
//! - the cost of validating an access token (HS256, and RS256 from a cached JWKS), per call
//!   (target ≤ 50 µs).

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
    bearer: Option<String>,
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
        Session::open_as(http, url, None).await
    }

    async fn open_as(
        http: reqwest::Client,
        url: &str,
        bearer: Option<String>,
    ) -> Result<Session, String> {
        let mut request = http.post(url);
        if let Some(token) = &bearer {
            request = request.bearer_auth(token);
        }
        let response = request
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
            bearer,
        };
        session
            .post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await?;
        Ok(session)
    }

    async fn post(&self, body: Value) -> Result<String, String> {
        let mut request = self.http.post(&self.url);
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        let response = request
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

    /// Calls a tool: its `result`, and whether it is a tool error.
    async fn call(&self, name: &str, arguments: &Value) -> Result<(Value, bool), String> {
        let body = self
            .post(
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": name, "arguments": arguments}}),
            )
            .await?;
        let message = message(&body).ok_or_else(|| format!("no JSON-RPC message in {body}"))?;
        let result = message["result"].clone();
        if result.is_null() {
            return Err(format!("{name}: {message}"));
        }
        let is_error = result["isError"] == true;
        Ok((result, is_error))
    }

    /// Calls a tool that must answer a tool error.
    async fn refused(&self, name: &str, arguments: &Value) -> Result<(), String> {
        match self.call(name, arguments).await? {
            (_, true) => Ok(()),
            (result, false) => Err(format!("{name}: expected a tool error, got {result}")),
        }
    }

    /// Calls a tool that must succeed.
    async fn tool(&self, name: &str, arguments: &Value) -> Result<(), String> {
        match self.call(name, arguments).await? {
            (_, false) => Ok(()),
            (result, true) => Err(format!("{name}: {result}")),
        }
    }
}

const SECRET: &str = "bench-secret-of-at-least-thirty-two-characters";
const ISSUER: &str = "https://vivr.fr";

/// An HS256 access token for `sub` with `scope`, for the resource `audience`.
fn token(sub: &str, scope: &str, audience: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": sub, "scope": scope, "iss": ISSUER, "aud": audience, "exp": now + 3600}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// Serves the engine's router on a free loopback port; the MCP endpoint's address.
async fn serve(engine: Arc<vivr_search::search::Engine>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = vivr_search::config::Config {
        request_timeout_ms: 10_000,
        ..vivr_search::config::Config::default()
    };
    config.auth.hs256_secret = Some(SECRET.into());
    config.auth.issuer = Some(ISSUER.into());
    config.auth.public_url = Some(format!("http://{addr}"));
    // The bench measures the tools, not the anti-enumeration limit.
    config.auth.lookups_per_minute = 0;
    let state = AppState::new(
        engine,
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &config,
    )
    .with_state_db(Arc::new(
        vivr_search::state::State::open(
            &std::env::temp_dir().join(format!("vivr-bench-mcp-state-{}.db", std::process::id())),
        )
        .unwrap(),
    ));
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

/// Each order and support tool, `calls` times, as a customer (staff tools as staff).
async fn order_tools_report(url: &str, engine: &vivr_search::search::Engine) {
    use vivr_search::catalog::{OrderQuery, OrderStatus};
    let delivered = engine
        .catalog()
        .search_orders(&OrderQuery {
            status: Some(OrderStatus::Delivered),
            limit: 1,
            ..OrderQuery::default()
        })
        .unwrap()
        .pop()
        .expect("the demo has delivered orders");
    let http = reqwest::Client::new();
    let customer = Session::open_as(
        http.clone(),
        url,
        Some(token(&delivered.user_id, "orders:read support:write", url)),
    )
    .await
    .unwrap();
    let staff = Session::open_as(
        http,
        url,
        Some(token("staff", "orders:read:all support:write", url)),
    )
    .await
    .unwrap();
    let number = delivered.number.as_str();
    let cases: Vec<(&str, &Session, Value)> = vec![
        (
            "get_order_status",
            &customer,
            json!({"orderNumber": number}),
        ),
        ("get_user_orders", &customer, json!({})),
        ("estimate_delivery", &customer, json!({"orderId": number})),
        ("get_order_items", &customer, json!({"orderId": number})),
        (
            "check_refund_eligibility",
            &customer,
            json!({"orderId": number, "reason": "trop grand"}),
        ),
        ("get_shipping_info", &customer, json!({"orderId": number})),
        (
            "get_return_policy",
            &customer,
            json!({"productCategory": "canapes", "orderAge": 12}),
        ),
        (
            "search_faq",
            &customer,
            json!({"query": "délai de livraison en Corse"}),
        ),
        (
            "search_orders",
            &staff,
            json!({"status": "SHIPPED", "limit": 20}),
        ),
        (
            "find_order_for_support",
            &staff,
            json!({"email": delivered.email, "productName": "lampe"}),
        ),
        (
            "escalate_to_human",
            &customer,
            json!({"conversationId": "bench", "reason": "le client veut parler à un conseiller"}),
        ),
    ];
    for (name, session, arguments) in cases {
        let mut micros = Vec::new();
        for _ in 0..300 {
            let started = Instant::now();
            session.tool(name, &arguments).await.unwrap();
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
        fixture::report(
            BENCH,
            "demo",
            &format!("tools/call {name} (HTTP, token)"),
            fixture::percentiles(micros),
        );
    }
    // Another customer's order and an order that does not exist: the same answer, and the
    // same time (alternated, so that drift hits both alike).
    let theirs = engine
        .catalog()
        .search_orders(&OrderQuery {
            limit: 50,
            ..OrderQuery::default()
        })
        .unwrap()
        .into_iter()
        .find(|o| o.user_id != delivered.user_id)
        .expect("another customer's order");
    let (mut other, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..600 {
        let (number, into) = if round % 2 == 0 {
            (theirs.number.as_str(), &mut other)
        } else {
            ("ORD-ZZZZZZZZ", &mut unknown)
        };
        let started = Instant::now();
        customer
            .refused("get_order_status", &json!({"orderNumber": number}))
            .await
            .unwrap();
        into.push(started.elapsed().as_secs_f64() * 1e6);
    }
    fixture::report(
        BENCH,
        "demo",
        "get_order_status, another customer's order",
        fixture::percentiles(other),
    );
    fixture::report(
        BENCH,
        "demo",
        "get_order_status, an order that does not exist",
        fixture::percentiles(unknown),
    );
}

/// The cost of validating one access token with a cached key: HS256, and RS256 from a JWKS.
fn token_validation_report(runtime: &tokio::runtime::Runtime) {
    use vivr_search::auth::Verifier;
    use vivr_search::config::AuthSettings;
    let audience = "http://127.0.0.1:7700/mcp";
    let keys = fixture::manifest_dir().join("tests/fixtures/auth");
    let hs = Verifier::new(
        &AuthSettings {
            hs256_secret: Some(SECRET.into()),
            issuer: Some(ISSUER.into()),
            ..AuthSettings::default()
        },
        vec![audience.into()],
    );
    let rs = Verifier::new(
        &AuthSettings {
            jwks: Some(keys.join("jwks.json").display().to_string()),
            issuer: Some(ISSUER.into()),
            ..AuthSettings::default()
        },
        vec![audience.into()],
    );
    let rsa_key =
        jsonwebtoken::EncodingKey::from_rsa_pem(&std::fs::read(keys.join("rsa-a.pem")).unwrap())
            .unwrap();
    // Distinct tokens (a subject each), so that each is validated in full the first time.
    let tokens = |rs: bool| -> Vec<String> {
        (0..200)
            .map(|i| {
                let sub = format!("u{i}");
                if !rs {
                    return token(&sub, "orders:read", audience);
                }
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
                header.kid = Some("rsa-a".into());
                jsonwebtoken::encode(
                    &header,
                    &json!({"sub": sub, "scope": "orders:read", "iss": ISSUER, "aud": audience,
                            "exp": chrono::Utc::now().timestamp() + 3600}),
                    &rsa_key,
                )
                .unwrap()
            })
            .collect()
    };
    for (what, verifier, tokens) in [
        ("HS256", &hs, tokens(false)),
        ("RS256 (JWKS key cached)", &rs, tokens(true)),
    ] {
        // A first call loads the JWKS file.
        runtime.block_on(verifier.verify(&tokens[0])).unwrap();
        let started = Instant::now();
        runtime.block_on(async {
            for token in &tokens[1..] {
                verifier.verify(token).await.unwrap();
            }
        });
        let first = started.elapsed().as_secs_f64() * 1e6 / (tokens.len() - 1) as f64;
        let rounds = 20_000;
        let started = Instant::now();
        runtime.block_on(async {
            for i in 0..rounds {
                verifier.verify(&tokens[i % tokens.len()]).await.unwrap();
            }
        });
        let again = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        eprintln!(
            "token validation, {what}: {first:.1} µs a new token, {again:.2} µs per call after"
        );
        for (when, micros) in [
            ("a new token", first),
            ("per call, token seen before", again),
        ] {
            fixture::report_value(
                BENCH,
                "demo",
                &format!("token validation, {what}, {when}"),
                micros,
                "µs",
            );
        }
    }
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
    let engine = Arc::new(fixture.engine);
    let url = runtime.block_on(serve(engine.clone()));
    runtime.block_on(one_session_report(&url));
    runtime.block_on(concurrent_report(&url, 50, 20));
    // As `serve` does at start: the FAQ's passages embedded before the first question.
    engine.prepare_faq();
    runtime.block_on(order_tools_report(&url, &engine));
    token_validation_report(&runtime);

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
