//! The HTTP API (axum): routes, layers, and the mapping of engine errors to HTTP.
//!
//! Routes: `POST /v1/search`, `POST /v1/similar`, `POST /v1/recommend`, `GET /v1/products/{idOrSlug}`,
//! `GET /v1/categories`, `GET /health`, `POST /admin/reload` (bearer token), and the storefront's
//! `POST /api/ai/recommendations`, `POST /api/ai/search`, `POST /api/ai/search/suggest`, and
//! `GET /metrics` (Prometheus), and the MCP endpoint `/mcp` (streamable HTTP, [`crate::mcp`]). Handlers are thin: a DTO, one call into
//! [`Engine`], a response. [`router`] takes the state and needs no socket, so tests call it
//! with `oneshot`.

mod dto;
mod error;
mod extract;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use dto::{
    ContextBody, ContextReply, RecommendBody, SearchBody, SearchReply, SimilarBody,
    StorefrontQueryBody, StorefrontSearchReply,
};
use extract::{ApiJson, BodyLimit};

use crate::llm::Claude;
use crate::recommend::{self, Context, RecommendRequest, RecommendResponse};
use crate::search::{
    CategoryNode, Engine, Health, ProductDetail, SearchRequest, SimilarRequest, SimilarResponse,
    Suggestions, search_with_claude,
};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Arc<Engine>,
    /// The Claude client (submitted searches); without a key it never calls.
    pub claude: Arc<Claude>,
    /// Bearer token of the admin routes; `None` disables them.
    pub admin_token: Option<Arc<str>>,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Largest body accepted, in bytes.
    pub body_limit: usize,
    /// Who may use the MCP endpoint at `/mcp`.
    pub mcp: McpAccess,
    /// Requests per window over the whole server, the API and `/mcp` alike.
    pub rate_limit: Arc<crate::limit::RateLimiter>,
}

/// Access to `/mcp` beyond loopback defaults.
#[derive(Clone, Default)]
pub struct McpAccess {
    /// When set, requests without `Authorization: Bearer <token>` get 401.
    pub token: Option<Arc<str>>,
    /// `Host` names accepted besides localhost, 127.0.0.1 and ::1.
    pub allowed_hosts: Vec<String>,
}

/// The API's router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.body_limit;
    let timeout = state.request_timeout;
    let mcp = Router::new()
        .nest_service(
            "/mcp",
            crate::mcp::http_service(
                state.engine.clone(),
                &state.mcp.allowed_hosts,
                state.body_limit,
            ),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.mcp.token.clone(),
            require_mcp_token,
        ));
    Router::new()
        .route("/v1/search", post(search))
        .route("/v1/similar", post(similar))
        .route("/v1/recommend", post(recommend))
        .route("/api/ai/recommendations", post(storefront_recommendations))
        .route("/api/ai/search", post(storefront_search))
        .route("/api/ai/search/suggest", post(storefront_suggest))
        .route("/metrics", get(metrics))
        .route("/v1/products/{id_or_slug}", get(product))
        .route("/v1/categories", get(categories))
        .route("/health", get(health))
        .route("/admin/reload", post(reload))
        .merge(mcp)
        .merge(crate::web::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.rate_limit.clone(),
            rate_limit,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(Extension(BodyLimit(body_limit)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("unmatched", |p| p.as_str())
                    .to_owned();
                tracing::info_span!("http", method = %req.method(), route)
            }),
        )
}

/// The listener with `TCP_NODELAY` on every connection: event-stream answers (MCP) go out in
/// several small writes, which Nagle's algorithm would hold back for the peer's delayed ACK
/// (40 ms on Linux).
pub fn nodelay(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    })
}

