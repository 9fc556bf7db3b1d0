//! The public JSON of every route, pinned: a snapshot of the key paths of each response on the
//! mini fixture (`tests/snapshots/api-shapes.txt`). A field renamed or dropped inside the
//! engine must not silently change what the storefront reads; a deliberate change rewrites the
//! snapshot with `UPDATE_SNAPSHOTS=1 cargo test --test api_shapes`.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vivr_search::api::{AppState, router};
use vivr_search::config::Config;

const SERVER: &str = "server-token-0123456789";

/// Every key path of a JSON value: `a.b` for objects, `a[]` for array items (merged).
fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                // Maps keyed by data (facet values, attribute names) are not shape.
                let data_keyed = [
                    "facetDistribution",
                    "facetDistribution.*",
                    "facetStats",
                    "attributes",
                ]
                .iter()
                .any(|keyed| prefix.ends_with(keyed));
                let path = if data_keyed {
                    format!("{prefix}.*")
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_public_response_keeps_its_shape() {
    let built = common::build("mini");
    let engine = Arc::new(
        vivr_search::search::Engine::open(
            vivr_search::catalog::Catalog::open(&built.db()).unwrap(),
            &built.index_dir(),
        )
        .unwrap(),
    );
    let config = Config {
        server_token: Some(SERVER.to_owned()),
        ..Config::default()
    };
    let app = router(AppState::new(
        engine,
        Arc::new(vivr_search::llm::Claude::new(Default::default(), None)),
        &config,
    ));
    let routes: Vec<(&str, &str, Option<Value>)> = vec![
        (
            "POST",
            "/v1/search",
            Some(
                json!({"q": "canapé velours moins de 1000 euros", "facets": ["*"], "explain": true}),
            ),
        ),
        ("POST", "/v1/similar", Some(json!({"id": "p01"}))),
        (
            "POST",
            "/v1/recommend",
            Some(json!({"kind": "personalized", "userId": "u0", "cartItems": ["p03"]})),
        ),
        (
            "POST",
            "/api/ai/recommendations",
            Some(json!({"context": "product", "productId": "p01"})),
        ),
        (
            "POST",
            "/api/ai/search",
            Some(json!({"query": "lampe moins de 100 euros"})),
        ),
        (
            "POST",
            "/api/ai/search/suggest",
            Some(json!({"query": "lampe moins de 100"})),
        ),
        ("GET", "/v1/products/p01", None),
        ("GET", "/v1/categories", None),
        ("GET", "/health", None),
        ("POST", "/v1/search", Some(json!({"limit": 1000}))),
    ];
    let mut snapshot = String::new();
    for (method, uri, body) in routes {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {SERVER}"))
            .body(
                body.as_ref()
                    .map_or(Body::empty(), |b| Body::from(b.to_string())),
            )
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        let mut keys = BTreeSet::new();
        paths(&value, "", &mut keys);
        snapshot.push_str(&format!("{method} {uri} {status}\n"));
        for key in keys {
            snapshot.push_str(&format!("  {key}\n"));
        }
    }
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/api-shapes.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&file, &snapshot).unwrap();
    }
    let pinned = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        pinned == snapshot,
        "the public JSON changed; if on purpose, run UPDATE_SNAPSHOTS=1 cargo test --test api_shapes and commit the snapshot\n--- pinned\n{pinned}\n--- now\n{snapshot}"
    );
}
