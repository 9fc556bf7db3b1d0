//! One [`Config`] for the whole binary: compiled-in defaults, then an optional TOML file, then
//! environment variables, then command-line flags (applied by `cli`). Validated once at start.
//!
//! Environment variables: `VIVR_DB`, `VIVR_INDEX_DIR`, `VIVR_MODELS_DIR`, `VIVR_BIND`, `VIVR_ADMIN_TOKEN`,
//! `VIVR_RELOAD_POLL_SECS`, `VIVR_REQUEST_TIMEOUT_MS`, `VIVR_BODY_LIMIT_BYTES`,
//! `VIVR_SEMANTIC_RATIO`.

use std::net::SocketAddr;
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
    /// The embedding model and ONNX Runtime (installed by tools/install-models.sh).
    pub models_dir: PathBuf,
    /// Address the HTTP server binds to (loopback by default).
    pub bind: SocketAddr,
    /// Bearer token of the admin routes; admin routes are disabled without one.
    pub admin_token: Option<String>,
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("index/catalog.db"),
            index_dir: PathBuf::from("index"),
            models_dir: PathBuf::from("models"),
            bind: SocketAddr::from(([127, 0, 0, 1], 7700)),
            admin_token: None,
            reload_poll_secs: 2,
            request_timeout_ms: 5_000,
            body_limit_bytes: 64 * 1024,
            popularity_days: 90,
            semantic_ratio: 0.5,
        }
    }
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
        if let Some(v) = env("VIVR_DB") {
            config.db = PathBuf::from(v);
        }
        if let Some(v) = env("VIVR_INDEX_DIR") {
            config.index_dir = PathBuf::from(v);
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
        if let Some(v) = env("VIVR_RELOAD_POLL_SECS") {
            config.reload_poll_secs = parse_env("VIVR_RELOAD_POLL_SECS", v)?;
        }
        if let Some(v) = env("VIVR_REQUEST_TIMEOUT_MS") {
            config.request_timeout_ms = parse_env("VIVR_REQUEST_TIMEOUT_MS", v)?;
        }
        if let Some(v) = env("VIVR_SEMANTIC_RATIO") {
            config.semantic_ratio = parse_env("VIVR_SEMANTIC_RATIO", v)?;
        }
        if let Some(v) = env("VIVR_BODY_LIMIT_BYTES") {
            config.body_limit_bytes = parse_env("VIVR_BODY_LIMIT_BYTES", v)?;
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
        if self.body_limit_bytes < 1024 {
            return Err(invalid("body_limit_bytes", "must be at least 1024"));
        }
        if !(0.0..=1.0).contains(&self.semantic_ratio) {
            return Err(invalid("semantic_ratio", "must be between 0 and 1"));
        }
        if self.popularity_days == 0 {
            return Err(invalid("popularity_days", "must be above 0"));
        }
        if self.admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(invalid("admin_token", "must be at least 16 characters"));
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
