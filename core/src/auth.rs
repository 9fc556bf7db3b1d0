//! Who is calling the order and support tools: access tokens (JWT) validated as an OAuth 2.1
//! resource server does (MCP authorization, 2025-11-25), and what a caller may do.
//!
//! The storefront mints short-lived tokens for the engine once NextAuth has signed the user in
//! (NextAuth's own session token is encrypted and carries no audience nor scope). A token is
//! checked for its signature (an HS256 secret shared by the two servers, or RS256/ES256 keys
//! from a JWKS file or URL, cached and fetched again on an unknown `kid`), its `iss`, its `aud`
//! (this server's resource URIs; a token minted for anything else is refused), `exp` and `nbf`
//! with a small clock skew. Its `sub` is the user it acts for, its `scope` what it may do.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;

use crate::catalog::OrderScope;
use crate::config::AuthSettings;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A customer's own orders, and refund and shipping checks on them.
    OrdersRead,
    /// Every order, `search_orders` and `find_order_for_support` (a staff token).
    OrdersReadAll,
    /// `escalate_to_human` (customers' tokens carry it too).
    SupportWrite,
    /// The analytics tools.
    AnalyticsRead,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [
        Scope::OrdersRead,
        Scope::OrdersReadAll,
        Scope::SupportWrite,
        Scope::AnalyticsRead,
    ];

    /// The scope as tokens and the metadata write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrdersRead => "orders:read",
            Scope::OrdersReadAll => "orders:read:all",
            Scope::SupportWrite => "support:write",
            Scope::AnalyticsRead => "analytics:read",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    /// Every scope (the static `MCP_AUTH_TOKEN`, the local stdio server).
    pub fn all() -> Scopes {
        Scopes(Scope::ALL.iter().fold(0, |bits, s| bits | s.bit()))
    }

    /// The scopes of a space-separated `scope` claim; unknown ones are ignored.
    pub fn parse(claim: &str) -> Scopes {
        Scopes(
            claim
                .split_ascii_whitespace()
                .filter_map(|word| Scope::ALL.into_iter().find(|s| s.as_str() == word))
                .fold(0, |bits, s| bits | s.bit()),
        )
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }
}

/// The caller of a request, as its token says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// The user id the token acts for (`sub`); none for anonymous callers and the static
    /// staff token.
    pub subject: Option<String>,
    /// What the token may do; empty for anonymous callers.
    pub scopes: Scopes,
}

impl Principal {
    /// No token: public tools only.
    pub fn anonymous() -> Principal {
        Principal::default()
    }

    /// The static `MCP_AUTH_TOKEN` or a local stdio client: staff, every scope.
    pub fn local_staff() -> Principal {
        Principal {
            subject: None,
            scopes: Scopes::all(),
        }
    }

    /// Whether the caller has `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    /// A staff caller: a token carrying `orders:read:all`.
    pub fn is_staff(&self) -> bool {
        self.has(Scope::OrdersReadAll)
    }

    /// Whose orders the caller may read: every order (staff), its subject's (a customer with
    /// `orders:read`), or none.
    pub fn order_scope(&self) -> Option<OrderScope<'_>> {
        if self.is_staff() {
            Some(OrderScope::Staff)
        } else if self.has(Scope::OrdersRead) {
            self.subject.as_deref().map(OrderScope::Customer)
        } else {
            None
        }
    }
}

/// Why a token was refused. Every kind is answered `401 invalid_token`; the kind is for the
/// `error_description` and the logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No key is configured: the server accepts no tokens.
    #[error("this server accepts no access tokens (no key configured)")]
    NoKeys,
    /// Not a JWT, or a claim of the wrong type.
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    /// The signature does not verify, or the algorithm is not the key's.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// The header names a key the JWKS does not have.
    #[error("the token's key id is unknown")]
    UnknownKey,
    /// `exp` is past.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `aud` names another resource.
    #[error("the token was issued for another audience")]
    WrongAudience,
    /// `iss` is not the configured issuer.
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    /// A required claim is missing.
    #[error("the token lacks the {0} claim")]
    MissingClaim(String),
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(e: jsonwebtoken::errors::Error) -> TokenError {
        match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim.clone()),
            ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => TokenError::BadSignature,
            _ => TokenError::Malformed(e.to_string()),
        }
    }
}

