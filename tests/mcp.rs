//! The MCP endpoint through the router (no socket): each tool's happy path and invalid
//! arguments, resources, prompts, completion, and access control (Origin, Host, token).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::send;
use serde_json::{Value, json};
use tower::ServiceExt;
use vivr_search::config::Config;

fn app(built: &common::Built, config: Config) -> axum::Router {
    common::router(built, &config)
}

/// A JSON-RPC message to `/mcp` as a streamable HTTP client sends it (a request when `id` is
/// given, else a notification), within `session` when there is one.
fn message(method: &str, params: Value, id: Option<u64>, session: Option<&str>) -> Request<Body> {
    let mut body = json!({"jsonrpc": "2.0", "method": method, "params": params});
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    let mut request = Request::post("/mcp")
        .header("host", "127.0.0.1:7700")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

fn initialize() -> Request<Body> {
    message(
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
        Some(0),
        None,
    )
}

/// An initialized MCP session.
struct Session {
    app: axum::Router,
    id: String,
}

async fn connect(app: axum::Router) -> Session {
    let response = app.clone().oneshot(initialize()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let notified = app
        .clone()
        .oneshot(message(
            "notifications/initialized",
            json!({}),
            None,
            Some(&id),
        ))
        .await
        .unwrap();
    assert_eq!(notified.status(), StatusCode::ACCEPTED);
    Session { app, id }
}

impl Session {
    async fn call(&self, method: &str, params: Value) -> Value {
        send(&self.app, message(method, params, Some(1), Some(&self.id)))
            .await
            .1
    }
}

/// The `result` of a call, which must succeed at the protocol level.
async fn result(session: &Session, method: &str, params: Value) -> Value {
    let body = session.call(method, params).await;
    body.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{body}"))
}

async fn tool(session: &Session, name: &str, arguments: Value) -> Value {
    result(
        session,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    )
    .await
}

/// A tool error: `isError` and a message mentioning `needle`.
fn assert_tool_error(result: &Value, needle: &str) {
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains(needle), "{text}");
}

#[tokio::test]
async fn tools_are_listed_in_order_with_schemas_and_read_only_hints() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let init = send(&app.app, initialize()).await.1["result"].clone();
    assert_eq!(init["protocolVersion"], "2025-11-25");
    assert_eq!(init["serverInfo"]["name"], "vivr-search");
    let tools = result(&app, "tools/list", json!({})).await;
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "search_products",
            "get_product_details",
            "get_similar_products",
            "check_stock_availability",
            "get_category_products",
            "get_recommendations",
            // The public support tools; order tools need a token (tests/orders.rs).
            "search_faq",
            "get_return_policy",
        ]
    );
    for t in tools["tools"].as_array().unwrap() {
        assert_eq!(t["annotations"]["readOnlyHint"], true, "{t}");
        assert_eq!(t["outputSchema"]["type"], "object", "{t}");
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert!(t["description"].as_str().unwrap().len() > 80, "{t}");
    }
}

#[tokio::test]
async fn search_products_finds_a_typo_and_reports_structured_content() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let r = tool(
        &app,
        "search_products",
        json!({"query": "canpé", "limit": 5}),
    )
    .await;
    assert_ne!(r["isError"], true, "{r}");
    let products = r["structuredContent"]["products"].as_array().unwrap();
    assert!(!products.is_empty());
    assert!(
        products.iter().all(|p| p["category"]["slug"] == "canapes"),
        "{r}"
    );
    // The same JSON as text, for clients that read only content.
    let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, r["structuredContent"]);

    let r = tool(
        &app,
        "search_products",
        json!({"maxPrice": 100, "sortBy": "price-desc"}),
    )
    .await;
    let prices: Vec<f64> = r["structuredContent"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"].as_f64().unwrap())
        .collect();
    assert!(!prices.is_empty() && prices.iter().all(|p| *p <= 100.0));
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");

    assert_tool_error(
        &tool(&app, "search_products", json!({"limit": 500})).await,
        "maximum of 50",
    );
    assert_tool_error(
        &tool(&app, "search_products", json!({"sortBy": "cheapest"})).await,
        "invalid arguments",
    );
    assert_tool_error(
        &tool(&app, "search_products", json!({"colour": "bleu"})).await,
        "unknown field",
    );
    assert_tool_error(
        &tool(&app, "search_products", json!({"category": "nowhere"})).await,
        "no category has the slug",
    );
}

