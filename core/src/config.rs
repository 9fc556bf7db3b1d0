//! One [`Config`] for the whole binary: compiled-in defaults, then an optional TOML file, then
//! environment variables, then command-line flags (applied by `cli`). Validated once at start.
//!
//! Environment variables: `VIVR_DB`, `VIVR_INDEX_DIR`, `VIVR_MODELS_DIR`, `VIVR_BIND`, `VIVR_ADMIN_TOKEN`,
//! `VIVR_SERVER_TOKEN`, `VIVR_RATE_LIMIT_REQUESTS`, `VIVR_RATE_LIMIT_WINDOW_MS`,
//! `VIVR_SERVER_RATE_LIMIT_REQUESTS`, `VIVR_TRUSTED_PROXIES`, `VIVR_MAX_CONNECTIONS`,
//! `VIVR_HEADER_READ_TIMEOUT_MS`, `MCP_AUTH_TOKEN`, `VIVR_MCP_ALLOWED_HOSTS`,
//! `VIVR_MCP_MAX_SESSIONS`, `VIVR_MCP_MAX_SESSIONS_PER_CLIENT`, `VIVR_MCP_SESSION_IDLE_SECS`,
//! `VIVR_RELOAD_POLL_SECS`, `VIVR_REQUEST_TIMEOUT_MS`, `VIVR_BODY_LIMIT_BYTES`,
//! `VIVR_RESULT_CACHE_ENTRIES`, `VIVR_SEMANTIC_RATIO`; for Claude (the storefront's names): `ANTHROPIC_API_KEY`,
//! `ANTHROPIC_BASE_URL`, `AI_DEFAULT_MODEL`, `AI_RATE_LIMIT_REQUESTS`, `AI_RATE_LIMIT_WINDOW_MS`,
//! `ENABLE_AI_SEARCH`, `ENABLE_AI_RECOMMENDATIONS`, and `VIVR_LLM_INTENT_DEADLINE_MS`,
//! `VIVR_LLM_RERANK_DEADLINE_MS`, `VIVR_LLM_CACHE_TTL_SECS`; for access tokens:
//! `VIVR_AUTH_HS256_SECRET`, `VIVR_AUTH_JWKS`, `VIVR_AUTH_ISSUER`, `VIVR_AUTH_AUDIENCE`,
//! `VIVR_AUTH_AUTHORIZATION_SERVERS`, `VIVR_PUBLIC_URL`; `SUPPORT_WEBHOOK_URL`, `VIVR_TODAY`
//! (the store's day, pinned), and `VIVR_SYNC_DATABASE_URL` (the storefront's PostgreSQL).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Errors of the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for [`Config`].
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An environment variable has an invalid value.
    #[error("invalid value {value:?} for {name}: {message}")]
    Env {
        /// Variable name.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A setting is out of range.
    #[error("invalid setting {name}: {message}")]
    Invalid {
        /// Setting name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The engine's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The SQLite replica.
    pub db: PathBuf,
    /// The folder of index generations.
    pub index_dir: PathBuf,
    /// The engine's own database (tickets...); `None`: `state.db` beside the replica.
    pub state_db: Option<PathBuf>,
    /// The embedding model and ONNX Runtime (installed by tools/install-models.sh).
    pub models_dir: PathBuf,
    /// Address the HTTP server binds to (loopback by default).
    pub bind: SocketAddr,
    /// Bearer token of the admin routes; admin routes are disabled without one (16 characters
    /// at least).
    pub admin_token: Option<String>,
    /// Bearer token of the storefront's server (trusted server-to-server calls: personalising
    /// by a user's orders and wishlist, its own rate limit); 16 characters at least.
    pub server_token: Option<String>,
    /// Requests one client address may make per window, API and `/mcp` alike, `/health` and
    /// `/metrics` exempt (0: no limit).
    pub rate_limit_requests: u32,
    /// The rate-limit window, in milliseconds (both limits).
    pub rate_limit_window_ms: u64,
    /// Requests per window for a caller with the server or admin token, per address (0: no
    /// limit): the storefront's server calls from one address for all its shoppers.
    pub server_rate_limit_requests: u32,
    /// Proxies whose `X-Forwarded-For` is believed (`VIVR_TRUSTED_PROXIES`, commas); from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Open connections at most; more are closed at once.
    pub max_connections: usize,
    /// A connection that has not sent a request's headers within this many milliseconds is
    /// closed (slow or idle clients).
    pub header_read_timeout_ms: u64,
    /// Bearer token required on `/mcp` when set (`MCP_AUTH_TOKEN`, 16 characters at least).
    pub mcp_auth_token: Option<String>,
    /// `Host` names `/mcp` accepts besides loopback ones (`VIVR_MCP_ALLOWED_HOSTS`, commas).
    pub mcp_allowed_hosts: Vec<String>,
    /// MCP sessions open at most; at the cap the least recently used one is closed.
    pub mcp_max_sessions: usize,
    /// MCP sessions one client address may hold; at the cap its least recently used one is
    /// closed.
    pub mcp_max_sessions_per_client: usize,
    /// An MCP session unused for this many seconds is closed.
    pub mcp_session_idle_secs: u64,
    /// How often a running server checks for a new generation, in seconds (0: never).
    pub reload_poll_secs: u64,
    /// Request timeout, in milliseconds.
    pub request_timeout_ms: u64,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Window of the popularity signal (units sold), in days.
    pub popularity_days: u32,
    /// Default weight of the semantic source in full-mode search (0..=1).
    pub semantic_ratio: f32,
    /// Instant-mode answers kept per index generation (0: none), for the prefixes typing
    /// sends again and again.
    pub result_cache_entries: usize,
    /// Claude (intent and rerank of submitted searches).
    pub llm: LlmSettings,
    /// Who may call the order and support tools: access tokens (JWT) and their keys.
    pub auth: AuthSettings,
    /// The store's own rules: returns, transit times, the support webhook.
    pub store: StoreSettings,
    /// Search logs and shopper events (state database).
    pub analytics: AnalyticsSettings,
    /// The live sync from the storefront's PostgreSQL (`[sync]`).
    pub sync: SyncSettings,
}

/// How long the engine keeps what it learns from traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyticsSettings {
    /// Days shopper events are kept (`VIVR_EVENT_RETENTION_DAYS`).
    pub event_retention_days: u32,
    /// Days search logs are kept (`VIVR_SEARCH_LOG_RETENTION_DAYS`).
    pub search_log_retention_days: u32,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        AnalyticsSettings {
            event_retention_days: 90,
            search_log_retention_days: 90,
        }
    }
}

