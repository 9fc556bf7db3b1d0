//! What an attacker or a fault can do, kept fixed: a table of hostile requests and the coded
//! answer each gets, then the cases a table cannot hold (personal data in completions, a
//! corrupt generation, concurrent reindexes, slow clients, a crowd of mixed requests).

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::send;
use serde_json::{Value, json};
use vivr_search::config::Config;

const ADMIN: &str = "admin-token-0123456789";
const SERVER: &str = "server-token-0123456789";
const MCP: &str = "mcp-token-0123456789ab";

fn config() -> Config {
    Config {
        admin_token: Some(ADMIN.to_owned()),
        server_token: Some(SERVER.to_owned()),
        body_limit_bytes: 4096,
        ..Config::default()
    }
}

fn app_with(built: &common::Built, config: &Config) -> axum::Router {
    common::router(built, config)
}

/// One hostile request: method, path, bearer token, body.
struct Case {
    method: &'static str,
    path: &'static str,
    token: Option<&'static str>,
    body: Body,
    status: StatusCode,
    /// The error's `code`, or `None` for a success.
    code: Option<&'static str>,
}

fn case(
    method: &'static str,
    path: &'static str,
    body: impl Into<Body>,
    status: u16,
    code: Option<&'static str>,
) -> Case {
    Case {
        method,
        path,
        token: None,
        body: body.into(),
        status: StatusCode::from_u16(status).unwrap(),
        code,
    }
}

fn with_token(mut c: Case, token: &'static str) -> Case {
    c.token = Some(token);
    c
}

fn request(c: Case) -> (String, Request<Body>, StatusCode, Option<&'static str>) {
    let label = format!("{} {} token={:?}", c.method, c.path, c.token);
    let mut builder = Request::builder()
        .method(c.method)
        .uri(c.path)
        .header("host", "127.0.0.1:7700")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(token) = c.token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    (label, builder.body(c.body).unwrap(), c.status, c.code)
}

