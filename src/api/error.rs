//! Every error of the HTTP API becomes `{ "message", "code", "type" }` here, and only here. The
//! status and the stable `code` are decided by one exhaustive `match`; a 5xx body is generic
//! and the real error goes to the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::recommend::RecommendError;
use crate::search::SearchError;

/// An error answered by the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON.
    #[error("the request body is not valid JSON: {0}")]
    InvalidJson(String),
    /// The body names a field the endpoint does not know.
    #[error("{0}")]
    UnknownField(String),
    /// A field has the wrong type or value.
    #[error("{0}")]
    InvalidField(String),
    /// The body is larger than the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Admin routes are disabled (no token configured).
    #[error("admin routes are disabled: set VIVR_ADMIN_TOKEN to enable them")]
    AdminDisabled,
    /// Missing or wrong bearer token.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The engine refused or failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// A recommendation request was refused.
    #[error(transparent)]
    Recommend(#[from] RecommendError),
    /// Too many requests in the server's rate-limit window; retry after this many seconds.
    #[error("too many requests: retry in {0} s")]
    RateLimited(u64),
    /// A failure outside the engine (a task or a request that panicked).
    #[error("internal error: {0}")]
    Internal(String),
    /// No route has this path.
    #[error("no route {0}; the API's routes are listed in the README")]
    RouteNotFound(String),
    /// The route exists, not with this method.
    #[error("method {0} is not allowed on this route")]
    MethodNotAllowed(String),
    /// The request (its body included) took longer than the server's timeout.
    #[error("the request took longer than {0} ms")]
    Timeout(u64),
    /// A request names a user without the right to read that user's data.
    #[error(
        "personalising by userId needs the storefront's server token (VIVR_SERVER_TOKEN) or that user's access token; an anonymous caller may send cartItems, viewHistory and wishlist itself"
    )]
    UserAuthRequired,
    /// `ENABLE_AI_RECOMMENDATIONS` is off.
    #[error("recommendations are disabled on this server (ENABLE_AI_RECOMMENDATIONS=false)")]
    RecommendationsDisabled,
    /// An access token refused (401 `invalid_token`), a tool that needs a token called
    /// without one (401 `token_required`), or a token without the tool's scope (403
    /// `insufficient_scope`); `challenge` is the `WWW-Authenticate` header (RFC 6750, MCP).
    #[error("{message}")]
    Challenge {
        /// 401 or 403.
        status: StatusCode,
        /// `invalid_token`, `token_required` or `insufficient_scope`.
        code: &'static str,
        /// What is wrong, for the caller.
        message: String,
        /// The `WWW-Authenticate` value.
        challenge: String,
    },
    /// A shopper event that does not fit `POST /v1/events`.
    #[error("{0}")]
    InvalidEvent(String),
    /// Events cannot be recorded now: no state database, or the writer's queue is full.
    #[error("{0}")]
    EventsUnavailable(String),
    /// The index holds nothing from the store yet: the first sync is still running.
    #[error(
        "the index is being built from the store's database; try again in a few seconds (GET /health shows the sync)"
    )]
    IndexBuilding,
    /// A refusal of the MCP transport (rmcp), with its status.
    #[error("{message}")]
    Mcp {
        /// rmcp's status.
        status: StatusCode,
        /// rmcp's text.
        message: String,
    },
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: String,
    code: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

