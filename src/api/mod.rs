//! The HTTP API (axum): routes, layers, and the mapping of engine errors to HTTP.
//!
//! Routes: `POST /v1/search`, `POST /v1/similar`, `POST /v1/recommend`, `POST /v1/events`,
//! `GET /v1/products/{idOrSlug}`, `GET /v1/categories`, `GET /health`, `POST /admin/reload`
//! (bearer token), the storefront's `POST /api/ai/recommendations`, `POST /api/ai/search`,
//! `POST /api/ai/search/suggest`, `GET /metrics` (Prometheus), the MCP servers at `/mcp`,
//! `/mcp/catalog`, `/mcp/orders`, `/mcp/support`, `/mcp/analytics` (streamable HTTP, [`crate::mcp`]) and their
//! protected resource metadata under `/.well-known/oauth-protected-resource`. Handlers are
//! thin: a DTO, one call into
//! [`Engine`], a response. [`router`] takes the state and needs no socket, so tests call it
//! with `oneshot`.

mod auth;
mod client;
mod dto;
mod error;
mod extract;
mod insights;
mod listen;
mod mcp_edge;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use client::{Caller, ClientAddr, ClientLimits};
pub use dto::SearchReply;
pub use error::ApiError;
pub use listen::{ConnectionLimits, serve};
pub use mcp_edge::SessionLimits;

use client::Identity;
use dto::{
    CategoryReply, ContextBody, ContextReply, HealthReply, ProductReply, RecommendBody,
    RecommendReply, RecommendedHit, SearchBody, SimilarBody, SimilarReply, StorefrontQueryBody,
    StorefrontSearchReply,
};
use extract::{ApiJson, BodyLimit};

use crate::config::Config;
use crate::llm::Claude;
use crate::recommend::{self, Context, RecommendRequest};
use crate::search::{Engine, SearchRequest, SimilarRequest, search_with_claude};

/// Shared state of the handlers, made from the [`Config`] by [`AppState::new`].
#[derive(Clone)]
pub struct AppState {
    engine: Arc<Engine>,
    claude: Arc<Claude>,
    identity: Arc<Identity>,
    limits: Arc<ClientLimits>,
    request_timeout: Duration,
    body_limit: usize,
    mcp: McpAccess,
    recommendations_enabled: bool,
    /// Search logs and shopper events, when there is a state database.
    recorder: Option<Arc<crate::state::Recorder>>,
    retention: crate::state::Retention,
    /// The live sync's status, when the server syncs from the store's database.
    sync: Option<Arc<crate::sync::SyncStatus>>,
}

/// Access to the MCP servers beyond loopback defaults.
#[derive(Clone)]
struct McpAccess {
    /// Who calls: access tokens, `MCP_AUTH_TOKEN`, the metadata and lookup limits.
    auth: Arc<auth::McpAuth>,
    /// What the servers share (state database, store rules).
    services: crate::mcp::Services,
    /// `Host` names accepted besides localhost, 127.0.0.1 and ::1.
    allowed_hosts: Vec<String>,
    /// Caps of the protocol sessions.
    sessions: SessionLimits,
}

impl AppState {
    /// The state of a server over `engine` and `claude`, configured by `config` (tokens, rate
    /// limits, timeout, body limit, MCP access and sessions).
    pub fn new(engine: Arc<Engine>, claude: Arc<Claude>, config: &Config) -> AppState {
        let token = |t: &Option<String>| t.as_deref().map(Arc::from);
        AppState {
            engine,
            claude,
            identity: Arc::new(Identity {
                admin_token: token(&config.admin_token),
                server_token: token(&config.server_token),
                trusted_proxies: config.trusted_proxies.clone(),
            }),
            limits: Arc::new(ClientLimits::new(
                config.rate_limit_requests,
                config.server_rate_limit_requests,
                Duration::from_millis(config.rate_limit_window_ms),
            )),
            request_timeout: Duration::from_millis(config.request_timeout_ms),
            body_limit: config.body_limit_bytes,
            mcp: McpAccess {
                auth: Arc::new(auth::McpAuth::new(config)),
                services: crate::mcp::Services::from_config(config, None),
                allowed_hosts: config.mcp_allowed_hosts.clone(),
                sessions: SessionLimits {
                    max_total: config.mcp_max_sessions,
                    max_per_client: config.mcp_max_sessions_per_client,
                    idle: Duration::from_secs(config.mcp_session_idle_secs),
                },
            },
            recommendations_enabled: config.llm.enable_recommendations,
            recorder: None,
            retention: crate::state::Retention {
                event_days: config.analytics.event_retention_days,
                search_days: config.analytics.search_log_retention_days,
            },
            sync: None,
        }
    }