/// The live sync from the storefront's PostgreSQL (`vivr-search sync`, `serve --sync-from`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// `postgres://user:password@host/db` (`VIVR_SYNC_DATABASE_URL`; `--database-url` and
    /// `--sync-from` win). It may hold a password: never written back by `Serialize`, never
    /// shown by `Debug`, in logs or in errors.
    #[serde(skip_serializing)]
    pub database_url: Option<String>,
    /// Time between two syncs when nothing wakes the watcher, in milliseconds.
    pub interval_ms: u64,
    /// How far behind its watermark each read starts, in seconds, when the store has no
    /// triggers: a transaction that commits later than this after setting `updatedAt` is
    /// caught only by the next reconcile.
    pub overlap_secs: u64,
    /// Time between two reconciles (every row read again, the vanished ones removed), in
    /// seconds; the first sync is always one.
    pub reconcile_secs: u64,
    /// Rows read per query.
    pub page_rows: usize,
    /// PEM file of the certificate authorities to trust for TLS to PostgreSQL, besides the
    /// public web roots (a private CA, a self-signed server).
    pub tls_ca_file: Option<PathBuf>,
    /// The store's table and column names, for a store whose names differ from the export
    /// contract's (`tools/storefront/schema.sql`).
    pub tables: crate::sync::TableNames,
}

impl std::fmt::Debug for SyncSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSettings")
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("interval_ms", &self.interval_ms)
            .field("overlap_secs", &self.overlap_secs)
            .field("reconcile_secs", &self.reconcile_secs)
            .field("page_rows", &self.page_rows)
            .field("tls_ca_file", &self.tls_ca_file)
            .finish_non_exhaustive()
    }
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            database_url: None,
            interval_ms: 5_000,
            overlap_secs: 300,
            reconcile_secs: 600,
            page_rows: 5_000,
            tls_ca_file: None,
            tables: crate::sync::TableNames::default(),
        }
    }
}

