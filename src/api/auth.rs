//! The engine as an OAuth 2.1 resource server (MCP authorization, 2025-11-25): who calls
//! `/mcp…`, the challenges of RFC 6750 and MCP (401 `invalid_token`, 403
//! `insufficient_scope`, each with `resource_metadata` and `scope`), the protected resource
//! metadata (RFC 9728), and the per-subject and per-address limits of order lookups.
//!
//! Each request is authorised on its own: the session id is never a credential.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::client::{ClientAddr, bearer_token};
use super::error::ApiError;
use crate::auth::{Principal, Scope, Verifier};
use crate::config::Config;
use crate::mcp::ServerSet;
use crate::mcp::access::{self, Need};

/// Access to the MCP servers.
pub(crate) struct McpAuth {
    /// Validates access tokens.
    pub(crate) verifier: Verifier,
    /// `MCP_AUTH_TOKEN`: a static staff token with every scope; when set, a request without a
    /// token is refused.
    static_token: Option<Arc<str>>,
    /// The server's public base URL (resource URIs, metadata).
    base_url: String,
    /// The authorization servers the metadata names.
    authorization_servers: Vec<String>,
    /// Order and support lookups per subject.
    by_subject: Option<DefaultKeyedRateLimiter<String>>,
    /// Order and support lookups per client address.
    by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl McpAuth {
    pub(crate) fn new(config: &Config) -> McpAuth {
        let base_url = config
            .auth
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.bind));
        let audiences = ServerSet::ALL
            .iter()
            .map(|set| format!("{base_url}{}", set.path()))
            .collect();
        let per_minute = NonZeroU32::new(config.auth.lookups_per_minute).map(|n| {
            let period = (Duration::from_secs(60) / n.get()).max(Duration::from_nanos(1));
            Quota::with_period(period)
                .map(|q| q.allow_burst(n))
                .unwrap_or_else(|| Quota::per_minute(n))
        });
        McpAuth {
            verifier: Verifier::new(&config.auth, audiences),
            static_token: config.mcp_auth_token.as_deref().map(Arc::from),
            authorization_servers: if config.auth.authorization_servers.is_empty() {
                config.auth.issuer.iter().cloned().collect()
            } else {
                config.auth.authorization_servers.clone()
            },
            base_url,
            by_subject: per_minute.map(DefaultKeyedRateLimiter::keyed),
            by_address: per_minute.map(DefaultKeyedRateLimiter::keyed),
        }
    }

    /// The metadata URL of the resource at `path` (`/mcp/orders`).
    fn metadata_url(&self, path: &str) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource{path}",
            self.base_url
        )
    }

    /// A `WWW-Authenticate` challenge for the resource at `path`.
    fn challenge(&self, path: &str, error: Option<(&str, &str)>, scope: &str) -> String {
        let mut value = String::from("Bearer");
        let mut sep = " ";
        if let Some((code, description)) = error {
            value.push_str(&format!(
                "{sep}error=\"{code}\", error_description=\"{}\"",
                description.replace('"', "'")
            ));
            sep = ", ";
        }
        value.push_str(&format!(
            "{sep}resource_metadata=\"{}\"",
            self.metadata_url(path)
        ));
        if !scope.is_empty() {
            value.push_str(&format!(", scope=\"{scope}\""));
        }
        value
    }

    /// The caller behind `headers`: anonymous (no token), staff (the static token), the
    /// token's subject and scopes, or the 401 a bad token gets.
    pub(crate) async fn principal(
        &self,
        headers: &HeaderMap,
        path: &str,
    ) -> Result<Principal, ApiError> {
        let Some(token) = bearer_token(headers) else {
            if self.static_token.is_some() {
                return Err(self.token_required(path, "", "this server requires a bearer token"));
            }
            return Ok(Principal::anonymous());
        };
        if self.static_token.as_deref().is_some_and(|t| {
            use subtle::ConstantTimeEq;
            bool::from(token.as_bytes().ct_eq(t.as_bytes()))
        }) {
            return Ok(Principal::local_staff());
        }
        self.verifier.verify(token).await.map_err(|e| {
            // The reason goes to the caller and the log, never the token.
            tracing::info!(reason = %e, "access token refused");
            ApiError::Challenge {
                status: StatusCode::UNAUTHORIZED,
                code: "invalid_token",
                message: e.to_string(),
                challenge: self.challenge(path, Some(("invalid_token", &e.to_string())), ""),
            }
        })
    }

    fn token_required(&self, path: &str, scope: &str, message: &str) -> ApiError {
        ApiError::Challenge {
            status: StatusCode::UNAUTHORIZED,
            code: "token_required",
            message: message.to_owned(),
            challenge: self.challenge(path, None, scope),
        }
    }

    /// Refuses a call of the tool `name` that `principal` may not make: 401 with the
    /// challenge when it has no token, 403 `insufficient_scope` when its token lacks the scope.
    fn check_tool(&self, principal: &Principal, name: &str, path: &str) -> Result<(), ApiError> {
        let Need::Scope(scope) = access::need(name) else {
            return Ok(());
        };
        if access::allows(principal, name) {
            return Ok(());
        }
        self.refuse(principal, scope, name, path)
    }

    /// Refuses `principal` what `what` needs `scope` for, unless its token has the scope: 401
    /// with the challenge without a token, 403 `insufficient_scope` with one.
    pub(crate) fn require(
        &self,
        principal: &Principal,
        scope: Scope,
        what: &str,
        path: &str,
    ) -> Result<(), ApiError> {
        if principal.has(scope) {
            return Ok(());
        }
        self.refuse(principal, scope, what, path)
    }

    fn refuse(
        &self,
        principal: &Principal,
        scope: Scope,
        name: &str,
        path: &str,
    ) -> Result<(), ApiError> {
        let scope_name = scope.as_str();
        if *principal == Principal::anonymous() {
            return Err(self.token_required(
                path,
                scope_name,
                &format!("{name} needs an access token with the {scope_name} scope"),
            ));
        }
        let message = format!("{name} needs the {scope_name} scope, which this token lacks");
        Err(ApiError::Challenge {
            status: StatusCode::FORBIDDEN,
            code: "insufficient_scope",
            challenge: self.challenge(path, Some(("insufficient_scope", &message)), scope_name),
            message,
        })
    }

    /// Counts an order or support lookup against the caller's subject and address.
    fn count_lookup(&self, principal: &Principal, client: IpAddr) -> Result<(), ApiError> {
        let wait = |e: governor::NotUntil<governor::clock::QuantaInstant>| {
            use governor::clock::Clock;
            let secs = e
                .wait_time_from(governor::clock::DefaultClock::default().now())
                .as_secs_f64()
                .ceil()
                .max(1.0);
            ApiError::RateLimited(secs as u64)
        };
        if let (Some(limiter), Some(subject)) = (&self.by_subject, &principal.subject) {
            limiter.check_key(subject).map_err(wait)?;
        }
        if let Some(limiter) = &self.by_address {
            limiter.check_key(&client).map_err(wait)?;
        }
        Ok(())
    }

    /// The protected resource metadata (RFC 9728) of the resource at `path`.
    fn metadata(&self, path: &str) -> serde_json::Value {
        serde_json::json!({
            "resource": format!("{}{path}", self.base_url),
            "authorization_servers": self.authorization_servers,
            "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "bearer_methods_supported": ["header"],
            "resource_name": "VIVR search: catalogue, commandes et service client",
        })
    }
}

