//! The HTTP edge of `/mcp`, in front of rmcp's streamable HTTP service: the session cap, the
//! body checks, and rmcp's plain-text refusals rewritten into the API's JSON error shape.
//!
//! Sessions: each costs the server about 100 kB (8,000 `initialize` requests took 800 MB), so
//! they are capped in total and per client address, and closed after an idle time. At a cap
//! the least recently used session (of the client, or of all) is closed to make room: a client
//! that opens sessions in a loop only ever loses its own oldest ones.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;

use super::client::ClientAddr;
use super::error::ApiError;

/// The header that carries an MCP session's id.
const SESSION_HEADER: &str = "mcp-session-id";

/// Caps of the MCP sessions.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Sessions open at most.
    pub max_total: usize,
    /// Sessions one client address may hold.
    pub max_per_client: usize,
    /// A session unused this long is closed.
    pub idle: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Tracked {
    client: IpAddr,
    last_used: Instant,
}

/// The open sessions, who opened them and when each was last used.
pub(crate) struct SessionCap {
    manager: Arc<LocalSessionManager>,
    limits: SessionLimits,
    sessions: Mutex<HashMap<String, Tracked>>,
}

impl SessionCap {
    /// A cap over `manager`'s sessions; rmcp's own keep-alive is set to the same idle time.
    pub(crate) fn new(limits: SessionLimits) -> SessionCap {
        let mut manager = LocalSessionManager::default();
        manager.session_config.keep_alive = Some(limits.idle);
        SessionCap {
            manager: Arc::new(manager),
            limits,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The session manager rmcp's service uses.
    pub(crate) fn manager(&self) -> Arc<LocalSessionManager> {
        self.manager.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tracked>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The sessions to close before `client` opens one: the idle ones, then the least
    /// recently used of the client's (at its cap), then of all (at the total cap).
    fn make_room(&self, client: IpAddr, now: Instant) -> Vec<String> {
        let mut sessions = self.lock();
        let mut closed: Vec<String> = sessions
            .iter()
            .filter(|(_, t)| now.duration_since(t.last_used) >= self.limits.idle)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &closed {
            sessions.remove(id);
        }
        let least_recent = |sessions: &HashMap<String, Tracked>, of_client: bool| {
            sessions
                .iter()
                .filter(|(_, t)| !of_client || t.client == client)
                .min_by_key(|(_, t)| t.last_used)
                .map(|(id, _)| id.clone())
        };
        while sessions.values().filter(|t| t.client == client).count() >= self.limits.max_per_client
        {
            let Some(id) = least_recent(&sessions, true) else {
                break;
            };
            sessions.remove(&id);
            closed.push(id);
        }
        while sessions.len() >= self.limits.max_total {
            let Some(id) = least_recent(&sessions, false) else {
                break;
            };
            sessions.remove(&id);
            closed.push(id);
        }
        closed
    }

    async fn close(&self, ids: Vec<String>) {
        for id in ids {
            tracing::debug!(session = %id, "MCP session closed to make room");
            if let Err(e) = self.manager.close_session(&id.into()).await {
                tracing::debug!(error = %e, "MCP session already gone");
            }
        }
    }

    /// How many sessions are open.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().len()
    }
}

/// Tracks and caps the MCP sessions, checks the body of a POST, and rewrites rmcp's plain-text
/// refusals.
pub(crate) async fn mcp_edge(
    State((cap, body_limit)): State<(Arc<SessionCap>, usize)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, ApiError> {
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0);
    // rmcp checks the first `Host` only: a second one, or an absolute URI naming another host,
    // could pass a foreign host behind a loopback one (RFC 9112 asks for 400 on both).
    let hosts = request.headers().get_all(header::HOST).iter().count();
    let authority_differs = request.uri().authority().is_some_and(|a| {
        request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_none_or(|h| !h.eq_ignore_ascii_case(a.as_str()))
    });
    if hosts > 1 || authority_differs {
        return Err(ApiError::Mcp {
            status: StatusCode::BAD_REQUEST,
            message: "one Host header, matching the request's target, is required".to_owned(),
        });
    }
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let now = Instant::now();
    let request = if request.method() == Method::POST {
        match checked_json(request, body_limit).await? {
            Ok(request) => request,
            Err(refusal) => return Ok(refusal),
        }
    } else {
        request
    };
    let method = request.method().clone();
    match &session {
        Some(id) => {
            if let Some(tracked) = cap.lock().get_mut(id) {
                tracked.last_used = now;
            }
        }
        None if method == Method::POST => cap.close(cap.make_room(client, now)).await,
        None => {}
    }
    let response = next.run(request).await;
    let created = response
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|_| session.is_none())
        .map(str::to_owned);
    if let Some(id) = created {
        cap.lock().insert(
            id,
            Tracked {
                client,
                last_used: now,
            },
        );
    }
    if method == Method::DELETE
        && let Some(id) = &session
    {
        cap.lock().remove(id);
    }
    Ok(coded(response).await)
}

/// The request with its body read (at most `limit` bytes), or the JSON-RPC parse error a
/// malformed body gets (-32700), as the JSON-RPC spec has it, instead of rmcp's plain-text 415.
async fn checked_json(
    request: axum::extract::Request,
    limit: usize,
) -> Result<Result<axum::extract::Request, Response>, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(limit))?;
    // JSON-RPC's own errors: -32700 for a body that is not JSON, -32600 for JSON that is not
    // one JSON-RPC message (a batch, a missing `jsonrpc`, an object as id), instead of
    // rmcp's plain-text 415 for both.
    let refusal = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Err(e) => Some((-32700, format!("Parse error: {e}"))),
        Ok(value) => serde_json::from_value::<rmcp::model::ClientJsonRpcMessage>(value)
            .err()
            .map(|e| {
                (
                    -32600,
                    format!("Invalid Request: not a JSON-RPC message ({e})"),
                )
            }),
    };
    if let Some((code, message)) = refusal {
        let error = serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": code, "message": message},
        });
        return Ok(Err(
            (StatusCode::BAD_REQUEST, axum::Json(error)).into_response()
        ));
    }
    Ok(Ok(axum::extract::Request::from_parts(
        parts,
        Body::from(bytes),
    )))
}