/// The claims read from a token (the others are ignored).
#[derive(Debug, Deserialize)]
struct Claims {
    exp: i64,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Where the verifying keys come from.
enum Keys {
    /// No key: every token is refused.
    None,
    /// A shared HS256 secret.
    Secret(Box<DecodingKey>),
    /// A JWKS document, its keys cached by `kid`.
    Jwks(JwksCache),
}

/// JWKS keys by `kid`, fetched again (at most every `refresh_every`) when a token names a
/// `kid` not in the cache: keys rotate.
struct JwksCache {
    source: String,
    refresh_every: Duration,
    keys: RwLock<HashMap<String, (Algorithm, DecodingKey)>>,
    last_fetch: Mutex<Option<Instant>>,
    http: reqwest::Client,
}

impl JwksCache {
    async fn fetch(&self) -> Result<(), String> {
        let text = if self.source.starts_with("http://") || self.source.starts_with("https://") {
            let response = self
                .http
                .get(&self.source)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| format!("cannot fetch the JWKS: {e}"))?;
            response
                .text()
                .await
                .map_err(|e| format!("cannot read the JWKS: {e}"))?
        } else {
            std::fs::read_to_string(&self.source)
                .map_err(|e| format!("cannot read the JWKS file {}: {e}", self.source))?
        };
        let set: JwkSet =
            serde_json::from_str(&text).map_err(|e| format!("invalid JWKS document: {e}"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
            else {
                continue;
            };
            let algorithm = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                // Symmetric and other keys do not belong in a public key set.
                _ => continue,
            };
            keys.insert(kid, (algorithm, key));
        }
        tracing::info!(keys = keys.len(), "JWKS loaded");
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(())
    }

    fn key(&self, kid: &str) -> Option<(Algorithm, DecodingKey)> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
            .cloned()
    }

    /// Whether enough time has passed to fetch the document again; marks the fetch.
    fn may_fetch(&self) -> bool {
        let mut last = self.last_fetch.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|at| at.elapsed() < self.refresh_every) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

/// Validates access tokens.
pub struct Verifier {
    keys: Keys,
    issuer: Option<String>,
    audiences: Vec<String>,
    leeway_secs: u64,
    /// Tokens already validated, with their `exp`: a client sends the same token on every
    /// call, and an RSA or ECDSA signature costs hundreds of microseconds to check.
    validated: crate::cache::SharedLru<(Principal, i64)>,
}

/// Validated tokens remembered.
const VALIDATED_TOKENS: usize = 10_000;

impl Verifier {
    /// A verifier from the settings, accepting tokens for `audiences` (the server's resource
    /// URIs when the settings name none). A JWKS source is read on first use.
    pub fn new(settings: &AuthSettings, audiences: Vec<String>) -> Verifier {
        let keys = if let Some(secret) = &settings.hs256_secret {
            Keys::Secret(Box::new(DecodingKey::from_secret(secret.as_bytes())))
        } else if let Some(source) = &settings.jwks {
            Keys::Jwks(JwksCache {
                source: source.clone(),
                refresh_every: Duration::from_secs(settings.jwks_refresh_secs),
                keys: RwLock::new(HashMap::new()),
                last_fetch: Mutex::new(None),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap_or_default(),
            })
        } else {
            Keys::None
        };
        Verifier {
            keys,
            issuer: settings.issuer.clone(),
            audiences: if settings.audiences.is_empty() {
                audiences
            } else {
                settings.audiences.clone()
            },
            leeway_secs: settings.leeway_secs,
            validated: crate::cache::SharedLru::new(VALIDATED_TOKENS),
        }
    }

    /// Whether any key is configured (else every token is refused).
    pub fn accepts_tokens(&self) -> bool {
        !matches!(self.keys, Keys::None)
    }

