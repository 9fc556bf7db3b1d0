//! The HTTP API through the router (no socket): shapes, each 400 and 404 case, admin auth.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vivr_search::api::{AppState, router};

const TOKEN: &str = "test-admin-token-0123456789";
const SERVER_TOKEN: &str = "test-server-token-0123456789";

fn app(built: common::Built) -> (axum::Router, common::Built) {
    let engine = Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&built.db()).unwrap(),
            &built.index_dir(),
        )
        .unwrap(),
    );
    let config = vivr_search::config::Config {
        admin_token: Some(TOKEN.to_owned()),
        server_token: Some(SERVER_TOKEN.to_owned()),
        body_limit_bytes: 4096,
        ..vivr_search::config::Config::default()
    };
    let state = AppState::new(
        engine,
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &config,
    );
    (router(state), built)
}

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

fn post(uri: &str, body: impl Into<String>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.into()))
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn search_returns_the_documented_shape() {
    let (app, _built) = app(common::build("mini"));
    let body = json!({
        "q": "canpé", "filters": { "inStock": true, "maxPrice": 1000 },
        "facets": ["category", "price"], "limit": 5, "explain": true
    });
    let (status, r) = call(&app, post("/v1/search", body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["query"], "canpé");
    assert_eq!(r["estimatedTotalHits"], 1, "p02 is out of stock");
    assert_eq!(
        (r["offset"].as_u64(), r["limit"].as_u64()),
        (Some(0), Some(5))
    );
    assert!(r["droppedWords"].as_array().unwrap().is_empty());
    assert!(r["processingTimeMs"].is_u64() && r["requestUid"].as_str().unwrap().len() == 36);
    let hit = &r["hits"][0];
    for key in [
        "id",
        "slug",
        "name",
        "price",
        "comparePrice",
        "category",
        "image",
        "inStock",
        "rating",
        "_formatted",
        "_rankingScore",
        "_rankingScoreDetails",
    ] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert_eq!(hit["id"], "p01");
    assert_eq!(hit["comparePrice"], 1099.0);
    assert_eq!(hit["category"]["slug"], "canapes");
    assert_eq!(
        hit["_formatted"]["name"],
        "<mark>Canapé</mark> d'angle Oslo en velours"
    );
    assert_eq!(r["facetDistribution"]["category"]["mobilier"], 1);
    assert!(
        r["facetDistribution"].get("color").is_none(),
        "only the facets asked"
    );
    assert_eq!(r["facetStats"]["price"]["min"], 899.0);
}

#[tokio::test]
async fn an_empty_body_searches_everything() {
    let (app, _built) = app(common::build("mini"));
    let (status, r) = call(&app, post("/v1/search", "")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["estimatedTotalHits"], 15);
}

#[tokio::test]
async fn bad_requests_are_400_with_a_stable_code() {
    let (app, _built) = app(common::build("mini"));
    let long = "a".repeat(513);
    let cases: Vec<(String, &str)> = vec![
        ("{\"q\": ".to_owned(), "malformed_payload"),
        ("[1, 2]".to_owned(), "invalid_field"),
        (
            json!({"q": "lampe", "colour": "bleu"}).to_string(),
            "unknown_field",
        ),
        (json!({"filters": {"size": 3}}).to_string(), "unknown_field"),
        (json!({"limit": "ten"}).to_string(), "invalid_field"),
        (json!({"limit": 101}).to_string(), "invalid_search_limit"),
        (json!({"limit": -1}).to_string(), "invalid_search_limit"),
        (json!({"offset": -1}).to_string(), "invalid_search_offset"),
        (
            json!({"filters": {"minPrice": 300, "maxPrice": 100}}).to_string(),
            "invalid_price_range",
        ),
        (
            json!({"filters": {"minPrice": -5}}).to_string(),
            "invalid_price_range",
        ),
        (
            json!({"sort": "cheapest"}).to_string(),
            "invalid_search_sort",
        ),
        (
            json!({"facets": ["weight"]}).to_string(),
            "invalid_search_facets",
        ),
        (
            json!({"filters": {"attributes": {"weight": ["1kg"]}}}).to_string(),
            "invalid_search_facets",
        ),
        (json!({"q": long}).to_string(), "query_too_long"),
        (
            json!({"q": "lampe\u{0}"}).to_string(),
            "invalid_query_characters",
        ),
        (
            json!({"q": "lampe\n"}).to_string(),
            "invalid_query_characters",
        ),
    ];
    for (body, code) in cases {
        let (status, r) = call(&app, post("/v1/search", body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {r}");
        assert_eq!(r["code"], code, "{body} → {r}");
        assert_eq!(r["type"], "invalid_request");
        assert!(!r["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let (app, _built) = app(common::build("mini"));
    let body = json!({ "q": "x".repeat(5000) }).to_string();
    let (status, r) = call(&app, post("/v1/search", body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
    assert_eq!(r["code"], "payload_too_large");
}

#[tokio::test]
async fn products_categories_and_health() {
    let (app, _built) = app(common::build("mini"));
    let (status, p) = call(&app, get("/v1/products/p03")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["name"], "Lampe de chevet Alba en laiton");
    assert_eq!(p["attributes"]["material"][0], "laiton");
    assert_eq!(p["rating"], 5.0);
    assert_eq!(p["categoryPath"][0]["slug"], "luminaires");
    assert_eq!(p["categoryPath"][1]["slug"], "lampes");
    let (status, by_slug) = call(&app, get("/v1/products/lampe-de-chevet-alba-en-laiton")).await;
    assert_eq!(
        (status, by_slug["id"].as_str()),
        (StatusCode::OK, Some("p03"))
    );

    let (status, missing) = call(&app, get("/v1/products/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "product_not_found");

    let (status, tree) = call(&app, get("/v1/categories")).await;
    assert_eq!(status, StatusCode::OK);
    let luminaires = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "luminaires")
        .unwrap();
    assert_eq!(luminaires["productCount"], 5);
    assert_eq!(luminaires["children"].as_array().unwrap().len(), 2);
    let total: u64 = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["productCount"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 15);

    let (status, health) = call(&app, get("/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["index"]["generation"], 1);
    assert_eq!(health["index"]["products"], 15);
    assert_eq!(health["catalogProducts"], 15);
    assert_eq!(health["signals"]["available"], true);
    assert_eq!(health["signals"]["orders"], 3, "{health}");
}

#[tokio::test]
async fn admin_reload_needs_the_token() {
    let (app, built) = app(common::build("mini"));
    let (status, r) = call(
        &app,
        Request::post("/admin/reload").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (status, r["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_api_key"))
    );
    let wrong = Request::post("/admin/reload")
        .header("authorization", "Bearer nope")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, wrong).await.0, StatusCode::UNAUTHORIZED);

    let catalog = vivr_search::catalog::Catalog::open(&built.db()).unwrap();
    vivr_search::search::reindex(&catalog, &built.index_dir(), None, &Default::default()).unwrap();
    let authorised = || {
        Request::post("/admin/reload")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, r) = call(&app, authorised()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r, json!({"reloaded": true, "generation": 2}));
    assert_eq!(call(&app, authorised()).await.1["reloaded"], false);
}

#[tokio::test]
async fn admin_routes_are_off_without_a_token() {
    let built = common::build("mini");
    let engine = Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&built.db()).unwrap(),
            &built.index_dir(),
        )
        .unwrap(),
    );
    let app = router(AppState::new(
        engine,
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &vivr_search::config::Config::default(),
    ));
    let request = Request::post("/admin/reload")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (status, r) = call(&app, request).await;
    assert_eq!(
        (status, r["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("admin_disabled"))
    );
}

#[tokio::test]
async fn similar_checks_its_input_and_degrades_without_vectors() {
    let (app, _built) = app(common::build("mini"));
    let (status, r) = call(
        &app,
        post("/v1/similar", json!({"id": "p03", "limit": 2}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["id"], "p03");
    assert_eq!(r["hits"].as_array().unwrap().len(), 2);
    assert!(
        r["degraded"].as_str().unwrap().contains("no vectors"),
        "{r}"
    );
    assert!(r["processingTimeMs"].is_u64());

    let (status, r) = call(
        &app,
        post(
            "/v1/similar",
            json!({"slug": "lampe-de-chevet-alba-en-laiton"}).to_string(),
        ),
    )
    .await;
    assert_eq!((status, r["id"].as_str()), (StatusCode::OK, Some("p03")));
    for body in [json!({}), json!({"id": "p03", "slug": "x"})] {
        let (status, r) = call(&app, post("/v1/similar", body.to_string())).await;
        assert_eq!(
            (status, r["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_field")),
            "{body}"
        );
    }
    let (status, r) = call(&app, post("/v1/similar", json!({"id": "nope"}).to_string())).await;
    assert_eq!(
        (status, r["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("product_not_found"))
    );
    let body = json!({"id": "p03", "filters": {"attributes": {"color": ["blanc"]}}});
    let (status, r) = call(&app, post("/v1/similar", body.to_string())).await;
    assert_eq!(
        (status, r["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_search_filter"))
    );
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let (app, _built) = app(common::build("mini"));
    assert_eq!(
        call(&app, get("/v2/nothing")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn recommend_answers_every_kind_with_reasons_and_checks_its_input() {
    let (app, _built) = app(common::build("mini"));
    // The mini fixture has three orders and no vectors: bought-together falls back to the
    // category's best sellers and says why.
    let (status, r) = call(
        &app,
        post(
            "/v1/recommend",
            json!({"kind": "bought-together", "productId": "p03", "limit": 3}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["kind"], "bought-together");
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3, "{r}");
    for hit in hits {
        assert_ne!(hit["id"], "p03");
        assert!(hit["reason"]["code"].is_string() && hit["reason"]["message"].is_string());
        assert_eq!(hit["inStock"], true);
    }
    assert!(!r["degraded"].as_array().unwrap().is_empty(), "{r}");
    assert!(r["processingTimeMs"].is_u64());

    let (status, r) = call(
        &app,
        post(
            "/v1/recommend",
            json!({"kind": "trending", "filters": {"category": "luminaires"}}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let hits = r["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| ["luminaires", "lampes", "appliques"]
            .contains(&h["category"]["slug"].as_str().unwrap())),
        "{r}"
    );

    let too_many: Vec<String> = (0..101).map(|i| format!("p{i}")).collect();
    for (body, status, code) in [
        (
            json!({"kind": "best"}),
            StatusCode::BAD_REQUEST,
            "invalid_recommendation_kind",
        ),
        (
            json!({"kind": "complete-the-look"}),
            StatusCode::BAD_REQUEST,
            "missing_recommendation_anchor",
        ),
        (
            json!({"kind": "personalized", "viewHistory": too_many}),
            StatusCode::BAD_REQUEST,
            "too_many_context_items",
        ),
        (
            json!({"kind": "similar", "productId": "nope"}),
            StatusCode::NOT_FOUND,
            "product_not_found",
        ),
        (
            json!({"kind": "trending", "limit": 101}),
            StatusCode::BAD_REQUEST,
            "invalid_search_limit",
        ),
        (
            json!({"kind": "trending", "filters": {"featured": true}}),
            StatusCode::BAD_REQUEST,
            "invalid_search_filter",
        ),
        (
            json!({"kind": "trending", "page": 2}),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
    ] {
        let (got, r) = call(&app, post("/v1/recommend", body.to_string())).await;
        assert_eq!(
            (got, r["code"].as_str()),
            (status, Some(code)),
            "{body}: {r}"
        );
    }
}

#[tokio::test]
async fn the_storefront_recommendations_route_chooses_kinds_per_context() {
    let (app, _built) = app(common::build("mini"));
    let (status, r) = call(
        &app,
        post(
            "/api/ai/recommendations",
            json!({"context": "homepage"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["context"], "homepage");
    let recommendations = r["recommendations"].as_array().unwrap();
    assert_eq!(recommendations.len(), 8, "the default size: {r}");

    // The storefront's cart lines are accepted as they are.
    let body = json!({
        "context": "cart",
        "cartItems": [{"productId": "p01", "quantity": 1}, "p15"],
        "limit": 4
    });
    let (status, r) = call(&app, post("/api/ai/recommendations", body.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let recommendations = r["recommendations"].as_array().unwrap();
    assert!(!recommendations.is_empty() && recommendations.len() <= 4);
    assert!(
        recommendations
            .iter()
            .all(|h| h["id"] != "p01" && h["id"] != "p15"),
        "{r}"
    );

    for (body, code) in [
        (
            json!({"context": "search"}),
            "invalid_recommendation_context",
        ),
        (
            json!({"context": "product"}),
            "missing_recommendation_anchor",
        ),
    ] {
        let (status, r) = call(&app, post("/api/ai/recommendations", body.to_string())).await;
        assert_eq!(
            (status, r["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}: {r}"
        );
    }
}

#[tokio::test]
async fn the_storefront_search_and_suggest_routes_and_metrics() {
    let (app, _built) = app(common::build("mini"));
    let (status, body) = call(
        &app,
        post(
            "/api/ai/search",
            json!({"query": "canapé moins de 700 euros"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    let data = body["data"].as_array().unwrap();
    assert!(!data.is_empty());
    assert!(data.iter().all(|h| h["price"].as_f64().unwrap() <= 700.0));
    assert_eq!(body["intent"]["source"], "local");
    assert_eq!(body["intent"]["filters"]["maxPrice"], 700.0);
    let labels: Vec<&str> = body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"moins de 700 €"), "{labels:?}");
    assert_eq!(body["reranked"], false);

    let (status, body) = call(
        &app,
        post(
            "/api/ai/search/suggest",
            json!({"query": "lampe moins de 100"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let completions = body["completions"].as_array().unwrap();
    assert!(
        completions
            .iter()
            .any(|c| c.as_str().unwrap().starts_with("Lampe")),
        "{body}"
    );
    let chips = body["aiSuggestions"].as_array().unwrap();
    let cheap = chips
        .iter()
        .find(|c| c["label"] == "moins de 100 €")
        .expect("price chip");
    assert_eq!(cheap["filters"]["maxPrice"], 100.0);
    // While the query is one word, category names complete it too; past it, they do not.
    let (_, body) = call(
        &app,
        post(
            "/api/ai/search/suggest",
            json!({"query": "lum"}).to_string(),
        ),
    )
    .await;
    assert!(
        body["completions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Luminaires"),
        "{body}"
    );
    let (_, body) = call(
        &app,
        post(
            "/api/ai/search/suggest",
            json!({"query": "lampe lum"}).to_string(),
        ),
    )
    .await;
    assert!(
        !body["completions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Luminaires"),
        "{body}"
    );
    let (status, body) = call(&app, post("/api/ai/search/suggest", "{\"q\": \"x\"}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, body) = call(&app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.as_str()
            .unwrap()
            .contains("vivr_llm_calls_total{task=\"intent\"} 0")
    );
    // Without a key, submitted searches count as skipped, never as errors.
    assert!(
        body.as_str()
            .unwrap()
            .contains("vivr_llm_errors_total{task=\"intent\"} 0")
    );
}

#[tokio::test]
async fn the_storefront_page_and_its_assets_are_served_same_origin_only() {
    let (app, _built) = app(common::build("mini"));
    for (path, content_type, needle) in [
        ("/", "text/html", "id=\"q\""),
        ("/assets/app.js", "text/javascript", "/v1/search"),
        ("/assets/app.css", "text/css", ".grid"),
    ] {
        let response = app.clone().oneshot(get(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(text.contains(needle), "{path}");
        // No fonts, scripts or styles from elsewhere.
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path}"
        );
    }
}
