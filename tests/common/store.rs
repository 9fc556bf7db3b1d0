//! The mini store with customers and their orders, HS256 tokens for customers and staff, and
//! an MCP client over the router (no socket): sessions, tool calls and their errors.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::path::Path;

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::send;

pub const SECRET: &str = "orders-test-secret-of-32-characters-at-least";
pub const ISSUER: &str = "https://vivr.fr";
/// The default audience of a server configured with no public URL (`http://` + bind).
pub const BASE: &str = "http://127.0.0.1:7700";

/// A token for `sub` with `scope`, valid now, for `/mcp`; `tweak` edits the claims.
pub fn token_with(sub: &str, scope: &str, tweak: impl FnOnce(&mut Value)) -> String {
    let now = Utc::now().timestamp();
    let mut claims = json!({"sub": sub, "scope": scope, "iss": ISSUER, "aud": format!("{BASE}/mcp"),
                            "exp": now + 300, "nbf": now - 5, "iat": now});
    tweak(&mut claims);
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

pub fn customer(sub: &str) -> String {
    token_with(sub, "orders:read support:write", |_| {})
}

pub fn staff() -> String {
    token_with(
        "staff_1",
        "orders:read:all support:write analytics:read",
        |_| {},
    )
}

pub fn message(
    path: &str,
    token: Option<&str>,
    session: Option<&str>,
    method: &str,
    params: Value,
    id: Option<u64>,
) -> Request<Body> {
    let mut body = json!({"jsonrpc": "2.0", "method": method, "params": params});
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    let mut request = Request::post(path)
        .header("host", "127.0.0.1:7700")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

/// An MCP session on `path` whose requests carry `token`.
pub struct Session {
    pub app: axum::Router,
    pub path: &'static str,
    pub token: Option<String>,
    pub id: String,
}

pub async fn connect(app: &axum::Router, path: &'static str, token: Option<String>) -> Session {
    let init = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}});
    let response = app
        .clone()
        .oneshot(message(
            path,
            token.as_deref(),
            None,
            "initialize",
            init,
            Some(0),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, _) = send(
        app,
        message(
            path,
            token.as_deref(),
            Some(&id),
            "notifications/initialized",
            json!({}),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    Session {
        app: app.clone(),
        path,
        token,
        id,
    }
}

impl Session {
    pub async fn raw(&self, method: &str, params: Value) -> (StatusCode, Value) {
        send(
            &self.app,
            message(
                self.path,
                self.token.as_deref(),
                Some(&self.id),
                method,
                params,
                Some(1),
            ),
        )
        .await
    }

    pub async fn tools(&self) -> Vec<String> {
        let (_, body) = self.raw("tools/list", json!({})).await;
        body["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The result of a tool call that the edge lets through.
    pub async fn call(&self, name: &str, arguments: Value) -> Value {
        let (status, body) = self
            .raw("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["result"].clone()
    }

    /// The structured content of a successful tool call.
    pub async fn ok(&self, name: &str, arguments: Value) -> Value {
        let result = self.call(name, arguments).await;
        assert_ne!(result["isError"], true, "{name}: {result}");
        result["structuredContent"].clone()
    }

    /// The message of a tool error.
    pub async fn error(&self, name: &str, arguments: Value) -> String {
        let result = self.call(name, arguments).await;
        assert_eq!(result["isError"], true, "{name}: {result}");
        result["content"][0]["text"].as_str().unwrap().to_owned()
    }
}

/// A configuration that accepts the tokens minted here.
pub fn auth_config() -> vivr_search::config::Config {
    let mut config = vivr_search::config::Config::default();
    config.auth.hs256_secret = Some(SECRET.into());
    config.auth.issuer = Some(ISSUER.into());
    config
}

/// An RFC 3339 time `days` ago.
pub fn ago(days: i64) -> String {
    (Utc::now() - Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The mini catalog plus a personalised poster, two customers' orders in every stage, and
/// their users.
pub fn export(dir: &Path) -> std::path::PathBuf {
    let export = super::copy_fixture("mini", dir);
    super::append(
        &export,
        "products.ndjson",
        &[
            r#"{"id": "p90", "slug": "affiche-personnalisee-prenom", "name": "Affiche personnalisée prénom", "price": 39.0, "stock": 50, "categoryId": "c-deco", "createdAt": "2026-01-01T10:00:00Z", "updatedAt": "2026-01-01T10:00:00Z", "personalised": true, "leadTimeDays": 5}"#,
        ],
    );
    let placed = ago(40);
    let order = |id: &str, number: &str, user: &str, status: &str, extra: Value, items: Value| {
        let mut o = json!({"id": id, "orderNumber": number, "userId": user,
            "email": format!("{user}@example.fr"), "status": status, "total": 0.0,
            "createdAt": placed, "updatedAt": ago(1), "shippingPostalCode": "75011", "items": items});
        let total: f64 = o["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["price"].as_f64().unwrap() * i["quantity"].as_f64().unwrap())
            .sum();
        o["total"] = json!((total * 100.0).round() / 100.0 + 5.9);
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o.to_string()
    };
    let sofa = json!([{"productId": "p01", "quantity": 1, "price": 899.0}, {"productId": "p90", "quantity": 1, "price": 39.0}]);
    let lamp = json!([{"productId": "p03", "quantity": 2, "price": 59.0}]);
    let lines = [
        order(
            "oa1",
            "ORD-AAAA0001",
            "alice",
            "DELIVERED",
            json!({"paidAt": ago(10), "shippedAt": ago(6), "deliveredAt": ago(3), "carrier": "Geodis", "trackingNumber": "1234567890"}),
            sofa.clone(),
        ),
        order(
            "oa2",
            "ORD-AAAA0002",
            "alice",
            "SHIPPED",
            json!({"paidAt": ago(2), "shippedAt": ago(1), "carrier": "Colissimo", "trackingNumber": "6A00000000001"}),
            lamp.clone(),
        ),
        order(
            "oa3",
            "ORD-AAAA0003",
            "alice",
            "DELIVERED",
            json!({"createdAt": ago(220), "paidAt": ago(220), "shippedAt": ago(215), "deliveredAt": ago(210), "carrier": "Colissimo", "trackingNumber": "6A00000000003"}),
            lamp.clone(),
        ),
        order(
            "oa4",
            "ORD-AAAA0004",
            "alice",
            "CANCELLED",
            json!({"cancelledAt": ago(39)}),
            lamp.clone(),
        ),
        order(
            "oa5",
            "ORD-AAAA0005",
            "alice",
            "PROCESSING",
            json!({"createdAt": ago(1), "paidAt": ago(1), "shippingPostalCode": "20000"}),
            sofa,
        ),
        order(
            "ob1",
            "ORD-BBBB0001",
            "bob",
            "DELIVERED",
            json!({"paidAt": ago(9), "shippedAt": ago(7), "deliveredAt": ago(5), "carrier": "Colissimo", "trackingNumber": "6A00000000009"}),
            lamp,
        ),
    ];
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    super::write(&export, "orders.ndjson", &refs);
    super::write(
        &export,
        "users.ndjson",
        &[
            r#"{"id": "alice", "email": "alice@example.fr", "name": "Alice Martin", "createdAt": "2025-01-01T00:00:00Z"}"#,
            r#"{"id": "bob", "email": "bob@example.fr", "createdAt": "2025-02-01T00:00:00Z"}"#,
        ],
    );
    export
}

pub struct Fixture {
    pub built: super::Built,
    pub state_dir: tempfile::TempDir,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let export = export(dir.path());
    Fixture {
        built: super::build_export(dir, &export, None),
        state_dir: tempfile::tempdir().unwrap(),
    }
}

impl Fixture {
    pub fn app(&self, config: &vivr_search::config::Config) -> axum::Router {
        super::router_with_state(&self.built, config, &self.state_dir.path().join("state.db"))
    }
}