#[tokio::test]
async fn hostile_requests_get_coded_errors_and_the_server_stays_up() {
    let built = common::build("mini");
    let app = app_with(&built, &config());
    let deep = "[".repeat(2_000) + &"]".repeat(2_000);
    let bad_utf8: Vec<u8> = b"{\"q\": \"lampe \xff\xfe\"}".to_vec();
    let s = |v: Value| v.to_string();
    let cases = vec![
        // Offsets that used to abort the process or panic inside tantivy.
        case(
            "POST",
            "/v1/search",
            s(json!({"offset": 10_000_000_000_000i64})),
            400,
            Some("offset_too_large"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"q": "lampe", "offset": 5_000_000_000_000i64})),
            400,
            Some("offset_too_large"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"offset": i64::MAX})),
            400,
            Some("offset_too_large"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"offset": 9_990, "limit": 20})),
            400,
            Some("offset_too_large"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"offset": 9_980, "limit": 20})),
            200,
            None,
        ),
        case(
            "POST",
            "/v1/search",
            "{\"offset\": 4.6e18}",
            400,
            Some("invalid_field"),
        ),
        case(
            "POST",
            "/v1/search",
            "{\"offset\": 1e400}",
            400,
            Some("malformed_payload"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"offset": -1})),
            400,
            Some("invalid_search_offset"),
        ),
        case(
            "POST",
            "/v1/search",
            "{\"limit\": NaN}",
            400,
            Some("malformed_payload"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"filters": {"maxPrice": -1e308}})),
            400,
            Some("invalid_price_range"),
        ),
        case(
            "POST",
            "/v1/search",
            s(json!({"semanticRatio": 1e30})),
            400,
            Some("invalid_semantic_ratio"),
        ),
        // Malformed, deep and badly encoded bodies.
        case("POST", "/v1/search", deep, 400, Some("invalid_field")),
        case(
            "POST",
            "/v1/search",
            bad_utf8,
            400,
            Some("malformed_payload"),
        ),
        case(
            "POST",
            "/v1/search",
            "\"just a string\"",
            400,
            Some("invalid_field"),
        ),
        case(
            "POST",
            "/v1/search",
            " ".repeat(5_000),
            413,
            Some("payload_too_large"),
        ),
        // Query syntax and path traversal are plain text.
        case(
            "POST",
            "/v1/search",
            s(json!({"q": "title:(a OR b) AND \"x\" ~2 ^3 * [a TO z] \\ /"})),
            200,
            None,
        ),
        case(
            "GET",
            "/v1/products/..%2F..%2Fetc%2Fpasswd",
            Body::empty(),
            404,
            Some("product_not_found"),
        ),
        case(
            "GET",
            "/v1/products/%FF%FE",
            Body::empty(),
            400,
            Some("invalid_field"),
        ),
        case("GET", "/v1/products/p01", Body::empty(), 200, None),
        // Unknown routes and methods.
        case(
            "GET",
            "/v2/nothing",
            Body::empty(),
            404,
            Some("route_not_found"),
        ),
        case(
            "DELETE",
            "/v1/search",
            Body::empty(),
            405,
            Some("method_not_allowed"),
        ),
        case(
            "GET",
            "/v1/search",
            Body::empty(),
            405,
            Some("method_not_allowed"),
        ),
        // Similar products and recommendations check their numbers.
        case(
            "POST",
            "/v1/similar",
            s(json!({"id": "p01", "limit": 1_000_000_000_000i64})),
            400,
            Some("invalid_search_limit"),
        ),
        case(
            "POST",
            "/v1/recommend",
            s(json!({"kind": "trending", "limit": -5})),
            400,
            Some("invalid_search_limit"),
        ),
        case(
            "POST",
            "/v1/recommend",
            s(json!({"kind": "similar", "productId": "../../x"})),
            404,
            Some("product_not_found"),
        ),
        // A customer's purchases and wishlist need the storefront's server token.
        case(
            "POST",
            "/v1/recommend",
            s(json!({"kind": "personalized", "userId": "u0"})),
            401,
            Some("user_auth_required"),
        ),
        with_token(
            case(
                "POST",
                "/v1/recommend",
                s(json!({"kind": "personalized", "userId": "u0"})),
                401,
                Some("user_auth_required"),
            ),
            "wrong-token-0123456789",
        ),
        with_token(
            case(
                "POST",
                "/v1/recommend",
                s(json!({"kind": "personalized", "userId": "u0"})),
                200,
                None,
            ),
            SERVER,
        ),
        case(
            "POST",
            "/v1/recommend",
            s(json!({"kind": "personalized", "cartItems": ["p01"]})),
            200,
            None,
        ),
        case(
            "POST",
            "/api/ai/recommendations",
            s(json!({"context": "homepage", "userId": "u0"})),
            401,
            Some("user_auth_required"),
        ),
        with_token(
            case(
                "POST",
                "/api/ai/recommendations",
                s(json!({"context": "homepage", "userId": "u0"})),
                200,
                None,
            ),
            SERVER,
        ),
        // Every route without and with a token.
        case(
            "POST",
            "/admin/reload",
            Body::empty(),
            401,
            Some("invalid_api_key"),
        ),
        with_token(
            case(
                "POST",
                "/admin/reload",
                Body::empty(),
                401,
                Some("invalid_api_key"),
            ),
            SERVER,
        ),
        with_token(
            case("POST", "/admin/reload", Body::empty(), 200, None),
            ADMIN,
        ),
        case("GET", "/health", Body::empty(), 200, None),
        case("GET", "/metrics", Body::empty(), 200, None),
        case("GET", "/v1/categories", Body::empty(), 200, None),
        with_token(
            case("GET", "/v1/categories", Body::empty(), 200, None),
            "wrong-token-0123456789",
        ),
        case(
            "POST",
            "/api/ai/search",
            s(json!({"query": "canapé"})),
            200,
            None,
        ),
        case(
            "POST",
            "/api/ai/search/suggest",
            s(json!({"query": "can"})),
            200,
            None,
        ),
        case("GET", "/", Body::empty(), 200, None),
        // MCP: malformed JSON is a JSON-RPC parse error; rmcp's refusals are coded.
        case("POST", "/mcp", "{\"jsonrpc\": ", 400, None),
        case(
            "POST",
            "/mcp",
            "[{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"ping\"}]",
            400,
            Some("-32600"),
        ),
        case(
            "POST",
            "/mcp",
            "{\"id\": 1, \"method\": \"ping\"}",
            400,
            Some("-32600"),
        ),
        case(
            "GET",
            "/mcp",
            Body::empty(),
            400,
            Some("mcp_invalid_request"),
        ),
    ];
    for c in cases {
        let (label, request, status, code) = request(c);
        let (got, body) = send(&app, request).await;
        assert_eq!(got, status, "{label} → {body}");
        match code {
            Some(rpc) if rpc.starts_with('-') => {
                assert_eq!(body["error"]["code"].to_string(), rpc, "{label} → {body}");
            }
            Some(code) => {
                assert_eq!(body["code"], code, "{label} → {body}");
                assert!(
                    body["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{label}"
                );
            }
            None if status.is_success() => {}
            None => assert_eq!(body["error"]["code"], -32700, "{label} → {body}"),
        }
    }
    // Still up, still answering.
    let (status, _) = send(&app, Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn mcp_refuses_a_foreign_origin_a_missing_and_a_wrong_token() {
    let built = common::build("mini");
    let app = app_with(
        &built,
        &Config {
            mcp_auth_token: Some(MCP.to_owned()),
            ..config()
        },
    );
    let initialize = |token: Option<&str>, origin: Option<&str>| {
        let mut builder = Request::post("/mcp")
            .header("host", "127.0.0.1:7700")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if let Some(origin) = origin {
            builder = builder.header("origin", origin);
        }
        builder
            .body(Body::from(
                json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}).to_string(),
            ))
            .unwrap()
    };
    let cases = [
        (None, None, StatusCode::UNAUTHORIZED, Some("token_required")),
        // Not the static token, and no access token either (no key is configured).
        (
            Some("wrong-token-0123456789"),
            None,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        ),
        // The server's or the admin's token is not the MCP token.
        (
            Some(SERVER),
            None,
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
        ),
        (
            Some(MCP),
            Some("https://evil.example"),
            StatusCode::FORBIDDEN,
            Some("mcp_forbidden"),
        ),
        (Some(MCP), None, StatusCode::OK, None),
    ];
    for (token, origin, status, code) in cases {
        let (got, body) = send(&app, initialize(token, origin)).await;
        assert_eq!(got, status, "{token:?} {origin:?} → {body}");
        if let Some(code) = code {
            assert_eq!(body["code"], code, "{body}");
        }
    }
}