#[tokio::test]
async fn product_details_take_exactly_one_key() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let by_id = tool(&app, "get_product_details", json!({"productId": "p01"})).await;
    let slug = by_id["structuredContent"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_slug = tool(&app, "get_product_details", json!({"slug": slug})).await;
    assert_eq!(by_id["structuredContent"], by_slug["structuredContent"]);
    assert_eq!(by_id["structuredContent"]["id"], "p01");
    assert!(
        !by_id["structuredContent"]["categories"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_tool_error(
        &tool(&app, "get_product_details", json!({})).await,
        "slug or its productId",
    );
    assert_tool_error(
        &tool(
            &app,
            "get_product_details",
            json!({"slug": "a", "productId": "b"}),
        )
        .await,
        "not both",
    );
    assert_tool_error(
        &tool(&app, "get_product_details", json!({"productId": "p99"})).await,
        "no product has the id or slug \"p99\"",
    );
}

#[tokio::test]
async fn stock_availability_and_alternatives() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let detail = tool(&app, "get_product_details", json!({"productId": "p01"})).await;
    let stock = detail["structuredContent"]["stock"].as_i64().unwrap();
    let r = tool(
        &app,
        "check_stock_availability",
        json!({"productId": "p01"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["quantityAvailable"], stock);
    assert_eq!(r["structuredContent"]["available"], stock >= 1);
    let more = u32::try_from(stock + 1).unwrap();
    let r = tool(
        &app,
        "check_stock_availability",
        json!({"productId": "p01", "quantity": more}),
    )
    .await;
    assert_eq!(r["structuredContent"]["available"], false, "{r}");
    assert_eq!(r["structuredContent"]["quantityRequested"], more);
    assert!(r["structuredContent"]["alternatives"].is_array());
    assert_tool_error(
        &tool(
            &app,
            "check_stock_availability",
            json!({"productId": "p01", "quantity": 0}),
        )
        .await,
        "at least 1",
    );
    assert_tool_error(
        &tool(&app, "check_stock_availability", json!({"quantity": 2})).await,
        "missing field `productId`",
    );
}

#[tokio::test]
async fn category_products_page_with_a_cursor() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let total = loop {
        let mut args = json!({"categorySlug": "luminaires", "limit": 2, "sortBy": "price-asc"});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = tool(&app, "get_category_products", args).await;
        let page = &r["structuredContent"];
        seen.extend(
            page["products"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].clone()),
        );
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break page["total"].as_u64().unwrap(),
        }
    };
    assert!(total > 2, "more than one page");
    assert_eq!(seen.len() as u64, total);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no product twice");
    assert_tool_error(
        &tool(
            &app,
            "get_category_products",
            json!({"categorySlug": "luminaires", "cursor": "abc"}),
        )
        .await,
        "cursor",
    );
    assert_tool_error(
        &tool(
            &app,
            "get_category_products",
            json!({"categorySlug": "nowhere"}),
        )
        .await,
        "no category",
    );
}