    /// The state of a server that syncs from the store's database: `/health` and `/metrics`
    /// report the sync.
    pub fn with_sync(mut self, status: Arc<crate::sync::SyncStatus>) -> AppState {
        self.sync = Some(status);
        self
    }

    /// The state with the engine's own database, where `escalate_to_human` writes tickets
    /// and searches and shopper events are recorded. Spawns the recorder's writer: call it
    /// within a tokio runtime.
    pub fn with_state_db(mut self, state: Arc<crate::state::State>) -> AppState {
        let (recorder, writer) = crate::state::Recorder::new(state.clone(), self.retention);
        tokio::spawn(writer);
        self.recorder = Some(Arc::new(recorder));
        self.mcp.services.state = Some(state);
        self
    }

    /// The recorder of searches and events, if any (tests wait on its `flush`).
    pub fn recorder(&self) -> Option<Arc<crate::state::Recorder>> {
        self.recorder.clone()
    }
}

/// The API's router. Layers, outermost first: tracing, a panic becomes a coded 500, a
/// `content-length` over the limit is refused before the body is read, the request timeout
/// (a coded 503), the body limit, who is calling, the per-client rate limit.
pub fn router(state: AppState) -> Router {
    let body_limit = state.body_limit;
    let timeout = state.request_timeout;
    let sessions = Arc::new(mcp_edge::SessionCap::new(state.mcp.sessions));
    // One service per server of the store's plan, each on its path, sharing the sessions'
    // cap; in front, the edge (sessions, body checks), then who calls and may they.
    let mut mcp = Router::new();
    for set in crate::mcp::ServerSet::ALL {
        mcp = mcp.route_service(
            set.path(),
            crate::mcp::http_service(
                state.engine.clone(),
                state.mcp.services.clone(),
                set,
                sessions.manager(),
                &state.mcp.allowed_hosts,
                body_limit,
            ),
        );
    }
    let mcp = mcp
        .layer(axum::middleware::from_fn_with_state(
            state.mcp.auth.clone(),
            auth::authorize_mcp,
        ))
        .layer(axum::middleware::from_fn_with_state(
            (sessions, body_limit),
            mcp_edge::mcp_edge,
        ));
    let metadata = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(auth::protected_resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/{*path}",
            get(auth::protected_resource_metadata),
        )
        .with_state(state.mcp.auth.clone());
    // What reads the index or the replica waits for the first generation from the store.
    let data = Router::new()
        .route("/v1/search", post(search))
        .route("/v1/similar", post(similar))
        .route("/v1/recommend", post(recommend))
        .route("/api/ai/recommendations", post(storefront_recommendations))
        .route("/api/ai/search", post(storefront_search))
        .route("/api/ai/search/suggest", post(storefront_suggest))
        .route("/v1/products/{id_or_slug}", get(product))
        .route("/v1/categories", get(categories))
        .merge(insights::routes())
        .merge(mcp)
        .route_layer(axum::middleware::from_fn_with_state(
            state.engine.clone(),
            refuse_while_building,
        ));
    Router::new()
        .merge(data)
        .route("/v1/events", post(events))
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .route("/admin/reload", post(reload))
        .merge(metadata)
        .merge(crate::web::routes())
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            client::rate_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.identity.clone(),
            client::identify,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(Extension(BodyLimit(body_limit)))
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            body_limit,
            refuse_large_content_length,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
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

async fn route_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::RouteNotFound(uri.path().to_owned())
}

async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