/// Submits `q` from `session` (or, without one, from the test's loopback address).
async fn submit(app: &axum::Router, q: &str, session: Option<&str>) {
    let mut body = json!({"q": q, "mode": "full"});
    if let Some(s) = session {
        body["sessionId"] = json!(s);
    }
    let request = Request::post("/v1/search")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, r) = send(app, request).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(
        r["estimatedTotalHits"].as_u64().unwrap() > 0,
        "{q} finds products"
    );
}

async fn completions(app: &axum::Router, typed: &str) -> Vec<String> {
    let request = Request::post("/api/ai/search/suggest")
        .header("content-type", "application/json")
        .body(Body::from(json!({"query": typed}).to_string()))
        .unwrap();
    let (_, r) = send(app, request).await;
    r["completions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn past_searches_become_completions_only_from_several_sessions_and_never_personal() {
    let built = common::build("mini");
    let app = app_with(&built, &config());
    // Personal data, however it is spelt and however many sessions send it, is never
    // remembered: e-mails (plain, obfuscated, spaced, full-width), phone, card and
    // social-security numbers, a person's name.
    let personal = [
        "canapé pour jean.dupont@gmail.com 06 12 34 56 78",
        "lampe jean.dupont(at)gmail.com",
        "canapé jean dupont arobase gmail point com",
        "canapé j e a n @ g m a i l . c o m",
        "canapé jean.dupont＠gmail.com",
        "canapé 4111 1111 1111 1111",
        "canapé 1 85 05 78 006 084 36",
        "canapé jean dupont",
    ];
    for s in ["s1", "s2", "s3", "s4"] {
        for q in personal {
            submit(&app, q, Some(s)).await;
        }
    }
    // One address without a session id (the storefront's server) vouches alone: not enough.
    for _ in 0..10 {
        submit(&app, "canapé velours du serveur", None).await;
    }
    // Two sessions: not enough; a third makes it a completion.
    submit(&app, "canapé angle oslo", Some("s1")).await;
    submit(&app, "canapé angle oslo", Some("s2")).await;
    let mut typed = completions(&app, "can").await;
    typed.extend(completions(&app, "lampe j").await);
    for leak in ["@", "06 12", "4111", "85 05", "dupont", "jean", "gmail"] {
        assert!(!typed.iter().any(|c| c.contains(leak)), "{leak}: {typed:?}");
    }
    assert!(!typed.iter().any(|c| c.contains("serveur")), "{typed:?}");
    assert!(
        !typed.contains(&"canapé angle oslo".to_owned()),
        "{typed:?}"
    );
    submit(&app, "canapé angle oslo", Some("s3")).await;
    let typed = completions(&app, "can").await;
    assert!(typed.iter().any(|c| c == "canapé angle oslo"), "{typed:?}");
    // One session's junk is capped: after its budget, it cannot vouch for more queries.
    for i in 0..30 {
        submit(&app, &format!("canapé {i}"), Some("spammer")).await;
    }
    submit(&app, "lampe laiton chevet", Some("s1")).await;
    submit(&app, "lampe laiton chevet", Some("s2")).await;
    submit(&app, "lampe laiton chevet", Some("spammer")).await;
    let typed = completions(&app, "lam").await;
    assert!(
        !typed.iter().any(|c| c == "lampe laiton chevet"),
        "{typed:?}"
    );
}

#[tokio::test]
async fn a_request_that_never_finishes_its_body_gets_a_coded_timeout() {
    struct Never;
    impl http_body::Body for Never {
        type Data = axum::body::Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            std::task::Poll::Pending
        }
    }
    let built = common::build("mini");
    let app = app_with(
        &built,
        &Config {
            request_timeout_ms: 200,
            ..config()
        },
    );
    let request = Request::post("/v1/search")
        .header("content-type", "application/json")
        .body(Body::new(Never))
        .unwrap();
    let (status, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "request_timeout", "{body}");
}