#[tokio::test]
async fn similar_products_and_recommendations() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    // The mini fixture has no vectors: similar products degrade and say so, never fail.
    let r = tool(&app, "get_similar_products", json!({"productId": "p01"})).await;
    assert_ne!(r["isError"], true, "{r}");
    assert!(r["structuredContent"]["products"].is_array());
    assert_tool_error(
        &tool(&app, "get_similar_products", json!({"productId": "nope"})).await,
        "no product",
    );
    let r = tool(
        &app,
        "get_recommendations",
        json!({"kind": "trending", "limit": 3}),
    )
    .await;
    assert_ne!(r["isError"], true, "{r}");
    for p in r["structuredContent"]["products"].as_array().unwrap() {
        assert!(p["reason"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
    }
    assert_tool_error(
        &tool(
            &app,
            "get_recommendations",
            json!({"kind": "bought-together"}),
        )
        .await,
        "need productId",
    );
    assert_tool_error(
        &tool(&app, "get_recommendations", json!({"kind": "everything"})).await,
        "invalid arguments",
    );
}

#[tokio::test]
async fn resources_prompts_and_completion() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let list = result(&app, "resources/list", json!({})).await;
    let uris: Vec<&str> = list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        &uris[..3],
        [
            "vivr://products/categories",
            "vivr://products/featured",
            "vivr://products/catalog"
        ]
    );
    assert_eq!(uris.len(), 3 + 15, "the fixture's 15 products fit one page");
    for uri in &uris {
        let read = result(&app, "resources/read", json!({"uri": uri})).await;
        let contents = &read["contents"][0];
        assert_eq!(contents["mimeType"], "application/json");
        serde_json::from_str::<Value>(contents["text"].as_str().unwrap()).unwrap();
    }
    let page = result(
        &app,
        "resources/read",
        json!({"uri": "vivr://catalog/page/1"}),
    )
    .await;
    let page: Value = serde_json::from_str(page["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(page["products"].as_array().unwrap().len(), 15);
    let missing = app
        .call("resources/read", json!({"uri": "vivr://catalog/page/9"}))
        .await;
    assert!(missing["error"]["message"].as_str().is_some(), "{missing}");
    let templates = result(&app, "resources/templates/list", json!({})).await;
    assert_eq!(templates["resourceTemplates"].as_array().unwrap().len(), 2);

    let prompts = result(&app, "prompts/list", json!({})).await;
    let names: Vec<&str> = prompts["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "product_recommendation_response",
            "search_assistant",
            "greeting",
            "order_status_response"
        ]
    );
    let prompt = result(
        &app,
        "prompts/get",
        json!({"name": "search_assistant", "arguments": {"need": "une lampe pour lire au lit", "category": "luminaires"}}),
    )
    .await;
    let text = prompt["messages"][0]["content"]["text"].as_str().unwrap();
    assert!(text.contains("une lampe pour lire au lit") && text.contains("search_products"));
    let bad = app
        .call(
            "prompts/get",
            json!({"name": "search_assistant", "arguments": {}}),
        )
        .await;
    assert!(
        bad["error"]["message"].as_str().unwrap().contains("need"),
        "{bad}"
    );

    let done = result(
        &app,
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "search_assistant"}, "argument": {"name": "category", "value": "lu"}}),
    )
    .await;
    assert_eq!(done["completion"]["values"], json!(["luminaires"]));
    let done = result(
        &app,
        "completion/complete",
        json!({"ref": {"type": "ref/resource", "uri": "vivr://products/{slug}"}, "argument": {"name": "slug", "value": "canape"}}),
    )
    .await;
    let slugs = done["completion"]["values"].as_array().unwrap();
    assert!(
        !slugs.is_empty()
            && slugs
                .iter()
                .all(|s| s.as_str().unwrap().starts_with("canape"))
    );
}

