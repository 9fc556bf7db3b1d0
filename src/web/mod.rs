//! The demo storefront page served at `/` and the merchant's page at `/admin`: static HTML,
//! CSS and plain JavaScript compiled into the binary (no build step, nothing loaded from
//! elsewhere). The storefront calls the public API as a shop would: `/v1/search`,
//! `/api/ai/search/suggest`, `/v1/products/{id}`, `/v1/similar`, `/v1/recommend`,
//! `/v1/categories`; the admin page calls the analytics routes (`/api/ai/admin/insights/…`,
//! `/v1/analytics/searches`) with the token the merchant enters, and draws its charts itself.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX_HTML: &str = include_str!("index.html");
const APP_CSS: &str = include_str!("app.css");
const APP_JS: &str = include_str!("app.js");
const ADMIN_HTML: &str = include_str!("admin.html");
const ADMIN_CSS: &str = include_str!("admin.css");
const ADMIN_JS: &str = include_str!("admin.js");

/// Same-origin only: the page's own script and style, API calls to this server, no inline code.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The page's routes.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| asset("text/html; charset=utf-8", INDEX_HTML)))
        .route(
            "/assets/app.css",
            get(|| asset("text/css; charset=utf-8", APP_CSS)),
        )
        .route(
            "/assets/app.js",
            get(|| asset("text/javascript; charset=utf-8", APP_JS)),
        )
        .route(
            "/admin",
            get(|| asset("text/html; charset=utf-8", ADMIN_HTML)),
        )
        .route(
            "/assets/admin.css",
            get(|| asset("text/css; charset=utf-8", ADMIN_CSS)),
        )
        .route(
            "/assets/admin.js",
            get(|| asset("text/javascript; charset=utf-8", ADMIN_JS)),
        )
}

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