/// The tool a JSON-RPC request body calls, if it is a `tools/call`.
fn called_tool(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Call {
        method: String,
        params: Option<Params>,
    }
    #[derive(serde::Deserialize)]
    struct Params {
        name: Option<String>,
    }
    let call: Call = serde_json::from_slice(body).ok()?;
    (call.method == "tools/call")
        .then(|| call.params.and_then(|p| p.name))
        .flatten()
}

/// Authorises a request to an MCP path: its [`Principal`] (or a 401), then, for a tool call,
/// the tool's scope (401 or 403) and the lookup limits; the principal goes into the request's
/// extensions, where the MCP server reads it.
pub(crate) async fn authorize_mcp(
    State(auth): State<Arc<McpAuth>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let principal = auth.principal(request.headers(), &path).await?;
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0);
    // The edge in front has read the body already (its size is checked): reading it again is
    // a copy of bytes in memory.
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(format!("cannot read the request body: {e}")))?;
    if let Some(tool) = called_tool(&bytes) {
        auth.check_tool(&principal, &tool, &path)?;
        // Order and support lookups only: the analytics read no one's order.
        if matches!(
            access::need(&tool),
            Need::Scope(Scope::OrdersRead | Scope::OrdersReadAll | Scope::SupportWrite)
        ) {
            auth.count_lookup(&principal, client)?;
        }
    }
    let mut request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

/// `GET /.well-known/oauth-protected-resource[/mcp…]`: the metadata of `/mcp` or of one
/// server's path.
pub(crate) async fn protected_resource_metadata(
    State(auth): State<Arc<McpAuth>>,
    uri: axum::http::Uri,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let path = uri
        .path()
        .strip_prefix("/.well-known/oauth-protected-resource")
        .unwrap_or_default();
    let path = if path.is_empty() { "/mcp" } else { path };
    if !ServerSet::ALL.iter().any(|s| s.path() == path) {
        return Err(ApiError::RouteNotFound(uri.path().to_owned()));
    }
    Ok(axum::Json(auth.metadata(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_called_tool_is_read_from_a_tools_call_only() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_order_status","arguments":{}}}"#;
        assert_eq!(called_tool(call).as_deref(), Some("get_order_status"));
        let list = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert_eq!(called_tool(list), None);
        assert_eq!(called_tool(b"not json"), None);
    }

    #[test]
    fn challenges_name_the_metadata_and_the_scope() {
        let auth = McpAuth::new(&Config::default());
        let value = auth.challenge(
            "/mcp/orders",
            Some(("insufficient_scope", "needs \"x\"")),
            "orders:read",
        );
        assert_eq!(
            value,
            "Bearer error=\"insufficient_scope\", error_description=\"needs 'x'\", resource_metadata=\"http://127.0.0.1:7700/.well-known/oauth-protected-resource/mcp/orders\", scope=\"orders:read\""
        );
        assert_eq!(
            auth.challenge("/mcp", None, ""),
            "Bearer resource_metadata=\"http://127.0.0.1:7700/.well-known/oauth-protected-resource/mcp\""
        );
    }
}