/// rmcp answers its own refusals (unknown session, missing `Accept`, bad content type, too
/// large) in plain text; they become the API's JSON error shape, status kept.
async fn coded(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let mut coded = ApiError::Mcp {
        status: parts.status,
        message: String::from_utf8_lossy(&text).trim().to_owned(),
    }
    .into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            coded.headers_mut().insert(name.clone(), value.clone());
        }
    }
    coded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(cap: &SessionCap, id: &str, client: &str, at: Instant) {
        cap.lock().insert(
            id.to_owned(),
            Tracked {
                client: client.parse().unwrap(),
                last_used: at,
            },
        );
    }

    #[test]
    fn room_is_made_from_the_idle_then_the_least_recently_used() {
        let cap = SessionCap::new(SessionLimits {
            max_total: 3,
            max_per_client: 2,
            idle: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        track(&cap, "a1", "192.0.2.1", t0);
        track(&cap, "a2", "192.0.2.1", t0 + Duration::from_secs(1));
        // At its cap, a's least recently used goes, b's are untouched.
        track(&cap, "b1", "192.0.2.2", t0);
        assert_eq!(cap.make_room(a, t0 + Duration::from_secs(2)), ["a1"]);
        assert_eq!(cap.open(), 2);
        // The total cap takes the least recent of anyone's.
        track(&cap, "c1", "192.0.2.3", t0 + Duration::from_secs(3));
        let d: IpAddr = "192.0.2.4".parse().unwrap();
        assert_eq!(cap.make_room(d, t0 + Duration::from_secs(4)), ["b1"]);
        // Idle sessions go whatever the caps.
        let later = t0 + Duration::from_secs(120);
        let mut idle = cap.make_room(d, later);
        idle.sort();
        assert_eq!(idle, ["a2", "c1"]);
        assert_eq!(cap.open(), 0);
    }
}