    /// The audiences a token may name.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The caller a token stands for, or why it is refused. A token seen before is not
    /// checked again until its `exp` (with the skew allowance) has passed.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        if let Some((principal, exp)) = self.validated.get(token) {
            let now = chrono::Utc::now().timestamp();
            return if now <= exp.saturating_add(self.leeway_secs as i64) {
                Ok(principal)
            } else {
                Err(TokenError::Expired)
            };
        }
        let (principal, exp) = self.validate(token).await?;
        self.validated
            .put(token.to_owned(), (principal.clone(), exp));
        Ok(principal)
    }

    /// The full validation of a token: its key, then [`Verifier::check`].
    async fn validate(&self, token: &str) -> Result<(Principal, i64), TokenError> {
        let (algorithm, key) = match &self.keys {
            Keys::None => return Err(TokenError::NoKeys),
            Keys::Secret(key) => (Algorithm::HS256, (**key).clone()),
            Keys::Jwks(cache) => {
                let header = jsonwebtoken::decode_header(token)?;
                let kid = header.kid.ok_or(TokenError::UnknownKey)?;
                match cache.key(&kid) {
                    Some(found) => found,
                    None => {
                        if cache.may_fetch()
                            && let Err(e) = cache.fetch().await
                        {
                            tracing::warn!(error = %e, "JWKS refresh failed");
                        }
                        cache.key(&kid).ok_or(TokenError::UnknownKey)?
                    }
                }
            }
        };
        self.check(token, algorithm, &key)
    }

    /// The checks once the key is known: signature, algorithm, `exp`, `nbf`, `aud`, `iss`.
    fn check(
        &self,
        token: &str,
        algorithm: Algorithm,
        key: &DecodingKey,
    ) -> Result<(Principal, i64), TokenError> {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        validation.set_audience(&self.audiences);
        let mut required = vec!["exp", "aud"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation)?;
        let principal = Principal {
            subject: data.claims.sub.filter(|s| !s.is_empty()),
            scopes: Scopes::parse(data.claims.scope.as_deref().unwrap_or_default()),
        };
        Ok((principal, data.claims.exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const SECRET: &str = "a-test-secret-of-at-least-32-characters";
    const AUDIENCE: &str = "http://127.0.0.1:7700/mcp";

    fn verifier() -> Verifier {
        let settings = AuthSettings {
            hs256_secret: Some(SECRET.into()),
            issuer: Some("https://vivr.fr".into()),
            ..AuthSettings::default()
        };
        Verifier::new(&settings, vec![AUDIENCE.into()])
    }

    fn token(claims: serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn claims() -> serde_json::Value {
        json!({"sub": "user_000053", "scope": "orders:read support:write", "iss": "https://vivr.fr",
               "aud": AUDIENCE, "exp": now() + 300, "nbf": now() - 10})
    }

    fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut c = claims();
        c[key] = value;
        c
    }

    #[tokio::test]
    async fn a_good_token_is_its_subject_with_its_scopes() {
        let p = verifier().verify(&token(claims())).await.unwrap();
        assert_eq!(p.subject.as_deref(), Some("user_000053"));
        assert!(p.has(Scope::OrdersRead) && p.has(Scope::SupportWrite));
        assert!(!p.is_staff());
        assert_eq!(p.order_scope(), Some(OrderScope::Customer("user_000053")));
        // An audience list containing ours passes.
        let listed = with("aud", json!(["https://elsewhere", AUDIENCE]));
        assert!(verifier().verify(&token(listed)).await.is_ok());
    }

    #[tokio::test]
    async fn each_bad_claim_has_its_reason() {
        let v = verifier();
        let cases = [
            (with("exp", json!(now() - 120)), TokenError::Expired),
            (with("nbf", json!(now() + 600)), TokenError::NotYetValid),
            (
                with("aud", json!("https://other.example/mcp")),
                TokenError::WrongAudience,
            ),
            (
                with("iss", json!("https://evil.example")),
                TokenError::WrongIssuer,
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(v.verify(&token(claims)).await.unwrap_err(), expected);
        }
        // Within the skew allowance, a just-expired token still passes.
        assert!(
            v.verify(&token(with("exp", json!(now() - 5))))
                .await
                .is_ok()
        );
        let forged = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-chars!!"),
        )
        .unwrap();
        assert_eq!(
            v.verify(&forged).await.unwrap_err(),
            TokenError::BadSignature
        );
        assert!(matches!(
            v.verify("not.a.jwt").await.unwrap_err(),
            TokenError::Malformed(_)
        ));
        let mut no_aud = claims();
        no_aud.as_object_mut().unwrap().remove("aud");
        assert!(matches!(
            v.verify(&token(no_aud)).await.unwrap_err(),
            TokenError::MissingClaim(_) | TokenError::WrongAudience
        ));
    }

    #[tokio::test]
    async fn a_remembered_token_still_expires() {
        let v = verifier();
        // Valid for 1 s beyond the skew allowance of this verifier (30 s).
        let short = token(with("exp", json!(now() - 29)));
        assert!(v.verify(&short).await.is_ok());
        assert!(v.verify(&short).await.is_ok(), "remembered");
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_eq!(v.verify(&short).await.unwrap_err(), TokenError::Expired);
    }

    #[test]
    fn scopes_parse_from_the_space_separated_claim() {
        let s = Scopes::parse("orders:read:all  unknown analytics:read");
        assert!(s.contains(Scope::OrdersReadAll) && s.contains(Scope::AnalyticsRead));
        assert!(!s.contains(Scope::OrdersRead));
        let staff = Principal {
            subject: Some("staff_1".into()),
            scopes: s,
        };
        assert_eq!(staff.order_scope(), Some(OrderScope::Staff));
        assert_eq!(Principal::anonymous().order_scope(), None);
        let no_subject = Principal {
            subject: None,
            scopes: Scopes::parse("orders:read"),
        };
        assert_eq!(
            no_subject.order_scope(),
            None,
            "a customer scope needs a subject"
        );
    }
}