/// Validation of the access tokens the storefront mints for the engine (OAuth 2.1 resource
/// server, MCP authorization). Without a key (`hs256_secret` or `jwks`) no token is accepted
/// and only public tools (and `MCP_AUTH_TOKEN`) are usable.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Shared HS256 secret (development: only the storefront and the engine know it); never
    /// written back by `Serialize` nor shown by `Debug`.
    #[serde(skip_serializing)]
    pub hs256_secret: Option<String>,
    /// A JWKS document: a file path or an `http(s)://` URL (RS256/ES256 keys; cached, fetched
    /// again when a token names an unknown `kid`).
    pub jwks: Option<String>,
    /// The `iss` every token must carry.
    pub issuer: Option<String>,
    /// Accepted `aud` values; empty: this server's `/mcp` URL and each per-server URL.
    pub audiences: Vec<String>,
    /// The server's public base URL (`https://search.vivr.fr`), for resource URIs and the
    /// metadata; empty: `http://` + the bind address.
    pub public_url: Option<String>,
    /// Authorization servers named in the protected resource metadata; empty: the issuer.
    pub authorization_servers: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Shortest time between two fetches of the JWKS (an unknown `kid` triggers one), in
    /// seconds: tokens naming made-up key ids cannot make the server hammer the key server.
    pub jwks_refresh_secs: u64,
    /// Order and support lookups per minute, per token subject and per client address (0: no
    /// limit): enumerating order numbers or e-mails is slow.
    pub lookups_per_minute: u32,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "<set>"))
            .field("jwks", &self.jwks)
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("public_url", &self.public_url)
            .field("leeway_secs", &self.leeway_secs)
            .finish_non_exhaustive()
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            hs256_secret: None,
            jwks: None,
            issuer: None,
            audiences: Vec::new(),
            public_url: None,
            authorization_servers: Vec::new(),
            leeway_secs: 30,
            jwks_refresh_secs: 30,
            lookups_per_minute: 60,
        }
    }
}

/// The store's rules that the order and support tools apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// Days to return goods after receipt (the law's 14 at least; VIVR offers 30).
    pub withdrawal_days: u32,
    /// Carriers' transit days per zone (`data/store/shipping.md`).
    pub transit: crate::store::delivery::TransitTable,
    /// Where new support tickets are POSTed (`SUPPORT_WEBHOOK_URL`), from an outbox with
    /// retries; none: tickets stay in the state database for `vivr-search tickets`.
    pub support_webhook_url: Option<String>,
    /// The store's today, pinned (`VIVR_TODAY`, "2026-11-06"): the demo export is a store
    /// frozen on its last day, and a replay of an old export reads as of its date. None: the
    /// current calendar day in Europe/Paris. Order deadlines and every analytics period count
    /// from it.
    pub today: Option<chrono::NaiveDate>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            withdrawal_days: crate::store::returns::ReturnRules::default().withdrawal_days,
            transit: crate::store::delivery::TransitTable::default(),
            support_webhook_url: None,
            today: None,
        }
    }
}

/// Settings of the Claude client. Without an API key Claude is never called.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// `x-api-key`; never written back by `Serialize` nor shown by `Debug`.
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// Base URL of the Messages API (`{base}/v1/messages`).
    pub base_url: String,
    /// Model id.
    pub model: String,
    /// Deadline of an intent call, retries included, in milliseconds.
    pub intent_deadline_ms: u64,
    /// Deadline of a rerank call, retries included, in milliseconds.
    pub rerank_deadline_ms: u64,
    /// Calls allowed per window (0: no limit).
    pub rate_limit_requests: u32,
    /// The rate limit's window, in milliseconds.
    pub rate_limit_window_ms: u64,
    /// Claude for submitted searches.
    pub enable_search: bool,
    /// The recommendation routes and tool (`ENABLE_AI_RECOMMENDATIONS`, the storefront's
    /// switch for its recommendation blocks): off, they answer the coded error
    /// `recommendations_disabled`, which the storefront falls back from. Recommendations never
    /// call Claude, so the switch is about the feature, not the model.
    pub enable_recommendations: bool,
    /// How long a cached answer is reused, in seconds.
    pub cache_ttl_secs: u64,
    /// Answers kept in memory in front of the replica's cache.
    pub cache_capacity: usize,
    /// Consecutive failures that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the open breaker skips Claude, in milliseconds.
    pub breaker_cooldown_ms: u64,
}

impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("intent_deadline_ms", &self.intent_deadline_ms)
            .field("rerank_deadline_ms", &self.rerank_deadline_ms)
            .field("rate_limit_requests", &self.rate_limit_requests)
            .field("rate_limit_window_ms", &self.rate_limit_window_ms)
            .field("enable_search", &self.enable_search)
            .field("enable_recommendations", &self.enable_recommendations)
            .finish_non_exhaustive()
    }
}

/// Shortest bearer token accepted (admin, server and MCP tokens).
pub const MIN_TOKEN_LEN: usize = 16;

/// The public Messages API.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// A current fast model: intent and rerank are short, latency-bound tasks.
pub const DEFAULT_LLM_MODEL: &str = "claude-haiku-4-5";

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            api_key: None,
            base_url: ANTHROPIC_BASE_URL.to_owned(),
            model: DEFAULT_LLM_MODEL.to_owned(),
            intent_deadline_ms: 800,
            rerank_deadline_ms: 1_500,
            rate_limit_requests: 60,
            rate_limit_window_ms: 60_000,
            enable_search: true,
            enable_recommendations: true,
            cache_ttl_secs: 7 * 24 * 3600,
            cache_capacity: 10_000,
            breaker_failures: 5,
            breaker_cooldown_ms: 30_000,
        }
    }
}

impl Config {
    /// The engine's own database: `state_db`, else `state.db` beside the replica (never inside
    /// an index generation, which a reindex replaces).
    pub fn state_db_path(&self) -> PathBuf {
        self.state_db
            .clone()
            .unwrap_or_else(|| self.db.with_file_name("state.db"))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("index/catalog.db"),
            index_dir: PathBuf::from("index"),
            state_db: None,
            models_dir: PathBuf::from("models"),
            bind: SocketAddr::from(([127, 0, 0, 1], 7700)),
            admin_token: None,
            server_token: None,
            rate_limit_requests: 0,
            rate_limit_window_ms: 1_000,
            server_rate_limit_requests: 0,
            trusted_proxies: Vec::new(),
            max_connections: 1_024,
            header_read_timeout_ms: 10_000,
            mcp_auth_token: None,
            mcp_allowed_hosts: Vec::new(),
            mcp_max_sessions: 1_000,
            mcp_max_sessions_per_client: 100,
            mcp_session_idle_secs: 300,
            reload_poll_secs: 2,
            request_timeout_ms: 5_000,
            body_limit_bytes: 64 * 1024,
            popularity_days: 90,
            semantic_ratio: 0.5,
            result_cache_entries: crate::search::RESULT_CACHE_SIZE,
            llm: LlmSettings::default(),
            auth: AuthSettings::default(),
            store: StoreSettings::default(),
            analytics: AnalyticsSettings::default(),
            sync: SyncSettings::default(),
        }
    }
}

/// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (the storefront writes `"true"`).
fn parse_flag(name: &'static str, value: String) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Env {
            name,
            message: "expected true or false".to_owned(),
            value,
        }),
    }
}

/// The items of a comma-separated list, trimmed, empty ones skipped.
fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_env<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Env {
        name,
        message: e.to_string(),
        value,
    })
}