impl ApiError {
    /// Status, stable code and type of the error.
    fn classify(&self) -> (StatusCode, &'static str, &'static str) {
        const INVALID: &str = "invalid_request";
        match self {
            ApiError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "malformed_payload", INVALID),
            ApiError::UnknownField(_) => (StatusCode::BAD_REQUEST, "unknown_field", INVALID),
            ApiError::InvalidField(_) => (StatusCode::BAD_REQUEST, "invalid_field", INVALID),
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", INVALID)
            }
            ApiError::AdminDisabled => (StatusCode::FORBIDDEN, "admin_disabled", "auth"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "invalid_api_key", "auth"),
            ApiError::Challenge { status, code, .. } => (*status, code, "auth"),
            ApiError::InvalidEvent(_) => (StatusCode::BAD_REQUEST, "invalid_event", INVALID),
            ApiError::EventsUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "events_unavailable",
                "unavailable",
            ),
            ApiError::RateLimited(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "rate_limit")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal"),
            ApiError::RouteNotFound(_) => (StatusCode::NOT_FOUND, "route_not_found", INVALID),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                INVALID,
            ),
            ApiError::Timeout(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                "unavailable",
            ),
            ApiError::UserAuthRequired => (StatusCode::UNAUTHORIZED, "user_auth_required", "auth"),
            ApiError::RecommendationsDisabled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "recommendations_disabled",
                "unavailable",
            ),
            ApiError::IndexBuilding => (
                StatusCode::SERVICE_UNAVAILABLE,
                "index_building",
                "unavailable",
            ),
            ApiError::Mcp { status, .. } => (*status, mcp_code(*status), INVALID),
            ApiError::Recommend(e) => match e {
                RecommendError::UnknownKind(_) => (
                    StatusCode::BAD_REQUEST,
                    "invalid_recommendation_kind",
                    INVALID,
                ),
                RecommendError::UnknownContext(_) => (
                    StatusCode::BAD_REQUEST,
                    "invalid_recommendation_context",
                    INVALID,
                ),
                RecommendError::MissingAnchor(..) => (
                    StatusCode::BAD_REQUEST,
                    "missing_recommendation_anchor",
                    INVALID,
                ),
                RecommendError::TooManyItems { .. } => {
                    (StatusCode::BAD_REQUEST, "too_many_context_items", INVALID)
                }
                RecommendError::Search(e) => classify_search(e),
            },
            ApiError::Search(e) => classify_search(e),
        }
    }
}

/// The code of an MCP transport refusal, by its status.
fn mcp_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "mcp_session_not_found",
        StatusCode::NOT_ACCEPTABLE => "mcp_not_acceptable",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "mcp_unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::FORBIDDEN => "mcp_forbidden",
        StatusCode::UNAUTHORIZED => "invalid_api_key",
        s if s.is_server_error() => "internal",
        _ => "mcp_invalid_request",
    }
}

/// Status, stable code and type of an engine error, whichever route it came through.
fn classify_search(e: &SearchError) -> (StatusCode, &'static str, &'static str) {
    use SearchError as S;
    const INVALID: &str = "invalid_request";
    match e {
        S::QueryTooLong(_) => (StatusCode::BAD_REQUEST, "query_too_long", INVALID),
        S::ControlCharacter(_) => (StatusCode::BAD_REQUEST, "invalid_query_characters", INVALID),
        S::LimitTooLarge(_) | S::NegativeLimit(_) => {
            (StatusCode::BAD_REQUEST, "invalid_search_limit", INVALID)
        }
        S::NegativeOffset(_) => (StatusCode::BAD_REQUEST, "invalid_search_offset", INVALID),
        S::OffsetTooLarge(_) => (StatusCode::BAD_REQUEST, "offset_too_large", INVALID),
        S::InvalidPriceRange(_) => (StatusCode::BAD_REQUEST, "invalid_price_range", INVALID),
        S::UnknownSort(_) => (StatusCode::BAD_REQUEST, "invalid_search_sort", INVALID),
        S::UnknownFacet(_) => (StatusCode::BAD_REQUEST, "invalid_search_facets", INVALID),
        S::UnknownMode(_) => (StatusCode::BAD_REQUEST, "invalid_search_mode", INVALID),
        S::InvalidSemanticRatio(_) => (StatusCode::BAD_REQUEST, "invalid_semantic_ratio", INVALID),
        S::UnsupportedFilter(_) => (StatusCode::BAD_REQUEST, "invalid_search_filter", INVALID),
        S::ProductNotFound(_) => (StatusCode::NOT_FOUND, "product_not_found", INVALID),
        S::Index(_) | S::Catalog(_) | S::Vector(_) | S::Signal(_) | S::TaskFailed(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal")
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, kind) = self.classify();
        let retry_after = match self {
            ApiError::RateLimited(secs) => Some(secs),
            _ => None,
        };
        let challenge = match &self {
            ApiError::Challenge { challenge, .. } => {
                axum::http::HeaderValue::from_str(challenge).ok()
            }
            _ => None,
        };
        // A failure of the server says nothing of its cause; a refusal (503: timeout, a feature
        // switched off) says what it is.
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "internal error");
            "an internal error occurred; it has been logged".to_owned()
        } else {
            self.to_string()
        };
        let mut response = (
            status,
            Json(ErrorBody {
                message,
                code,
                kind,
            }),
        )
            .into_response();
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}