#[tokio::test]
async fn a_foreign_origin_or_host_is_403_and_a_missing_token_401() {
    let built = common::build("mini");
    let open = app(&built, Config::default());
    let mut request = initialize();
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(send(&open, request).await.0, StatusCode::FORBIDDEN);
    let mut request = initialize();
    request
        .headers_mut()
        .insert("origin", "http://localhost:7700".parse().unwrap());
    assert_eq!(send(&open, request).await.0, StatusCode::OK);
    let mut request = initialize();
    request
        .headers_mut()
        .insert("host", "evil.example".parse().unwrap());
    assert_eq!(send(&open, request).await.0, StatusCode::FORBIDDEN);

    let guarded = app(
        &built,
        Config {
            mcp_auth_token: Some("mcp-secret-token".to_owned()),
            ..Config::default()
        },
    );
    assert_eq!(
        send(&guarded, initialize()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let mut request = initialize();
    request
        .headers_mut()
        .insert("authorization", "Bearer wrong".parse().unwrap());
    assert_eq!(send(&guarded, request).await.0, StatusCode::UNAUTHORIZED);
    let mut request = initialize();
    request
        .headers_mut()
        .insert("authorization", "Bearer mcp-secret-token".parse().unwrap());
    assert_eq!(send(&guarded, request).await.0, StatusCode::OK);
}

/// `request` as sent from `ip`.
fn from(ip: &str, mut request: Request<Body>) -> Request<Body> {
    let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    request
}

#[tokio::test]
async fn the_api_and_mcp_share_a_clients_rate_limit() {
    let built = common::build("mini");
    let app = app(
        &built,
        Config {
            rate_limit_requests: 2,
            rate_limit_window_ms: 60_000,
            server_token: Some("server-token-0123456789".to_owned()),
            ..Config::default()
        },
    );
    let categories = || Request::get("/v1/categories").body(Body::empty()).unwrap();
    assert_eq!(
        send(&app, from("192.0.2.1", initialize())).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, from("192.0.2.1", categories())).await.0,
        StatusCode::OK
    );
    // The client's budget is spent: both the MCP endpoint and the API refuse, and say when to
    // retry (the budget refills evenly over the window).
    let response = app
        .clone()
        .oneshot(from("192.0.2.1", initialize()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let (status, body) = send(&app, from("192.0.2.1", categories())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "rate_limited");
    // Probes are never limited; another client has its own budget; so has the storefront's
    // server, whatever its address.
    let health = Request::get("/health").body(Body::empty()).unwrap();
    assert_eq!(
        send(&app, from("192.0.2.1", health)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, from("192.0.2.2", categories())).await.0,
        StatusCode::OK
    );
    let mut trusted = categories();
    trusted.headers_mut().insert(
        "authorization",
        "Bearer server-token-0123456789".parse().unwrap(),
    );
    assert_eq!(
        send(&app, from("192.0.2.1", trusted)).await.0,
        StatusCode::OK
    );
    // X-Forwarded-For from an untrusted peer is the client's own claim: ignored.
    let mut spoofed = categories();
    spoofed
        .headers_mut()
        .insert("x-forwarded-for", "198.51.100.9".parse().unwrap());
    assert_eq!(
        send(&app, from("192.0.2.1", spoofed)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_body_over_the_api_limit_is_refused() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    let huge = "canapé ".repeat(20_000);
    let request = message(
        "tools/call",
        json!({"name": "search_products", "arguments": {"query": huge}}),
        Some(1),
        Some(&app.id),
    );
    let (status, _) = send(&app.app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn resources_list_pages_through_every_product() {
    let demo = common::demo();
    let app = connect(app(demo, Config::default())).await;
    let mut uris = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let params = cursor.as_ref().map_or(json!({}), |c| json!({"cursor": c}));
        let page = result(&app, "resources/list", params).await;
        pages += 1;
        uris.extend(
            page["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["uri"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let products = demo.engine.catalog().product_count().unwrap() as usize;
    assert_eq!(uris.len(), 3 + products);
    assert_eq!(pages, products.div_ceil(100));
    let mut unique = uris.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), uris.len(), "no resource listed twice");
    let last = uris.last().unwrap();
    let read = result(&app, "resources/read", json!({"uri": last})).await;
    assert_eq!(read["contents"][0]["uri"], json!(last));
}

#[tokio::test]
async fn cursors_are_bounded_and_search_products_pages_with_one() {
    let built = common::build("mini");
    let app = connect(app(&built, Config::default())).await;
    // A cursor far past the result window is a tool error that says what to do, not an
    // allocation sized by the caller's number.
    for cursor in [
        "1000000000000",
        "9999999999999999999",
        "9223372036854775807",
    ] {
        let r = tool(
            &app,
            "get_category_products",
            json!({"categorySlug": "luminaires", "cursor": cursor}),
        )
        .await;
        assert_eq!(r["isError"], true, "{r}");
        let text = r["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("narrow") || text.contains("cursor"), "{text}");
    }
    let r = tool(
        &app,
        "search_products",
        json!({"query": "lampe", "cursor": "1000000000000"}),
    )
    .await;
    assert_tool_error(&r, "narrow the query");
    // search_products accepts the nextCursor it gives.
    let first = tool(&app, "search_products", json!({"limit": 2})).await;
    let next = first["structuredContent"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = tool(&app, "search_products", json!({"limit": 2, "cursor": next})).await;
    assert_ne!(second["isError"], true, "{second}");
    assert_ne!(
        first["structuredContent"]["products"][0]["id"],
        second["structuredContent"]["products"][0]["id"]
    );
    // A resource cursor past the catalog is refused at the protocol level.
    let body = app
        .call("resources/list", json!({"cursor": "18446744073709551615"}))
        .await;
    assert_eq!(body["error"]["code"], -32602, "{body}");
}

#[tokio::test]
async fn sessions_are_capped_per_client_least_recently_used_first() {
    let built = common::build("mini");
    let app = app(
        &built,
        Config {
            mcp_max_sessions_per_client: 2,
            ..Config::default()
        },
    );
    let open = |ip: &'static str| {
        let app = app.clone();
        async move {
            let response = app.oneshot(from(ip, initialize())).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.headers()["mcp-session-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let ping = |ip: &'static str, id: String| {
        let app = app.clone();
        async move {
            send(
                &app,
                from(ip, message("ping", json!({}), Some(7), Some(&id))),
            )
            .await
        }
    };
    let a1 = open("192.0.2.1").await;
    let b1 = open("192.0.2.2").await;
    let a2 = open("192.0.2.1").await;
    assert_eq!(ping("192.0.2.1", a1.clone()).await.0, StatusCode::OK);
    // a1 was used last: a's third session closes a2, its least recently used.
    let a3 = open("192.0.2.1").await;
    let (status, body) = ping("192.0.2.1", a2).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "mcp_session_not_found", "{body}");
    for (ip, id) in [("192.0.2.1", a1), ("192.0.2.1", a3), ("192.0.2.2", b1)] {
        assert_eq!(ping(ip, id).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_coded_answers() {
    let built = common::build("mini");
    let app = app(&built, Config::default());
    let raw = |body: Body, length: Option<usize>| {
        let mut request = Request::post("/mcp")
            .header("host", "127.0.0.1:7700")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(n) = length {
            request = request.header("content-length", n);
        }
        request.body(body).unwrap()
    };
    let (status, body) = send(&app, raw(Body::from("{\"jsonrpc\": \"2.0\", "), None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], -32700, "{body}");
    // Declared too large: refused before the body is read.
    let (status, body) = send(&app, raw(Body::empty(), Some(10_000_000))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "payload_too_large", "{body}");
    // Too large without a declared length (a router request has no content-length header
    // unless one is set): the same answer, once the limit is read.
    let (status, body) = send(&app, raw(Body::from(" ".repeat(200_000)), None)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "payload_too_large", "{body}");
    // rmcp's own refusals (no Accept header) come in the JSON error shape.
    let request = Request::post("/mcp")
        .header("host", "127.0.0.1:7700")
        .header("content-type", "application/json")
        .body(Body::from(initialize_body()))
        .unwrap();
    let (status, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(body["code"], "mcp_not_acceptable", "{body}");
}

fn initialize_body() -> String {
    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}).to_string()
}