impl Config {
    /// Defaults, then `file` (when given), then the environment as read by `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        if let Some(v) = env("VIVR_SYNC_DATABASE_URL") {
            config.sync.database_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = env("VIVR_DB") {
            config.db = PathBuf::from(v);
        }
        if let Some(v) = env("VIVR_INDEX_DIR") {
            config.index_dir = PathBuf::from(v);
        }
        if let Some(v) = env("VIVR_STATE_DB") {
            config.state_db = Some(PathBuf::from(v));
        }
        if let Some(v) = env("VIVR_MODELS_DIR") {
            config.models_dir = PathBuf::from(v);
        }
        if let Some(v) = env("VIVR_BIND") {
            config.bind = parse_env("VIVR_BIND", v)?;
        }
        if let Some(v) = env("VIVR_ADMIN_TOKEN") {
            config.admin_token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = env("VIVR_SERVER_TOKEN") {
            config.server_token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = env("VIVR_SERVER_RATE_LIMIT_REQUESTS") {
            config.server_rate_limit_requests = parse_env("VIVR_SERVER_RATE_LIMIT_REQUESTS", v)?;
        }
        if let Some(v) = env("VIVR_TRUSTED_PROXIES") {
            config.trusted_proxies = list(&v)
                .map(|ip| parse_env("VIVR_TRUSTED_PROXIES", ip.to_owned()))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = env("VIVR_MAX_CONNECTIONS") {
            config.max_connections = parse_env("VIVR_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = env("VIVR_HEADER_READ_TIMEOUT_MS") {
            config.header_read_timeout_ms = parse_env("VIVR_HEADER_READ_TIMEOUT_MS", v)?;
        }
        if let Some(v) = env("VIVR_MCP_MAX_SESSIONS") {
            config.mcp_max_sessions = parse_env("VIVR_MCP_MAX_SESSIONS", v)?;
        }
        if let Some(v) = env("VIVR_MCP_MAX_SESSIONS_PER_CLIENT") {
            config.mcp_max_sessions_per_client = parse_env("VIVR_MCP_MAX_SESSIONS_PER_CLIENT", v)?;
        }
        if let Some(v) = env("VIVR_MCP_SESSION_IDLE_SECS") {
            config.mcp_session_idle_secs = parse_env("VIVR_MCP_SESSION_IDLE_SECS", v)?;
        }
        if let Some(v) = env("VIVR_RATE_LIMIT_REQUESTS") {
            config.rate_limit_requests = parse_env("VIVR_RATE_LIMIT_REQUESTS", v)?;
        }
        if let Some(v) = env("VIVR_RATE_LIMIT_WINDOW_MS") {
            config.rate_limit_window_ms = parse_env("VIVR_RATE_LIMIT_WINDOW_MS", v)?;
        }
        if let Some(v) = env("MCP_AUTH_TOKEN") {
            config.mcp_auth_token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = env("VIVR_MCP_ALLOWED_HOSTS") {
            config.mcp_allowed_hosts = list(&v).map(str::to_owned).collect();
        }
        if let Some(v) = env("VIVR_RELOAD_POLL_SECS") {
            config.reload_poll_secs = parse_env("VIVR_RELOAD_POLL_SECS", v)?;
        }
        if let Some(v) = env("VIVR_REQUEST_TIMEOUT_MS") {
            config.request_timeout_ms = parse_env("VIVR_REQUEST_TIMEOUT_MS", v)?;
        }
        if let Some(v) = env("VIVR_SEMANTIC_RATIO") {
            config.semantic_ratio = parse_env("VIVR_SEMANTIC_RATIO", v)?;
        }
        if let Some(v) = env("VIVR_RESULT_CACHE_ENTRIES") {
            config.result_cache_entries = parse_env("VIVR_RESULT_CACHE_ENTRIES", v)?;
        }
        if let Some(v) = env("VIVR_BODY_LIMIT_BYTES") {
            config.body_limit_bytes = parse_env("VIVR_BODY_LIMIT_BYTES", v)?;
        }
        let llm = &mut config.llm;
        if let Some(v) = env("ANTHROPIC_API_KEY") {
            llm.api_key = Some(v).filter(|k| !k.trim().is_empty());
        }
        if let Some(v) = env("ANTHROPIC_BASE_URL") {
            llm.base_url = v.trim_end_matches('/').to_owned();
        }
        if let Some(v) = env("AI_DEFAULT_MODEL").filter(|v| !v.trim().is_empty()) {
            llm.model = v;
        }
        if let Some(v) = env("AI_RATE_LIMIT_REQUESTS") {
            llm.rate_limit_requests = parse_env("AI_RATE_LIMIT_REQUESTS", v)?;
        }
        if let Some(v) = env("AI_RATE_LIMIT_WINDOW_MS") {
            llm.rate_limit_window_ms = parse_env("AI_RATE_LIMIT_WINDOW_MS", v)?;
        }
        if let Some(v) = env("ENABLE_AI_SEARCH") {
            llm.enable_search = parse_flag("ENABLE_AI_SEARCH", v)?;
        }
        if let Some(v) = env("ENABLE_AI_RECOMMENDATIONS") {
            llm.enable_recommendations = parse_flag("ENABLE_AI_RECOMMENDATIONS", v)?;
        }
        if let Some(v) = env("VIVR_LLM_INTENT_DEADLINE_MS") {
            llm.intent_deadline_ms = parse_env("VIVR_LLM_INTENT_DEADLINE_MS", v)?;
        }
        if let Some(v) = env("VIVR_LLM_RERANK_DEADLINE_MS") {
            llm.rerank_deadline_ms = parse_env("VIVR_LLM_RERANK_DEADLINE_MS", v)?;
        }
        if let Some(v) = env("VIVR_LLM_CACHE_TTL_SECS") {
            llm.cache_ttl_secs = parse_env("VIVR_LLM_CACHE_TTL_SECS", v)?;
        }
        let auth = &mut config.auth;
        if let Some(v) = env("VIVR_AUTH_HS256_SECRET") {
            auth.hs256_secret = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("VIVR_AUTH_JWKS") {
            auth.jwks = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("VIVR_AUTH_ISSUER") {
            auth.issuer = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("VIVR_AUTH_AUDIENCE") {
            auth.audiences = list(&v).map(str::to_owned).collect();
        }
        if let Some(v) = env("VIVR_AUTH_AUTHORIZATION_SERVERS") {
            auth.authorization_servers = list(&v).map(str::to_owned).collect();
        }
        if let Some(v) = env("VIVR_PUBLIC_URL") {
            auth.public_url = Some(v.trim_end_matches('/').to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("VIVR_EVENT_RETENTION_DAYS") {
            config.analytics.event_retention_days = parse_env("VIVR_EVENT_RETENTION_DAYS", v)?;
        }
        if let Some(v) = env("VIVR_SEARCH_LOG_RETENTION_DAYS") {
            config.analytics.search_log_retention_days =
                parse_env("VIVR_SEARCH_LOG_RETENTION_DAYS", v)?;
        }
        if let Some(v) = env("VIVR_TODAY") {
            config.store.today = Some(parse_env("VIVR_TODAY", v)?);
        }
        if let Some(v) = env("SUPPORT_WEBHOOK_URL") {
            config.store.support_webhook_url = Some(v).filter(|s| !s.is_empty());
        }
        Ok(config)
    }

    /// Checks ranges; call after every override.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |name, message: &str| ConfigError::Invalid {
            name,
            message: message.to_owned(),
        };
        if self.request_timeout_ms == 0 {
            return Err(invalid("request_timeout_ms", "must be above 0"));
        }
        if self.sync.interval_ms == 0 || self.sync.page_rows == 0 {
            return Err(invalid("sync", "interval_ms and page_rows must be above 0"));
        }
        if let Err(message) = self.sync.tables.check() {
            return Err(invalid("sync.tables", &message));
        }
        if self.body_limit_bytes < 1024 {
            return Err(invalid("body_limit_bytes", "must be at least 1024"));
        }
        if !(0.0..=1.0).contains(&self.semantic_ratio) {
            return Err(invalid("semantic_ratio", "must be between 0 and 1"));
        }
        if self.popularity_days == 0 {
            return Err(invalid("popularity_days", "must be above 0"));
        }
        let llm = &self.llm;
        if llm.intent_deadline_ms == 0 || llm.rerank_deadline_ms == 0 {
            return Err(invalid("llm deadlines", "must be above 0"));
        }
        if llm.rate_limit_window_ms == 0 {
            return Err(invalid("llm.rate_limit_window_ms", "must be above 0"));
        }
        if !(llm.base_url.starts_with("http://") || llm.base_url.starts_with("https://")) {
            return Err(invalid("llm.base_url", "must be an http(s) URL"));
        }
        for (name, token) in [
            ("admin_token (VIVR_ADMIN_TOKEN)", &self.admin_token),
            ("server_token (VIVR_SERVER_TOKEN)", &self.server_token),
            ("mcp_auth_token (MCP_AUTH_TOKEN)", &self.mcp_auth_token),
        ] {
            if token.as_ref().is_some_and(|t| t.len() < MIN_TOKEN_LEN) {
                return Err(invalid(name, "must be at least 16 characters"));
            }
        }
        if self.rate_limit_window_ms == 0 {
            return Err(invalid("rate_limit_window_ms", "must be above 0"));
        }
        if self
            .auth
            .hs256_secret
            .as_ref()
            .is_some_and(|s| s.len() < 32)
        {
            return Err(invalid(
                "auth.hs256_secret (VIVR_AUTH_HS256_SECRET)",
                "must be at least 32 characters",
            ));
        }
        if self.auth.hs256_secret.is_some() && self.auth.jwks.is_some() {
            return Err(invalid(
                "auth",
                "set hs256_secret or jwks, not both: one kind of key signs the tokens",
            ));
        }
        if self.analytics.event_retention_days == 0 || self.analytics.search_log_retention_days == 0
        {
            return Err(invalid(
                "analytics retention",
                "event and search log retention must be at least 1 day",
            ));
        }
        if self.store.withdrawal_days < crate::store::returns::LEGAL_WITHDRAWAL_DAYS {
            return Err(invalid(
                "store.withdrawal_days",
                "must be at least the law's 14 days",
            ));
        }
        let http = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if let Some(url) = &self.store.support_webhook_url
            && !http(url)
        {
            return Err(invalid(
                "store.support_webhook_url (SUPPORT_WEBHOOK_URL)",
                "must be an http(s) URL",
            ));
        }
        if let Some(url) = &self.auth.public_url
            && !http(url)
        {
            return Err(invalid(
                "auth.public_url (VIVR_PUBLIC_URL)",
                "must be an http(s) URL",
            ));
        }
        if self.max_connections == 0 {
            return Err(invalid("max_connections", "must be above 0"));
        }
        if self.header_read_timeout_ms == 0 {
            return Err(invalid("header_read_timeout_ms", "must be above 0"));
        }
        if self.mcp_max_sessions == 0
            || self.mcp_max_sessions_per_client == 0
            || self.mcp_session_idle_secs == 0
        {
            return Err(invalid(
                "mcp sessions",
                "caps and idle time must be above 0",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bind_to_loopback() {
        let config = Config::load(None, |_| None).unwrap();
        config.validate().unwrap();
        assert_eq!(config, Config::default());
        assert!(config.bind.ip().is_loopback());
        let round_trip: Config = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
        assert_eq!(round_trip, config);
    }

    #[test]
    fn file_then_env_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vivr.toml");
        std::fs::write(&file, "index_dir = \"/srv/index\"\nreload_poll_secs = 10\n").unwrap();
        let env = |name: &str| (name == "VIVR_RELOAD_POLL_SECS").then(|| "30".to_owned());
        let config = Config::load(Some(&file), env).unwrap();
        assert_eq!(config.index_dir, PathBuf::from("/srv/index"));
        assert_eq!(config.reload_poll_secs, 30);
        assert_eq!(config.db, Config::default().db);
    }

    #[test]
    fn vivr_today_pins_the_store_s_day() {
        let config = Config::load(None, |n| (n == "VIVR_TODAY").then(|| "2026-11-06".into()));
        assert_eq!(
            config.unwrap().store.today,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 6)
        );
        let bad = Config::load(None, |n| (n == "VIVR_TODAY").then(|| "06/11/2026".into()));
        assert!(bad.unwrap_err().to_string().contains("VIVR_TODAY"));
        assert_eq!(Config::default().store.today, None);
    }

    #[test]
    fn the_storefront_ai_variables_configure_claude() {
        let vars = [
            ("ANTHROPIC_API_KEY", "sk-test"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
            ("AI_DEFAULT_MODEL", "claude-test"),
            ("AI_RATE_LIMIT_REQUESTS", "5"),
            ("AI_RATE_LIMIT_WINDOW_MS", "1000"),
            ("ENABLE_AI_SEARCH", "false"),
        ];
        let env = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let config = Config::load(None, env).unwrap();
        config.validate().unwrap();
        let llm = &config.llm;
        assert_eq!(llm.api_key.as_deref(), Some("sk-test"));
        assert_eq!(llm.base_url, "http://127.0.0.1:9");
        assert_eq!(
            (llm.model.as_str(), llm.rate_limit_requests),
            ("claude-test", 5)
        );
        assert!(!llm.enable_search && llm.enable_recommendations);
        assert!(
            !format!("{config:?}").contains("sk-test"),
            "the key is never printed"
        );
        assert_eq!(Config::default().llm.base_url, "https://api.anthropic.com");
        let bad = Config::load(None, |n| (n == "ENABLE_AI_SEARCH").then(|| "maybe".into()));
        assert!(bad.unwrap_err().to_string().contains("ENABLE_AI_SEARCH"));
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let err =
            Config::load(None, |n| (n == "VIVR_BIND").then(|| "nowhere".to_owned())).unwrap_err();
        assert!(err.to_string().contains("VIVR_BIND"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vivr.toml");
        std::fs::write(&file, "colour = 3\n").unwrap();
        assert!(
            Config::load(Some(&file), |_| None)
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
        let short = Config {
            admin_token: Some("x".into()),
            ..Config::default()
        };
        assert!(short.validate().is_err());
    }
}