/// The request, its body included, within the server's timeout; else a coded 503.
async fn request_timeout(
    State(timeout): State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    tokio::time::timeout(timeout, next.run(request))
        .await
        .map_err(|_| ApiError::Timeout(timeout.as_millis() as u64))
}

/// A declared body larger than the limit is refused before a byte of it is read.
async fn refuse_large_content_length(
    State(limit): State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    Ok(next.run(request).await)
}

/// A request that panicked answers the coded 500 (and is logged), never a dropped connection.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    ApiError::Internal(format!("request panicked: {what}")).into_response()
}

// Calls that may read the replica (product pages, similar products by slug, recommendations)
// run through `Engine::off_worker`: on the blocking pool, a few at once, so the async workers
// keep answering (health, timeouts) under load. Searches and suggestions read only the
// in-memory generation and run on the request's task; Claude's calls are awaited.
async fn search(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<SearchReply>, ApiError> {
    let submitter = submitter(body.session_id(), client);
    let session = body.session_id().map(str::to_owned);
    let request = SearchRequest::try_from(body)?;
    let response = search_with_claude(&state.engine, &state.claude, &request).await?;
    state.engine.remember_query(&request, &response, &submitter);
    let request_uid = new_request_uid();
    log_search(&state, &request, &response, &request_uid, session);
    Ok(Json(SearchReply::new(response, request_uid)))
}

/// A search's id, as its reply and its log give it. Time-ordered (UUID v7): the search log's
/// key grows, so a batch of logs appends to the last pages of its table instead of touching a
/// random page per row.
pub(crate) fn new_request_uid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Hands a search to the recorder (its query masked for personal data as Claude's inputs
/// are); nothing without a state database.
fn log_search(
    state: &AppState,
    request: &SearchRequest,
    response: &crate::search::SearchResponse,
    request_uid: &str,
    session_id: Option<String>,
) {
    if let Some(recorder) = &state.recorder {
        let query = crate::llm::mask::mask_sensitive(&request.q);
        // A dropped word is kept only when the masked query still holds it: the pieces of a
        // masked e-mail ("dupont") are dropped words too.
        let kept: Vec<String> = crate::text::words(&query)
            .into_iter()
            .map(|w| w.raw)
            .collect();
        if let Some(word) = &response.proposed {
            recorder.propose(
                word.word.clone(),
                word.category.clone(),
                chrono::Utc::now().timestamp_millis(),
            );
        }
        recorder.search(crate::state::SearchLog {
            request_uid: request_uid.to_owned(),
            at_ms: chrono::Utc::now().timestamp_millis(),
            mode: request.mode.as_str(),
            hits: response.estimated_total_hits as u64,
            latency_ms: response.processing_time_ms as f64,
            session_id,
            user_id: None,
            dropped: response
                .dropped_words
                .iter()
                .filter(|w| kept.iter().any(|k| k == *w))
                .cloned()
                .collect(),
            query,
        });
    }
}

/// `POST /v1/events`: shopper events, validated, then batched into the state database.
async fn events(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<dto::EventsBody>,
) -> Result<Json<dto::EventsReply>, ApiError> {
    let Some(recorder) = &state.recorder else {
        return Err(ApiError::EventsUnavailable(
            "events are not recorded on this server (no state database)".into(),
        ));
    };
    let events = body
        .validate(
            chrono::Utc::now().timestamp_millis(),
            state.retention.event_days,
        )
        .map_err(ApiError::InvalidEvent)?;
    let accepted = events.len();
    recorder
        .events(events)
        .map_err(|e| ApiError::EventsUnavailable(e.to_string()))?;
    Ok(Json(dto::EventsReply { accepted }))
}

/// Who submitted a search, for completions: the storefront's visitor id when it sends one,
/// else the client's address (so the storefront's server, one address for all its shoppers,
/// never vouches for a query on its own).
fn submitter(session_id: Option<&str>, client: ClientAddr) -> String {
    match session_id {
        Some(id) => format!("session:{id}"),
        None => format!("addr:{}", client.0),
    }
}

async fn similar(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SimilarBody>,
) -> Result<Json<SimilarReply>, ApiError> {
    let request = SimilarRequest::try_from(body).map_err(ApiError::InvalidField)?;
    let response = state
        .engine
        .off_worker(move |e| e.similar(&request))
        .await??;
    Ok(Json(response.into()))
}

/// Refuses a recommendation request when the feature is off, or when it names a user and the
/// caller is neither the storefront's server nor that user (a customer's access token whose
/// subject is the user): a user's orders and wishlist are theirs.
async fn check_recommendation(
    state: &AppState,
    caller: Caller,
    headers: &axum::http::HeaderMap,
    request: &RecommendRequest,
) -> Result<(), ApiError> {
    if !state.recommendations_enabled {
        return Err(ApiError::RecommendationsDisabled);
    }
    let Some(user) = &request.user_id else {
        return Ok(());
    };
    if caller.is_trusted() {
        return Ok(());
    }
    if client::bearer_token(headers).is_some() && state.mcp.auth.verifier.accepts_tokens() {
        let principal = state.mcp.auth.principal(headers, "/mcp").await?;
        if principal.subject.as_deref() == Some(user.as_str()) {
            return Ok(());
        }
    }
    Err(ApiError::UserAuthRequired)
}

async fn recommend(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<RecommendBody>,
) -> Result<Json<RecommendReply>, ApiError> {
    let request = RecommendRequest::try_from(body)?;
    check_recommendation(&state, caller, &headers, &request).await?;
    let response = state
        .engine
        .off_worker(move |e| recommend::recommend(e, &request))
        .await??;
    Ok(Json(response.into()))
}

/// The storefront's route: kinds chosen by the page's context.
async fn storefront_recommendations(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<ContextBody>,
) -> Result<Json<ContextReply>, ApiError> {
    let context: Context = body.context.parse()?;
    let request = RecommendRequest::from(body);
    check_recommendation(&state, caller, &headers, &request).await?;
    let response = state
        .engine
        .off_worker(move |e| recommend::for_context(e, context, &request))
        .await??;
    Ok(Json(ContextReply {
        recommendations: response
            .hits
            .into_iter()
            .map(RecommendedHit::from)
            .collect(),
        context: context.as_str(),
        processing_time_ms: response.processing_time_ms,
        degraded: response.degraded,
    }))
}

/// The storefront's submitted search: `full` mode, Claude when configured.
async fn storefront_search(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    ApiJson(body): ApiJson<StorefrontQueryBody>,
) -> Result<Json<StorefrontSearchReply>, ApiError> {
    let submitter = submitter(body.session_id.as_deref(), client);
    let request = SearchRequest {
        q: body.query,
        limit: body.limit.unwrap_or(20),
        ..SearchRequest::default()
    };
    let response = search_with_claude(&state.engine, &state.claude, &request).await?;
    state.engine.remember_query(&request, &response, &submitter);
    log_search(
        &state,
        &request,
        &response,
        &new_request_uid(),
        body.session_id,
    );
    Ok(Json(StorefrontSearchReply {
        success: true,
        suggestions: dto::chips(crate::search::chips(&response)),
        intent: response.parsed_query.map(dto::ParsedQueryReply::from),
        reranked: response.reranked,
        data: response.hits.into_iter().map(dto::Hit::from).collect(),
        degraded: response.degraded,
        processing_time_ms: response.processing_time_ms,
    }))
}

/// The storefront's search-as-you-type suggestions (local only).
async fn storefront_suggest(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StorefrontQueryBody>,
) -> Result<Json<dto::SuggestionsReply>, ApiError> {
    let query = body.query;
    Ok(Json(state.engine.suggest(&query)?.into()))
}

/// Prometheus metrics of the Claude client.
/// 503 `index_building` while the live generation holds nothing from the store (a server
/// started on an empty replica, before the first sync is published).
async fn refuse_while_building(
    State(engine): State<Arc<Engine>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if engine.is_building() {
        return ApiError::IndexBuilding.into_response();
    }
    next.run(request).await
}

async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let mut text = state.claude.metrics().render();
    if let Some(sync) = &state.sync {
        text.push_str(&sync_metrics(&sync.report()));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// The sync's Prometheus metrics.
fn sync_metrics(s: &crate::sync::SyncStatusReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP vivr_sync_lag_seconds Age of the oldest change applied to the replica and not yet searchable (0: caught up).\n# TYPE vivr_sync_lag_seconds gauge\nvivr_sync_lag_seconds {:.3}",
        s.lag_seconds
    );
    let _ = writeln!(
        out,
        "# HELP vivr_sync_rows_applied_total Rows inserted, updated or deleted in the replica by the sync, per entity.\n# TYPE vivr_sync_rows_applied_total counter"
    );
    for (entity, rows) in &s.rows_applied {
        let _ = writeln!(
            out,
            "vivr_sync_rows_applied_total{{table=\"{entity}\"}} {rows}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP vivr_sync_rows_rejected_total Rows the sync could not apply (see /health).\n# TYPE vivr_sync_rows_rejected_total counter\nvivr_sync_rows_rejected_total {}",
        s.rejected_total
    );
    let _ = writeln!(
        out,
        "# HELP vivr_sync_errors_total Syncs that failed (database unreachable, refused...).\n# TYPE vivr_sync_errors_total counter\nvivr_sync_errors_total {}",
        s.failures_total
    );
    let _ = writeln!(
        out,
        "# HELP vivr_sync_up Whether the last sync succeeded.\n# TYPE vivr_sync_up gauge\nvivr_sync_up {}",
        u8::from(s.status == "ok")
    );
    if let Some(at) = s.last_success_unix {
        let _ = writeln!(
            out,
            "# HELP vivr_sync_last_success_timestamp_seconds Unix time of the last successful sync.\n# TYPE vivr_sync_last_success_timestamp_seconds gauge\nvivr_sync_last_success_timestamp_seconds {at}"
        );
    }
    out
}

async fn product(
    State(state): State<AppState>,
    path: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<ProductReply>, ApiError> {
    let Path(id_or_slug) = path.map_err(|e| ApiError::InvalidField(e.body_text()))?;
    let product = state
        .engine
        .off_worker(move |e| e.product(&id_or_slug))
        .await??;
    Ok(Json(product.into()))
}

async fn categories(State(state): State<AppState>) -> Result<Json<Vec<CategoryReply>>, ApiError> {
    let tree = state.engine.categories()?;
    Ok(Json(tree.into_iter().map(CategoryReply::from).collect()))
}

async fn health(State(state): State<AppState>) -> Result<Json<HealthReply>, ApiError> {
    let mut reply: HealthReply = state.engine.health()?.into();
    if let Some(sync) = &state.sync {
        let engine = state.engine.clone();
        let rows = engine
            .off_worker(|e| e.catalog().sync_state())
            .await?
            .map_err(|e| ApiError::Search(e.into()))?;
        reply = reply.with_sync(sync.report(), rows);
    }
    Ok(Json(reply))
}

#[derive(serde::Serialize)]
struct Reloaded {
    reloaded: bool,
    generation: u64,
}

async fn reload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Reloaded>, ApiError> {
    if state.identity.admin_token.is_none() {
        return Err(ApiError::AdminDisabled);
    }
    if caller != Caller::Admin {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    #[test]
    fn request_uids_grow_in_the_order_they_are_made() {
        let uids: Vec<String> = (0..1000).map(|_| new_request_uid()).collect();
        assert!(uids.iter().all(|u| u.len() == 36));
        assert!(
            uids.windows(2).all(|w| w[0] < w[1]),
            "the search log's key must grow"
        );
    }

    #[tokio::test]
    async fn a_panicking_request_is_a_coded_500_not_a_dropped_connection() {
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(panic_response));
        let request = axum::http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body: serde_json::Value =
            serde_json::from_slice(&to_bytes(response.into_body(), 4096).await.unwrap()).unwrap();
        assert_eq!(body["code"], "internal");
        assert!(
            !body["message"].as_str().unwrap().contains("boom"),
            "5xx bodies stay generic"
        );
    }
}