/// Serves the mini fixture on a free loopback port with `limits`; its address.
async fn serve(
    built: &common::Built,
    limits: vivr_search::api::ConnectionLimits,
) -> std::net::SocketAddr {
    let app = app_with(built, &config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vivr_search::api::serve(
        listener,
        app,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Reads until the server closes the connection (or 10 s pass: then `false`).
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

async fn get_health(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let built = common::build("mini");
    let addr = serve(
        &built,
        vivr_search::api::ConnectionLimits {
            max_connections: 64,
            header_read_timeout: Duration::from_millis(300),
        },
    )
    .await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut slow).await,
        "a slowloris connection is closed"
    );
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_by_server(&mut silent).await,
        "a silent connection is closed"
    );
    assert!(get_health(addr).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_at_once_and_the_server_recovers() {
    let built = common::build("mini");
    let addr = serve(
        &built,
        vivr_search::api::ConnectionLimits {
            max_connections: 2,
            header_read_timeout: Duration::from_secs(30),
        },
    )
    .await;
    let idle: Vec<_> = futures_connect(addr, 2).await;
    // Give the server the time to accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_server(&mut third).await, "over the cap: closed");
    drop(idle);
    // Freed slots serve again (the server notices the closed connections first).
    let mut answer = String::new();
    for _ in 0..50 {
        answer = get_health(addr).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn futures_connect(addr: std::net::SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut streams = Vec::new();
    for _ in 0..n {
        streams.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    streams
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_mixed_requests_all_get_answers() {
    let built = common::build("mini");
    let app = app_with(&built, &config());
    let bodies = [
        ("/v1/search", json!({"q": "canapé", "facets": ["*"]})),
        ("/v1/search", json!({"q": "lampe", "offset": 99_999})),
        ("/v1/similar", json!({"id": "p01"})),
        ("/v1/recommend", json!({"kind": "trending"})),
        (
            "/v1/recommend",
            json!({"kind": "personalized", "userId": "u0"}),
        ),
        ("/api/ai/search/suggest", json!({"query": "lam"})),
    ];
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (path, body) = bodies[i % bodies.len()].clone();
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let request = Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            send(&app, request).await
        }));
    }
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert!(!status.is_server_error(), "{status} {body}");
        if !status.is_success() {
            assert!(body["code"].is_string(), "{body}");
        }
    }
}

#[tokio::test]
async fn recommendations_switched_off_answer_a_code_the_storefront_falls_back_from() {
    let built = common::build("mini");
    let mut off = config();
    off.llm.enable_recommendations = false;
    let app = app_with(&built, &off);
    for (path, body) in [
        ("/v1/recommend", json!({"kind": "trending"})),
        ("/api/ai/recommendations", json!({"context": "homepage"})),
    ] {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, r) = send(&app, request).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{r}");
        assert_eq!(r["code"], "recommendations_disabled");
    }
    // Similar products are not recommendations: still served.
    let request = Request::post("/v1/similar")
        .header("content-type", "application/json")
        .body(Body::from(json!({"id": "p01"}).to_string()))
        .unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_mcp_wants_one_host() {
    let built = common::build("mini");
    let app = app_with(&built, &config());
    let request = Request::post("/v1/recommend")
        .header("content-type", "application/json")
        .header("authorization", format!("bearer {SERVER}"))
        .body(Body::from(
            json!({"kind": "personalized", "userId": "u0"}).to_string(),
        ))
        .unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::OK);
    let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}).to_string();
    let mut request = Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(initialize.clone()))
        .unwrap();
    request
        .headers_mut()
        .append("host", "127.0.0.1:7700".parse().unwrap());
    request
        .headers_mut()
        .append("host", "evil.example".parse().unwrap());
    let (status, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let request = Request::post("http://evil.example/mcp")
        .header("host", "127.0.0.1:7700")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(initialize))
        .unwrap();
    assert_eq!(send(&app, request).await.0, StatusCode::BAD_REQUEST);
}
