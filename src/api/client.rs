//! Who is calling, resolved once per request by [`identify`]: the client's address (from the
//! connection, or from `X-Forwarded-For` when the peer is a configured proxy) and the caller's
//! standing (anonymous, the storefront's server, the admin), from its bearer token. Then the
//! per-client rate limits ([`ClientLimits`]), keyed by that address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::ApiError;

/// The client's address: the peer's, or the first untrusted one of `X-Forwarded-For` behind a
/// trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

/// What a request's bearer token makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No token, or one that is none of the configured ones.
    Anonymous,
    /// `VIVR_SERVER_TOKEN`: the storefront's server.
    Server,
    /// `VIVR_ADMIN_TOKEN`.
    Admin,
}

impl Caller {
    /// Whether the caller is the storefront's server or the admin.
    pub fn is_trusted(self) -> bool {
        self != Caller::Anonymous
    }
}

/// The secrets and proxies that identify a caller.
#[derive(Debug, Default)]
pub(crate) struct Identity {
    pub(crate) admin_token: Option<Arc<str>>,
    pub(crate) server_token: Option<Arc<str>>,
    pub(crate) trusted_proxies: Vec<IpAddr>,
}

impl Identity {
    fn caller(&self, headers: &HeaderMap) -> Caller {
        let is = |token: &Option<Arc<str>>| token.as_deref().is_some_and(|t| bearer_is(headers, t));
        if is(&self.admin_token) {
            Caller::Admin
        } else if is(&self.server_token) {
            Caller::Server
        } else {
            Caller::Anonymous
        }
    }

    /// The client behind `peer`: `X-Forwarded-For` is read right to left only while the hop
    /// that added an entry is a trusted proxy, so a client cannot choose its own address.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        let mut client = peer;
        if !self.trusted_proxies.contains(&peer) {
            return ClientAddr(client);
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusted_proxies.contains(&ip) {
                break;
            }
        }
        ClientAddr(client)
    }
}

/// Puts the request's [`ClientAddr`] and [`Caller`] in its extensions. A request without a
/// connection (tests through `oneshot`) counts as from loopback.
pub(crate) async fn identify(
    State(identity): State<Arc<Identity>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
    let client = identity.client(peer, request.headers());
    let caller = identity.caller(request.headers());
    request.extensions_mut().insert(client);
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The token of `Authorization: Bearer <token>`, if the request has one (the scheme is
/// case-insensitive, RFC 9110).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}

/// Whether the request carries `Authorization: Bearer <expected>` (compared in constant time).
pub(crate) fn bearer_is(headers: &HeaderMap, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    bearer_token(headers)
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.as_bytes())))
}

/// Requests per window and per client address: one budget for anonymous callers, another
/// for the storefront's server and the admin (`None`: no limit).
#[derive(Debug, Default)]
pub struct ClientLimits {
    public: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: std::sync::atomic::AtomicU32,
}

/// Addresses tracked before the limiters forget those whose budget is full again.
const TRACKED_CLIENTS: usize = 10_000;
/// Checks between two looks at how many addresses are tracked (forgetting scans them all).
const CHECKS_PER_SWEEP: u32 = 1_024;

impl ClientLimits {
    /// `requests` per `window` for anonymous callers, `trusted_requests` for callers with the
    /// server or admin token; 0 turns a limit off.
    pub fn new(requests: u32, trusted_requests: u32, window: Duration) -> ClientLimits {
        // GCRA: a burst of the whole budget, refilled evenly over the window.
        let quota = |n: u32| {
            let n = NonZeroU32::new(n)?;
            let period = (window / n.get()).max(Duration::from_nanos(1));
            Quota::with_period(period).map(|q| q.allow_burst(n))
        };
        ClientLimits {
            public: quota(requests).map(DefaultKeyedRateLimiter::keyed),
            trusted: quota(trusted_requests).map(DefaultKeyedRateLimiter::keyed),
            checks: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// `Ok`, or how long until the client may try again.
    fn check(&self, client: ClientAddr, caller: Caller) -> Result<(), Duration> {
        let limiter = if caller.is_trusted() {
            &self.trusted
        } else {
            &self.public
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        let n = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n.is_multiple_of(CHECKS_PER_SWEEP) && limiter.len() > TRACKED_CLIENTS {
            limiter.retain_recent();
        }
        limiter
            .check_key(&client.0)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Routes that are never rate limited: probes and metrics scrapes.
const UNLIMITED: [&str; 2] = ["/health", "/metrics"];

/// Refuses a request with 429 and `Retry-After` when its client is over its budget.
pub(crate) async fn rate_limit(
    State(limits): State<Arc<ClientLimits>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, ApiError> {
    if !UNLIMITED.contains(&request.uri().path()) {
        let client = request
            .extensions()
            .get::<ClientAddr>()
            .copied()
            .unwrap_or(ClientAddr(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let caller = request
            .extensions()
            .get::<Caller>()
            .copied()
            .unwrap_or(Caller::Anonymous);
        if let Err(wait) = limits.check(client, caller) {
            return Err(ApiError::RateLimited(
                wait.as_secs_f64().ceil().max(1.0) as u64
            ));
        }
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(proxies: &[&str]) -> Identity {
        Identity {
            trusted_proxies: proxies.iter().map(|p| p.parse().unwrap()).collect(),
            ..Identity::default()
        }
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let headers = forwarded("1.1.1.1, 203.0.113.7");
        // Not a proxy: the header is the client's own claim.
        let direct = identity(&[]).client(ip("198.51.100.1"), &headers);
        assert_eq!(direct, ClientAddr(ip("198.51.100.1")));
        // Behind one proxy: the entry it added, not the one the client wrote before it.
        let proxied = identity(&["10.0.0.1"]).client(ip("10.0.0.1"), &headers);
        assert_eq!(proxied, ClientAddr(ip("203.0.113.7")));
        // Two trusted hops.
        let chain = forwarded("203.0.113.7, 10.0.0.2");
        let two = identity(&["10.0.0.1", "10.0.0.2"]).client(ip("10.0.0.1"), &chain);
        assert_eq!(two, ClientAddr(ip("203.0.113.7")));
        // Garbage stops the walk at the last good hop.
        let junk = forwarded("not-an-ip");
        let kept = identity(&["10.0.0.1"]).client(ip("10.0.0.1"), &junk);
        assert_eq!(kept, ClientAddr(ip("10.0.0.1")));
    }

    #[test]
    fn budgets_are_per_client_and_per_standing() {
        let limits = ClientLimits::new(2, 3, Duration::from_secs(60));
        let a = ClientAddr("192.0.2.1".parse().unwrap());
        let b = ClientAddr("192.0.2.2".parse().unwrap());
        assert!(limits.check(a, Caller::Anonymous).is_ok());
        assert!(limits.check(a, Caller::Anonymous).is_ok());
        let wait = limits.check(a, Caller::Anonymous).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(
            limits.check(b, Caller::Anonymous).is_ok(),
            "b has its own budget"
        );
        for _ in 0..3 {
            assert!(
                limits.check(a, Caller::Server).is_ok(),
                "the server's budget is apart"
            );
        }
        assert!(limits.check(a, Caller::Admin).is_err());
        let off = ClientLimits::new(0, 0, Duration::from_secs(1));
        assert!((0..100).all(|_| off.check(a, Caller::Anonymous).is_ok()));
    }
}