// Searches take a few milliseconds of CPU: they run on the async worker directly rather than
// paying a hop to the blocking pool; Claude's calls are awaited, never blocked on.
async fn search(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<SearchReply>, ApiError> {
    let request = SearchRequest::try_from(body)?;
    let response = search_with_claude(&state.engine, &state.claude, &request).await?;
    Ok(Json(SearchReply {
        response,
        request_uid: uuid::Uuid::new_v4().to_string(),
    }))
}

async fn similar(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SimilarBody>,
) -> Result<Json<SimilarResponse>, ApiError> {
    let request = SimilarRequest::try_from(body).map_err(ApiError::InvalidField)?;
    Ok(Json(state.engine.similar(&request)?))
}

async fn recommend(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RecommendBody>,
) -> Result<Json<RecommendResponse>, ApiError> {
    let request = RecommendRequest::try_from(body)?;
    Ok(Json(recommend::recommend(&state.engine, &request)?))
}

/// The storefront's route: kinds chosen by the page's context.
async fn storefront_recommendations(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ContextBody>,
) -> Result<Json<ContextReply>, ApiError> {
    let context: Context = body.context.parse()?;
    let request = RecommendRequest::from(body);
    let response = recommend::for_context(&state.engine, context, &request)?;
    Ok(Json(ContextReply {
        recommendations: response.hits,
        context,
        processing_time_ms: response.processing_time_ms,
        degraded: response.degraded,
    }))
}

/// The storefront's submitted search: `full` mode, Claude when configured.
async fn storefront_search(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StorefrontQueryBody>,
) -> Result<Json<StorefrontSearchReply>, ApiError> {
    let request = SearchRequest {
        q: body.query,
        limit: body.limit.unwrap_or(20),
        ..SearchRequest::default()
    };
    let response = search_with_claude(&state.engine, &state.claude, &request).await?;
    Ok(Json(StorefrontSearchReply {
        success: true,
        suggestions: crate::search::chips(&response),
        intent: response.parsed_query,
        reranked: response.reranked,
        data: response.hits,
        degraded: response.degraded,
        processing_time_ms: response.processing_time_ms,
    }))
}

/// The storefront's search-as-you-type suggestions (local only).
async fn storefront_suggest(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StorefrontQueryBody>,
) -> Result<Json<Suggestions>, ApiError> {
    Ok(Json(state.engine.suggest(&body.query)?))
}

/// Prometheus metrics of the Claude client.
async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.claude.metrics().render(),
    )
}

async fn product(
    State(state): State<AppState>,
    Path(id_or_slug): Path<String>,
) -> Result<Json<ProductDetail>, ApiError> {
    Ok(Json(state.engine.product(&id_or_slug)?))
}

async fn categories(State(state): State<AppState>) -> Result<Json<Vec<CategoryNode>>, ApiError> {
    Ok(Json(state.engine.categories()?))
}

async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    Ok(Json(state.engine.health()?))
}

#[derive(serde::Serialize)]
struct Reloaded {
    reloaded: bool,
    generation: u64,
}

async fn reload(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Reloaded>, ApiError> {
    let expected = state
        .admin_token
        .as_deref()
        .ok_or(ApiError::AdminDisabled)?;
    if !bearer_is(&headers, expected) {
        return Err(ApiError::Unauthorized);
    }
    let engine = state.engine.clone();
    let reloaded = tokio::task::spawn_blocking(move || engine.reload())
        .await
        .map_err(|e| ApiError::Internal(format!("reload task failed: {e}")))??;
    Ok(Json(Reloaded {
        reloaded,
        generation: state.engine.generation().manifest().generation,
    }))
}

/// Refuses a request with 429 when the server's rate-limit window is full.
async fn rate_limit(
    State(limiter): State<Arc<crate::limit::RateLimiter>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    if !limiter.try_acquire(std::time::Instant::now()) {
        return Err(ApiError::RateLimited(
            limiter.window().as_secs_f64().ceil() as u64
        ));
    }
    Ok(next.run(request).await)
}

/// Lets a request through to `/mcp` when no token is configured or it carries the token.
async fn require_mcp_token(
    State(token): State<Option<Arc<str>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    if token
        .as_deref()
        .is_some_and(|expected| !bearer_is(request.headers(), expected))
    {
        return Err(ApiError::Unauthorized);
    }
    Ok(next.run(request).await)
}

/// Whether the request carries `Authorization: Bearer <expected>`.
fn bearer_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

/// Compares secrets without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
